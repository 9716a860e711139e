/* Parsing and printing of user-facing times. */
#include "timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Reads lo to hi decimal digits at *s and advances past them; 0 when there are fewer than lo.
 * Digits only: sscanf's %d, used here before, also took signs and leading spaces, so
 * "2026-11-24T10:-5" was 09:55 and "+ +5m" five minutes. */
static int digits(const char **s, int lo, int hi, long long *v)
{
    int n = 0;
    *v = 0;
    while (n < hi && **s >= '0' && **s <= '9') {
        *v = *v * 10 + (**s - '0');
        (*s)++;
        n++;
    }
    return n >= lo;
}

/* Consumes c at *s: 1, or 0 when something else is there. */
static int literal(const char **s, char c)
{
    if (**s != c)
        return 0;
    (*s)++;
    return 1;
}

static int parse_relative(const char *s, int64_t now, int64_t *out)
{
    long long n;
    s++; /* the '+' */
    if (!digits(&s, 1, 9, &n) || n > 100000000 || !s[0] || s[1])
        return -EINVAL;
    static const struct {
        char unit;
        int64_t secs;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (s[0] == units[i].unit) {
            *out = now + n * units[i].secs;
            return 0;
        }
    }
    return -EINVAL;
}

/* "", "Z", or +HH:MM / -HH:MM up to 14:59, and nothing after. */
static int parse_offset(const char *s, int64_t *off)
{
    long long hh, mm;
    if (!*s || !strcmp(s, "Z")) {
        *off = 0;
        return 0;
    }
    int sign = s[0] == '-' ? -1 : 1;
    if ((s[0] != '+' && s[0] != '-'))
        return -EINVAL;
    s++;
    if (!digits(&s, 1, 2, &hh) || !literal(&s, ':') || !digits(&s, 1, 2, &mm) || *s || hh > 14 ||
        mm > 59)
        return -EINVAL;
    *off = sign * (int64_t)(hh * 3600 + mm * 60);
    return 0;
}

static int parse_iso(const char *s, int64_t *out)
{
    long long y, mo, d, h, mi, sec = 0;
    if (!digits(&s, 4, 4, &y) || !literal(&s, '-') || !digits(&s, 1, 2, &mo) || !literal(&s, '-') ||
        !digits(&s, 1, 2, &d) || !literal(&s, 'T') || !digits(&s, 1, 2, &h) || !literal(&s, ':') ||
        !digits(&s, 1, 2, &mi))
        return -EINVAL;
    if (literal(&s, ':') && !digits(&s, 1, 2, &sec))
        return -EINVAL;
    /* Seconds stop at 59: a leap second's 60 would be normalised into the next minute. */
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 || y < 1970)
        return -EINVAL;
    int64_t off;
    if (parse_offset(s, &off))
        return -EINVAL;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = (int)y - 1900;
    tm.tm_mon = (int)mo - 1;
    tm.tm_mday = (int)d;
    tm.tm_hour = (int)h;
    tm.tm_min = (int)mi;
    tm.tm_sec = (int)sec;
    time_t t = timegm(&tm);
    if (tm.tm_mday != d) /* timegm normalised 31 Feb into March: not a real date */
        return -EINVAL;
    *out = (int64_t)t - off;
    return 0;
}

int time_parse(const char *s, int64_t now, int64_t *out)
{
    if (!s || !*s)
        return -EINVAL;
    if (!strcmp(s, "now")) {
        *out = now;
        return 0;
    }
    if (s[0] == '+')
        return parse_relative(s, now, out);
    return parse_iso(s, out);
}

const char *time_format_utc(int64_t t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}
