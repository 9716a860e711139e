/* VP8 (libvpx) behind struct vcodec: a real-time CBR encoder and a single-threaded decoder. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

#include "vcodec.h"

/* DESIGN.md field notes: a positive cpu-used makes libvpx adapt its speed to the frame time and
 * run as slowly as -4; a negative one is a fixed speed. -6 costs ~1.5 ms at 640x360. */
#define CPU_USED -6
/* Rate control in milliseconds of the target rate, as WebRTC sets it for real time: start half
 * full, aim at 600 ms, never more than 1 s of data in flight. */
#define BUF_INITIAL_MS 500
#define BUF_OPTIMAL_MS 600
#define BUF_MS         1000
#define UNDERSHOOT_PCT 100
#define OVERSHOOT_PCT  15
/* WebRTC's quantizer range for real-time VP8, rather than libvpx's 0..63. */
#define MIN_Q 2
#define MAX_Q 56
/* A keyframe may take up to KEY_MAX_MS of the rate (as a share of one frame's budget: fps *
 * KEY_MAX_MS / 10 percent, WebRTC's rule): every receiver of the shared encoder gets it in one
 * burst, and any receiver's loss asks for one. 75 KB at 2000 kbit/s, about what H.264's VBV
 * allows (vid_h264.c). */
#define KEY_MAX_MS      300
#define KEY_MIN_PCT     300
#define FRAME_HDR_KEY   10 /* frame tag (3) + start code (3) + sizes (4) */
#define FRAME_HDR_DELTA 3

struct vp8_enc {
    vpx_codec_ctx_t ctx;
    vpx_codec_enc_cfg_t cfg; /* kept to change the bitrate */
    vpx_image_t img;         /* a view of the caller's picture, refilled per frame */
};

struct vp8_dec {
    vpx_codec_ctx_t ctx;
};

static int map_err(vpx_codec_err_t err)
{
    switch (err) {
    case VPX_CODEC_OK:
        return 0;
    case VPX_CODEC_MEM_ERROR:
        return -ENOMEM;
    case VPX_CODEC_INVALID_PARAM:
        return -EINVAL;
    case VPX_CODEC_UNSUP_BITSTREAM:
    case VPX_CODEC_CORRUPT_FRAME:
        return -EBADMSG;
    case VPX_CODEC_INCAPABLE:
    case VPX_CODEC_UNSUP_FEATURE:
        return -ENOTSUP;
    default:
        return -EIO;
    }
}

static int enc_config(struct vp8_enc *e, const struct venc_params *p)
{
    vpx_codec_enc_cfg_t *c = &e->cfg;
    vpx_codec_err_t err = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), c, 0);
    if (err != VPX_CODEC_OK)
        return map_err(err);
    c->g_w = (unsigned)p->width;
    c->g_h = (unsigned)p->height;
    c->g_timebase.num = 1;
    c->g_timebase.den = p->fps;
    c->g_threads = (unsigned)p->threads;
    c->g_pass = VPX_RC_ONE_PASS;
    c->g_lag_in_frames = 0; /* no lookahead: each frame comes out of the call that took it */
    /* Every frame decodable after a loss in the previous ones, as far as VP8 allows. */
    c->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    c->rc_end_usage = VPX_CBR;
    c->rc_target_bitrate = (unsigned)p->bitrate_kbps;
    /* Never skip a frame: venc_encode promises a frame per picture, and the picture is shared by
     * every receiver, so a skip would freeze them all at once. */
    c->rc_dropframe_thresh = 0;
    c->rc_resize_allowed = 0;
    c->rc_min_quantizer = MIN_Q;
    c->rc_max_quantizer = MAX_Q;
    c->rc_undershoot_pct = UNDERSHOOT_PCT;
    c->rc_overshoot_pct = OVERSHOOT_PCT;
    c->rc_buf_initial_sz = BUF_INITIAL_MS;
    c->rc_buf_optimal_sz = BUF_OPTIMAL_MS;
    c->rc_buf_sz = BUF_MS;
    c->kf_mode = VPX_KF_AUTO;
    c->kf_min_dist = 0;
    c->kf_max_dist = (unsigned)p->keyint;
    return 0;
}

static int enc_open(void *priv, const struct venc_params *p)
{
    struct vp8_enc *e = priv;
    int err = enc_config(e, p);
    if (err < 0)
        return err;
    vpx_codec_err_t verr = vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &e->cfg, 0);
    if (verr != VPX_CODEC_OK)
        return map_err(verr);
    unsigned key_pct = (unsigned)p->fps * KEY_MAX_MS / 10;
    if (key_pct < KEY_MIN_PCT)
        key_pct = KEY_MIN_PCT;
    verr = vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, CPU_USED);
    if (verr == VPX_CODEC_OK)
        verr = vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, key_pct);
    /* The composite is mostly still between speakers: skip encoding blocks that did not change
     * (WebRTC's value for camera video). */
    if (verr == VPX_CODEC_OK)
        verr = vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1u);
    if (verr != VPX_CODEC_OK) {
        vpx_codec_destroy(&e->ctx);
        return map_err(verr);
    }
    return 0;
}

static int enc_encode(void *priv, const struct vframe *pic, int64_t pts, int force_key,
                      struct venc_frame *out)
{
    struct vp8_enc *e = priv;
    /* vpx_img_wrap only fills in the struct (no allocation when given data); the planes and
     * strides are then pointed at the caller's, whatever their layout. */
    if (!vpx_img_wrap(&e->img, VPX_IMG_FMT_I420, e->cfg.g_w, e->cfg.g_h, 1, pic->data[0]))
        return -EINVAL;
    for (int i = 0; i < 3; i++) {
        e->img.planes[i] = pic->data[i];
        e->img.stride[i] = pic->stride[i];
    }
    vpx_enc_frame_flags_t flags = force_key ? VPX_EFLAG_FORCE_KF : 0;
    vpx_codec_err_t err = vpx_codec_encode(&e->ctx, &e->img, pts, 1, flags, VPX_DL_REALTIME);
    if (err != VPX_CODEC_OK)
        return map_err(err);
    /* With no lag and no partition output there is one frame packet; anything else (stats) is
     * skipped. The data stays valid until the next vpx_codec_encode. */
    vpx_codec_iter_t iter = NULL;
    const vpx_codec_cx_pkt_t *pkt;
    int got = 0;
    while ((pkt = vpx_codec_get_cx_data(&e->ctx, &iter)) != NULL) {
        if (pkt->kind != VPX_CODEC_CX_FRAME_PKT || got || pkt->data.frame.sz == 0)
            continue;
        out->data = pkt->data.frame.buf;
        out->len = pkt->data.frame.sz;
        out->keyframe = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) ? 1 : 0;
        got = 1;
    }
    return got;
}

static int enc_set_bitrate(void *priv, int kbps)
{
    struct vp8_enc *e = priv;
    unsigned old = e->cfg.rc_target_bitrate;
    e->cfg.rc_target_bitrate = (unsigned)kbps;
    vpx_codec_err_t err = vpx_codec_enc_config_set(&e->ctx, &e->cfg);
    if (err != VPX_CODEC_OK) {
        e->cfg.rc_target_bitrate = old;
        return map_err(err);
    }
    return 0;
}

static void enc_close(void *priv)
{
    struct vp8_enc *e = priv;
    vpx_codec_destroy(&e->ctx);
}

static int dec_open(void *priv)
{
    struct vp8_dec *d = priv;
    vpx_codec_dec_cfg_t cfg = {.threads = 1}; /* the media worker is the thread */
    return map_err(vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), &cfg, 0));
}

/* RFC 6386 9.1: the 3-byte frame tag, and on keyframes a start code and the picture size. A
 * first partition longer than the frame means a truncated frame. */
static int dec_probe(const uint8_t *p, size_t len)
{
    if (len < FRAME_HDR_DELTA)
        return -EBADMSG;
    int key = !(p[0] & 1);
    unsigned version = (p[0] >> 1) & 7;
    size_t first_part = ((size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16) >> 5;
    size_t hdr = key ? FRAME_HDR_KEY : FRAME_HDR_DELTA;
    if (version > 3 || len < hdr || first_part > len - hdr)
        return -EBADMSG;
    if (key) {
        if (p[3] != 0x9d || p[4] != 0x01 || p[5] != 0x2a)
            return -EBADMSG;
        unsigned w = (p[6] | (unsigned)p[7] << 8) & 0x3fff;
        unsigned h = (p[8] | (unsigned)p[9] << 8) & 0x3fff;
        if (w == 0 || h == 0)
            return -EBADMSG;
        return VCODEC_PROBE_KEY;
    }
    return VCODEC_PROBE_DELTA;
}

static int dec_decode(void *priv, const uint8_t *data, size_t len, struct vframe *pic)
{
    struct vp8_dec *d = priv;
    if (len > UINT_MAX)
        return -EBADMSG; /* libvpx takes an unsigned int; no VP8 frame is that big */
    vpx_codec_err_t err = vpx_codec_decode(&d->ctx, data, (unsigned)len, NULL, 0);
    if (err != VPX_CODEC_OK)
        return err == VPX_CODEC_MEM_ERROR ? -ENOMEM : -EBADMSG;
    /* libvpx decodes some damage without an error and only flags the picture. */
    int corrupt = 0;
    if (vpx_codec_control(&d->ctx, VP8D_GET_FRAME_CORRUPTED, &corrupt) == VPX_CODEC_OK && corrupt)
        return -EBADMSG;
    vpx_codec_iter_t iter = NULL;
    const vpx_image_t *img = NULL, *next;
    while ((next = vpx_codec_get_frame(&d->ctx, &iter)) != NULL)
        img = next; /* VP8 shows at most one picture a frame; keep the last if not */
    if (!img)
        return 0; /* a frame that is not shown (e.g. a golden/altref update) */
    if (img->fmt != VPX_IMG_FMT_I420)
        return -ENOTSUP;
    memset(pic, 0, sizeof(*pic));
    pic->w = (int)img->d_w;
    pic->h = (int)img->d_h;
    for (int i = 0; i < 3; i++) {
        pic->data[i] = img->planes[i];
        pic->stride[i] = img->stride[i];
    }
    return 1;
}

static void dec_close(void *priv)
{
    struct vp8_dec *d = priv;
    vpx_codec_destroy(&d->ctx);
}

const struct vcodec vcodec_vp8 = {
    .id = VCODEC_VP8,
    .name = "VP8",
    .enc_priv_size = sizeof(struct vp8_enc),
    .dec_priv_size = sizeof(struct vp8_dec),
    .enc_open = enc_open,
    .encode = enc_encode,
    .set_bitrate = enc_set_bitrate,
    .enc_close = enc_close,
    .dec_open = dec_open,
    .probe = dec_probe,
    .decode = dec_decode,
    .dec_close = dec_close,
};
