/* What traffic.c (the threads and the run) and join.c (sockets, joins, leaves) share about one
 * run: private to the load generator's run, not an interface. */
#ifndef LG_TRAFFIC_INT_H
#define LG_TRAFFIC_INT_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "backend.h"
#include "loadgen.h"
#include "video.h"

#define LG_VIDEO_EV 0x80000000u /* in epoll data: the participant's video socket, not audio */

struct adec;
struct rtpsec;

static inline int64_t lg_now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct part {
    struct lg_participant lp;
    unsigned meeting, index;
    int stream, pos, marker;
    uint32_t ssrc, ts;
    uint16_t seq;
    struct rtpsec *tx, *rx;
    struct adec *dec;
    struct lg_detector det;
    /* receiver thread only */
    uint64_t rx_win, rx_total, lost, reordered, dup, auth_fail, rtcp;
    int have_seq;
    uint16_t last_seq;
    int64_t last_arrival;
    /* video (lp.video): what it sends (the video sender thread) and receives (the receiver) */
    struct lg_vout vout;
    struct lg_vin vin;
    struct rtpsec *vrx;
};

struct run {
    const struct lg_run_cfg *cfg;
    struct part *p;
    unsigned n;
    _Atomic int64_t *marker_ns; /* per meeting: realtime send of the last marker packet */
    atomic_uint_fast64_t markers_sent;
    atomic_int stop_send, stop_recv;
    int64_t t0_mono;               /* the first tick */
    int64_t win_lo, win_hi;        /* measured window, CLOCK_REALTIME ns (kernel timestamps) */
    struct lg_hist ia, lat, vgaps; /* receiver thread only */
    _Atomic int64_t late_max_ns;
    atomic_uint_fast64_t slots, slots_late; /* send slots, and those 10 ms late or more */
    int epfd;
};

/* Opens the backend's meetings, then binds, joins and keys every participant in turn (one
 * socket each, a second for video); *joined counts the joins tried, for lg_run_teardown.
 * 0 or -errno. */
int lg_run_setup(struct run *r, void **bctx, unsigned *joined);
/* Leaves the first `joined` participants, closes the backend and frees everything r holds. */
void lg_run_teardown(struct run *r, void *bctx, unsigned joined);

#endif
