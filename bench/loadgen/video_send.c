/* The generator's video sender: one thread that sends every video participant's clip at 30 fps
 * on the monotonic clock, packetized as RFC 7741 VP8 and SRTP-protected with the server's keys,
 * in one sendmmsg burst per frame as a browser sends it. Traffic goes only where the join said
 * (the backend refuses anything but 127.0.0.1). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>

#include "pay_vp8.h"
#include "rtp.h"
#include "rtpsec.h"
#include "video.h"

#define VBATCH      32   /* packets per sendmmsg */
#define VPKT_CAP    1500 /* RTP header + payload + SRTP trailer */
#define VMAX_PAY    1200 /* RTP payload bytes per packet, descriptor included, as browsers do */
#define TS_STEP     (LG_VCLOCK_HZ / LG_VFPS)
#define MAX_TICKS   (LG_VFPS * 3600) /* an hour: a backstop; stop ends the loop */
#define LATE_NS     10000000LL
#define SEC_NS      1000000000LL
#define SNDBUF_SIZE (4 << 20)

_Static_assert(LG_VCLOCK_HZ % LG_VFPS == 0, "a whole number of clock ticks per frame");

struct lg_vsender {
    struct lg_vout **outs;
    unsigned n;
    int fd;
    int64_t t0_mono, spread_ns;
    atomic_int stop;
    pthread_t th;
    struct lg_vsend_stats st;
    /* the thread's buffers */
    struct pay_vp8_out po;
    uint8_t *pay;
    struct mmsghdr msg[VBATCH];
    struct iovec iov[VBATCH];
    uint8_t buf[VBATCH][VPKT_CAP];
    unsigned nb;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * SEC_NS + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
    struct timespec ts = {(time_t)(t / SEC_NS), (long)(t % SEC_NS)};
    /* EINTR: a signal; lg_stop then ends the thread through stop. Bounded by the retries. */
    for (int i = 0; i < 100 && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR;
         i++)
        ;
}

static void flush(struct lg_vsender *s)
{
    unsigned done = 0;
    /* A full socket buffer drops the rest, as the network would; the receivers count it. */
    for (int tries = 0; done < s->nb && tries < 8; tries++) {
        int k = sendmmsg(s->fd, s->msg + done, s->nb - done, 0);
        if (k <= 0)
            break;
        done += (unsigned)k;
    }
    if (done < s->nb)
        s->st.errors++;
    s->nb = 0;
}

static void send_frame(struct lg_vsender *s, struct lg_vout *o)
{
    const struct lg_vclip *c = o->clip;
    unsigned f = o->pos;
    struct pay_vp8_params pp = {VMAX_PAY};
    int n =
        pay_vp8_packetize(&pp, c->data + c->off[f], c->len[f], c->key[f], o->picture_id, &s->po);
    if (n < 0) {
        s->st.errors++;
        n = 0;
    }
    for (int i = 0; i < n; i++) {
        const struct pay_vp8_pkt *pk = &s->po.pkt[i];
        uint8_t *b = s->buf[s->nb];
        rtp_write_header(b, pk->marker, o->pt, o->seq++, o->ts, o->ssrc);
        memcpy(b + RTP_HDR_MIN, s->pay + pk->offset, pk->len);
        size_t len = RTP_HDR_MIN + pk->len;
        if (o->tx && rtpsec_protect(o->tx, b, &len)) {
            s->st.errors++;
            continue;
        }
        s->iov[s->nb] = (struct iovec){b, len};
        s->msg[s->nb].msg_hdr = (struct msghdr){.msg_name = &o->server,
                                                .msg_namelen = sizeof(o->server),
                                                .msg_iov = &s->iov[s->nb],
                                                .msg_iovlen = 1};
        if (++s->nb == VBATCH)
            flush(s);
    }
    flush(s);
    /* The timestamp and picture id run on across loops, as a camera's never restart. */
    o->ts += TS_STEP;
    o->picture_id = (uint16_t)((o->picture_id + 1) & 0x7fff);
    o->pos = (o->pos + 1) % LG_VCLIP_FRAMES;
    s->st.frames++;
}

/* Frame T of sender k is due at t0 + T / fps + k / (n fps): the senders take turns through
 * each frame interval. Sender k starts at tick k * spread / n, with its clip's keyframe. */
static void *vsender_main(void *arg)
{
    struct lg_vsender *s = arg;
    int64_t spread_ticks = s->spread_ns * LG_VFPS / SEC_NS;
    for (int64_t t = 0; t < MAX_TICKS && !atomic_load(&s->stop); t++) {
        int64_t tick_ns = s->t0_mono + t * SEC_NS / LG_VFPS;
        for (unsigned k = 0; k < s->n && !atomic_load(&s->stop); k++) {
            if (t < spread_ticks * k / s->n)
                continue;
            int64_t due = tick_ns + (int64_t)k * SEC_NS / LG_VFPS / s->n;
            sleep_until(due);
            int64_t late = mono_ns() - due;
            if (late > s->st.late_max_ns)
                s->st.late_max_ns = late;
            s->st.late += late >= LATE_NS;
            send_frame(s, s->outs[k]);
        }
    }
    return NULL;
}

static void vsender_free(struct lg_vsender *s)
{
    if (s->fd >= 0)
        close(s->fd);
    free(s->pay);
    free(s->outs);
    free(s);
}

int lg_vsender_start(struct lg_vsender **out, struct lg_vout *const *outs, unsigned n,
                     int64_t t0_mono, int64_t spread_ns)
{
    *out = NULL;
    struct lg_vsender *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->fd = -1;
    s->n = n;
    s->t0_mono = t0_mono;
    s->spread_ns = spread_ns > 0 ? spread_ns : 0;
    size_t max_len = 0;
    for (unsigned k = 0; k < n; k++)
        max_len = outs[k]->clip->max_len > max_len ? outs[k]->clip->max_len : max_len;
    /* pay_vp8.h: the frame plus a 4-byte descriptor per packet always suffices. */
    s->po.cap = max_len + PAY_VP8_DESC_LEN * (max_len / (VMAX_PAY - PAY_VP8_DESC_LEN) + 2);
    s->pay = malloc(s->po.cap);
    s->po.buf = s->pay;
    s->outs = calloc(n ? n : 1, sizeof(*s->outs));
    int err = !s->pay || !s->outs ? -ENOMEM : 0;
    if (!err) {
        memcpy(s->outs, outs, n * sizeof(*outs));
        s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s->fd < 0)
            err = -errno;
    }
    int sz = SNDBUF_SIZE;
    if (!err)
        setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    if (!err)
        err = -pthread_create(&s->th, NULL, vsender_main, s);
    if (err) {
        vsender_free(s);
        return err;
    }
    *out = s;
    return 0;
}

void lg_vsender_stop(struct lg_vsender **sp, struct lg_vsend_stats *st)
{
    struct lg_vsender *s = *sp;
    if (!s)
        return;
    atomic_store(&s->stop, 1);
    pthread_join(s->th, NULL);
    if (st)
        *st = s->st;
    vsender_free(s);
    *sp = NULL;
}
