/* mcuctl: checking option values before anything is sent, so a typo costs no request. */
#include "cli_fmt.h"
#include "httpc.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void fail(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}

/* ---- values ---- */

/* Whole decimal numbers only: "1e3", " 5", "+5" and "0x10" are typos, not numbers. */
static bool parse_long(const char *s, long min, long max, long *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 9 || strspn(s, "0123456789") != n)
        return false;
    *out = strtol(s, NULL, 10);
    return *out >= min && *out <= max;
}

/* HOST:PORT or [IPv6]:PORT; whether HOST is reachable is the server's business. */
static bool hostport_ok(const char *v)
{
    const char *colon = strrchr(v, ':');
    long port;
    if (!colon || colon == v || !parse_long(colon + 1, 1, 65535, &port))
        return false;
    size_t hlen = (size_t)(colon - v);
    if (v[0] == '[')
        return hlen > 2 && v[hlen - 1] == ']';
    for (size_t i = 0; i < hlen; i++) {
        if (v[i] == ':' || v[i] == '/' || !isgraph((unsigned char)v[i]))
            return false; /* a bare IPv6 address needs brackets to tell the port apart */
    }
    return true;
}

/* s begins with shape: 'd' is a digit, anything else itself. */
static bool shaped(const char *s, const char *shape)
{
    for (; *shape; s++, shape++) {
        if (*shape == 'd' ? !isdigit((unsigned char)*s) : *s != *shape)
            return false; /* a NUL in s matches neither */
    }
    return true;
}

/* YYYY-MM-DD, a real day from 1970 on. */
static bool date_ok(const char *v)
{
    if (!shaped(v, "dddd-dd-dd"))
        return false;
    struct tm tm = {.tm_year = atoi(v) - 1900, .tm_mon = atoi(v + 5) - 1, .tm_mday = atoi(v + 8)};
    int mday = tm.tm_mday;
    return tm.tm_year >= 70 && tm.tm_mon >= 0 && tm.tm_mon < 12 && timegm(&tm) != (time_t)-1 &&
           tm.tm_mday == mday; /* timegm moves 31 June to 1 July */
}

/* ISO-8601 the way the server reads it: YYYY-MM-DDTHH:MM, optional :SS, then Z, +HH:MM, -HH:MM
 * or nothing (UTC). */
static bool iso_ok(const char *v)
{
    if (!date_ok(v) || !shaped(v + 10, "Tdd:dd") || atoi(v + 11) > 23 || atoi(v + 14) > 59)
        return false;
    const char *rest = v + 16;
    if (shaped(rest, ":dd") && atoi(rest + 1) <= 59) /* as the server: no leap second 60 */
        rest += 3;
    if (*rest == '\0' || strcmp(rest, "Z") == 0)
        return true;
    return (*rest == '+' || *rest == '-') && shaped(rest + 1, "dd:dd") && rest[6] == '\0' &&
           atoi(rest + 1) <= 14 && atoi(rest + 4) <= 59;
}

/* "now", "+N" with a unit s, m, h or d, or ISO-8601. */
static bool time_ok(const char *v)
{
    if (strcmp(v, "now") == 0 || iso_ok(v))
        return true;
    if (v[0] != '+')
        return false;
    size_t n = strspn(v + 1, "0123456789");
    return n >= 1 && n <= 9 && atol(v + 1) <= 100000000 && v[1 + n] != '\0' &&
           strchr("smhd", v[1 + n]) && v[2 + n] == '\0';
}

/* WxH, even, within what the server's encoders take. */
static bool size_ok(const char *v, int *w, int *h)
{
    const char *x = strchr(v, 'x');
    long a, b;
    char head[8];
    if (!x || x == v || (size_t)(x - v) >= sizeof(head))
        return false;
    snprintf(head, sizeof(head), "%.*s", (int)(x - v), v);
    if (!parse_long(head, 128, 1920, &a) || !parse_long(x + 1, 96, 1088, &b) || (a | b) & 1)
        return false;
    *w = (int)a;
    *h = (int)b;
    return true;
}

static bool choice_ok(const struct cli_opt *o, const char *v)
{
    for (const char *const *ch = o->choices; *ch; ch++) {
        if (strcmp(*ch, v) == 0)
            return true;
    }
    return false;
}

/* Checked before the request: a file that cannot be written after joining leaves a participant
 * behind with nobody to use it. */
static bool outfile_dir_ok(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n >= sizeof(dir))
        return false;
    snprintf(dir, sizeof(dir), "%.*s", (int)n, path);
    return access(slash ? (n ? dir : "/") : ".", W_OK | X_OK) == 0;
}

int cli_check_value(const struct cli_opt *o, const char *v, char *why, size_t cap)
{
    char list[160];
    long n;
    int w, h;
    why[0] = '\0';
    if (*v == '\0') {
        fail(why, cap, "%s needs a value that is not empty", o->name);
    } else if (o->type == OPT_INT && !parse_long(v, o->min, o->max, &n)) {
        fail(why, cap, "%s takes a whole number from %ld to %ld, not '%s'", o->name, o->min, o->max,
             v);
    } else if (o->type == OPT_CHOICE && !choice_ok(o, v)) {
        fmt_choices(o, ", ", list, sizeof(list));
        fail(why, cap, "%s takes one of %s, not '%s'", o->name, list, v);
    } else if (o->type == OPT_HOSTPORT && !hostport_ok(v)) {
        fail(why, cap, "%s takes HOST:PORT (like 127.0.0.1:5004 or [::1]:5004), not '%s'", o->name,
             v);
    } else if (o->type == OPT_TIME && !time_ok(v)) {
        fail(why, cap,
             "%s takes now, +90s/+15m/+2h/+1d, or ISO-8601 like 2026-11-24T10:00Z or "
             "2026-11-24T11:00+01:00, not '%s'",
             o->name, v);
    } else if (o->type == OPT_UNTIL && !iso_ok(v) && !(date_ok(v) && v[10] == '\0')) {
        fail(why, cap,
             "%s takes an ISO-8601 day or time like 2026-12-31 or 2026-12-31T18:00Z, not '%s'",
             o->name, v);
    } else if (o->type == OPT_OUTFILE && !outfile_dir_ok(v)) {
        fail(why, cap, "%s %s: cannot create a file in that folder (%s)", o->name, v,
             strerror(errno));
    } else if (o->type == OPT_URL && httpc_check_url(v) == -EPROTONOSUPPORT) {
        fail(why, cap, "%s: only http:// URLs are supported, not '%s'", o->name, v);
    } else if (o->type == OPT_URL && httpc_check_url(v) != 0) {
        fail(why, cap, "%s takes a URL like http://127.0.0.1:8080, not '%s'", o->name, v);
    } else if (o->type == OPT_SIZE && !size_ok(v, &w, &h)) {
        fail(why, cap, "%s takes WIDTHxHEIGHT with even numbers from 128x96 to 1920x1088, not '%s'",
             o->name, v);
    }
    return why[0] ? -EINVAL : 0;
}
