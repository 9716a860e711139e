/* An event loop (one libevent base) that other threads can post work to.
 * Each media worker and the control thread run exactly one. */
#ifndef MCU_LOOP_H
#define MCU_LOOP_H

struct event_base;
struct loop;

typedef void (*loop_fn)(void *arg);

/* Make libevent thread-aware; loop_create does it too, so calling it is optional. Idempotent. */
int loop_global_init(void);

int loop_create(struct loop **out);
/* Runs what is still queued (so no posted object leaks), then frees. Not while running. */
void loop_destroy(struct loop **lp);
struct event_base *loop_base(struct loop *l);

/* Thread-safe: run fn(arg) on l's thread, in posting order. 0 or -ENOMEM (fn not called). */
int loop_post(struct loop *l, loop_fn fn, void *arg);
/* Run what is queued now, on the calling thread (for shutdown, once the loop has stopped). */
void loop_drain(struct loop *l);
/* Run until loop_stop(); on the calling thread. */
int loop_run(struct loop *l);
/* Thread-safe. */
void loop_stop(struct loop *l);

#endif
