/* Leveled logging to stderr; the rate-limited form logs one line a second per call site. */
#ifndef MCU_LOG_H
#define MCU_LOG_H

#include <stdatomic.h>
#include <stdint.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Per-call-site limiter: returns 1 if a line may be logged now, and how many were suppressed. */
struct log_limit {
    _Atomic uint64_t next_us;
    atomic_uint suppressed;
};
int log_limit_pass(struct log_limit *l, unsigned *suppressed);

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* One line a second at most from this call site; the next line says how many were dropped. */
#define log_ratelimited(lvl, fmt, ...)                                                             \
    do {                                                                                           \
        static struct log_limit lim_;                                                              \
        unsigned sup_;                                                                             \
        if (log_limit_pass(&lim_, &sup_))                                                          \
            log_msg(lvl, fmt " (%u similar suppressed)", __VA_ARGS__, sup_);                       \
    } while (0)

#endif
