/* One load-generator run: paced SRTP senders (audio here, video in video_send.c), the
 * receiver, the meters (join.c makes and ends the participants). Traffic goes only to
 * 127.0.0.1; every loop is bounded by a count or a deadline. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "acodec.h"
#include "rtp.h"
#include "rtpsec.h"
#include "traffic_int.h"

#define SLOTS      4  /* a tick's sends are spread over 4 slots 5 ms apart, as clients are */
#define BATCH      64 /* sendmmsg batch */
#define RX_BATCH   8  /* recvmmsg batch per ready socket */
#define PKT_CAP    1500
#define MAX_EVENTS 256
#define DRAIN_NS   300000000LL  /* receive this long after the senders stop */
#define VSPREAD_NS 1000000000LL /* video senders' starts spread over this much of the warm-up */

volatile sig_atomic_t lg_stop;

static void sleep_until(int64_t mono_ns)
{
    struct timespec ts = {(time_t)(mono_ns / 1000000000LL), (long)(mono_ns % 1000000000LL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !lg_stop)
        ;
}

/* ---- Senders ---- */

struct sender {
    struct run *r;
    unsigned lo, hi; /* participants [lo, hi) */
    int fd;
    pthread_t th;
};

struct batch {
    struct mmsghdr msg[BATCH];
    struct iovec iov[BATCH];
    uint8_t buf[BATCH][PKT_CAP];
    unsigned marker_meeting[BATCH];
    int fd[BATCH]; /* with own_socket: the participant's socket */
    unsigned n, markers;
};

static void flush(struct sender *s, struct batch *b)
{
    if (!b->n)
        return;
    int64_t t = lg_now_ns(CLOCK_REALTIME);
    unsigned done = 0;
    if (s->r->cfg->own_socket) {
        /* Janus sends the mix only to a participant whose RTP comes from the very socket
         * it sends to: one send per participant's socket, no batching across them. */
        for (unsigned i = 0; i < b->n; i++)
            sendmsg(b->fd[i], &b->msg[i].msg_hdr, 0);
    }
    for (int tries = 0; !s->r->cfg->own_socket && done < b->n && tries < 8; tries++) {
        int k = sendmmsg(s->fd, b->msg + done, b->n - done, 0);
        if (k <= 0)
            break; /* a full socket buffer drops the rest, as the network would */
        done += (unsigned)k;
    }
    for (unsigned i = 0; i < b->markers; i++)
        atomic_store_explicit(&s->r->marker_ns[b->marker_meeting[i]], t, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->r->markers_sent, b->markers, memory_order_relaxed);
    b->n = b->markers = 0;
}

static void queue(struct sender *s, struct batch *b, struct part *p)
{
    const struct lg_stream *st = &s->r->cfg->streams[p->stream];
    int frame = p->pos;
    uint8_t *buf = b->buf[b->n];
    size_t hdr = RTP_HDR_MIN;
    unsigned id = s->r->cfg->level_id;
    if (id) {
        /* RFC 6464: V bit (voice activity) and the level, as a browser sends it. */
        uint8_t ids[1] = {(uint8_t)id}, lens[1] = {1};
        uint8_t lv[1] = {(uint8_t)(st->dbov[frame] | (p->stream != LG_STREAM_NOISE ? 0x80 : 0))};
        const uint8_t *vals[1] = {lv};
        int h = rtp_write_header_ext(buf, PKT_CAP, 0, p->lp.pt, p->seq, p->ts, p->ssrc, ids, vals,
                                     lens, 1);
        if (h < 0)
            return;
        hdr = (size_t)h;
    } else {
        rtp_write_header(buf, 0, p->lp.pt, p->seq, p->ts, p->ssrc);
    }
    size_t len = hdr + (size_t)st->len[frame];
    memcpy(buf + hdr, st->pkt[frame], (size_t)st->len[frame]);
    p->seq++;
    p->ts += LG_FRAME;
    p->pos = (p->pos + 1) % LG_LOOP_FRAMES;
    if (p->tx && rtpsec_protect(p->tx, buf, &len))
        return;
    b->iov[b->n] = (struct iovec){buf, len};
    b->msg[b->n].msg_hdr = (struct msghdr){.msg_name = &p->lp.server,
                                           .msg_namelen = sizeof(p->lp.server),
                                           .msg_iov = &b->iov[b->n],
                                           .msg_iovlen = 1};
    b->fd[b->n] = p->lp.fd;
    if (p->marker && lg_marker_frame(frame))
        b->marker_meeting[b->markers++] = p->meeting;
    if (++b->n == BATCH)
        flush(s, b);
}

static void *sender_main(void *arg)
{
    struct sender *s = arg;
    struct run *r = s->r;
    struct batch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    int64_t slot_ns = LG_TICK_NS / SLOTS;
    /* Bounded: the control thread sets stop_send after warmup + seconds; the tick count is a
     * backstop an hour long. */
    for (int64_t k = 0; k < 180000 && !atomic_load(&r->stop_send); k++) {
        for (unsigned slot = 0; slot < SLOTS; slot++) {
            int64_t deadline = r->t0_mono + k * LG_TICK_NS + (int64_t)slot * slot_ns;
            sleep_until(deadline);
            int64_t late = lg_now_ns(CLOCK_MONOTONIC) - deadline;
            if (late > atomic_load_explicit(&r->late_max_ns, memory_order_relaxed))
                atomic_store_explicit(&r->late_max_ns, late, memory_order_relaxed);
            atomic_fetch_add_explicit(&r->slots, 1, memory_order_relaxed);
            if (late > 10000000LL)
                atomic_fetch_add_explicit(&r->slots_late, 1, memory_order_relaxed);
            for (unsigned i = s->lo; i < s->hi; i++) {
                if (i % SLOTS == slot)
                    queue(s, b, &r->p[i]);
            }
            flush(s, b);
        }
    }
    free(b);
    return NULL;
}

/* ---- Receiver ---- */

static void on_packet(struct run *r, struct part *p, uint8_t *buf, size_t len, int64_t at)
{
    if (len < RTP_HDR_MIN)
        return;
    if (buf[1] >= 192 && buf[1] <= 223) { /* RTCP (rtcp-mux): counted, not checked */
        p->rtcp++;
        return;
    }
    if (p->rx && rtpsec_unprotect(p->rx, buf, &len)) {
        p->auth_fail++;
        return;
    }
    struct rtp_hdr h;
    if (rtp_parse(&h, buf, len)) {
        p->auth_fail++;
        return;
    }
    p->rx_total++;
    int in_win = at >= r->win_lo && at < r->win_hi;
    if (in_win) {
        p->rx_win++;
        if (p->last_arrival >= r->win_lo)
            lg_hist_add(&r->ia, (double)(at - p->last_arrival) / 1e6);
        if (p->have_seq) {
            uint16_t d = (uint16_t)(h.seq - p->last_seq);
            if (d == 0)
                p->dup++;
            else if (d >= 0x8000)
                p->reordered++;
            else
                p->lost += d - 1u;
        }
    }
    if (!p->have_seq || (uint16_t)(h.seq - p->last_seq) < 0x8000)
        p->last_seq = h.seq;
    p->have_seq = 1;
    p->last_arrival = at;
    if (p->dec) {
        int16_t pcm[LG_FRAME];
        int n = adec_decode(p->dec, h.payload, h.payload_len, pcm, LG_FRAME, 0);
        if (n > 0 && lg_detector_feed(&p->det, pcm, n) && in_win) {
            int64_t sent = atomic_load_explicit(&r->marker_ns[p->meeting], memory_order_relaxed);
            int64_t lat = at - sent;
            if (sent > 0 && lat > 0 && lat < 1000000000LL)
                lg_hist_add(&r->lat, (double)lat / 1e6);
        }
    }
}

static void *receiver_main(void *arg)
{
    struct run *r = arg;
    struct epoll_event ev[MAX_EVENTS];
    struct mmsghdr msg[RX_BATCH];
    struct iovec iov[RX_BATCH];
    static uint8_t buf[RX_BATCH][PKT_CAP];
    union {
        char b[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl[RX_BATCH];
    const struct lg_window win = {r->win_lo, r->win_hi};
    /* Bounded: the control thread sets stop_recv; the count is an hour-long backstop. */
    for (long loops = 0; loops < 360000 && !atomic_load(&r->stop_recv); loops++) {
        int k = epoll_wait(r->epfd, ev, MAX_EVENTS, 10);
        for (int e = 0; e < k; e++) {
            int video = (ev[e].data.u32 & LG_VIDEO_EV) != 0;
            struct part *p = &r->p[ev[e].data.u32 & ~LG_VIDEO_EV];
            for (int i = 0; i < RX_BATCH; i++) {
                iov[i] = (struct iovec){buf[i], PKT_CAP - RTPSEC_MAX_TRAILER};
                msg[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i],
                                                 .msg_iovlen = 1,
                                                 .msg_control = ctl[i].b,
                                                 .msg_controllen = sizeof(ctl[i].b)};
            }
            int got = recvmmsg(video ? p->lp.vfd : p->lp.fd, msg, RX_BATCH, MSG_DONTWAIT, NULL);
            int64_t fallback = lg_now_ns(CLOCK_REALTIME);
            for (int i = 0; i < got; i++) {
                int64_t at = fallback;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg[i].msg_hdr); c;
                     c = CMSG_NXTHDR(&msg[i].msg_hdr, c)) {
                    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                        struct timespec ts;
                        memcpy(&ts, CMSG_DATA(c), sizeof(ts));
                        at = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
                    }
                }
                if (video)
                    lg_vin_packet(&p->vin, p->vrx, buf[i], msg[i].msg_len, at, &win, &r->vgaps);
                else
                    on_packet(r, p, buf[i], msg[i].msg_len, at);
            }
        }
    }
    return NULL;
}

/* ---- Measurement ---- */

struct meters {
    double server_cpu, self_cpu, at_s; /* at_s: monotonic time of the CPU reads */
    int have_metrics;
    struct lg_mcu_metrics mx;
};

static void read_meters(const struct lg_run_cfg *c, struct meters *m)
{
    m->server_cpu = c->server_pid > 0 ? lg_proc_cpu_s(c->server_pid) : -1;
    m->self_cpu = lg_self_cpu_s();
    m->at_s = (double)lg_now_ns(CLOCK_MONOTONIC) / 1e9;
    /* Last: an HTTP request to a stalled server may take its whole timeout. */
    m->have_metrics =
        c->backend == &lg_backend_mcu && lg_mcu_metrics(c->server, c->token, &m->mx) == 0;
}

static void summarize(struct run *r, const struct meters *a, const struct meters *b,
                      const struct lg_vsend_stats *vs, struct lg_run_result *res)
{
    const struct lg_run_cfg *c = r->cfg;
    double w = c->seconds;
    res->window_s = w;
    /* CPU over the time between the two reads, which a slow /metrics answer may stretch. */
    double cw = b->at_s - a->at_s > 0.1 ? b->at_s - a->at_s : w;
    res->server_cpu_pct =
        a->server_cpu >= 0 && b->server_cpu >= 0 ? 100 * (b->server_cpu - a->server_cpu) / cw : -1;
    res->gen_cpu_pct = 100 * (b->self_cpu - a->self_cpu) / cw;
    res->overruns = -1;
    res->worker_cpu_pct = -1;
    if (a->have_metrics && b->have_metrics) {
        res->overruns = b->mx.tick_overruns - a->mx.tick_overruns;
        res->worker_cpu_pct = 100 * (b->mx.worker_cpu_s - a->mx.worker_cpu_s) / cw;
    }
    res->srtp = r->n && r->p[0].lp.srtp;
    res->pps_min = r->n ? 1e9 : 0;
    for (unsigned i = 0; i < r->n; i++) {
        const struct part *p = &r->p[i];
        double pps = (double)p->rx_win / w;
        res->pps_min = pps < res->pps_min ? pps : res->pps_min;
        res->pps_max = pps > res->pps_max ? pps : res->pps_max;
        res->pps_mean += pps / r->n;
        res->below_49 += pps < 49;
        res->got_nothing += p->rx_total == 0;
        res->rx_packets += p->rx_win;
        res->lost += p->lost;
        res->reordered += p->reordered;
        res->dup += p->dup;
        res->auth_fail += p->auth_fail;
        res->rtcp += p->rtcp;
    }
    res->ia_p50 = lg_hist_pct(&r->ia, 0.5);
    res->ia_p99 = lg_hist_pct(&r->ia, 0.99);
    res->ia_max = r->ia.max_ms;
    res->lat_p50 = lg_hist_pct(&r->lat, 0.5);
    res->lat_p99 = lg_hist_pct(&r->lat, 0.99);
    res->lat_max = r->lat.max_ms;
    res->lat_n = r->lat.count;
    res->markers_sent = atomic_load(&r->markers_sent);
    /* The generator's core is its own: past 90 % of it, or with over 1 % of its send slots
     * 10 ms late, what is measured is the generator, not the server. (A rare late slot is a
     * neighbour on a shared machine: the server's jitter buffer absorbs it, and arrival times
     * are the kernel's, so it does not touch the figures.) */
    /* A video frame is a send slot too. */
    uint64_t slots = atomic_load(&r->slots) + vs->frames;
    uint64_t late = atomic_load(&r->slots_late) + vs->late;
    int64_t late_max = atomic_load(&r->late_max_ns);
    res->send_late_max_ms = (double)(vs->late_max_ns > late_max ? vs->late_max_ns : late_max) / 1e6;
    res->vsend_late_max_ms = (double)vs->late_max_ns / 1e6;
    res->vframes_sent = vs->frames;
    res->send_late_pct = slots ? 100.0 * (double)late / (double)slots : 0;
    res->gen_limited = res->gen_cpu_pct > 90 || res->send_late_pct > 1;
    if (c->video) {
        unsigned nv = 0;
        for (unsigned i = 0; i < r->n; i++) {
            if (r->p[i].lp.video) {
                lg_video_add(res, &r->p[i].vin, w);
                nv++;
            }
        }
        lg_video_finish(res, &r->vgaps, nv);
    }
    lg_verdict(c, res);
}

/* The video senders start within the first half of the warm-up (at most VSPREAD_NS), each at
 * its clip's keyframe, so the server's decoders are all running by the window. */
static int start_video(struct run *r, double warmup_s, struct lg_vsender **out)
{
    struct lg_vout **outs = calloc(r->n ? r->n : 1, sizeof(*outs));
    if (!outs)
        return -ENOMEM;
    unsigned n = 0;
    for (unsigned i = 0; i < r->n; i++) {
        if (r->p[i].lp.video == 2)
            outs[n++] = &r->p[i].vout;
    }
    int64_t spread = (int64_t)(warmup_s * 0.5e9);
    int err = lg_vsender_start(out, outs, n, r->t0_mono, spread < VSPREAD_NS ? spread : VSPREAD_NS);
    free(outs);
    return err;
}

int lg_run(const struct lg_run_cfg *c, struct lg_run_result *res)
{
    memset(res, 0, sizeof(*res));
    res->meetings = c->meetings;
    res->size = c->idle ? 0 : c->size;
    res->talkers = c->idle ? 0 : c->talkers;
    struct run r = {.cfg = c, .epfd = -1};
    r.n = c->idle ? 0 : c->meetings * c->size;
    res->participants = r.n;
    r.p = calloc(r.n ? r.n : 1, sizeof(*r.p));
    r.marker_ns = calloc(c->meetings ? c->meetings : 1, sizeof(*r.marker_ns));
    r.epfd = epoll_create1(EPOLL_CLOEXEC);
    void *bctx = NULL;
    unsigned joined = 0;
    int err = !r.p || !r.marker_ns || lg_hist_init(&r.ia) || lg_hist_init(&r.lat) ||
                      lg_hist_init(&r.vgaps)
                  ? -ENOMEM
                  : 0;
    if (!err && r.epfd < 0)
        err = -errno;
    for (unsigned i = 0; i < r.n; i++)
        r.p[i].lp.fd = -1;
    if (!err)
        err = lg_run_setup(&r, &bctx, &joined);
    if (err) {
        lg_run_teardown(&r, bctx, joined);
        return err;
    }
    unsigned ns = c->idle ? 0 : c->senders < 1 ? 1 : c->senders > 2 ? 2 : c->senders;
    struct sender snd[2];
    unsigned started = 0;
    pthread_t rth;
    int have_rth = 0;
    /* Start a little ahead so every thread is waiting for the first deadline. */
    r.t0_mono = lg_now_ns(CLOCK_MONOTONIC) + 50000000LL;
    int64_t t0_real = lg_now_ns(CLOCK_REALTIME) + 50000000LL;
    r.win_lo = t0_real + (int64_t)(c->warmup * 1e9);
    r.win_hi = r.win_lo + (int64_t)(c->seconds * 1e9);
    if (!c->idle) {
        have_rth = pthread_create(&rth, NULL, receiver_main, &r) == 0;
        for (unsigned t = 0; t < ns; t++) {
            snd[t] = (struct sender){&r, r.n * t / ns, r.n * (t + 1) / ns, -1, 0};
            snd[t].fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            int sz = 4 << 20;
            if (snd[t].fd >= 0)
                setsockopt(snd[t].fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
            if (snd[t].fd < 0 || pthread_create(&snd[t].th, NULL, sender_main, &snd[t])) {
                if (snd[t].fd >= 0)
                    close(snd[t].fd);
                break;
            }
            started++;
        }
        if (!have_rth || started < ns)
            err = -EAGAIN;
    }
    struct lg_vsender *vsnd = NULL;
    if (!err && c->video) {
        err = start_video(&r, c->warmup, &vsnd);
        res->vsenders = r.n ? c->meetings * c->video_senders : 0;
    }
    struct meters a, b;
    int64_t lo_mono = r.t0_mono + (int64_t)(c->warmup * 1e9);
    sleep_until(lo_mono);
    read_meters(c, &a);
    sleep_until(lo_mono + (int64_t)(c->seconds * 1e9));
    read_meters(c, &b);
    atomic_store(&r.stop_send, 1);
    for (unsigned t = 0; t < started; t++) {
        pthread_join(snd[t].th, NULL);
        close(snd[t].fd);
    }
    struct lg_vsend_stats vs = {0};
    lg_vsender_stop(&vsnd, &vs);
    sleep_until(lg_now_ns(CLOCK_MONOTONIC) + DRAIN_NS);
    atomic_store(&r.stop_recv, 1);
    if (have_rth)
        pthread_join(rth, NULL);
    summarize(&r, &a, &b, &vs, res);
    lg_run_teardown(&r, bctx, joined);
    return err;
}
