/* checkasm: a small in-tree harness that checks every SIMD kernel against its C reference at
 * every CPU level the machine has, bit-exactly, and benchmarks them (verbs of FFmpeg's checkasm).
 */
#ifndef MCU_CHECKASM_H
#define MCU_CHECKASM_H

#include <stddef.h>
#include <stdint.h>

/* One entry point per kernel family; the table in checkasm.c lists them. */
void checkasm_check_audio_dsp(void);
void checkasm_check_video_dsp(void);

/* A generic function pointer: the harness stores kernels without knowing their types. */
typedef void (*checkasm_fn)(void);

/* The C reference and the version under test, set by check_func(). */
extern checkasm_fn checkasm_func_ref, checkasm_func_new;

/* Flags of the CPU level being checked: pass them to the family's *_init(). */
unsigned checkasm_cpu_flags(void);
/* Random numbers from the seed printed at start (reseeded per test and level, so --seed with
 * --test/--function reproduces a failure). */
uint32_t checkasm_rand(void);
/* The reference for `name` (printf format) if `func` is a version not yet checked, else NULL. */
checkasm_fn checkasm_check_func(checkasm_fn func, const char *name, ...)
    __attribute__((format(printf, 2, 3)));
/* Marks the function under test failed and prints why (a few messages per function); returns 1. */
int checkasm_fail_func(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints OK or FAILED for the functions checked since the last report. */
void checkasm_report(const char *name);

/* 32-byte aligned buffers (the kernels' contract), with CHECKASM_CANARY bytes after `size`
 * that checkasm_canary_ok() verifies. Exit the program on OOM. */
#define CHECKASM_CANARY 64
void *checkasm_alloc(size_t size);
void checkasm_free(void *p);
void checkasm_canary_set(void *buf, size_t size);
int checkasm_canary_ok(const void *buf, size_t size);

/* Benchmark plumbing for bench_new(). */
#define CHECKASM_BENCH_ROUNDS 21  /* timed rounds; the first extra round only warms up */
#define CHECKASM_BENCH_CALLS  256 /* calls per round, so the clock's cost vanishes */
int checkasm_bench_wanted(void);
uint64_t checkasm_now_ns(void);
void checkasm_bench_round(int round, uint64_t ref_ns, uint64_t new_ns);
void checkasm_bench_done(int n);

#define declare_func(ret, ...) typedef ret checkasm_func_type(__VA_ARGS__)
#define check_func(func, ...)                                                                      \
    (checkasm_func_ref = checkasm_check_func((checkasm_fn)(func), __VA_ARGS__))
#define call_ref(...) ((checkasm_func_type *)checkasm_func_ref)(__VA_ARGS__)
#define call_new(...) ((checkasm_func_type *)checkasm_func_new)(__VA_ARGS__)
#define report        checkasm_report
#define fail          checkasm_fail_func

/* Times the version under test against the reference in alternating rounds (so a change of
 * machine speed hits both); `n` is the sample count, for the printed line. */
#define bench_new(n, ...)                                                                          \
    do {                                                                                           \
        if (!checkasm_bench_wanted())                                                              \
            break;                                                                                 \
        for (int r_ = 0; r_ <= CHECKASM_BENCH_ROUNDS; r_++) {                                      \
            uint64_t t0_ = checkasm_now_ns();                                                      \
            for (int k_ = 0; k_ < CHECKASM_BENCH_CALLS; k_++)                                      \
                call_ref(__VA_ARGS__);                                                             \
            uint64_t t1_ = checkasm_now_ns();                                                      \
            for (int k_ = 0; k_ < CHECKASM_BENCH_CALLS; k_++)                                      \
                call_new(__VA_ARGS__);                                                             \
            checkasm_bench_round(r_, t1_ - t0_, checkasm_now_ns() - t1_);                          \
        }                                                                                          \
        checkasm_bench_done(n);                                                                    \
    } while (0)

#endif
