/* libevent base + a mutex-guarded queue of posted calls, woken by an activated event. */
#include "loop.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdatomic.h>

#include "alloc.h"

struct post {
    struct post *next;
    loop_fn fn;
    void *arg;
};

struct loop {
    struct event_base *base;
    struct event *wake;
    pthread_mutex_t lock;
    struct post *head, *tail;
    atomic_int stopping;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_err;

static void global_init(void)
{
    global_err = evthread_use_pthreads() ? -ENOSYS : 0;
}

int loop_global_init(void)
{
    pthread_once(&global_once, global_init);
    return global_err;
}

static struct post *take_all(struct loop *l)
{
    pthread_mutex_lock(&l->lock);
    struct post *p = l->head;
    l->head = l->tail = NULL;
    pthread_mutex_unlock(&l->lock);
    return p;
}

void loop_drain(struct loop *l)
{
    struct post *p = take_all(l);
    while (p) {
        struct post *next = p->next;
        p->fn(p->arg);
        mcu_free(p);
        p = next;
    }
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    loop_drain(arg);
}

int loop_create(struct loop **out)
{
    /* Without libevent's thread support a post or stop from another thread would not wake the
     * loop: make sure it is on, whoever creates the first loop. */
    int err = loop_global_init();
    if (err)
        return err;
    struct loop *l = mcu_calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    pthread_mutex_init(&l->lock, NULL);
    l->base = event_base_new();
    if (!l->base)
        goto fail;
    l->wake = event_new(l->base, -1, 0, on_wake, l);
    if (!l->wake)
        goto fail;
    *out = l;
    return 0;
fail:
    if (l->base)
        event_base_free(l->base);
    pthread_mutex_destroy(&l->lock);
    mcu_free(l);
    return -ENOMEM;
}

void loop_destroy(struct loop **lp)
{
    struct loop *l = *lp;
    if (!l)
        return;
    loop_drain(l);
    event_free(l->wake);
    event_base_free(l->base);
    pthread_mutex_destroy(&l->lock);
    mcu_free(l);
    *lp = NULL;
}

struct event_base *loop_base(struct loop *l)
{
    return l->base;
}

int loop_post(struct loop *l, loop_fn fn, void *arg)
{
    struct post *p = mcu_malloc(sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->next = NULL;
    p->fn = fn;
    p->arg = arg;
    pthread_mutex_lock(&l->lock);
    if (l->tail)
        l->tail->next = p;
    else
        l->head = p;
    l->tail = p;
    pthread_mutex_unlock(&l->lock);
    /* Activating an already-active event is a no-op, so a burst of posts costs one wake-up. */
    event_active(l->wake, EV_READ, 0);
    return 0;
}

int loop_run(struct loop *l)
{
    /* EVLOOP_NO_EXIT_ON_EMPTY: a worker with no conference yet must still wait for posts. */
    while (!atomic_load(&l->stopping)) {
        if (event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY) < 0)
            return -EIO;
    }
    return 0;
}

static void break_here(void *arg)
{
    struct loop *l = arg;
    event_base_loopbreak(l->base);
}

void loop_stop(struct loop *l)
{
    atomic_store(&l->stopping, 1);
    /* event_base_loop() forgets a loopbreak() made before it started, so the break travels as a
     * post: it stays queued until the loop runs it on its own thread. */
    if (loop_post(l, break_here, l))
        event_base_loopbreak(l->base);
}
