/* The mixer against a naive reference: each talker hears every other talker and not itself,
 * everyone else hears all talkers; selection with hysteresis; a limiter instead of clipping. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "amix.h"
#include "audio_dsp.h"
#include "cpu.h"
#include "speaker.h"

#define FS 960

static void tone(int16_t *buf, double freq, double amp, unsigned tick)
{
    for (int i = 0; i < FS; i++) {
        double t = (double)(tick * FS + (unsigned)i) / 48000.0;
        buf[i] = (int16_t)lrint(amp * sin(2 * M_PI * freq * t));
    }
}

static struct amix *make(unsigned inputs, unsigned talkers, unsigned flags)
{
    struct amix_params p = {inputs, FS, talkers, flags};
    struct amix *a;
    assert_int_equal(amix_create(&a, &p), 0);
    for (unsigned i = 0; i < inputs; i++)
        assert_int_equal(amix_input_add(a), (int)i);
    return a;
}

/* Feed `ticks` frames: inputs < ntone get a tone (freq 300 + 200 i), the rest silence. */
static void run_ticks(struct amix *a, unsigned inputs, unsigned ntone, unsigned ticks,
                      unsigned start)
{
    for (unsigned t = start; t < start + ticks; t++) {
        for (unsigned i = 0; i < inputs; i++) {
            int16_t *b = amix_input_buffer(a, i);
            if (i < ntone)
                tone(b, 300 + 200 * i, 8000, t);
            else
                memset(b, 0, FS * sizeof(int16_t));
            amix_input_ready(a, i, 1, -1);
        }
        amix_run(a);
    }
}

static void test_mix_minus_matches_reference(void **state)
{
    for (unsigned flags = 0; flags <= 1; flags++) {
        unsigned f = flags ? cpu_flags() : 0;
        struct amix *a = make(6, 3, f);
        run_ticks(a, 6, 3, 30, 0);
        const unsigned *tk;
        assert_int_equal(amix_talkers(a, &tk), 3);
        for (unsigned i = 0; i < 3; i++)
            assert_true(amix_is_mixed(a, i));
        /* Reference for the last tick (no overflow: 3 x 8000 fits, limiter at unity). */
        int16_t in[3][FS];
        for (unsigned i = 0; i < 3; i++)
            tone(in[i], 300 + 200 * i, 8000, 29);
        for (unsigned who = 0; who < 6; who++) {
            const int16_t *out = amix_output(a, who);
            for (int s = 0; s < FS; s++) {
                int32_t ref = 0;
                for (unsigned i = 0; i < 3; i++)
                    ref += i == who ? 0 : in[i][s];
                assert_int_equal(out[s], ref);
            }
        }
        /* Listeners share one buffer: that is what lets one encode serve them all. */
        assert_ptr_equal(amix_output(a, 4), amix_output(a, 5));
        assert_ptr_equal(amix_output(a, 4), amix_shared_output(a));
        assert_ptr_not_equal(amix_output(a, 0), amix_output(a, 1));
        amix_destroy(&a);
        assert_null(a);
    }
}

static void test_top_n_and_hysteresis(void **state)
{
    struct amix *a = make(8, 3, cpu_flags());
    run_ticks(a, 8, 5, 50, 0); /* five talk, three are mixed */
    const unsigned *tk;
    assert_int_equal(amix_talkers(a, &tk), 3);
    unsigned before[3] = {tk[0], tk[1], tk[2]};
    unsigned talking = 0;
    for (unsigned i = 0; i < 8; i++)
        talking += amix_is_talking(a, i);
    assert_int_equal(talking, 5);
    run_ticks(a, 8, 5, 50, 50); /* equal levels: nobody displaces anybody */
    amix_talkers(a, &tk);
    for (unsigned k = 0; k < 3; k++)
        assert_int_equal(tk[k], before[k]);
    /* Everyone stops: after the hangover nobody is mixed. */
    run_ticks(a, 8, 0, 40, 100);
    assert_int_equal(amix_talkers(a, &tk), 0);
    assert_int_equal(amix_active_speaker(a), -1);
    amix_destroy(&a);
}

static void test_short_pause_keeps_talker(void **state)
{
    struct amix *a = make(3, 3, cpu_flags());
    run_ticks(a, 3, 1, 30, 0);
    assert_true(amix_is_mixed(a, 0));
    run_ticks(a, 3, 0, 5, 30); /* 100 ms pause: inside the hangover */
    assert_true(amix_is_mixed(a, 0));
    assert_int_equal(amix_active_speaker(a), 0);
    amix_destroy(&a);
}

static void test_limiter_not_clipping(void **state)
{
    struct amix *a = make(4, 3, cpu_flags());
    for (unsigned t = 0; t < 40; t++) {
        for (unsigned i = 0; i < 4; i++) {
            int16_t *b = amix_input_buffer(a, i);
            if (i < 3)
                tone(b, 500, 30000, t); /* three in phase: 90000 peak */
            else
                memset(b, 0, FS * sizeof(int16_t));
            amix_input_ready(a, i, 1, -1);
        }
        amix_run(a);
    }
    /* Hard clipping would flatten every sample over full scale; the limiter scales the whole
     * frame instead, so the output is the sum times one gain, sample for sample. */
    const int16_t *out = amix_output(a, 3);
    int16_t in[FS];
    tone(in, 500, 30000, 39);
    int32_t peak_in = 0;
    for (int s = 0; s < FS; s++)
        peak_in = abs(3 * in[s]) > peak_in ? abs(3 * in[s]) : peak_in;
    double g = 32767.0 / peak_in;
    for (int s = 0; s < FS; s++)
        assert_true(abs(out[s] - (int)lrint(3 * in[s] * g)) <= 2);
    amix_destroy(&a);
}

static void test_mute_and_remove(void **state)
{
    struct amix *a = make(3, 3, cpu_flags());
    run_ticks(a, 3, 2, 30, 0);
    assert_true(amix_is_mixed(a, 1));
    amix_input_set_mute(a, 1, 1);
    run_ticks(a, 3, 2, 40, 30);
    assert_false(amix_is_mixed(a, 1));
    const int16_t *out = amix_output(a, 2);
    int16_t ref[FS];
    tone(ref, 300, 8000, 69);
    assert_memory_equal(out, ref, sizeof(ref)); /* only input 0 is heard */
    amix_input_remove(a, 0);
    assert_int_equal(amix_input_add(a), 0);
    amix_destroy(&a);
}

/* Feed input i a tone of `amp` (amp < 0: no audio, with `level` for amix_input_ready). */
static void feed(struct amix *a, unsigned i, double amp, int level, unsigned t)
{
    if (amp >= 0)
        tone(amix_input_buffer(a, i), 440, amp, t);
    amix_input_ready(a, i, amp >= 0, amp >= 0 ? AMIX_LEVEL_MEASURE : level);
}

/* A participant in a noisy room, whose frames the server left undecoded because its encoder
 * flagged them as no speech, keeps its noise floor; one that sent nothing loses it. */
static void test_quiet_frames_hold_the_floor(void **state)
{
    struct amix *a = make(2, 3, cpu_flags());
    unsigned t = 0;
    for (; t < 1000; t++) { /* 20 s of room noise ~50 dB down: the floor climbs to it */
        feed(a, 0, 100, 0, t);
        feed(a, 1, 100, 0, t);
        amix_run(a);
    }
    assert_false(amix_is_talking(a, 0));
    assert_false(amix_is_talking(a, 1));
    for (unsigned end = t + 500; t < end; t++) {
        feed(a, 0, -1, AMIX_LEVEL_QUIET, t);
        feed(a, 1, -1, AMIX_LEVEL_MEASURE, t);
        amix_run(a);
    }
    for (unsigned end = t + 5; t < end; t++) { /* the same noise again */
        feed(a, 0, 100, 0, t);
        feed(a, 1, 100, 0, t);
        amix_run(a);
    }
    assert_false(amix_is_talking(a, 0));
    assert_true(amix_is_talking(a, 1));
    feed(a, 0, 8000, 0, t); /* and words count at once */
    feed(a, 1, 100, 0, t);
    amix_run(a);
    assert_true(amix_is_talking(a, 0));
    amix_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mix_minus_matches_reference),
        cmocka_unit_test(test_top_n_and_hysteresis),
        cmocka_unit_test(test_short_pause_keeps_talker),
        cmocka_unit_test(test_limiter_not_clipping),
        cmocka_unit_test(test_mute_and_remove),
        cmocka_unit_test(test_quiet_frames_hold_the_floor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
