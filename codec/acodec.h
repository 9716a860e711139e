/* Audio codecs behind one vtable (Opus via libopus, G.711 via libavcodec), and the encoder and
 * decoder objects built on it. PCM is mono int16 at the codec's sample rate; one call handles
 * one frame (10, 20, 40 or 60 ms). Library errors are mapped to negative errno here.
 * An encoder or decoder is used by one thread at a time. */
#ifndef MCU_ACODEC_H
#define MCU_ACODEC_H

#include <stddef.h>
#include <stdint.h>

struct acodec_enc_params {
    int bitrate;    /* bits/s; 0 = codec default (Opus 32000) */
    int complexity; /* Opus 0-10; -1 = default (5: see DESIGN.md's field notes) */
    int fec;        /* Opus in-band FEC on */
    int loss_pct;   /* expected loss, tunes Opus FEC */
    int dtx;        /* Opus DTX on */
};

struct acodec {
    const char *name;      /* SDP encoding name: "opus", "PCMU", "PCMA" */
    uint8_t pt;            /* payload type we use: 111, 0, 8 */
    uint32_t clock_rate;   /* RTP clock: 48000, 8000 */
    uint32_t pcm_rate;     /* rate of the PCM the wrapper takes and gives */
    unsigned sdp_channels; /* as written in a=rtpmap (2 for Opus, per RFC 7587) */
    size_t enc_priv_size, dec_priv_size;
    /* priv is enc_priv_size (dec_priv_size) zeroed bytes, max_align_t-aligned. An open that
     * fails frees what it allocated itself: close runs only after a successful open. */
    int (*enc_open)(void *priv, const struct acodec_enc_params *p);
    /* Returns bytes written to out (0 = nothing to send, e.g. DTX) or -errno; cap 0 is -ENOBUFS
     * (Opus otherwise fits any cap by lowering the bitrate; G.711 needs one byte a sample). */
    int (*encode)(void *priv, const int16_t *pcm, int samples, uint8_t *out, size_t cap);
    void (*enc_close)(void *priv);
    /* How many voices the next frames mix (NULL: the codec does not care). */
    void (*enc_voices)(void *priv, unsigned voices);
    int (*dec_open)(void *priv);
    /* Decode one packet; with fec=1 (Opus) decode the PREVIOUS frame from this packet's FEC
     * data, `samples` long (libopus conceals that frame when the packet carries no FEC). Without
     * fec, `samples` is the capacity of pcm. Returns samples written or -errno: -EBADMSG for a
     * malformed (or, through adec_decode, empty) packet, -ENOBUFS if it does not fit, -ENOTSUP
     * for fec=1 on a codec without FEC (G.711: conceal with plc instead). */
    int (*decode)(void *priv, const uint8_t *pkt, size_t len, int16_t *pcm, int samples, int fec);
    /* Conceal one lost frame of `samples`. Returns samples or -errno. Opus: libopus PLC. G.711:
     * the last decoded frame (up to 60 ms) repeated with a linear fade to silence over 60 ms
     * of loss; silence before the first packet. */
    int (*plc)(void *priv, int16_t *pcm, int samples);
    void (*dec_close)(void *priv);
    /* The sender's voice-activity decision carried in the packet, read without decoding: 1
     * active, 0 inactive, -ENOTSUP when this packet (or codec: NULL) carries none, -EBADMSG. */
    int (*activity)(const uint8_t *pkt, size_t len);
};

extern const struct acodec acodec_opus;
extern const struct acodec acodec_pcmu;
extern const struct acodec acodec_pcma;

/* By SDP encoding name or our short name ("opus", "pcmu", "pcma"), case-insensitive. */
const struct acodec *acodec_find(const char *name);

struct aenc;
struct adec;

/* p NULL = every default. Ownership: the caller owns *out until aenc_destroy (which sets it to
 * NULL). -EINVAL for parameters the codec refuses (e.g. Opus complexity 11, loss_pct 101). */
int aenc_create(struct aenc **out, const struct acodec *c, const struct acodec_enc_params *p);
void aenc_destroy(struct aenc **ep);
int aenc_encode(struct aenc *e, const int16_t *pcm, int samples, uint8_t *out, size_t cap);
/* A hint for the frames that follow: how many people's voices they mix. Opus codes one voice
 * with its speech model (SILK or hybrid, with in-band FEC) and two or more as general audio
 * (CELT): a sum of voices is not one vocal tract, libopus's own classifier (complexity >= 7)
 * picks CELT for it, and it costs a third of a hybrid encode (bench/README.md). Cheap to call
 * every frame: only a change reaches the encoder. */
void aenc_set_voices(struct aenc *e, unsigned voices);
const struct acodec *aenc_codec(const struct aenc *e);

int adec_create(struct adec **out, const struct acodec *c);
void adec_destroy(struct adec **dp);
int adec_decode(struct adec *d, const uint8_t *pkt, size_t len, int16_t *pcm, int samples, int fec);
int adec_plc(struct adec *d, int16_t *pcm, int samples);
const struct acodec *adec_codec(const struct adec *d);

/* c->activity, or -ENOTSUP for a codec without one. */
int acodec_activity(const struct acodec *c, const uint8_t *pkt, size_t len);

#endif
