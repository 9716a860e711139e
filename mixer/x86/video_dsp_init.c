/* Picks the x86 video_dsp kernels from the CPU flags; built without -m flags, so it runs anywhere.
 */
#include "cpu.h"
#include "video_dsp.h"
#include "video_dsp_x86.h"

void video_dsp_init_x86(struct video_dsp *dsp, unsigned cpu_flags)
{
    /* Ascending ISA order: each level overrides what the one below set. */
    if (cpu_flags & CPU_FLAG_SSE2) {
        dsp->vlerp = vlerp_sse2;
        dsp->hlerp = hlerp_sse2;
        dsp->hdown2 = hdown2_sse2;
    }
    if (cpu_flags & CPU_FLAG_AVX2) {
        dsp->vlerp = vlerp_avx2;
        dsp->hlerp = hlerp_avx2;
        dsp->hdown2 = hdown2_avx2;
    }
}
