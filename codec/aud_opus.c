/* Opus (libopus) behind struct acodec: 48 kHz mono, VoIP mode, in-band FEC, DTX and PLC. */
#include <errno.h>
#include <limits.h>
#include <opus/opus.h>

#include "acodec.h"
#include "alloc.h"
#include "opus_vad.h"

#define RATE_48K           48000
#define MONO               1
#define DEFAULT_BITRATE    32000
#define DEFAULT_COMPLEXITY 5 /* DESIGN.md field notes: ~165 µs a frame, against ~290 at 10 */
/* An encoded frame this short is DTX's "nothing to transmit" (libopus documents <= 2 bytes). */
#define DTX_MAX_BYTES 2

struct oenc {
    OpusEncoder *st;
    int dtx;
    int signal; /* the OPUS_SET_SIGNAL last given (OPUS_AUTO at first) */
};

struct odec {
    OpusDecoder *st;
};

static int map_err(int err)
{
    switch (err) {
    case OPUS_BAD_ARG:
        return -EINVAL;
    case OPUS_BUFFER_TOO_SMALL:
        return -ENOBUFS;
    case OPUS_INVALID_PACKET:
        return -EBADMSG;
    case OPUS_ALLOC_FAIL:
        return -ENOMEM;
    default:
        return -EIO;
    }
}

static int enc_configure(OpusEncoder *st, const struct acodec_enc_params *p)
{
    int bitrate = p->bitrate ? p->bitrate : DEFAULT_BITRATE;
    int complexity = p->complexity < 0 ? DEFAULT_COMPLEXITY : p->complexity;
    int err = opus_encoder_ctl(st, OPUS_SET_BITRATE(bitrate));
    if (err == OPUS_OK)
        err = opus_encoder_ctl(st, OPUS_SET_COMPLEXITY(complexity));
    if (err == OPUS_OK)
        err = opus_encoder_ctl(st, OPUS_SET_INBAND_FEC(p->fec ? 1 : 0));
    if (err == OPUS_OK)
        err = opus_encoder_ctl(st, OPUS_SET_PACKET_LOSS_PERC(p->loss_pct));
    if (err == OPUS_OK)
        err = opus_encoder_ctl(st, OPUS_SET_DTX(p->dtx ? 1 : 0));
    return err == OPUS_OK ? 0 : map_err(err);
}

static int enc_open(void *priv, const struct acodec_enc_params *p)
{
    struct oenc *e = priv;
    /* get_size + init rather than opus_encoder_create, so the state comes from mcu_malloc and
     * the OOM tests reach it. */
    e->st = mcu_malloc((size_t)opus_encoder_get_size(MONO));
    if (!e->st)
        return -ENOMEM;
    int err = opus_encoder_init(e->st, RATE_48K, MONO, OPUS_APPLICATION_VOIP);
    err = err == OPUS_OK ? enc_configure(e->st, p) : map_err(err);
    if (err < 0) {
        mcu_free(e->st);
        e->st = NULL;
        return err;
    }
    e->dtx = p->dtx ? 1 : 0;
    e->signal = OPUS_AUTO;
    return 0;
}

static void enc_voices(void *priv, unsigned voices)
{
    struct oenc *e = priv;
    /* One voice: libopus's own default for VoIP (no analysis at our complexity: speech). */
    int signal = voices >= 2 ? OPUS_SIGNAL_MUSIC : OPUS_AUTO;
    if (signal != e->signal && opus_encoder_ctl(e->st, OPUS_SET_SIGNAL(signal)) == OPUS_OK)
        e->signal = signal;
}

static int enc_encode(void *priv, const int16_t *pcm, int samples, uint8_t *out, size_t cap)
{
    struct oenc *e = priv;
    /* libopus calls a zero capacity a bad argument; to the caller it is a buffer too small. Any
     * other capacity fits: libopus lowers the bitrate to make the frame fit. */
    if (cap == 0)
        return -ENOBUFS;
    opus_int32 max = cap > INT_MAX ? INT_MAX : (opus_int32)cap;
    int n = opus_encode(e->st, pcm, samples, out, max);
    if (n < 0)
        return map_err(n);
    if (e->dtx && n <= DTX_MAX_BYTES)
        return 0;
    return n;
}

static void enc_close(void *priv)
{
    struct oenc *e = priv;
    mcu_free(e->st);
    e->st = NULL;
}

static int dec_open(void *priv)
{
    struct odec *d = priv;
    d->st = mcu_malloc((size_t)opus_decoder_get_size(MONO));
    if (!d->st)
        return -ENOMEM;
    int err = opus_decoder_init(d->st, RATE_48K, MONO);
    if (err != OPUS_OK) {
        mcu_free(d->st);
        d->st = NULL;
        return map_err(err);
    }
    return 0;
}

static int dec_decode(void *priv, const uint8_t *pkt, size_t len, int16_t *pcm, int samples,
                      int fec)
{
    struct odec *d = priv;
    /* No legal Opus packet is this long (120 ms of 1275-byte frames is under 64 KiB), so a
     * larger length is garbage, not something to truncate. */
    if (len > INT_MAX)
        return -EBADMSG;
    /* With fec=1 libopus decodes the previous frame from this packet's LBRR data, `samples`
     * long; when the packet carries none it conceals that frame instead. */
    int n = opus_decode(d->st, pkt, (opus_int32)len, pcm, samples, fec);
    return n < 0 ? map_err(n) : n;
}

static int dec_plc(void *priv, int16_t *pcm, int samples)
{
    struct odec *d = priv;
    int n = opus_decode(d->st, NULL, 0, pcm, samples, 0);
    return n < 0 ? map_err(n) : n;
}

static void dec_close(void *priv)
{
    struct odec *d = priv;
    mcu_free(d->st);
    d->st = NULL;
}

const struct acodec acodec_opus = {
    .name = "opus",
    .pt = 111,
    .clock_rate = RATE_48K,
    .pcm_rate = RATE_48K,
    .sdp_channels = 2, /* RFC 7587: a=rtpmap always says opus/48000/2, whatever is sent */
    .enc_priv_size = sizeof(struct oenc),
    .dec_priv_size = sizeof(struct odec),
    .enc_open = enc_open,
    .encode = enc_encode,
    .enc_close = enc_close,
    .enc_voices = enc_voices,
    .dec_open = dec_open,
    .decode = dec_decode,
    .plc = dec_plc,
    .dec_close = dec_close,
    .activity = opus_vad,
};
