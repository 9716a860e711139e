/* G.711 µ-law and A-law (libavcodec's pcm_mulaw / pcm_alaw) behind struct acodec, with PLC. */
#include <errno.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>

#include "acodec.h"

#define RATE_8K     8000
#define MAX_SAMPLES 480 /* 60 ms, the longest frame acodec.h allows */
/* PLC: the last decoded frame is repeated with a linear fade to silence over this many samples
 * (60 ms), the length past which a repeated sound is worse than a gap. Repeating a whole frame
 * leaves a seam at each repeat; the fade keeps it short and quiet, which is all a fallback
 * codec needs (a pitch-synchronous G.711 Appendix I PLC is the upgrade if anyone asks). */
#define FADE_SAMPLES 480

struct g711_enc {
    AVCodecContext *ctx;
    AVFrame *frame; /* buffer for MAX_SAMPLES, allocated once and refilled each call */
    AVPacket *pkt;
};

struct g711_dec {
    AVCodecContext *ctx;
    AVFrame *frame;
    AVPacket *pkt;
    int16_t hist[MAX_SAMPLES]; /* the last good samples, replayed by PLC */
    int hist_len;
    int lost; /* samples concealed since the last good packet */
};

/* libavcodec errors are AVERROR(errno) already, except its own tags. */
static int map_err(int err)
{
    if (err == AVERROR_INVALIDDATA)
        return -EBADMSG;
    if (err < 0 && err > -4096)
        return err;
    return -EIO;
}

static int open_ctx(AVCodecContext **out, const AVCodec *codec)
{
    if (!codec)
        return -ENOSYS; /* this libavcodec was built without the codec */
    AVCodecContext *ctx = avcodec_alloc_context3(codec);
    if (!ctx)
        return -ENOMEM;
    ctx->sample_fmt = AV_SAMPLE_FMT_S16;
    ctx->sample_rate = RATE_8K;
    av_channel_layout_default(&ctx->ch_layout, 1);
    ctx->thread_count = 1; /* the media worker is the thread; never start libavcodec's own */
    int err = avcodec_open2(ctx, codec, NULL);
    if (err < 0) {
        avcodec_free_context(&ctx);
        return map_err(err);
    }
    *out = ctx;
    return 0;
}

static void enc_close(void *priv)
{
    struct g711_enc *e = priv;
    av_packet_free(&e->pkt);
    av_frame_free(&e->frame);
    avcodec_free_context(&e->ctx);
}

static int enc_open_id(struct g711_enc *e, enum AVCodecID id)
{
    int err = open_ctx(&e->ctx, avcodec_find_encoder(id));
    if (err < 0)
        return err;
    e->frame = av_frame_alloc();
    e->pkt = av_packet_alloc();
    if (!e->frame || !e->pkt) {
        enc_close(e);
        return -ENOMEM;
    }
    e->frame->format = AV_SAMPLE_FMT_S16;
    e->frame->sample_rate = RATE_8K;
    e->frame->nb_samples = MAX_SAMPLES;
    err = av_channel_layout_copy(&e->frame->ch_layout, &e->ctx->ch_layout);
    if (err >= 0)
        err = av_frame_get_buffer(e->frame, 0);
    if (err < 0) {
        enc_close(e);
        return map_err(err);
    }
    return 0;
}

static int enc_open_mulaw(void *priv, const struct acodec_enc_params *p)
{
    return enc_open_id(priv, AV_CODEC_ID_PCM_MULAW);
}

static int enc_open_alaw(void *priv, const struct acodec_enc_params *p)
{
    return enc_open_id(priv, AV_CODEC_ID_PCM_ALAW);
}

static int enc_encode(void *priv, const int16_t *pcm, int samples, uint8_t *out, size_t cap)
{
    struct g711_enc *e = priv;
    if (samples > MAX_SAMPLES)
        return -EINVAL;
    if (cap < (size_t)samples)
        return -ENOBUFS; /* one byte a sample */
    /* The encoder drops its reference in receive_packet, so this normally costs nothing; it
     * guards against writing into a buffer libavcodec still holds. */
    int err = av_frame_make_writable(e->frame);
    if (err < 0)
        return map_err(err);
    memcpy(e->frame->data[0], pcm, (size_t)samples * sizeof(*pcm));
    e->frame->nb_samples = samples;
    err = avcodec_send_frame(e->ctx, e->frame);
    if (err < 0)
        return map_err(err);
    err = avcodec_receive_packet(e->ctx, e->pkt);
    if (err < 0)
        return err == AVERROR(EAGAIN) ? -EIO : map_err(err); /* PCM never holds a frame back */
    int n = e->pkt->size;
    if (n > samples)
        n = -EIO; /* cannot happen for G.711; refuse rather than overrun `out` */
    else
        memcpy(out, e->pkt->data, (size_t)n);
    av_packet_unref(e->pkt);
    return n;
}

static void dec_close(void *priv)
{
    struct g711_dec *d = priv;
    av_packet_free(&d->pkt);
    av_frame_free(&d->frame);
    avcodec_free_context(&d->ctx);
}

static int dec_open_id(struct g711_dec *d, enum AVCodecID id)
{
    int err = open_ctx(&d->ctx, avcodec_find_decoder(id));
    if (err < 0)
        return err;
    d->frame = av_frame_alloc();
    d->pkt = av_packet_alloc();
    if (!d->frame || !d->pkt) {
        dec_close(d);
        return -ENOMEM;
    }
    return 0;
}

static int dec_open_mulaw(void *priv)
{
    return dec_open_id(priv, AV_CODEC_ID_PCM_MULAW);
}

static int dec_open_alaw(void *priv)
{
    return dec_open_id(priv, AV_CODEC_ID_PCM_ALAW);
}

/* Keep the newest MAX_SAMPLES decoded samples for PLC and restart its fade. */
static void remember(struct g711_dec *d, const int16_t *pcm, int n)
{
    int keep = n < MAX_SAMPLES ? n : MAX_SAMPLES;
    memcpy(d->hist, pcm + (n - keep), (size_t)keep * sizeof(*pcm));
    d->hist_len = keep;
    d->lost = 0;
}

static int dec_decode(void *priv, const uint8_t *pkt, size_t len, int16_t *pcm, int samples,
                      int fec)
{
    struct g711_dec *d = priv;
    if (fec)
        return -ENOTSUP; /* G.711 carries no redundancy: the caller conceals with plc */
    if (len > (size_t)samples)
        return -ENOBUFS; /* one sample a byte */
    /* A packet without a buffer reference is copied by libavcodec before use, so its data is
     * never written through this cast. */
    d->pkt->data = (uint8_t *)pkt;
    d->pkt->size = (int)len;
    int err = avcodec_send_packet(d->ctx, d->pkt);
    d->pkt->data = NULL;
    d->pkt->size = 0;
    if (err < 0)
        return map_err(err);
    err = avcodec_receive_frame(d->ctx, d->frame);
    if (err < 0)
        return err == AVERROR(EAGAIN) ? -EIO : map_err(err);
    int n = d->frame->nb_samples;
    if (n > samples || d->frame->format != AV_SAMPLE_FMT_S16) {
        n = -EIO;
    } else {
        memcpy(pcm, d->frame->data[0], (size_t)n * sizeof(*pcm));
        remember(d, pcm, n);
    }
    av_frame_unref(d->frame);
    return n;
}

static int dec_plc(void *priv, int16_t *pcm, int samples)
{
    struct g711_dec *d = priv;
    for (int i = 0; i < samples; i++) {
        int left = FADE_SAMPLES - d->lost;
        if (d->hist_len == 0 || left <= 0) {
            pcm[i] = 0;
            continue;
        }
        /* Replay the history cyclically from its start, scaled by the fade (Q15). */
        int32_t s = d->hist[d->lost % d->hist_len];
        int32_t gain_q15 = (int32_t)(((int64_t)left << 15) / FADE_SAMPLES);
        pcm[i] = (int16_t)((s * gain_q15) >> 15);
        d->lost++;
    }
    return samples;
}

const struct acodec acodec_pcmu = {
    .name = "PCMU",
    .pt = 0,
    .clock_rate = RATE_8K,
    .pcm_rate = RATE_8K,
    .sdp_channels = 1,
    .enc_priv_size = sizeof(struct g711_enc),
    .dec_priv_size = sizeof(struct g711_dec),
    .enc_open = enc_open_mulaw,
    .encode = enc_encode,
    .enc_close = enc_close,
    .dec_open = dec_open_mulaw,
    .decode = dec_decode,
    .plc = dec_plc,
    .dec_close = dec_close,
};

const struct acodec acodec_pcma = {
    .name = "PCMA",
    .pt = 8,
    .clock_rate = RATE_8K,
    .pcm_rate = RATE_8K,
    .sdp_channels = 1,
    .enc_priv_size = sizeof(struct g711_enc),
    .dec_priv_size = sizeof(struct g711_dec),
    .enc_open = enc_open_alaw,
    .encode = enc_encode,
    .enc_close = enc_close,
    .dec_open = dec_open_alaw,
    .decode = dec_decode,
    .plc = dec_plc,
    .dec_close = dec_close,
};
