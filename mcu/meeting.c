/* Meeting enums and their names. */
#include "meeting.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const state_names[] = {"scheduled", "open", "ended", "cancelled"};
static const char *const mode_names[] = {"forward", "mix"};

const char *meeting_state_name(enum meeting_state s)
{
    return (unsigned)s < 4 ? state_names[s] : "unknown";
}

const char *meeting_mode_name(enum meeting_mode m)
{
    return (unsigned)m < 2 ? mode_names[m] : "unknown";
}

int meeting_mode_parse(const char *s, enum meeting_mode *m)
{
    for (unsigned i = 0; i < 2; i++) {
        if (!strcmp(s, mode_names[i])) {
            *m = (enum meeting_mode)i;
            return 0;
        }
    }
    return -EINVAL;
}

static const char *const repeat_names[] = {"none", "daily", "weekly"};

const char *meeting_repeat_name(enum meeting_repeat r)
{
    return (unsigned)r < 3 ? repeat_names[r] : "none";
}

int meeting_repeat_parse(const char *s, enum meeting_repeat *r)
{
    for (unsigned i = 0; i < 3; i++) {
        if (!strcmp(s, repeat_names[i])) {
            *r = (enum meeting_repeat)i;
            return 0;
        }
    }
    return -EINVAL;
}

static const char *const video_names[] = {"off", "composite", "forward"};

int meeting_video_parse(const char *s, enum meeting_video *v)
{
    for (unsigned i = 0; i < 3; i++) {
        if (!strcmp(s, video_names[i])) {
            *v = (enum meeting_video)i;
            return 0;
        }
    }
    return -EINVAL;
}

unsigned meeting_video_streams(const struct meeting *m)
{
    enum meeting_video v;
    if (meeting_video_parse(m->video, &v) || v == VIDEO_OFF)
        return 0;
    if (v == VIDEO_COMPOSITE)
        return 1;
    unsigned others = m->max > 1 ? m->max - 1 : 1;
    return others < MEETING_VIDEO_LAST_N ? others : MEETING_VIDEO_LAST_N;
}

int meeting_resolution_parse(const char *s, int *w, int *h)
{
    char tail;
    int a, b;
    if (sscanf(s, "%4dx%4d%c", &a, &b, &tail) != 2 || a < 128 || b < 96 || a > 1920 || b > 1088 ||
        (a | b) & 1)
        return -EINVAL;
    *w = a;
    *h = b;
    return 0;
}

int meeting_tz_valid(const char *tz)
{
    size_t n = strlen(tz);
    if (!n || n > MEETING_TZ_MAX || tz[0] == '/' || strstr(tz, "..") ||
        strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/") != n)
        return -EINVAL;
    char path[128];
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
    return access(path, R_OK) ? -EINVAL : 0;
}

/* t plus `days` calendar days in zone `tz`. The process's TZ is switched for the call: only the
 * control thread uses local-time functions (logs and media workers use UTC only). */
static int64_t add_days(int64_t t, int days, const char *tz)
{
    char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", tz[0] ? tz : "UTC", 1);
    tzset();
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    tm.tm_mday += days;
    tm.tm_isdst = -1;
    int64_t r = (int64_t)mktime(&tm);
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    free(saved);
    return r;
}

int meeting_next_occurrence(struct meeting *m, int64_t now)
{
    static const int days[] = {0, 1, 7};
    int step = days[m->repeat];
    if (!step)
        return 0;
    int64_t start = m->start_unix, len = m->end_unix - m->start_unix;
    /* Skip the occurrences the server slept through: the next one still ahead counts. */
    while (start + len <= now)
        start = add_days(start, step, m->tz);
    if (m->until_unix && start > m->until_unix)
        return 0;
    m->start_unix = start;
    m->end_unix = start + len;
    return 1;
}

int meeting_state_parse(const char *s, enum meeting_state *st)
{
    for (unsigned i = 0; i < 4; i++) {
        if (!strcmp(s, state_names[i])) {
            *st = (enum meeting_state)i;
            return 0;
        }
    }
    return -EINVAL;
}
