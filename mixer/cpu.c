/* CPU feature detection (x86 via the compiler's cpuid builtins). */
#include "cpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static unsigned cpu_mask = ~0u;

static unsigned detect(void)
{
    unsigned f = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse2"))
        f |= CPU_FLAG_SSE2;
    if (__builtin_cpu_supports("ssse3"))
        f |= CPU_FLAG_SSSE3;
    if (__builtin_cpu_supports("sse4.1"))
        f |= CPU_FLAG_SSE41;
    if (__builtin_cpu_supports("avx2"))
        f |= CPU_FLAG_AVX2;
    if (__builtin_cpu_supports("avx512bw"))
        f |= CPU_FLAG_AVX512;
#endif
    return f;
}

unsigned cpu_flags(void)
{
    return detect() & cpu_mask;
}

void cpu_set_mask(unsigned mask)
{
    cpu_mask = mask;
}

int cpu_mask_parse(const char *s, unsigned *mask)
{
    static const struct {
        const char *name;
        unsigned mask;
    } levels[] = {
        {"c", 0},
        {"sse2", CPU_FLAG_SSE2},
        {"ssse3", CPU_FLAG_SSE2 | CPU_FLAG_SSSE3},
        {"sse4.1", CPU_FLAG_SSE2 | CPU_FLAG_SSSE3 | CPU_FLAG_SSE41},
        {"avx2", CPU_FLAG_SSE2 | CPU_FLAG_SSSE3 | CPU_FLAG_SSE41 | CPU_FLAG_AVX2},
        {"all", ~0u},
    };
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        if (!strcasecmp(s, levels[i].name)) {
            *mask = levels[i].mask;
            return 0;
        }
    }
    char *end;
    unsigned long v = strtoul(s, &end, 0);
    if (!*s || *end)
        return -EINVAL;
    *mask = (unsigned)v;
    return 0;
}
