/* The generator's input audio, pre-encoded before any traffic, and the latency marker's
 * detector. The voices are bench_mix's (pitch glides, syllables, pauses, noise 50 dB down), so
 * the server's Opus decoder and talker selection see what they would see from people. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "acodec.h"
#include "loadgen.h"
#include "voice.h"

_Static_assert(LG_VOICES == VOICE_COUNT, "the generator uses every shared voice");

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define MARKER_AMPLITUDE 12000.0
/* A burst's 2 kHz tone measures ~12,000 after two Opus round trips and a mix; the voices put
 * under ~1,500 into the detector's 5 ms, Hann-windowed 2 kHz bin. */
#define DETECT_AMPLITUDE 3000.0
#define DETECT_BLOCK     240 /* 5 ms: 2 kHz is exactly bin 10 */
#define DETECT_REARM     25  /* frames (500 ms) without the tone before a new onset counts */

static int16_t clamp16(double x)
{
    long v = lrint(x);
    return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

int lg_marker_frame(int frame)
{
    return frame % LG_MARKER_PERIOD == LG_MARKER_AT;
}

static int in_burst(int frame)
{
    int k = frame % LG_MARKER_PERIOD;
    return k >= LG_MARKER_AT && k < LG_MARKER_AT + LG_MARKER_LEN;
}

static double sample_at(int s, long n, int frame, uint32_t *seed)
{
    if (s == LG_STREAM_NOISE)
        return 3 * voice_noise(seed); /* ~-83 dBFS: under the server's talker floor */
    if (s == LG_STREAM_MARKER && in_burst(frame))
        return MARKER_AMPLITUDE * sin(2 * M_PI * LG_MARKER_HZ * (double)n / LG_RATE);
    return voice_sample(s == LG_STREAM_MARKER ? 0 : s, n, LG_RATE, seed);
}

int lg_voices_make(struct lg_stream *streams)
{
    /* A client's encoder with the server's own settings: 32 kbit/s, complexity 5, in-band FEC
     * for 5 % loss, no DTX, so every participant sends 50 packets a second. */
    static const struct acodec_enc_params client_enc = {0, 5, 1, 5, 0};
    int16_t *pcm = malloc(LG_FRAME * sizeof(*pcm));
    if (!pcm)
        return -ENOMEM;
    int err = 0;
    for (int s = 0; s < LG_STREAMS && !err; s++) {
        struct aenc *enc = NULL;
        err = aenc_create(&enc, &acodec_opus, &client_enc);
        uint32_t seed = 1u + (uint32_t)s;
        for (int f = 0; f < LG_LOOP_FRAMES && !err; f++) {
            double energy = 0;
            for (int i = 0; i < LG_FRAME; i++) {
                pcm[i] = clamp16(sample_at(s, (long)f * LG_FRAME + i, f, &seed));
                energy += (double)pcm[i] * pcm[i];
            }
            /* dBov as a client measures it: RMS against full scale, 0..127. */
            double rms = sqrt(energy / LG_FRAME), db = rms > 0 ? -20 * log10(rms / 32768) : 127;
            streams[s].dbov[f] = (uint8_t)(db < 0 ? 0 : db > 127 ? 127 : lrint(db));
            int len = aenc_encode(enc, pcm, LG_FRAME, streams[s].pkt[f], LG_CODED_CAP);
            if (len <= 0)
                err = len < 0 ? len : -EIO;
            else
                streams[s].len[f] = len;
        }
        aenc_destroy(&enc);
    }
    free(pcm);
    return err;
}

void lg_detector_init(struct lg_detector *d)
{
    d->on = 0;
    d->quiet_frames = DETECT_REARM;
    d->last_level = 0;
}

/* Amplitude of the marker's tone in one Hann-windowed block (Goertzel at an exact bin). */
static double tone_amplitude(const int16_t *x, int n)
{
    static double window[DETECT_BLOCK];
    static int ready;
    if (!ready) {
        for (int i = 0; i < DETECT_BLOCK; i++)
            window[i] = 0.5 - 0.5 * cos(2 * M_PI * i / DETECT_BLOCK);
        ready = 1;
    }
    double w = 2 * M_PI * LG_MARKER_HZ / LG_RATE, coeff = 2 * cos(w);
    double s1 = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double s0 = x[i] * window[i] + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    return 2 * sqrt(power > 0 ? power : 0) / (n / 2.0); /* a Hann window sums to n/2 */
}

int lg_detector_feed(struct lg_detector *d, const int16_t *pcm, int n)
{
    double level = 0;
    for (int b = 0; b + DETECT_BLOCK <= n; b += DETECT_BLOCK) {
        double a = tone_amplitude(pcm + b, DETECT_BLOCK);
        level = a > level ? a : level;
    }
    d->last_level = level;
    int onset = 0;
    if (level >= DETECT_AMPLITUDE) {
        onset = !d->on && d->quiet_frames >= DETECT_REARM;
        d->on = 1;
        d->quiet_frames = 0;
    } else {
        d->on = 0;
        if (d->quiet_frames < DETECT_REARM)
            d->quiet_frames++;
    }
    return onset;
}
