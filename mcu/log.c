/* Logging: one line per call, timestamped, to stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "clock.h"

static enum log_level max_level = LOG_INFO;

void log_set_level(enum log_level lvl)
{
    max_level = lvl;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    if (lvl > max_level)
        return;
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03ldZ %s: ", ts.tv_nsec / 1000000,
                  names[lvl]);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    /* One fputs per line keeps lines from different threads whole. */
    fprintf(stderr, "%s\n", line);
}

int log_limit_pass(struct log_limit *l, unsigned *suppressed)
{
    uint64_t now = clock_now_us();
    uint64_t next = atomic_load_explicit(&l->next_us, memory_order_relaxed);
    if (now < next || !atomic_compare_exchange_strong(&l->next_us, &next, now + 1000000)) {
        atomic_fetch_add_explicit(&l->suppressed, 1, memory_order_relaxed);
        return 0;
    }
    *suppressed = atomic_exchange(&l->suppressed, 0);
    return 1;
}
