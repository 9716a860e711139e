/* CPU feature flags: what the processor has, masked by what the operator allows. */
#ifndef MCU_CPU_H
#define MCU_CPU_H

enum cpu_flag {
    CPU_FLAG_SSE2 = 1 << 0,
    CPU_FLAG_SSSE3 = 1 << 1,
    CPU_FLAG_SSE41 = 1 << 2,
    CPU_FLAG_AVX2 = 1 << 3,
    CPU_FLAG_AVX512 = 1 << 4,
};

/* Detected flags AND the mask (all bits by default). Thread-safe after the first call. */
unsigned cpu_flags(void);
/* Restrict the levels kernels may use: 0 forces the C reference. */
void cpu_set_mask(unsigned mask);
/* Parse "c", "sse2", "avx2", ... or a number into a mask; -EINVAL if unknown. */
int cpu_mask_parse(const char *s, unsigned *mask);

#endif
