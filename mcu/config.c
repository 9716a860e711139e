/* Configuration parsing and validation. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udp.h"

void config_defaults(struct mcu_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->data_dir, sizeof(c->data_dir), "./var");
    snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
    c->listen_port = 8080;
    snprintf(c->media_ip, sizeof(c->media_ip), "127.0.0.1");
    c->port_lo = 40000;
    c->port_hi = 49999;
    snprintf(c->cpu_mask, sizeof(c->cpu_mask), "all");
    snprintf(c->log_level, sizeof(c->log_level), "info");
}

static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi || s[0] == '-')
        return -EINVAL;
    *out = v;
    return 0;
}

static int set_listen(struct mcu_config *c, const char *v, char *err, size_t cap)
{
    struct udp_addr a;
    if (udp_addr_parse(&a, v)) {
        snprintf(err, cap, "listen must be a numeric HOST:PORT like 127.0.0.1:8080, not \"%s\"", v);
        return -EINVAL;
    }
    const char *colon = strrchr(v, ':');
    size_t hl = (size_t)(colon - v);
    if (v[0] == '[') {
        v++;
        hl -= 2;
    }
    snprintf(c->listen_host, sizeof(c->listen_host), "%.*s", (int)hl, v);
    c->listen_port = udp_addr_port(&a);
    return 0;
}

static int set_ports(struct mcu_config *c, const char *v, char *err, size_t cap)
{
    /* Each side through parse_uint: sscanf's %u wrapped an overlong number around, so
     * "400...0094-999" passed as 65535-999 (found by tests/fuzz/fuzz_config.c). */
    char lo_txt[8];
    const char *dash = strchr(v, '-');
    size_t ll = dash ? (size_t)(dash - v) : sizeof(lo_txt);
    unsigned long lo = 0, hi = 0;
    if (ll < sizeof(lo_txt)) {
        memcpy(lo_txt, v, ll);
        lo_txt[ll] = '\0';
    }
    if (ll >= sizeof(lo_txt) || parse_uint(lo_txt, 1024, 65535, &lo) ||
        parse_uint(dash + 1, 1024, 65535, &hi) || hi < lo + 3) {
        snprintf(err, cap,
                 "ports must be LO-HI within 1024-65535 with room for two pairs, "
                 "like 40000-49999, not \"%s\"",
                 v);
        return -EINVAL;
    }
    c->port_lo = (uint16_t)lo;
    c->port_hi = (uint16_t)hi;
    return 0;
}

static int set_media_ip(struct mcu_config *c, const char *v, char *err, size_t cap)
{
    struct udp_addr a;
    if (udp_addr_from_ip(&a, v, 1) || strlen(v) >= sizeof(c->media_ip)) {
        snprintf(err, cap, "media-ip must be a numeric IP address, not \"%s\"", v);
        return -EINVAL;
    }
    snprintf(c->media_ip, sizeof(c->media_ip), "%s", v);
    return 0;
}

int config_set(struct mcu_config *c, const char *key, const char *v, char *err, size_t cap)
{
    unsigned long n;
    if (!strcmp(key, "data")) {
        if (!*v || strlen(v) >= sizeof(c->data_dir)) {
            snprintf(err, cap, "data must be a folder path under %zu characters",
                     sizeof(c->data_dir));
            return -EINVAL;
        }
        snprintf(c->data_dir, sizeof(c->data_dir), "%s", v);
        return 0;
    }
    if (!strcmp(key, "listen"))
        return set_listen(c, v, err, cap);
    if (!strcmp(key, "media-ip") || !strcmp(key, "media_ip"))
        return set_media_ip(c, v, err, cap);
    if (!strcmp(key, "ports"))
        return set_ports(c, v, err, cap);
    if (!strcmp(key, "workers")) {
        if (parse_uint(v, 0, 256, &n)) {
            snprintf(err, cap, "workers must be 0 (one per core) to 256, not \"%s\"", v);
            return -EINVAL;
        }
        c->workers = (unsigned)n;
        return 0;
    }
    if (!strcmp(key, "cpu-mask") || !strcmp(key, "cpu_mask")) {
        snprintf(c->cpu_mask, sizeof(c->cpu_mask), "%s", v);
        return 0;
    }
    if (!strcmp(key, "log-level") || !strcmp(key, "log_level")) {
        if (strcmp(v, "error") && strcmp(v, "warn") && strcmp(v, "info") && strcmp(v, "debug")) {
            snprintf(err, cap, "log-level must be error, warn, info or debug, not \"%s\"", v);
            return -EINVAL;
        }
        snprintf(c->log_level, sizeof(c->log_level), "%s", v);
        return 0;
    }
    snprintf(err, cap,
             "unknown setting \"%s\" (known: data, listen, media-ip, ports, workers, "
             "cpu-mask, log-level)",
             key);
    return -EINVAL;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int config_load(struct mcu_config *c, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = -errno;
        snprintf(err, cap, "%s: %s", path, strerror(-e));
        return e;
    }
    /* getline, not a fixed buffer: fgets would hand back a long line in pieces and its tail
     * would be read as a line of its own, so a long comment could set a key. */
    char *line = NULL, why[256];
    size_t line_cap = 0;
    ssize_t got;
    int lineno = 0, rc = 0;
    while (!rc && (got = getline(&line, &line_cap, f)) >= 0) {
        lineno++;
        if (strlen(line) != (size_t)got) { /* the string functions below would stop there */
            snprintf(err, cap, "%s:%d: contains a NUL byte: not a text file?", path, lineno);
            rc = -EINVAL;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, cap, "%s:%d: expected \"key = value\"", path, lineno);
            rc = -EINVAL;
            break;
        }
        *eq = '\0';
        rc = config_set(c, trim(s), trim(eq + 1), why, sizeof(why));
        if (rc)
            snprintf(err, cap, "%s:%d: %s", path, lineno, why);
    }
    if (!rc && ferror(f)) { /* getline's -1 is also how a read error or ENOMEM ends it */
        snprintf(err, cap, "%s:%d: %s", path, lineno + 1, strerror(errno));
        rc = -EIO;
    }
    free(line);
    fclose(f);
    return rc;
}
