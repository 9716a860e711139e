/* libFuzzer target for mcu/timefmt.c: the "start" and "until" strings of API requests. The
 * input (cut at its first NUL) goes through time_parse, and the verdict and the value are
 * compared with a reference written here from the grammar timefmt.h documents: "now",
 * "+N" with a unit s/m/h/d (N at most 100000000), or
 * YYYY-M[M]-D[D]TH[H]:M[M][:S[S]] with "Z" or +HH:MM / -HH:MM, a real calendar date from 1970
 * on, hours 0-23, minutes and seconds 0-59, offsets up to 14:59. Digits only inside fields: no
 * signs, no spaces. Accepted times also survive time_format_utc and back. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

#define NOW      ((int64_t)1800000000) /* 2027-01-15, the API's clock in this target */
#define TEXT_MAX 64                    /* longer than any valid time */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

/* Reads between lo and hi digits at s[*i]; 0 when there are fewer than lo. */
static int field(const char *s, size_t *i, int lo, int hi, int64_t *v)
{
    int n = 0;
    *v = 0;
    while (n < hi && s[*i] >= '0' && s[*i] <= '9') {
        *v = *v * 10 + (s[*i] - '0');
        (*i)++;
        n++;
    }
    return n >= lo;
}

static int lit(const char *s, size_t *i, char c)
{
    if (s[*i] != c)
        return 0;
    (*i)++;
    return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the usual era arithmetic). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = y / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int64_t m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return dm[m - 1] + (m == 2 && leap);
}

static int ref_relative(const char *s, int64_t *out)
{
    size_t i = 1;
    int64_t n;
    if (!field(s, &i, 1, 9, &n) || n > 100000000)
        return 0;
    static const char units[] = "smhd";
    static const int64_t secs[] = {1, 60, 3600, 86400};
    const char *u = s[i] ? strchr(units, s[i]) : NULL;
    if (!u || s[i + 1])
        return 0;
    *out = NOW + n * secs[u - units];
    return 1;
}

static int ref_iso(const char *s, int64_t *out)
{
    size_t i = 0;
    int64_t y, mo, d, h, mi, sec = 0, oh = 0, om = 0;
    if (!field(s, &i, 4, 4, &y) || !lit(s, &i, '-') || !field(s, &i, 1, 2, &mo) ||
        !lit(s, &i, '-') || !field(s, &i, 1, 2, &d) || !lit(s, &i, 'T') ||
        !field(s, &i, 1, 2, &h) || !lit(s, &i, ':') || !field(s, &i, 1, 2, &mi))
        return 0;
    if (lit(s, &i, ':') && !field(s, &i, 1, 2, &sec))
        return 0;
    int sign = 0;
    if (lit(s, &i, 'Z')) {
        sign = 0;
    } else if (s[i] == '+' || s[i] == '-') {
        sign = s[i++] == '-' ? -1 : 1;
        if (!field(s, &i, 1, 2, &oh) || !lit(s, &i, ':') || !field(s, &i, 1, 2, &om))
            return 0;
    }
    if (s[i] || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || sec > 59 || oh > 14 || om > 59)
        return 0;
    *out =
        days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
    return 1;
}

static int reference(const char *s, int64_t *out)
{
    if (!strcmp(s, "now")) {
        *out = NOW;
        return 1;
    }
    return s[0] == '+' ? ref_relative(s, out) : ref_iso(s, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[TEXT_MAX + 1];
    size_t n = size < TEXT_MAX ? size : TEXT_MAX;
    memcpy(s, data, n);
    s[n] = '\0';

    int64_t got = -12345, want = 0;
    int r = time_parse(s, NOW, &got);
    check(r == 0 || r == -EINVAL);
    int ok = reference(s, &want);
    check(ok == (r == 0));
    if (!ok) {
        check(got == -12345); /* a refusal leaves the output alone */
        return 0;
    }
    check(got == want);

    /* What the server prints, it reads back as the same instant (within the years the grammar
     * can write: an offset can move an accepted time just outside them). */
    if (got >= 0 && got < days_from_civil(10000, 1, 1) * 86400) {
        char buf[32];
        int64_t back;
        time_format_utc(got, buf, sizeof(buf));
        check(time_parse(buf, NOW, &back) == 0 && back == got);
    }
    return 0;
}
