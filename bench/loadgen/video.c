/* The generator's video clips, pre-encoded before any traffic as voice.c does for audio, and
 * the accounting of the composite each participant receives. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pay_vp8.h"
#include "rtp.h"
#include "rtpsec.h"
#include "vcodec.h"
#include "vframe.h"
#include "video.h"

/* ---- Clips ---- */

/* Each sender's own colour (BT.601 limited range Y, U, V: red, green, blue, yellow), so the
 * canvas's cells differ as real cameras do. */
static const uint8_t clip_yuv[LG_VCLIPS][3] = {
    {81, 90, 240}, {145, 54, 34}, {41, 240, 110}, {210, 16, 146}};

#define BOX 48

/* A position that goes back and forth `span` pixels, `period` frames a round trip. */
static int bounce(int t, int period, int span)
{
    int p = t % period, half = period / 2;
    int v = p < half ? p * span / half : (period - p) * span / half;
    return v & ~1;
}

/* Every pixel changes every frame (a gradient sliding diagonally) so the server decodes real
 * work and its composite, which skips canvases whose scene did not change, redraws each tick;
 * a bright box moves over the sender's colour. */
static void draw(struct vframe *f, int k, int t)
{
    for (int y = 0; y < f->h; y++) {
        uint8_t *row = f->data[0] + (size_t)y * (size_t)f->stride[0];
        for (int x = 0; x < f->w; x++)
            row[x] = (uint8_t)(16 + (x + 2 * y + 6 * t + 50 * k) % 200);
    }
    for (int y = 0; y < vframe_chroma_h(f->h); y++) {
        uint8_t *u = f->data[1] + (size_t)y * (size_t)f->stride[1];
        uint8_t *v = f->data[2] + (size_t)y * (size_t)f->stride[2];
        for (int x = 0; x < vframe_chroma_w(f->w); x++) {
            u[x] = (uint8_t)(clip_yuv[k][1] + ((x + t) >> 4) % 8);
            v[x] = (uint8_t)(clip_yuv[k][2] - ((y + t) >> 4) % 8);
        }
    }
    int bx = bounce(t + 20 * k, LG_VCLIP_FRAMES, f->w - BOX);
    int by = bounce(2 * t + 35 * k, LG_VCLIP_FRAMES, f->h - BOX);
    vframe_fill_rect(f, bx, by, BOX, BOX, 235, 128, 128);
}

static int clip_append(struct lg_vclip *c, size_t *cap, int t, const struct venc_frame *f)
{
    size_t used = t ? c->off[t - 1] + c->len[t - 1] : 0;
    if (used + f->len > *cap) {
        size_t want = 2 * (used + f->len);
        uint8_t *d = realloc(c->data, want);
        if (!d)
            return -ENOMEM;
        c->data = d;
        *cap = want;
    }
    memcpy(c->data + used, f->data, f->len);
    c->off[t] = used;
    c->len[t] = f->len;
    c->key[t] = (uint8_t)f->keyframe;
    if (f->len > c->max_len)
        c->max_len = f->len;
    return 0;
}

static int clip_make(struct lg_vclip *c, int k, struct vframe *pic)
{
    /* keyint past the loop: the only keyframe is the one forced at frame 0, as a client that
     * is never asked for one would send. */
    struct venc_params ep = {LG_VCLIP_W,    LG_VCLIP_H,          LG_VFPS,
                             LG_VCLIP_KBPS, 2 * LG_VCLIP_FRAMES, 1};
    struct venc *enc = NULL;
    int err = venc_create(&enc, VCODEC_VP8, &ep);
    size_t cap = 0;
    for (int t = 0; t < LG_VCLIP_FRAMES && !err; t++) {
        draw(pic, k, t);
        struct venc_frame f;
        int got = venc_encode(enc, pic, t, t == 0, &f);
        if (got == 1)
            err = clip_append(c, &cap, t, &f);
        else
            err = got < 0 ? got : -EIO; /* a clip needs every frame to loop */
    }
    if (!err && !c->key[0])
        err = -EIO;
    venc_destroy(&enc);
    return err;
}

int lg_vclips_make(struct lg_vclip *clips)
{
    struct vframe pic;
    memset(clips, 0, LG_VCLIPS * sizeof(*clips));
    int err = vframe_alloc(&pic, LG_VCLIP_W, LG_VCLIP_H);
    for (int k = 0; k < LG_VCLIPS && !err; k++)
        err = clip_make(&clips[k], k, &pic);
    vframe_free(&pic);
    if (err)
        lg_vclips_free(clips);
    return err;
}

void lg_vclips_free(struct lg_vclip *clips)
{
    for (int k = 0; k < LG_VCLIPS; k++) {
        free(clips[k].data);
        memset(&clips[k], 0, sizeof(clips[k]));
    }
}

size_t lg_vclips_bytes(const struct lg_vclip *clips)
{
    size_t n = 0;
    for (int k = 0; k < LG_VCLIPS; k++)
        n += clips[k].off[LG_VCLIP_FRAMES - 1] + clips[k].len[LG_VCLIP_FRAMES - 1];
    return n;
}

/* ---- Receiving ---- */

void lg_vin_init(struct lg_vin *v)
{
    memset(v, 0, sizeof(*v));
    v->last_frame_at = INT64_MIN / 2;
}

static int in_window(const struct lg_window *w, int64_t at)
{
    return at >= w->lo && at < w->hi;
}

static void end_frame(struct lg_vin *v, int complete, int64_t at, const struct lg_window *w,
                      struct lg_hist *gaps)
{
    int in_win = in_window(w, at);
    v->in_frame = 0;
    v->have_done = 1;
    v->done_ts = v->frame_ts;
    if (!complete) {
        v->incomplete += (uint64_t)in_win;
        return;
    }
    v->frames_total++;
    if (in_win) {
        v->frames++;
        v->keys += (uint64_t)v->frame_key;
        if (v->last_frame_at >= w->lo)
            lg_hist_add(gaps, (double)(at - v->last_frame_at) / 1e6);
    }
    v->last_frame_at = at;
}

/* A frame starts with partition 0's first packet; its first VP8 byte holds the P bit, clear on
 * a keyframe (RFC 6386 9.1). */
static void begin_frame(struct lg_vin *v, const struct rtp_hdr *h)
{
    struct pay_vp8_desc d;
    int dl = pay_vp8_parse_desc(h->payload, h->payload_len, &d);
    v->in_frame = 1;
    v->frame_ts = h->ts;
    v->frame_ok = dl > 0 && (size_t)dl < h->payload_len && d.s && d.pid == 0;
    v->frame_key = v->frame_ok && !(h->payload[dl] & 1);
}

void lg_vin_packet(struct lg_vin *v, struct rtpsec *rx, uint8_t *buf, size_t len, int64_t at,
                   const struct lg_window *w, struct lg_hist *gaps)
{
    if (len < RTP_HDR_MIN)
        return;
    if (buf[1] >= 192 && buf[1] <= 223) { /* RTCP (rtcp-mux): counted, not checked */
        v->rtcp++;
        return;
    }
    struct rtp_hdr h;
    if ((rx && rtpsec_unprotect(rx, buf, &len)) || rtp_parse(&h, buf, len)) {
        v->auth_fail++;
        return;
    }
    int in_win = in_window(w, at);
    if (in_win) {
        v->pkts++;
        v->bytes += h.payload_len;
    }
    uint16_t d = (uint16_t)(h.seq - v->last_seq);
    if (v->have_seq && in_win && d > 1 && d < 0x8000)
        v->lost += d - 1u;
    if (!v->have_seq || d < 0x8000)
        v->last_seq = h.seq;
    v->have_seq = 1;
    /* A straggler of a frame that already ended (it cannot happen on loopback, but must not
     * open a phantom frame). */
    if (!v->in_frame && v->have_done && h.ts == v->done_ts)
        return;
    if (v->in_frame && h.ts != v->frame_ts) /* its marker never came */
        end_frame(v, 0, at, w, gaps);
    if (!v->in_frame)
        begin_frame(v, &h);
    else if (h.seq != v->next_seq)
        v->frame_ok = 0;
    v->next_seq = (uint16_t)(h.seq + 1);
    if (h.marker)
        end_frame(v, v->frame_ok, at, w, gaps);
}

void lg_video_add(struct lg_run_result *res, const struct lg_vin *v, double window_s)
{
    double fps = (double)v->frames / window_s, kbps = (double)v->bytes * 8 / window_s / 1000;
    if (!res->video) {
        res->video = 1;
        res->vfps_min = fps;
        res->vkbps_min = kbps;
    }
    res->vfps_min = fps < res->vfps_min ? fps : res->vfps_min;
    res->vkbps_min = kbps < res->vkbps_min ? kbps : res->vkbps_min;
    res->vfps_mean += fps;
    res->vkbps_mean += kbps;
    res->vbelow_25 += fps < 25;
    res->vgot_nothing += v->frames_total == 0;
    res->vframes += v->frames;
    res->vincomplete += v->incomplete;
    res->vkeys += v->keys;
    res->vpackets += v->pkts;
    res->vlost += v->lost;
    res->vauth_fail += v->auth_fail;
    res->vrtcp += v->rtcp;
}

void lg_video_finish(struct lg_run_result *res, const struct lg_hist *gaps, unsigned receivers)
{
    res->video = 1;
    if (receivers) {
        res->vfps_mean /= receivers;
        res->vkbps_mean /= receivers;
    }
    res->vgap_p50 = lg_hist_pct(gaps, 0.5);
    res->vgap_p99 = lg_hist_pct(gaps, 0.99);
    res->vgap_max = gaps->max_ms;
}
