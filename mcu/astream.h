/* A participant's audio on the mixing path, between its session and the mixer:
 * rx  RTP payload -> jitter buffer -> decode (FEC / PLC on loss) -> resample to 48 kHz ->
 *     optional SpeexDSP preprocess -> the mixer's input buffer;
 * tx  (when it is a talker) its own mix -> resample to the codec rate -> its own encoder.
 * Created on the control thread, used on the conference's worker only. */
#ifndef MCU_ASTREAM_H
#define MCU_ASTREAM_H

#include <stddef.h>
#include <stdint.h>

struct acodec;
struct astream;
struct rtp_hdr;

#define ASTREAM_MIX_RATE    48000
#define ASTREAM_FRAME_MS    20
#define ASTREAM_MIX_SAMPLES (ASTREAM_MIX_RATE * ASTREAM_FRAME_MS / 1000)

struct astream_params {
    const struct acodec *codec;
    int preprocess;   /* SpeexDSP denoise + AGC on this input */
    int level_ext_id; /* RFC 6464 header extension id the client sends, 0 for none */
};

int astream_create(struct astream **out, const struct astream_params *p);
void astream_destroy(struct astream **ap);

/* rx: one authenticated packet. */
void astream_put(struct astream *a, const struct rtp_hdr *h, uint64_t now_us);

/* What the mixer needs of this input this tick; the less, the less is decoded. */
enum astream_want {
    ASTREAM_WANT_AUDIO, /* a mixed talker: its audio */
    ASTREAM_WANT_LEVEL, /* talking but not mixed: its level, every frame */
    ASTREAM_WANT_ONSET, /* not talking: only the moment it starts to */
};

/* Tick: this tick's 48 kHz frame into pcm (ASTREAM_MIX_SAMPLES). Returns 1 with audio (it was
 * decoded), 0 without. *level is for amix_input_ready: the client's RFC 6464 level;
 * AMIX_LEVEL_QUIET for a frame left undecoded because the input is not wanted for audio and
 * its packet's own VAD flag says no speech (or, from a codec without the flag, between the
 * frames sampled every ASTREAM_SAMPLE_EVERY); else AMIX_LEVEL_MEASURE. Known-quiet frames
 * (RFC 6464, or the flag) are decoded only for ASTREAM_WANT_AUDIO, the flag only for ONSET. */
#define ASTREAM_SAMPLE_EVERY 4
int astream_pull(struct astream *a, uint64_t now_us, enum astream_want want, int16_t *pcm,
                 int *level);

/* tx: encode a 48 kHz mix of `voices` talkers (aenc_set_voices) with this participant's own
 * encoder (made on first use). Returns the bytes written, or -errno. */
int astream_encode_own(struct astream *a, const int16_t *pcm, unsigned voices, uint8_t *out,
                       size_t cap);
/* Called on ticks where the own encoder was not used: frees it after a few idle seconds. */
void astream_idle_encoder(struct astream *a);
int astream_has_encoder(const struct astream *a);

const struct acodec *astream_codec(const struct astream *a);
/* RTP timestamp units per tick in the codec's clock (960 for Opus, 160 for G.711). */
uint32_t astream_frame_ts(const struct astream *a);
/* Monotonic time of the last packet put, 0 if none. */
uint64_t astream_last_rx_us(const struct astream *a);

#endif
