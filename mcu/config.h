/* Server configuration: defaults, then the config file, then command-line flags. */
#ifndef MCU_CONFIG_H
#define MCU_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct mcu_config {
    char data_dir[256];
    char listen_host[64];
    uint16_t listen_port;
    char media_ip[64];
    uint16_t port_lo, port_hi;
    unsigned workers; /* 0: one per core */
    char cpu_mask[32];
    char log_level[16];
};

void config_defaults(struct mcu_config *c);
/* Apply one setting by name ("listen", "ports", ...); -EINVAL with a reason in err. */
int config_set(struct mcu_config *c, const char *key, const char *value, char *err, size_t cap);
/* Read "key = value" lines ('#' comments); -errno, with "FILE:LINE: reason" in err. */
int config_load(struct mcu_config *c, const char *path, char *err, size_t cap);

#endif
