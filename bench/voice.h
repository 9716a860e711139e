/* Speech-like test voices for the benchmarks (bench_mix, loadgen): harmonics over a gliding
 * fundamental, cut into syllables, with pauses and a little noise, so Opus and the talker
 * selection see what they would see from people. Deterministic from the seed. */
#ifndef BENCH_VOICE_H
#define BENCH_VOICE_H

#include <stdint.h>

#define VOICE_COUNT 5

/* Sample n (at `rate` Hz) of voice `v` (0..VOICE_COUNT-1), before clamping to int16. Voice 0
 * pauses when fmod(t, 3) > 2.5. */
double voice_sample(int v, long n, double rate, uint32_t *seed);
/* White noise in [-1, 1). */
double voice_noise(uint32_t *seed);

#endif
