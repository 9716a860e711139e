/* checkasm: walks the CPU levels from C upward and runs every kernel test at each (see checkasm.h).
 */
#include "checkasm.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu.h"

/* Under ASan the canary bytes are also poisoned, so a kernel that reads past an input or writes
 * past an output stops right there with a report naming the access. */
#if defined(__SANITIZE_ADDRESS__)
#define CHECKASM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CHECKASM_ASAN 1
#endif
#endif
#ifdef CHECKASM_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* The test list: one entry per kernel family. */
static const struct {
    const char *name;
    void (*run)(void);
} tests[] = {
    {"audio_dsp", checkasm_check_audio_dsp},
    {"video_dsp", checkasm_check_video_dsp},
};

/* Ascending CPU levels; each is checked if the machine has all of its flags. */
#define X86_SSE41 (CPU_FLAG_SSE2 | CPU_FLAG_SSSE3 | CPU_FLAG_SSE41)
static const struct {
    const char *name;
    unsigned flags;
} levels[] = {
    {"c", 0},
    {"sse2", CPU_FLAG_SSE2},
    {"ssse3", CPU_FLAG_SSE2 | CPU_FLAG_SSSE3},
    {"sse4.1", X86_SSE41},
    {"avx2", X86_SSE41 | CPU_FLAG_AVX2},
    {"avx512", X86_SSE41 | CPU_FLAG_AVX2 | CPU_FLAG_AVX512},
};

#define MAX_FUNCS    128
#define MAX_VERSIONS 8
#define MAX_FAIL_MSG 3 /* messages printed per failing version; the rest are only counted */

struct version {
    checkasm_fn fn;
    int level, failed, fail_msgs;
};
struct func {
    char name[64];
    struct version v[MAX_VERSIONS];
    int nv;
};

checkasm_fn checkasm_func_ref, checkasm_func_new;

static struct {
    struct func funcs[MAX_FUNCS];
    int nfuncs;
    struct func *cur; /* function under test and its version */
    struct version *cur_v;
    int level;
    unsigned cpu;
    uint64_t seed, rng;
    const char *test_pattern, *func_pattern;
    int bench, passed, failed, since_report_failed, since_report_checked;
    double ref_ns[CHECKASM_BENCH_ROUNDS], new_ns[CHECKASM_BENCH_ROUNDS];
} st;

unsigned checkasm_cpu_flags(void)
{
    return st.cpu;
}

uint32_t checkasm_rand(void)
{
    /* xorshift64*: small, fast, and the same sequence on every platform for a given seed. */
    st.rng ^= st.rng >> 12;
    st.rng ^= st.rng << 25;
    st.rng ^= st.rng >> 27;
    return (uint32_t)((st.rng * 0x2545f4914f6cdd1dull) >> 32);
}

checkasm_fn checkasm_check_func(checkasm_fn func, const char *fmt, ...)
{
    char name[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    st.cur = NULL;
    st.cur_v = NULL;
    if (!func || (st.func_pattern && fnmatch(st.func_pattern, name, 0)))
        return NULL;

    struct func *f = NULL;
    for (int i = 0; i < st.nfuncs && !f; i++)
        if (!strcmp(st.funcs[i].name, name))
            f = &st.funcs[i];
    if (!f) {
        if (st.nfuncs == MAX_FUNCS) {
            fprintf(stderr, "checkasm: more than %d functions: raise MAX_FUNCS\n", MAX_FUNCS);
            exit(1);
        }
        f = &st.funcs[st.nfuncs++];
        snprintf(f->name, sizeof(f->name), "%s", name);
    }
    /* A level that did not override the pointer re-runs nothing: the version was checked. */
    for (int i = 0; i < f->nv; i++)
        if (f->v[i].fn == func)
            return NULL;
    if (f->nv == MAX_VERSIONS)
        return NULL;
    st.cur = f;
    st.cur_v = &f->v[f->nv++];
    *st.cur_v = (struct version){.fn = func, .level = st.level};
    st.since_report_checked++;
    checkasm_func_new = func;
    /* The first version seen (at level c) is the reference; it is also checked against itself,
     * which runs the canaries and the sanitizers over the C code. */
    return f->v[0].fn;
}

int checkasm_fail_func(const char *fmt, ...)
{
    struct version *v = st.cur_v;
    if (!v)
        return 1;
    if (!v->failed) {
        v->failed = 1;
        st.since_report_failed++;
    }
    if (v->fail_msgs++ < MAX_FAIL_MSG) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "  FAIL %s_%s: ", st.cur->name, levels[v->level].name);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    return 1;
}

void checkasm_report(const char *name)
{
    if (!st.since_report_checked)
        return;
    int bad = st.since_report_failed;
    printf(" - %-7s %-24s [%s]\n", levels[st.level].name, name, bad ? "FAILED" : "OK");
    st.failed += bad;
    st.passed += st.since_report_checked - bad;
    st.since_report_checked = st.since_report_failed = 0;
}

void *checkasm_alloc(size_t size)
{
    void *p = NULL;
    if (posix_memalign(&p, 32, size + CHECKASM_CANARY)) {
        fprintf(stderr, "checkasm: out of memory\n");
        exit(1);
    }
    memset(p, 0, size);
    /* Inputs get the pattern too: a kernel that reads past its input then computes with
     * non-zero garbage, which shows in its output even where its extra writes would not. */
    checkasm_canary_set(p, size);
    return p;
}

void checkasm_free(void *p)
{
    free(p);
}

static unsigned char canary_byte(size_t i)
{
    return (unsigned char)(0xa5 ^ (i * 29)); /* not a constant, so a stray memset shows too */
}

void checkasm_canary_set(void *buf, size_t size)
{
    unsigned char *c = (unsigned char *)buf + size;
    UNPOISON(c, CHECKASM_CANARY);
    for (size_t i = 0; i < CHECKASM_CANARY; i++)
        c[i] = canary_byte(i);
    POISON(c, CHECKASM_CANARY);
}

int checkasm_canary_ok(const void *buf, size_t size)
{
    const unsigned char *c = (const unsigned char *)buf + size;
    int ok = 1;
    UNPOISON(c, CHECKASM_CANARY);
    for (size_t i = 0; i < CHECKASM_CANARY; i++)
        ok &= c[i] == canary_byte(i);
    POISON(c, CHECKASM_CANARY);
    return ok;
}

int checkasm_bench_wanted(void)
{
    return st.bench && st.cur_v && !st.cur_v->failed;
}

uint64_t checkasm_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void checkasm_bench_round(int round, uint64_t ref_ns, uint64_t new_ns)
{
    if (round == 0) /* warm-up: caches, branch predictors, clock frequency */
        return;
    st.ref_ns[round - 1] = (double)ref_ns / CHECKASM_BENCH_CALLS;
    st.new_ns[round - 1] = (double)new_ns / CHECKASM_BENCH_CALLS;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return v[n / 2];
}

void checkasm_bench_done(int n)
{
    /* The speed-up is the median of the per-round ratios: rounds alternate C and the version
     * under test, so a slow spell of the machine cancels out of each ratio. */
    double ratio[CHECKASM_BENCH_ROUNDS];
    for (int r = 0; r < CHECKASM_BENCH_ROUNDS; r++)
        ratio[r] = st.ref_ns[r] / (st.new_ns[r] > 0 ? st.new_ns[r] : 1e-9);
    double sp = median(ratio, CHECKASM_BENCH_ROUNDS);
    double rn = median(st.ref_ns, CHECKASM_BENCH_ROUNDS);
    double nn = median(st.new_ns, CHECKASM_BENCH_ROUNDS);
    printf("   bench %-7s %-24s n=%-5d %9.1f ns/call  (c %9.1f ns)  %6.2fx\n",
           levels[st.level].name, st.cur->name, n, nn, rn, sp);
}

static void usage(void)
{
    fprintf(stderr, "usage: checkasm [--seed N] [--bench] [--test NAME] [--function NAME]\n"
                    "  NAME may be a glob (accumulate_*); --bench times each version at the size\n"
                    "  its test names (n=960 samples for audio, a picture row for video)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    st.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--bench"))
            st.bench = 1;
        else if (!strcmp(a, "--seed") && val)
            st.seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(a, "--test") && val)
            st.test_pattern = argv[++i];
        else if (!strcmp(a, "--function") && val)
            st.func_pattern = argv[++i];
        else
            usage();
    }
    st.seed &= 0xffffffffu; /* short enough to retype */
    cpu_set_mask(~0u);
    unsigned have = cpu_flags();
    printf("checkasm: seed %llu (rerun with --seed %llu); levels:", (unsigned long long)st.seed,
           (unsigned long long)st.seed);
    for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++)
        if ((have & levels[l].flags) == levels[l].flags)
            printf(" %s", levels[l].name);
    printf("\n");

    for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
        if ((have & levels[l].flags) != levels[l].flags)
            continue;
        cpu_set_mask(levels[l].flags);
        st.level = (int)l;
        st.cpu = cpu_flags();
        for (size_t t = 0; t < sizeof(tests) / sizeof(tests[0]); t++) {
            if (st.test_pattern && fnmatch(st.test_pattern, tests[t].name, 0))
                continue;
            st.rng = (st.seed + 1) * 0x9e3779b97f4a7c15ull ^ (t + 1);
            if (!st.rng) /* xorshift's one fixed point */
                st.rng = 1;
            tests[t].run();
            st.cur = NULL;
            st.cur_v = NULL;
        }
    }
    cpu_set_mask(~0u);

    printf("checkasm: %d passed, %d failed\n", st.passed, st.failed);
    if (!st.passed && !st.failed) {
        fprintf(stderr, "checkasm: no function matched --test/--function\n");
        return 1;
    }
    return st.failed ? 1 : 0;
}
