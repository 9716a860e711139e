/* H.264 behind struct vcodec: libx264 through libavcodec to encode (real time, constrained
 * baseline, SPS + PPS on every IDR), libavcodec's own decoder to decode. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/buffer.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>

#include "alloc.h"
#include "vcodec.h"

/* ultrafast: veryfast took 2 to 2.5 times the CPU for 1.1-1.3 dB more PSNR (bench/README.md, "Video
 * codecs"), and a shared encoder's CPU is what bounds composite meetings per core. */
#define PRESET "ultrafast"
/* zerolatency: no lookahead, no B-frames, no frame threads (slices instead), so every picture
 * comes out of the call that took it. */
#define TUNE "zerolatency"
/* x264's "baseline" is constrained baseline (constraint_set1 set): what a client answering
 * profile-level-id=42e01f decodes. */
#define PROFILE "baseline"
/* In-band parameter sets before every IDR (x264 does so anyway without GLOBAL_HEADER; said
 * explicitly because a late joiner depends on it). */
#define X264_PARAMS "repeat-headers=1"
/* The VBV bounds how far the rate may run ahead, and so the size of a keyframe, which every
 * receiver of a shared encoder gets in one burst. On bench_codec's 720p scene at 2000 kbit/s a
 * 1 s VBV let keyframes reach 167 KB (0.67 s of the rate); 500 ms keeps them under 80 KB, near
 * VP8's cap (vid_vp8.c), for 0.1-0.25 dB less PSNR (0.6 dB with a keyframe every 2 s). */
#define VBV_MS 500
/* libavcodec logs to stderr by default; the library speaks through return codes, so its
 * messages (x264's banner and statistics, the decoder's complaints about bad input) are moved
 * down to AV_LOG_DEBUG and below. */
#define LOG_OFFSET (AV_LOG_DEBUG - AV_LOG_ERROR)

#define NAL_SLICE 1
#define NAL_IDR   5

struct h264_enc {
    AVCodecContext *ctx;
    AVFrame *frame; /* points at the caller's planes during a call, never owns them */
    AVPacket *pkt;  /* the last output, valid until the next encode */
    uint8_t *buf;   /* the last output rewritten with 4-byte start codes, when needed */
    size_t buf_cap;
    int held; /* references libavcodec holds on the caller's picture */
};

struct h264_dec {
    AVCodecContext *ctx;
    AVPacket *pkt;
    AVFrame *frame; /* the picture shown to the caller */
    AVFrame *next;  /* receives; swapped into frame */
};

/* libavcodec errors are AVERROR(errno) already, except its own tags. */
static int map_err(int err)
{
    if (err == AVERROR_INVALIDDATA)
        return -EBADMSG;
    if (err == AVERROR_PATCHWELCOME)
        return -ENOTSUP;
    if (err < 0 && err > -4096)
        return err;
    return -EIO;
}

/* ---- Annex B ---- */

/* One NAL unit of an Annex B buffer: bytes [start, end) after its start code. */
struct nal {
    size_t start, end;
    int long_code; /* the start code was 00 00 00 01 */
};

/* Index of the next 00 00 01 at or after `from`, or len. */
static size_t find_start_code(const uint8_t *p, size_t len, size_t from)
{
    for (size_t i = from; i + 2 < len; i++) {
        if (p[i + 2] > 1) {
            i += 2; /* no start code can begin at i, i + 1 or i + 2 */
        } else if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1) {
            return i;
        }
    }
    return len;
}

/* Finds the NAL after position *pos (0 for the first, then the value this leaves). Returns 1
 * with *n set, 0 at the end, -EBADMSG if nonzero bytes precede the first start code. Zero
 * bytes after a NAL (trailing_zero_8bits, or the first byte of a 4-byte start code) are not
 * part of it. */
static int next_nal(const uint8_t *p, size_t len, size_t *pos, struct nal *n)
{
    size_t sc = find_start_code(p, len, *pos);
    if (*pos == 0) {
        for (size_t i = 0; i < sc && i < len; i++)
            if (p[i] != 0)
                return -EBADMSG;
    }
    if (sc >= len)
        return 0;
    n->long_code = sc > 0 && p[sc - 1] == 0;
    n->start = sc + 3;
    size_t end = find_start_code(p, len, n->start);
    *pos = end;
    while (end > n->start && p[end - 1] == 0)
        end--;
    n->end = end;
    return 1;
}

/* ---- Encoder ---- */

static void enc_close(void *priv)
{
    struct h264_enc *e = priv;
    av_packet_free(&e->pkt);
    av_frame_free(&e->frame);
    avcodec_free_context(&e->ctx);
    mcu_free(e->buf);
    e->buf = NULL;
}

static int enc_options(AVCodecContext *ctx)
{
    int err = av_opt_set(ctx->priv_data, "preset", PRESET, 0);
    if (err >= 0)
        err = av_opt_set(ctx->priv_data, "tune", TUNE, 0);
    if (err >= 0)
        err = av_opt_set(ctx->priv_data, "profile", PROFILE, 0);
    /* A forced keyframe must be an IDR: only an IDR lets a late joiner start there. */
    if (err >= 0)
        err = av_opt_set_int(ctx->priv_data, "forced-idr", 1, 0);
    if (err >= 0)
        err = av_opt_set(ctx->priv_data, "x264-params", X264_PARAMS, 0);
    return err;
}

/* Real-time CBR as x264 does it: ABR at the target, capped by a VBV of VBV_MS. */
static void enc_rate(AVCodecContext *ctx, int kbps)
{
    ctx->bit_rate = (int64_t)kbps * 1000;
    ctx->rc_max_rate = ctx->bit_rate;
    ctx->rc_buffer_size = kbps * VBV_MS; /* bits */
}

static int enc_open(void *priv, const struct venc_params *p)
{
    struct h264_enc *e = priv;
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec)
        return -ENOSYS; /* this libavcodec was built without libx264 */
    e->ctx = avcodec_alloc_context3(codec);
    e->frame = av_frame_alloc();
    e->pkt = av_packet_alloc();
    if (!e->ctx || !e->frame || !e->pkt) {
        enc_close(e);
        return -ENOMEM;
    }
    AVCodecContext *ctx = e->ctx;
    ctx->log_level_offset = LOG_OFFSET;
    ctx->width = p->width;
    ctx->height = p->height;
    ctx->pix_fmt = AV_PIX_FMT_YUV420P;
    ctx->time_base = (AVRational){1, p->fps};
    ctx->framerate = (AVRational){p->fps, 1};
    ctx->gop_size = p->keyint;
    ctx->max_b_frames = 0;
    ctx->thread_count = p->threads;
    enc_rate(ctx, p->bitrate_kbps);
    int err = enc_options(ctx);
    if (err >= 0)
        err = avcodec_open2(ctx, codec, NULL);
    if (err < 0) {
        enc_close(e);
        return map_err(err);
    }
    e->frame->format = AV_PIX_FMT_YUV420P;
    e->frame->width = p->width;
    e->frame->height = p->height;
    return 0;
}

static void picture_released(void *opaque, uint8_t *data)
{
    struct h264_enc *e = opaque;
    e->held--;
}

/* Hand the caller's planes to libavcodec without a copy: a frame without a buffer reference
 * would be copied whole (1.4 MB at 720p) before x264 copies it again. The reference is
 * read-only and released inside the call (x264 copies the picture into its own frame in
 * x264_encoder_encode); encode checks that it was. */
static int enc_send(struct h264_enc *e, const struct vframe *pic, int64_t pts, int force_key)
{
    AVFrame *f = e->frame;
    size_t ysize = (size_t)pic->stride[0] * (size_t)pic->h;
    f->buf[0] = av_buffer_create(pic->data[0], ysize, picture_released, e, AV_BUFFER_FLAG_READONLY);
    if (!f->buf[0])
        return -ENOMEM;
    e->held++;
    for (int i = 0; i < 3; i++) {
        f->data[i] = pic->data[i];
        f->linesize[i] = pic->stride[i];
    }
    f->pts = pts;
    /* libx264 turns an I picture into an IDR (forced-idr); key_frame is set to agree. */
    f->pict_type = force_key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    f->key_frame = force_key;
    int err = avcodec_send_frame(e->ctx, f);
    av_buffer_unref(&f->buf[0]);
    for (int i = 0; i < 3; i++)
        f->data[i] = NULL;
    return err < 0 ? map_err(err) : 0;
}

/* Point out at the packet, rewritten into e->buf if x264 used any 3-byte start code (it does
 * for the second and later slices of a picture). */
static int enc_output(struct h264_enc *e, struct venc_frame *out)
{
    const uint8_t *p = e->pkt->data;
    size_t len = (size_t)e->pkt->size, pos = 0, need = 0;
    int all_long = 1, key = 0, r;
    struct nal n;
    while ((r = next_nal(p, len, &pos, &n)) > 0) {
        all_long &= n.long_code;
        key |= (p[n.start] & 0x1f) == NAL_IDR;
        need += 4 + (n.end - n.start);
    }
    if (r < 0 || need == 0)
        return -EIO; /* x264 wrote something that is not Annex B */
    out->keyframe = key;
    if (all_long) {
        out->data = p;
        out->len = len;
        return 1;
    }
    if (need > e->buf_cap) {
        uint8_t *nb = mcu_realloc(e->buf, need);
        if (!nb)
            return -ENOMEM;
        e->buf = nb;
        e->buf_cap = need;
    }
    size_t w = 0;
    pos = 0;
    while (next_nal(p, len, &pos, &n) > 0) {
        static const uint8_t code[4] = {0, 0, 0, 1};
        memcpy(e->buf + w, code, sizeof(code));
        memcpy(e->buf + w + 4, p + n.start, n.end - n.start);
        w += 4 + (n.end - n.start);
    }
    out->data = e->buf;
    out->len = w;
    return 1;
}

static int enc_encode(void *priv, const struct vframe *pic, int64_t pts, int force_key,
                      struct venc_frame *out)
{
    struct h264_enc *e = priv;
    av_packet_unref(e->pkt);
    int err = enc_send(e, pic, pts, force_key);
    if (err < 0)
        return err;
    err = avcodec_receive_packet(e->ctx, e->pkt);
    if (e->held != 0)
        return -EIO; /* libavcodec kept the caller's picture: it may change under it */
    if (err == AVERROR(EAGAIN))
        return 0;
    if (err < 0)
        return map_err(err);
    return enc_output(e, out);
}

/* libavcodec's libx264 wrapper compares these with x264's settings before each picture and
 * reconfigures x264 when they differ, so the new rate applies from the next frame. */
static int enc_set_bitrate(void *priv, int kbps)
{
    struct h264_enc *e = priv;
    enc_rate(e->ctx, kbps);
    return 0;
}

/* ---- Decoder ---- */

static void dec_close(void *priv)
{
    struct h264_dec *d = priv;
    av_frame_free(&d->next);
    av_frame_free(&d->frame);
    av_packet_free(&d->pkt);
    avcodec_free_context(&d->ctx);
}

static int dec_open(void *priv)
{
    struct h264_dec *d = priv;
    const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
    if (!codec)
        return -ENOSYS;
    d->ctx = avcodec_alloc_context3(codec);
    d->pkt = av_packet_alloc();
    d->frame = av_frame_alloc();
    d->next = av_frame_alloc();
    if (!d->ctx || !d->pkt || !d->frame || !d->next) {
        dec_close(d);
        return -ENOMEM;
    }
    d->ctx->log_level_offset = LOG_OFFSET;
    d->ctx->thread_count = 1; /* the media worker is the thread; frame threads add delay */
    d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
    int err = avcodec_open2(d->ctx, codec, NULL);
    if (err < 0) {
        dec_close(d);
        return map_err(err);
    }
    return 0;
}

/* Counts the slices and IDR slices of an access unit; -EBADMSG if its framing is broken: junk
 * before the first start code, no NAL, an empty NAL or one with the forbidden bit. */
static int count_slices(const uint8_t *p, size_t len, int *idr)
{
    size_t pos = 0;
    int slices = 0, r;
    struct nal n;
    *idr = 0;
    while ((r = next_nal(p, len, &pos, &n)) > 0) {
        if (n.end == n.start || (p[n.start] & 0x80))
            return -EBADMSG;
        int type = p[n.start] & 0x1f;
        slices += type >= NAL_SLICE && type <= NAL_IDR;
        *idr |= type == NAL_IDR;
    }
    return r < 0 || pos == 0 ? -EBADMSG : slices;
}

/* Keyframe: an IDR slice, or no slice at all (parameter sets, SEI), which is safe to feed to a
 * decoder waiting for a keyframe and carries the SPS/PPS it will need. */
static int dec_probe(const uint8_t *p, size_t len)
{
    int idr, slices = count_slices(p, len, &idr);
    if (slices < 0)
        return slices;
    return idr || !slices ? VCODEC_PROBE_KEY : VCODEC_PROBE_DELTA;
}

static int dec_view(const AVFrame *f, struct vframe *pic)
{
    /* yuvj420p is full-range I420: same planes, slightly different levels; accepted. */
    if (f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P)
        return -ENOTSUP;
    if (f->width < 1 || f->height < 1 || f->width > VFRAME_MAX_DIM || f->height > VFRAME_MAX_DIM)
        return -ENOTSUP;
    memset(pic, 0, sizeof(*pic));
    pic->w = f->width;
    pic->h = f->height;
    for (int i = 0; i < 3; i++) {
        if (f->linesize[i] <= 0)
            return -ENOTSUP;
        pic->data[i] = f->data[i];
        pic->stride[i] = f->linesize[i];
    }
    return 1;
}

static int dec_decode(void *priv, const uint8_t *data, size_t len, struct vframe *pic)
{
    struct h264_dec *d = priv;
    if (len > INT_MAX)
        return -EBADMSG;
    av_frame_unref(d->frame); /* the caller's previous view ends here */
    /* A packet without a buffer reference is copied (with the padding the decoder reads past
     * the end) by libavcodec before use, so data is never written through this cast. */
    d->pkt->data = (uint8_t *)data;
    d->pkt->size = (int)len;
    int err = avcodec_send_packet(d->ctx, d->pkt);
    d->pkt->data = NULL;
    d->pkt->size = 0;
    /* libavcodec takes the parameter sets of a unit without slices, then calls the unit
     * invalid ("no frame"): for us it is a unit with no picture. */
    int idr;
    if (err == AVERROR_INVALIDDATA && count_slices(data, len, &idr) == 0)
        return 0;
    /* EAGAIN cannot happen: every call drains the decoder below. */
    if (err < 0)
        return err == AVERROR(EAGAIN) ? -EIO : map_err(err);
    int got = 0;
    while ((err = avcodec_receive_frame(d->ctx, d->next)) >= 0) {
        /* One access unit, one picture, with LOW_DELAY and one thread; if a stream with
         * reordering gives two, the newest is the one to show. */
        av_frame_unref(d->frame);
        av_frame_move_ref(d->frame, d->next);
        got = 1;
    }
    if (err != AVERROR(EAGAIN))
        return map_err(err);
    if (!got)
        return 0;
    /* libavcodec conceals damage (a lost slice, a missing reference) and flags the picture. */
    if (d->frame->decode_error_flags || (d->frame->flags & AV_FRAME_FLAG_CORRUPT)) {
        av_frame_unref(d->frame);
        return -EBADMSG;
    }
    return dec_view(d->frame, pic);
}

const struct vcodec vcodec_h264 = {
    .id = VCODEC_H264,
    .name = "H264",
    .enc_priv_size = sizeof(struct h264_enc),
    .dec_priv_size = sizeof(struct h264_dec),
    .enc_open = enc_open,
    .encode = enc_encode,
    .set_bitrate = enc_set_bitrate,
    .enc_close = enc_close,
    .dec_open = dec_open,
    .probe = dec_probe,
    .decode = dec_decode,
    .dec_close = dec_close,
};
