/* Video scaling kernels: the C references (the specification checkasm compares against) and init.
 */
#include "video_dsp.h"

/* Plain loops over the per-pixel definitions in video_dsp.h: they define the results bit for bit,
 * so they favour readability over speed. */

static void vlerp_c(uint8_t *dst, const uint8_t *a, const uint8_t *b, int f_q8, int n)
{
    const unsigned wa = 256u - (unsigned)f_q8, wb = (unsigned)f_q8;
    for (int i = 0; i < n; i++)
        dst[i] = video_lerp_q8(a[i], b[i], wa, wb);
}

static void hlerp_c(uint8_t *dst, const uint8_t *src, const int32_t *base, const uint8_t *off,
                    const int16_t *w_q8, int n)
{
    for (int i = 0; i < n; i++)
        dst[i] = video_hlerp_px(src, base, off, w_q8, i);
}

static void hdown2_c(uint8_t *dst, const uint8_t *src, int n)
{
    for (int i = 0; i < n; i++)
        dst[i] = (uint8_t)((src[2 * i] + src[2 * i + 1] + 1) >> 1);
}

void video_dsp_init(struct video_dsp *dsp, unsigned cpu_flags)
{
    dsp->vlerp = vlerp_c;
    dsp->hlerp = hlerp_c;
    dsp->hdown2 = hdown2_c;
#ifdef MCU_HAVE_X86_DSP /* set by CMake together with the x86 sources */
    video_dsp_init_x86(dsp, cpu_flags);
#else
    (void)cpu_flags;
#endif
}
