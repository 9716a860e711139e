/* Audio DSP kernels: the C references (the specification checkasm compares against) and init. */
#include "audio_dsp.h"

#include <math.h>

/* The references are plain loops: they define the results bit for bit, so they favour
 * readability over speed and must not be changed without changing every SIMD version. */

static void accumulate_s16_c(int32_t *acc, const int16_t *in, int gain_q14, int n)
{
    for (int i = 0; i < n; i++)
        acc[i] += audio_scale_q14(in[i], gain_q14);
}

static void sub_s16_c(int32_t *out, const int32_t *total, const int16_t *self, int gain_q14, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = total[i] - audio_scale_q14(self[i], gain_q14);
}

static uint32_t peak_s32_c(const int32_t *in, int n)
{
    uint32_t peak = 0;
    for (int i = 0; i < n; i++) {
        /* Negate in unsigned arithmetic: -INT32_MIN overflows int32 but 2^31 fits in uint32. */
        uint32_t a = in[i] < 0 ? 0u - (uint32_t)in[i] : (uint32_t)in[i];
        if (a > peak)
            peak = a;
    }
    return peak;
}

static void scale_sat_s32_c(int16_t *out, const int32_t *in, float g0, float g1, int n)
{
    for (int b = 0; b < n / 16; b++) {
        /* The contract's expression with i / 16 == b, in the same order, once per block. One
         * operation per float variable, so that where float math runs in wider registers
         * (FLT_EVAL_METHOD 2: x87) each step still rounds to float, as the SIMD lanes do. */
        float d = g1 - g0;
        float step = d * (float)b;
        float q = step / (float)(n / 16);
        float g = g0 + q;
        for (int i = b * 16; i < b * 16 + 16; i++) {
            float v = (float)in[i] * g;
            /* Clamp before converting: lrintf of an out-of-range value is unspecified. */
            v = v < -32768.f ? -32768.f : (v > 32767.f ? 32767.f : v);
            out[i] = (int16_t)lrintf(v);
        }
    }
}

static uint64_t energy_s16_c(const int16_t *in, int n)
{
    uint64_t e = 0;
    for (int i = 0; i < n; i++)
        e += (uint64_t)((int32_t)in[i] * in[i]); /* at most 2^30: no int32 overflow */
    return e;
}

void audio_dsp_init(struct audio_dsp *dsp, unsigned cpu_flags)
{
    dsp->accumulate_s16 = accumulate_s16_c;
    dsp->sub_s16 = sub_s16_c;
    dsp->peak_s32 = peak_s32_c;
    dsp->scale_sat_s32 = scale_sat_s32_c;
    dsp->energy_s16 = energy_s16_c;
#ifdef MCU_HAVE_X86_DSP /* set by CMake together with the x86 sources */
    audio_dsp_init_x86(dsp, cpu_flags);
#endif
}
