/* Participant audio glue: jitter buffer, decoder, resamplers, preprocessor, own encoder. */
#include "astream.h"

#include <errno.h>
#include <string.h>

#include "acodec.h"
#include "alloc.h"
#include "amix.h"
#include "jbuf.h"
#include "preproc.h"
#include "rtp.h"

#define ENCODER_IDLE_TICKS 250 /* 5 s without being a talker frees the own encoder */
#define SILENT_DBOV        60  /* RFC 6464 levels this quiet are not decoded */
#define NO_LEVEL           0xff

struct astream {
    struct astream_params p;
    const struct acodec *codec;
    struct jbuf *jb;
    struct adec *dec;
    struct resampler *up;   /* codec rate -> 48 kHz, G.711 only */
    struct resampler *down; /* 48 kHz -> codec rate, for the own encoder */
    struct preproc *pre;
    struct aenc *enc;
    unsigned enc_idle;
    unsigned undecoded; /* ticks in a row with a frame left undecoded (ASTREAM_WANT_ONSET) */
    int codec_samples;  /* per tick at the codec's PCM rate */
    int16_t pcm[ASTREAM_MIX_SAMPLES];
    uint8_t pkt[1501]; /* level byte + payload */
    uint64_t last_rx_us;
};

int astream_create(struct astream **out, const struct astream_params *p)
{
    struct astream *a = mcu_calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    a->p = *p;
    a->codec = p->codec;
    a->codec_samples = (int)(p->codec->pcm_rate * ASTREAM_FRAME_MS / 1000);
    struct jbuf_params jp = {
        .clock_rate = p->codec->clock_rate,
        .frame_ms = ASTREAM_FRAME_MS,
        /* The tick adds 0-20 ms of waiting already (the conference's phase against the
         * sender's), so the buffer keeps only 10 ms over the jitter it measured. */
        .min_delay_ms = 10,
        .margin_ms = 10,
        .max_delay_ms = 500,
        .capacity = 64,
        .max_payload = sizeof(a->pkt),
    };
    int err = jbuf_create(&a->jb, &jp);
    if (!err)
        err = adec_create(&a->dec, p->codec);
    if (!err && p->codec->pcm_rate != ASTREAM_MIX_RATE)
        err = resampler_create(&a->up, p->codec->pcm_rate, ASTREAM_MIX_RATE, 3);
    if (!err && p->preprocess) {
        struct preproc_params pp = {ASTREAM_MIX_RATE, ASTREAM_MIX_SAMPLES, 1, 1, 24000};
        err = preproc_create(&a->pre, &pp);
    }
    if (err) {
        astream_destroy(&a);
        return err;
    }
    *out = a;
    return 0;
}

void astream_destroy(struct astream **ap)
{
    struct astream *a = *ap;
    if (!a)
        return;
    jbuf_destroy(&a->jb);
    adec_destroy(&a->dec);
    resampler_destroy(&a->up);
    resampler_destroy(&a->down);
    preproc_destroy(&a->pre);
    aenc_destroy(&a->enc);
    mcu_free(a);
    *ap = NULL;
}

/* The client's RFC 6464 level rides in front of the payload through the jitter buffer, so it
 * comes out with the frame it describes. */
static uint8_t packet_level(const struct astream *a, const struct rtp_hdr *h)
{
    const uint8_t *v;
    size_t len;
    if (a->p.level_ext_id && !rtp_ext_find(h, (uint8_t)a->p.level_ext_id, &v, &len) && len >= 1)
        return v[0] & 0x7f;
    return NO_LEVEL;
}

void astream_put(struct astream *a, const struct rtp_hdr *h, uint64_t now_us)
{
    if (h->pt != a->codec->pt && !(a->codec->pt >= 96 && h->pt >= 96))
        return; /* not this participant's audio codec (e.g. comfort noise, pt 13) */
    if (h->payload_len + 1 > sizeof(a->pkt) || h->payload_len == 0)
        return;
    a->pkt[0] = packet_level(a, h);
    memcpy(a->pkt + 1, h->payload, h->payload_len);
    jbuf_put(a->jb, h->ssrc, h->seq, h->ts, astream_frame_ts(a), a->pkt, h->payload_len + 1,
             now_us);
    a->last_rx_us = now_us;
}

/* Decode (or conceal) one tick at the codec rate into a->pcm; returns 1 with audio. */
static int decode_tick(struct astream *a, enum jbuf_status st, const uint8_t *data, size_t len)
{
    int n = -EAGAIN;
    if (st == JBUF_FRAME)
        n = adec_decode(a->dec, data + 1, len - 1, a->pcm, a->codec_samples, 0);
    else if (st == JBUF_LOST_FEC)
        n = adec_decode(a->dec, data + 1, len - 1, a->pcm, a->codec_samples, 1);
    if (n < 0 && st != JBUF_EMPTY) /* LOST, or a frame that would not decode: conceal it */
        n = adec_plc(a->dec, a->pcm, a->codec_samples);
    if (n != a->codec_samples)
        return 0;
    return 1;
}

/* A frame of an input that is not talking: decoded only if its packet says voice, or when the
 * codec cannot say, once every ASTREAM_SAMPLE_EVERY ticks. Losses are not concealed. */
static int onset_wanted(struct astream *a, enum jbuf_status st, const uint8_t *data, size_t len)
{
    int act = st == JBUF_FRAME ? acodec_activity(a->codec, data + 1, len - 1) : 0;
    if (act == -ENOTSUP)
        act = a->undecoded + 1 >= ASTREAM_SAMPLE_EVERY;
    if (act != 1)
        a->undecoded++;
    return act == 1;
}

int astream_pull(struct astream *a, uint64_t now_us, enum astream_want want, int16_t *pcm,
                 int *level)
{
    const uint8_t *data = NULL;
    size_t len = 0;
    enum jbuf_status st = jbuf_get(a->jb, now_us, &data, &len);
    *level = AMIX_LEVEL_MEASURE;
    if (st == JBUF_EMPTY)
        return 0;
    if (st == JBUF_FRAME && len >= 1 && data[0] != NO_LEVEL) {
        *level = data[0];
        if (want != ASTREAM_WANT_AUDIO && *level >= SILENT_DBOV)
            return 0;
    } else if (want == ASTREAM_WANT_ONSET && !onset_wanted(a, st, data, len)) {
        *level = AMIX_LEVEL_QUIET;
        return 0;
    }
    a->undecoded = 0;
    if (!decode_tick(a, st, data, len))
        return 0;
    if (a->up) {
        if (resampler_process(a->up, a->pcm, a->codec_samples, pcm, ASTREAM_MIX_SAMPLES) !=
            ASTREAM_MIX_SAMPLES)
            return 0;
    } else {
        memcpy(pcm, a->pcm, sizeof(a->pcm));
    }
    if (a->pre)
        preproc_run(a->pre, pcm);
    return 1;
}

int astream_encode_own(struct astream *a, const int16_t *pcm, unsigned voices, uint8_t *out,
                       size_t cap)
{
    a->enc_idle = 0;
    if (!a->enc) {
        struct acodec_enc_params ep = {0, -1, 1, 5, 0};
        int err = aenc_create(&a->enc, a->codec, &ep);
        if (!err && a->codec->pcm_rate != ASTREAM_MIX_RATE && !a->down)
            err = resampler_create(&a->down, ASTREAM_MIX_RATE, a->codec->pcm_rate, 3);
        if (err)
            return err;
    }
    aenc_set_voices(a->enc, voices);
    if (!a->down)
        return aenc_encode(a->enc, pcm, ASTREAM_MIX_SAMPLES, out, cap);
    int n = resampler_process(a->down, pcm, ASTREAM_MIX_SAMPLES, a->pcm, a->codec_samples);
    if (n != a->codec_samples)
        return n < 0 ? n : -EIO;
    return aenc_encode(a->enc, a->pcm, a->codec_samples, out, cap);
}

void astream_idle_encoder(struct astream *a)
{
    if (a->enc && ++a->enc_idle >= ENCODER_IDLE_TICKS)
        aenc_destroy(&a->enc);
}

int astream_has_encoder(const struct astream *a)
{
    return a->enc != NULL;
}

const struct acodec *astream_codec(const struct astream *a)
{
    return a->codec;
}

uint32_t astream_frame_ts(const struct astream *a)
{
    return a->codec->clock_rate * ASTREAM_FRAME_MS / 1000;
}

uint64_t astream_last_rx_us(const struct astream *a)
{
    return a->last_rx_us;
}
