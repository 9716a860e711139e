/* bench_video: composite video meetings per core at 30 fps, shared versus per-receiver encoding,
 * measured side by side in one run.
 *
 * One meeting: four participants send 640x360 VP8 (pre-encoded here, as a client would, before
 * any timing); every 1/30 s the server decodes each input frame, composes the 2x2 canvas
 * (1280x720), encodes it, packetizes and protects it per receiver (RTP header + SRTP), as
 * conf_video.c does. "shared" encodes once per frame for every receiver (what the server does);
 * "per-receiver" encodes once per receiver (what a naive MCU does). Time is thread CPU time. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu.h"
#include "pay_vp8.h"
#include "rtp.h"
#include "rtpsec.h"
#include "vcodec.h"
#include "vframe.h"
#include "vmix.h"

#define INPUTS   4
#define IN_W     640
#define IN_H     360
#define FPS      30
#define LOOP     60 /* input frames pre-encoded per participant, looped */
#define MAX_RECV 64

struct input {
    struct vdec *dec;
    uint8_t *frame[LOOP];
    size_t len[LOOP];
};

struct receiver {
    struct rtpsec *srtp;
    struct venc *enc; /* per-receiver mode only */
    uint16_t seq, pid;
    uint32_t ssrc;
};

static void die(const char *what, int err)
{
    fprintf(stderr, "bench_video: %s: %s\n", what, strerror(-err));
    exit(1);
}

static int64_t cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* A picture that moves, so the encoders work as on a camera: a gradient sliding with time and a
 * block of the participant's own colour. */
static void draw(struct vframe *f, int who, int t)
{
    for (int y = 0; y < f->h; y++)
        for (int x = 0; x < f->w; x++)
            f->data[0][y * f->stride[0] + x] = (uint8_t)(x + y + 4 * t + 40 * who);
    for (int y = 0; y < f->h / 2; y++)
        for (int x = 0; x < f->w / 2; x++) {
            f->data[1][y * f->stride[1] + x] = (uint8_t)(64 + 40 * who + (x >> 4));
            f->data[2][y * f->stride[2] + x] = (uint8_t)(192 - 30 * who + (y >> 4));
        }
    int bx = (t * 7 + who * 90) % (f->w - 64) & ~1, by = (t * 3 + who * 50) % (f->h - 64) & ~1;
    vframe_fill_rect(f, bx, by, 64, 64, 235, 128, 128);
}

static void make_input(struct input *in, int who)
{
    struct venc *enc;
    struct venc_params ep = {IN_W, IN_H, FPS, 600, 0, 1};
    int err = venc_create(&enc, VCODEC_VP8, &ep);
    if (err)
        die("venc_create", err);
    struct vframe pic;
    if ((err = vframe_alloc(&pic, IN_W, IN_H)))
        die("vframe_alloc", err);
    for (int t = 0; t < LOOP; t++) {
        draw(&pic, who, t);
        struct venc_frame f;
        /* A keyframe at the loop's start, so the decoder can wrap around. */
        if ((err = venc_encode(enc, &pic, t, t == 0, &f)) != 1)
            die("venc_encode (input)", err < 0 ? err : -EIO);
        in->frame[t] = malloc(f.len);
        if (!in->frame[t])
            die("malloc", -ENOMEM);
        memcpy(in->frame[t], f.data, f.len);
        in->len[t] = f.len;
    }
    vframe_free(&pic);
    venc_destroy(&enc);
    if ((err = vdec_create(&in->dec, VCODEC_VP8)))
        die("vdec_create", err);
}

/* RTP header + protect per packet, as session_send_rtp does for each receiver. */
static void protect_all(struct receiver *r, const uint8_t *buf, const struct vmix_pkt *pk,
                        unsigned n, uint32_t ts)
{
    static uint8_t out[RTP_HDR_MIN + 1500 + RTPSEC_MAX_TRAILER];
    for (unsigned k = 0; k < n; k++) {
        rtp_write_header(out, pk[k].marker, 96, r->seq++, ts, r->ssrc);
        memcpy(out + RTP_HDR_MIN, buf + pk[k].off, pk[k].len);
        size_t len = RTP_HDR_MIN + pk[k].len;
        int err = rtpsec_protect(r->srtp, out, &len);
        if (err)
            die("rtpsec_protect", err);
    }
}

static unsigned per_receiver_encode(struct receiver *r, const struct vframe *canvas, int t,
                                    uint8_t **buf, size_t *cap, struct vmix_pkt *pk)
{
    struct venc_frame f;
    int err = venc_encode(r->enc, canvas, t, t == 0, &f);
    if (err != 1)
        die("venc_encode (per receiver)", err < 0 ? err : -EIO);
    size_t need = f.len + PAY_VP8_MAX_PKTS * PAY_VP8_DESC_LEN;
    if (need > *cap) {
        *buf = realloc(*buf, need);
        *cap = need;
        if (!*buf)
            die("realloc", -ENOMEM);
    }
    struct pay_vp8_out po = {.buf = *buf, .cap = *cap};
    struct pay_vp8_params pp = {VMIX_MAX_PAYLOAD};
    int n = pay_vp8_packetize(&pp, f.data, f.len, f.keyframe, r->pid++, &po);
    if (n < 0)
        die("pay_vp8_packetize", n);
    for (int k = 0; k < n; k++)
        pk[k] = (struct vmix_pkt){po.pkt[k].offset, po.pkt[k].len, po.pkt[k].marker};
    return (unsigned)n;
}

struct result {
    double us_per_frame, decode_us, compose_us, encode_us, send_us;
    double kbytes_per_frame;
};

/* Run `frames` composite frames of one meeting with `nrecv` receivers. */
static struct result run(struct input *in, unsigned nrecv, int shared, int frames, int w, int h)
{
    struct vmix *vm;
    struct vmix_params vp = {w, h, FPS, 1500, LAYOUT_GRID, cpu_flags()};
    int err = vmix_create(&vm, &vp);
    if (err)
        die("vmix_create", err);
    struct receiver r[MAX_RECV];
    memset(r, 0, sizeof(r));
    for (unsigned i = 0; i < nrecv; i++) {
        uint8_t key[RTPSEC_MAX_KEY];
        if ((err = rtpsec_keygen(RTPSEC_AES_CM_128_HMAC_SHA1_80, key)) ||
            (err = rtpsec_create(&r[i].srtp, RTPSEC_AES_CM_128_HMAC_SHA1_80, key, RTPSEC_OUTBOUND)))
            die("rtpsec", err);
        r[i].ssrc = 0x1000u + i;
        struct venc_params ep = {w, h, FPS, 1500, 0, 1};
        if (!shared && (err = venc_create(&r[i].enc, VCODEC_VP8, &ep)))
            die("venc_create", err);
    }
    uint8_t *buf = NULL;
    size_t cap = 0;
    struct vmix_pkt pk[VMIX_MAX_PKTS];
    int64_t ph[4] = {0, 0, 0, 0};
    double bytes = 0;
    for (int t = 0; t < frames; t++) {
        int64_t t0 = cpu_ns();
        const struct vframe *pics[INPUTS];
        struct vframe views[INPUTS];
        for (int i = 0; i < INPUTS; i++) {
            int got = vdec_decode(in[i].dec, in[i].frame[t % LOOP], in[i].len[t % LOOP], &views[i]);
            if (got != 1)
                die("vdec_decode", got < 0 ? got : -EIO);
            pics[i] = &views[i];
        }
        int64_t t1 = cpu_ns();
        if ((err = vmix_compose(vm, pics, INPUTS, -1)))
            die("vmix_compose", err);
        int64_t t2 = cpu_ns(), enc_ns = 0;
        uint32_t ts = (uint32_t)t * (90000 / FPS);
        if (shared) {
            const struct vmix_out *out;
            if ((err = vmix_encode(vm, VCODEC_VP8, &out)))
                die("vmix_encode", err);
            enc_ns = cpu_ns() - t2;
            for (size_t k = 0; k < out->n; k++)
                bytes += (double)out->pkt[k].len;
            for (unsigned i = 0; i < nrecv; i++)
                protect_all(&r[i], out->buf, out->pkt, out->n, ts);
        } else {
            for (unsigned i = 0; i < nrecv; i++) {
                int64_t e0 = cpu_ns();
                unsigned n = per_receiver_encode(&r[i], vmix_canvas(vm), t, &buf, &cap, pk);
                enc_ns += cpu_ns() - e0;
                if (i == 0)
                    for (unsigned k = 0; k < n; k++)
                        bytes += (double)pk[k].len;
                protect_all(&r[i], buf, pk, n, ts);
            }
        }
        int64_t t3 = cpu_ns();
        ph[0] += t1 - t0;
        ph[1] += t2 - t1;
        ph[2] += enc_ns;
        ph[3] += (t3 - t2) - enc_ns;
    }
    for (unsigned i = 0; i < nrecv; i++) {
        rtpsec_destroy(&r[i].srtp);
        venc_destroy(&r[i].enc);
    }
    free(buf);
    vmix_destroy(&vm);
    struct result res;
    res.decode_us = (double)ph[0] / frames / 1000.0;
    res.compose_us = (double)ph[1] / frames / 1000.0;
    res.encode_us = (double)ph[2] / frames / 1000.0;
    res.send_us = (double)ph[3] / frames / 1000.0;
    res.us_per_frame = res.decode_us + res.compose_us + res.encode_us + res.send_us;
    res.kbytes_per_frame = bytes / frames / 1000.0;
    return res;
}

static void print(const char *mode, unsigned nrecv, const struct result *r)
{
    double per_core = 1e6 / (FPS * r->us_per_frame);
    printf("  %-12s receivers %2u: %7.0f us/frame (decode %5.0f, compose %5.0f, encode %6.0f, "
           "rtp+srtp %5.0f)  %.1f kB/frame  -> %.2f meetings per core at %d fps\n",
           mode, nrecv, r->us_per_frame, r->decode_us, r->compose_us, r->encode_us, r->send_us,
           r->kbytes_per_frame, per_core, FPS);
}

int main(int argc, char **argv)
{
    int frames = 300, quick = 0;
    unsigned recv_counts[] = {4, 16};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = 1;
            frames = 20;
        } else if (!strcmp(argv[i], "--frames") && i + 1 < argc) {
            frames = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: bench_video [--quick] [--frames N]\n"
                            "  composite meetings per core at 30 fps: four 640x360 VP8 inputs,\n"
                            "  1280x720 canvas, shared vs per-receiver encoding side by side\n");
            return 2;
        }
    }
    if (frames < 2)
        frames = 2;
    int err = rtpsec_global_init();
    if (err)
        die("rtpsec_global_init", err);
    struct input in[INPUTS];
    memset(in, 0, sizeof(in));
    for (int i = 0; i < INPUTS; i++)
        make_input(&in[i], i);
    printf("bench_video: %d frames per run, canvas 1280x720, 4 inputs 640x360 VP8, VP8 out "
           "1500 kbit/s, cpu flags 0x%x\n",
           frames, cpu_flags());
    for (size_t k = 0; k < sizeof(recv_counts) / sizeof(recv_counts[0]); k++) {
        unsigned n = quick ? 2 : recv_counts[k];
        /* Alternate the two modes in halves, so a change of machine speed hits both. */
        struct result s1 = run(in, n, 1, frames / 2, 1280, 720);
        struct result p1 = run(in, n, 0, frames / 2, 1280, 720);
        struct result s2 = run(in, n, 1, frames / 2, 1280, 720);
        struct result p2 = run(in, n, 0, frames / 2, 1280, 720);
        struct result s = s1, p = p1;
        s.us_per_frame = (s1.us_per_frame + s2.us_per_frame) / 2;
        s.decode_us = (s1.decode_us + s2.decode_us) / 2;
        s.compose_us = (s1.compose_us + s2.compose_us) / 2;
        s.encode_us = (s1.encode_us + s2.encode_us) / 2;
        s.send_us = (s1.send_us + s2.send_us) / 2;
        p.us_per_frame = (p1.us_per_frame + p2.us_per_frame) / 2;
        p.decode_us = (p1.decode_us + p2.decode_us) / 2;
        p.compose_us = (p1.compose_us + p2.compose_us) / 2;
        p.encode_us = (p1.encode_us + p2.encode_us) / 2;
        p.send_us = (p1.send_us + p2.send_us) / 2;
        print("shared", n, &s);
        print("per-receiver", n, &p);
        printf("  ratio per-receiver/shared cost at %u receivers: %.2fx\n", n,
               p.us_per_frame / s.us_per_frame);
        if (quick)
            break;
    }
    for (int i = 0; i < INPUTS; i++) {
        vdec_destroy(&in[i].dec);
        for (int t = 0; t < LOOP; t++)
            free(in[i].frame[t]);
    }
    return 0;
}
