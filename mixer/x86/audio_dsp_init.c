/* Picks the x86 audio_dsp kernels from the CPU flags; built without -m flags, so it runs anywhere.
 */
#include "audio_dsp.h"
#include "audio_dsp_x86.h"
#include "cpu.h"

void audio_dsp_init_x86(struct audio_dsp *dsp, unsigned cpu_flags)
{
    /* Ascending ISA order: each level overrides what the one below set, so a level that lacks a
     * kernel keeps the best lower one. */
    if (cpu_flags & CPU_FLAG_SSE2) {
        dsp->accumulate_s16 = accumulate_s16_sse2;
        dsp->sub_s16 = sub_s16_sse2;
        dsp->peak_s32 = peak_s32_sse2;
        dsp->scale_sat_s32 = scale_sat_s32_sse2;
        dsp->energy_s16 = energy_s16_sse2;
    }
    if (cpu_flags & CPU_FLAG_AVX2) {
        dsp->accumulate_s16 = accumulate_s16_avx2;
        dsp->sub_s16 = sub_s16_avx2;
        dsp->peak_s32 = peak_s32_avx2;
        dsp->scale_sat_s32 = scale_sat_s32_avx2;
        dsp->energy_s16 = energy_s16_avx2;
    }
}
