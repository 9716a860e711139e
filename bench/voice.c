/* Speech-like test voices shared by the benchmarks. */
#include "voice.h"

#include <math.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Each voice differs in pitch, glide, syllable rate and where its pauses fall, so the talkers of
 * one meeting do not pause together (a pause drops a talker from the mix after the hangover, as
 * in a real meeting). */
struct voice {
    double f0, swing, glide_hz, syllable_hz, pause_every, pause_at;
};

static const struct voice voices[VOICE_COUNT] = {
    {120, 30, 0.7, 4.0, 3.0, 0.0}, {210, 50, 0.5, 4.6, 3.4, 1.1}, {150, 40, 0.9, 3.6, 2.7, 2.0},
    {180, 45, 0.6, 5.0, 3.1, 0.6}, {105, 25, 0.8, 4.3, 2.9, 1.7},
};

static uint32_t lcg(uint32_t *seed)
{
    *seed = *seed * 1664525u + 1013904223u; /* reproducible noise */
    return *seed >> 8;
}

double voice_noise(uint32_t *seed)
{
    return ((double)lcg(seed) / (1 << 24) - 0.5) * 2;
}

/* Harmonics falling as 1/k up to 7 kHz over a gliding fundamental, cut into syllables by a
 * half-sine envelope, a half-second pause every ~3 s, and noise 50 dB down throughout (Opus's
 * cost depends on the signal, and a sine or silence would flatter it). */
double voice_sample(int vi, long n, double rate, uint32_t *seed)
{
    const struct voice *v = &voices[vi % VOICE_COUNT];
    double t = (double)n / rate;
    double phase = 2 * M_PI * v->f0 * t - v->swing / v->glide_hz * cos(2 * M_PI * v->glide_hz * t);
    double f0 = v->f0 + v->swing * sin(2 * M_PI * v->glide_hz * t);
    /* sin(k phase) by the Chebyshev recurrence: one sin/cos per sample instead of one per
     * harmonic keeps the set-up under a second. */
    double c2 = 2 * cos(phase), s_prev = 0, s_cur = sin(phase), sum = 0;
    for (int k = 1; k * f0 < 7000; k++) {
        sum += s_cur / k;
        double s_next = c2 * s_cur - s_prev;
        s_prev = s_cur;
        s_cur = s_next;
    }
    double syl = sin(2 * M_PI * v->syllable_hz * t);
    double env = syl > 0 ? sqrt(syl) : 0;
    if (fmod(t + v->pause_at, v->pause_every) > v->pause_every - 0.5)
        env = 0;
    return 6000 * env * sum + 30 * voice_noise(seed);
}
