/* Parsing and printing of user-facing times. */
#include "timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int parse_relative(const char *s, int64_t now, int64_t *out)
{
    long long n;
    char unit = 0;
    int used = 0;
    if (sscanf(s, "+%lld%c%n", &n, &unit, &used) != 2 || s[used] || n < 0 || n > 100000000)
        return -EINVAL;
    static const struct {
        char unit;
        int64_t secs;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (unit == units[i].unit) {
            *out = now + n * units[i].secs;
            return 0;
        }
    }
    return -EINVAL;
}

static int parse_offset(const char *s, int64_t *off)
{
    int hh, mm, used = 0;
    if (!strcmp(s, "Z") || !*s) {
        *off = 0;
        return 0;
    }
    if ((s[0] != '+' && s[0] != '-') || sscanf(s + 1, "%2d:%2d%n", &hh, &mm, &used) != 2 ||
        s[1 + used] || hh > 14 || mm > 59)
        return -EINVAL;
    *off = (s[0] == '-' ? -1 : 1) * (int64_t)(hh * 3600 + mm * 60);
    return 0;
}

static int parse_iso(const char *s, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int y, mo, d, h, mi, sec = 0, used = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &used) != 5)
        return -EINVAL;
    const char *rest = s + used;
    if (*rest == ':') {
        int u2 = 0;
        if (sscanf(rest, ":%2d%n", &sec, &u2) != 1)
            return -EINVAL;
        rest += u2;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
        return -EINVAL;
    int64_t off;
    if (parse_offset(rest, &off))
        return -EINVAL;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
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
