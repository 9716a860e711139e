/* Media worker thread. */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "alloc.h"
#include "log.h"
#include "loop.h"

struct worker {
    unsigned index;
    struct loop *loop;
    pthread_t thread;
    int running;
};

int worker_create(struct worker **out, unsigned index)
{
    struct worker *w = mcu_calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->index = index;
    int err = loop_create(&w->loop);
    if (err) {
        mcu_free(w);
        return err;
    }
    *out = w;
    return 0;
}

static void *thread_main(void *arg)
{
    struct worker *w = arg;
    char name[16];
    snprintf(name, sizeof(name), "mcu-media-%u", w->index);
    pthread_setname_np(pthread_self(), name);
    int err = loop_run(w->loop);
    if (err)
        log_err("worker %u: event loop failed: %s", w->index, "libevent error");
    return NULL;
}

int worker_start(struct worker *w)
{
    int err = pthread_create(&w->thread, NULL, thread_main, w);
    if (err)
        return -err;
    w->running = 1;
    return 0;
}

void worker_stop(struct worker *w)
{
    if (!w->running)
        return;
    loop_stop(w->loop);
    pthread_join(w->thread, NULL);
    w->running = 0;
}

void worker_destroy(struct worker **wp)
{
    struct worker *w = *wp;
    if (!w)
        return;
    worker_stop(w);
    loop_destroy(&w->loop);
    mcu_free(w);
    *wp = NULL;
}

struct loop *worker_loop(struct worker *w)
{
    return w->loop;
}

double worker_cpu_seconds(const struct worker *w)
{
    clockid_t cid;
    struct timespec ts;
    if (!w->running || pthread_getcpuclockid(w->thread, &cid) || clock_gettime(cid, &ts))
        return -1;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

unsigned worker_index(const struct worker *w)
{
    return w->index;
}
