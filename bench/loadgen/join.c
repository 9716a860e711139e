/* One run's participants: their sockets on 127.0.0.1, who sends what, the joins through the
 * backend with their SRTP contexts, and the leaves. */
#include <errno.h>
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
#include "rtcp.h"
#include "rtpsec.h"
#include "traffic_int.h"

static int open_socket(int *fdp, uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) || getsockname(fd, (struct sockaddr *)&a, &al)) {
        int err = -errno;
        close(fd);
        return err;
    }
    *fdp = fd;
    *port = ntohs(a.sin_port);
    return 0;
}

static uint32_t rnd(uint32_t *seed)
{
    *seed = *seed * 1664525u + 1013904223u;
    return *seed;
}

/* Who sends what: participant 0 of a meeting is the marker's talker, 1..K-1 the other
 * talkers (voices 1.., staggered), the rest the listeners' room noise. */
static void assign(struct run *r, struct part *p, unsigned m, unsigned i, uint32_t *seed)
{
    const struct lg_run_cfg *c = r->cfg;
    p->meeting = m;
    p->index = i;
    p->marker = i == 0 && c->talkers > 0;
    if (i < c->talkers)
        p->stream = i == 0 ? LG_STREAM_MARKER : (int)(i % LG_VOICES);
    else
        p->stream = LG_STREAM_NOISE;
    p->pos = (int)((m * 7u + i * 97u) % LG_LOOP_FRAMES);
    if (p->marker)
        p->pos = (int)((m * 7u) % LG_LOOP_FRAMES);
    p->ssrc = rnd(seed);
    p->seq = (uint16_t)rnd(seed);
    p->ts = rnd(seed);
    p->lp.fd = -1;
    p->lp.vfd = -1;
    p->lp.suite = c->suite;
    p->last_arrival = INT64_MIN / 2;
    lg_vin_init(&p->vin);
    if (c->video) {
        /* The first video_senders of the meeting (its talkers first) have cameras on, each
         * with its own clip; everyone receives the composite. */
        p->lp.video = i < c->video_senders ? 2 : 1;
        if (p->lp.video == 2)
            p->vout.clip = &c->clips[i % LG_VCLIPS];
        p->vout.ssrc = rnd(seed);
        p->vout.seq = (uint16_t)rnd(seed);
        p->vout.ts = rnd(seed);
        p->vout.picture_id = (uint16_t)(rnd(seed) & 0x7fff);
    }
}

/* The receiver that decodes: the first listener, or participant 1 when everyone talks. */
static int decodes(const struct lg_run_cfg *c, unsigned m, unsigned i)
{
    if (m >= c->decoders || c->talkers == 0)
        return 0;
    return i == (c->talkers < c->size ? c->talkers : 1);
}

void lg_run_teardown(struct run *r, void *bctx, unsigned joined)
{
    const struct lg_run_cfg *c = r->cfg;
    /* Leave in the order of joining; `joined` bounds the loop. */
    for (unsigned i = 0; i < joined && i < r->n; i++) {
        if (r->p[i].lp.id[0])
            c->backend->leave(bctx, r->p[i].meeting, &r->p[i].lp);
    }
    if (bctx)
        c->backend->close(bctx);
    for (unsigned i = 0; i < r->n; i++) {
        struct part *p = &r->p[i];
        if (p->lp.fd >= 0)
            close(p->lp.fd);
        if (p->lp.vfd >= 0)
            close(p->lp.vfd);
        rtpsec_destroy(&p->tx);
        rtpsec_destroy(&p->rx);
        rtpsec_destroy(&p->vout.tx);
        rtpsec_destroy(&p->vrx);
        adec_destroy(&p->dec);
    }
    if (r->epfd >= 0)
        close(r->epfd);
    free(r->p);
    free((void *)r->marker_ns);
    lg_hist_free(&r->ia);
    lg_hist_free(&r->lat);
    lg_hist_free(&r->vgaps);
}

/* The video keys from the join: what the participant sends with, and what it receives with. */
static int video_keys(struct part *p)
{
    p->vout.server = p->lp.vserver;
    p->vout.pt = p->lp.vpt;
    if (!p->lp.srtp)
        return 0;
    enum rtpsec_suite suite = (enum rtpsec_suite)p->lp.suite;
    int err = 0;
    if (p->lp.video == 2)
        err = rtpsec_create(&p->vout.tx, suite, p->lp.vtx_key, RTPSEC_OUTBOUND);
    if (!err)
        err = rtpsec_create(&p->vrx, suite, p->lp.vrx_key, RTPSEC_INBOUND);
    return err;
}

/* A browser reports from the start. Without any RTCP the server takes a receiver for one that
 * cannot ask for keyframes (as FFmpeg) and sends its whole meeting one every 300 ms for its
 * first 4 s, which would fill the window with keyframes no browser causes: one receiver report
 * at the join says this receiver reports. */
static int video_hello(struct part *p)
{
    uint8_t buf[128 + RTPSEC_MAX_TRAILER];
    struct rtcp_writer w;
    rtcp_writer_init(&w, buf, 128);
    int err = rtcp_write_rr(&w, p->vout.ssrc, NULL, 0);
    if (!err)
        err = rtcp_write_sdes_cname(&w, p->vout.ssrc, "loadgen");
    struct rtpsec *tx = p->vout.tx, *own = NULL;
    if (!err && p->lp.srtp && !tx) {
        err = rtpsec_create(&own, (enum rtpsec_suite)p->lp.suite, p->lp.vtx_key, RTPSEC_OUTBOUND);
        tx = own;
    }
    size_t len = w.len;
    if (!err && tx)
        err = rtpsec_protect_rtcp(tx, buf, &len);
    if (!err && sendto(p->lp.vfd, buf, len, 0, (const struct sockaddr *)&p->lp.vserver,
                       sizeof(p->lp.vserver)) < 0)
        err = -errno;
    rtpsec_destroy(&own);
    return err;
}

int lg_run_setup(struct run *r, void **bctx, unsigned *joined)
{
    const struct lg_run_cfg *c = r->cfg;
    struct lg_video_meeting vm = {c->vwidth, c->vheight, c->vkbps};
    int err =
        c->backend->open(bctx, c->server, c->token, c->meetings, c->size, c->video ? &vm : NULL);
    if (err)
        return err;
    if (c->idle)
        return 0;
    uint32_t seed = (uint32_t)lg_now_ns(CLOCK_REALTIME) ^ (uint32_t)getpid();
    for (unsigned i = 0; i < r->n; i++)
        assign(r, &r->p[i], i / c->size, i % c->size, &seed);
    for (unsigned i = 0; i < r->n && !err; i++) {
        struct part *p = &r->p[i];
        err = lg_stop ? -EINTR : open_socket(&p->lp.fd, &p->lp.local_port);
        if (!err && p->lp.video)
            err = open_socket(&p->lp.vfd, &p->lp.vlocal_port);
        if (!err) {
            err = c->backend->join(*bctx, p->meeting, p->index, &p->lp);
            *joined = i + 1;
        }
        if (!err && p->lp.srtp) {
            err = rtpsec_create(&p->tx, (enum rtpsec_suite)p->lp.suite, p->lp.tx_key,
                                RTPSEC_OUTBOUND);
            if (!err)
                err = rtpsec_create(&p->rx, (enum rtpsec_suite)p->lp.suite, p->lp.rx_key,
                                    RTPSEC_INBOUND);
        }
        if (!err && p->lp.video)
            err = video_keys(p);
        if (!err && p->lp.video)
            err = video_hello(p);
        if (!err && decodes(c, p->meeting, p->index)) {
            err = adec_create(&p->dec, &acodec_opus);
            lg_detector_init(&p->det);
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        if (!err && epoll_ctl(r->epfd, EPOLL_CTL_ADD, p->lp.fd, &ev))
            err = -errno;
        ev.data.u32 = i | LG_VIDEO_EV;
        if (!err && p->lp.video && epoll_ctl(r->epfd, EPOLL_CTL_ADD, p->lp.vfd, &ev))
            err = -errno;
        if (err)
            fprintf(stderr, "loadgen: participant %u of meeting %u: %s\n", p->index, p->meeting,
                    strerror(-err));
    }
    return err;
}
