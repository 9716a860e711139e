/* libFuzzer target for mcu/config.c: the config file's text through config_load, the way the
 * server reads it (the text goes into a memfd and is opened by its /proc path, so the parser's
 * own fopen/fgets loop runs). Checked: the answer is 0 or -EINVAL with a "FILE:LINE: reason"
 * message whose line exists; every field stays within its documented range and NUL-terminated;
 * and a file of only comments and blank lines changes nothing, however long its lines. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

static void check_fields(const struct mcu_config *c)
{
    check(TERMINATED(c->data_dir) && TERMINATED(c->listen_host) && TERMINATED(c->media_ip));
    check(TERMINATED(c->cpu_mask) && TERMINATED(c->log_level));
    check(c->data_dir[0] != '\0');
    check(c->port_lo >= 1024 && c->port_hi >= c->port_lo + 3);
    check(c->workers <= 256);
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    int level_ok = 0;
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        level_ok |= !strcmp(c->log_level, levels[i]);
    check(level_ok);
    struct udp_addr a;
    check(udp_addr_from_ip(&a, c->media_ip, 1) == 0);
    check(udp_addr_from_ip(&a, c->listen_host, c->listen_port) == 0 && c->listen_port > 0);
}

static size_t count_lines(const uint8_t *data, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n + (size && data[size - 1] != '\n');
}

/* Every line is blank or a '#' comment (spaces and tabs before it allowed), and the text has
 * no NUL byte (which the parser refuses anywhere, as a sign of a file that is not text). */
static int only_comments(const uint8_t *data, size_t size)
{
    int start = 1, comment = 0;
    for (size_t i = 0; i < size; i++) {
        uint8_t ch = data[i];
        if (ch == '\0') {
            return 0;
        } else if (ch == '\n') {
            start = 1;
            comment = 0;
        } else if (comment) {
            continue;
        } else if (start && ch == '#') {
            comment = 1;
        } else if (!(start && (ch == ' ' || ch == '\t' || ch == '\r'))) {
            return 0;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_config", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        check(w > 0);
        done += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

    struct mcu_config c, dflt;
    config_defaults(&c);
    config_defaults(&dflt);
    char err[512];
    err[0] = '\0';
    int r = config_load(&c, path, err, sizeof(err));
    close(fd);

    check(r == 0 || r == -EINVAL);
    check_fields(&c); /* the settings before a bad line stay applied, and valid */
    if (r) {
        /* "PATH:LINE: reason", LINE one of the file's lines. */
        size_t pl = strlen(path);
        check(!strncmp(err, path, pl) && err[pl] == ':');
        char *end;
        unsigned long line = strtoul(err + pl + 1, &end, 10);
        check(line >= 1 && line <= count_lines(data, size) && end[0] == ':' && end[1] == ' ');
        check(end[2] != '\0');
    }
    if (only_comments(data, size))
        check(r == 0 && !memcmp(&c, &dflt, sizeof(c)));
    return 0;
}
