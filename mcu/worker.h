/* A media worker: one thread running one loop, owning the conferences placed on it.
 * Everything on the media path of those conferences runs here, without locks. */
#ifndef MCU_WORKER_H
#define MCU_WORKER_H

struct loop;
struct worker;

int worker_create(struct worker **out, unsigned index);
/* Stops the thread if running, then frees the loop (running what is still queued). */
void worker_destroy(struct worker **wp);
int worker_start(struct worker *w);
/* Thread-safe: ask the thread to stop, and wait for it. */
void worker_stop(struct worker *w);
struct loop *worker_loop(struct worker *w);
unsigned worker_index(const struct worker *w);
/* CPU time the worker's thread has used, in seconds (any thread may ask); -1 if not running. */
double worker_cpu_seconds(const struct worker *w);

#endif
