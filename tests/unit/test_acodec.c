/* Unit tests for the audio codec wrappers and SpeexDSP wrappers (codec/acodec.h, preproc.h). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "acodec.h"
#include "alloc.h"
#include "preproc.h"

#define FRAME_48K 960 /* 20 ms */
#define FRAME_8K  160
#define NFRAMES   50
#define SKIP      10 /* frames left out of a measurement: codec and filter start-up */
#define MAX_PKT   1500
#define TONE_AMP  10000.0

/* Sample n of amp * sin(2 pi f n / rate), rounded. */
static int16_t tone_at(long n, double freq, double rate, double amp)
{
    return (int16_t)lrint(amp * sin(2.0 * M_PI * freq * (double)n / rate));
}

static void tone(int16_t *buf, int len, long start, double freq, double rate, double amp)
{
    for (int i = 0; i < len; i++)
        buf[i] = tone_at(start + i, freq, rate, amp);
}

/* Amplitude of the component at `freq` (Goertzel); phase-blind, so codec delay does not matter.
 * Exact when len holds a whole number of cycles. */
static double goertzel_amp(const int16_t *x, int len, double freq, double rate)
{
    double w = 2.0 * M_PI * freq / rate, coeff = 2.0 * cos(w), s1 = 0, s2 = 0;
    for (int i = 0; i < len; i++) {
        double s0 = x[i] + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    return 2.0 * sqrt(power) / len;
}

static double rms(const int16_t *x, int len)
{
    double e = 0;
    for (int i = 0; i < len; i++)
        e += (double)x[i] * x[i];
    return sqrt(e / len);
}

static double db(double ratio)
{
    return 20.0 * log10(ratio);
}

/* The tone at `freq` comes back at `amp` within `tol_db`, and carries at least 90 % of the RMS
 * (a sine's RMS is amp / sqrt 2), so no wrap or distortion hides in the level. */
static void check_tone(const int16_t *x, int len, double freq, double rate, double amp,
                       double tol_db, int verbose)
{
    double got = goertzel_amp(x, len, freq, rate);
    double level = db(got / amp);
    double share = got / M_SQRT2 / rms(x, len);
    if (verbose)
        print_message("  tone %.0f Hz: %.2f dB vs input, %.1f%% of RMS\n", freq, level,
                      100.0 * share);
    assert_true(fabs(level) < tol_db);
    assert_true(share > 0.9);
}

static void assert_tone(const int16_t *x, int len, double freq, double rate, double amp,
                        double tol_db)
{
    check_tone(x, len, freq, rate, amp, tol_db, 1);
}

static void test_find(void **state)
{
    (void)state;
    assert_ptr_equal(acodec_find("opus"), &acodec_opus);
    assert_ptr_equal(acodec_find("OPUS"), &acodec_opus);
    assert_ptr_equal(acodec_find("PCMU"), &acodec_pcmu);
    assert_ptr_equal(acodec_find("pcmu"), &acodec_pcmu);
    assert_ptr_equal(acodec_find("PCMA"), &acodec_pcma);
    assert_ptr_equal(acodec_find("pcma"), &acodec_pcma);
    assert_null(acodec_find("G722"));
    assert_null(acodec_find(""));
    assert_null(acodec_find("opus "));
    assert_null(acodec_find(NULL));

    assert_int_equal(acodec_opus.pt, 111);
    assert_int_equal(acodec_opus.clock_rate, 48000);
    assert_int_equal(acodec_opus.pcm_rate, 48000);
    assert_int_equal(acodec_opus.sdp_channels, 2);
    assert_int_equal(acodec_pcmu.pt, 0);
    assert_int_equal(acodec_pcma.pt, 8);
    assert_int_equal(acodec_pcmu.clock_rate, 8000);
    assert_int_equal(acodec_pcma.pcm_rate, 8000);
    assert_int_equal(acodec_pcma.sdp_channels, 1);
}

/* Encode NFRAMES 20 ms frames of a 1 kHz tone; packets go to pkts[i], lengths to lens[i]. */
static void encode_tone(const struct acodec_enc_params *p, uint8_t pkts[][MAX_PKT], int *lens)
{
    struct aenc *e = NULL;
    assert_int_equal(aenc_create(&e, &acodec_opus, p), 0);
    assert_ptr_equal(aenc_codec(e), &acodec_opus);
    int16_t pcm[FRAME_48K];
    for (int f = 0; f < NFRAMES; f++) {
        tone(pcm, FRAME_48K, (long)f * FRAME_48K, 1000, 48000, TONE_AMP);
        lens[f] = aenc_encode(e, pcm, FRAME_48K, pkts[f], MAX_PKT);
        assert_true(lens[f] > 0);
    }
    aenc_destroy(&e);
    assert_null(e);
}

static void test_opus_round_trip(void **state)
{
    (void)state;
    static uint8_t pkts[NFRAMES][MAX_PKT];
    static int16_t out[NFRAMES * FRAME_48K];
    int lens[NFRAMES];
    encode_tone(NULL, pkts, lens);

    struct adec *d = NULL;
    assert_int_equal(adec_create(&d, &acodec_opus), 0);
    assert_ptr_equal(adec_codec(d), &acodec_opus);
    for (int f = 0; f < NFRAMES; f++)
        assert_int_equal(
            adec_decode(d, pkts[f], (size_t)lens[f], out + f * FRAME_48K, FRAME_48K, 0), FRAME_48K);
    /* 40 frames of 20 whole cycles each, well past the codec's 6.5 ms delay. */
    assert_tone(out + SKIP * FRAME_48K, (NFRAMES - SKIP) * FRAME_48K, 1000, 48000, TONE_AMP, 3.0);

    /* PLC gives a whole frame, and it continues the tone rather than falling silent. */
    int16_t plc[FRAME_48K];
    assert_int_equal(adec_plc(d, plc, FRAME_48K), FRAME_48K);
    assert_true(rms(plc, FRAME_48K) > TONE_AMP / 100);
    adec_destroy(&d);
    assert_null(d);
    adec_destroy(&d); /* a second destroy is harmless */
}

static void test_opus_fec(void **state)
{
    (void)state;
    static uint8_t pkts[NFRAMES][MAX_PKT];
    int lens[NFRAMES];
    const struct acodec_enc_params p = {.complexity = -1, .fec = 1, .loss_pct = 20};
    encode_tone(&p, pkts, lens);

    const int lost = 20;
    int16_t pcm[FRAME_48K];
    struct adec *d = NULL;
    assert_int_equal(adec_create(&d, &acodec_opus), 0);
    for (int f = 0; f < lost; f++)
        assert_int_equal(adec_decode(d, pkts[f], (size_t)lens[f], pcm, FRAME_48K, 0), FRAME_48K);
    /* Packet `lost` never arrives: rebuild its frame from the next packet's FEC data. */
    assert_int_equal(adec_decode(d, pkts[lost + 1], (size_t)lens[lost + 1], pcm, FRAME_48K, 1),
                     FRAME_48K);
    assert_tone(pcm, FRAME_48K, 1000, 48000, TONE_AMP, 6.0);
    assert_int_equal(adec_decode(d, pkts[lost + 1], (size_t)lens[lost + 1], pcm, FRAME_48K, 0),
                     FRAME_48K);
    assert_tone(pcm, FRAME_48K, 1000, 48000, TONE_AMP, 3.0);
    adec_destroy(&d);

    /* Proof that the FEC data was used, not PLC: a fresh decoder has no past to conceal from,
     * so its PLC is silence, while FEC from the same packet still gives the tone. */
    assert_int_equal(adec_create(&d, &acodec_opus), 0);
    assert_int_equal(adec_plc(d, pcm, FRAME_48K), FRAME_48K);
    assert_true(rms(pcm, FRAME_48K) < 1.0);
    adec_destroy(&d);
    assert_int_equal(adec_create(&d, &acodec_opus), 0);
    assert_int_equal(adec_decode(d, pkts[lost + 1], (size_t)lens[lost + 1], pcm, FRAME_48K, 1),
                     FRAME_48K);
    print_message("  FEC frame on a fresh decoder: RMS %.0f\n", rms(pcm, FRAME_48K));
    assert_true(db(rms(pcm, FRAME_48K) / (TONE_AMP / M_SQRT2)) > -20.0);
    adec_destroy(&d);
}

/* Two or more voices are coded as general audio (CELT-only packets, config >= 16), one voice
 * with the speech model (SILK or hybrid, config < 16, which can carry in-band FEC); the hint
 * can change every frame and G.711 ignores it. */
static void test_voices_hint(void **state)
{
    (void)state;
    struct aenc *e;
    struct acodec_enc_params p = {0, -1, 1, 5, 0}; /* the server's own mix encoders */
    assert_int_equal(aenc_create(&e, &acodec_opus, &p), 0);
    int16_t pcm[FRAME_48K];
    uint8_t pkt[MAX_PKT];
    int celt[2] = {0, 0};
    for (int f = 0; f < 100; f++) {
        unsigned voices = f < 50 ? 1 : 3;
        for (int i = 0; i < FRAME_48K; i++) /* a vowel-like buzz: harmonics of 150 Hz */
            pcm[i] = (int16_t)(tone_at((long)f * FRAME_48K + i, 150, 48000, 4000) / 2 +
                               tone_at((long)f * FRAME_48K + i, 450, 48000, 3000) / 2);
        aenc_set_voices(e, voices);
        int n = aenc_encode(e, pcm, FRAME_48K, pkt, sizeof(pkt));
        assert_true(n > 0);
        if (f % 50 >= 5) /* a few frames for the switch */
            celt[f >= 50] += (pkt[0] >> 3) >= 16;
    }
    assert_int_equal(celt[0], 0);
    assert_int_equal(celt[1], 45);
    aenc_destroy(&e);
    assert_int_equal(aenc_create(&e, &acodec_pcmu, NULL), 0);
    aenc_set_voices(e, 3);
    aenc_set_voices(NULL, 3);
    aenc_destroy(&e);
}

static void test_opus_errors(void **state)
{
    (void)state;
    int16_t pcm[FRAME_48K] = {0};
    uint8_t pkt[MAX_PKT];
    struct aenc *e = NULL;
    struct adec *d = NULL;

    const struct acodec_enc_params bad_complexity = {.complexity = 11};
    assert_int_equal(aenc_create(&e, &acodec_opus, &bad_complexity), -EINVAL);
    assert_null(e);
    const struct acodec_enc_params bad_loss = {.complexity = -1, .loss_pct = 101};
    assert_int_equal(aenc_create(&e, &acodec_opus, &bad_loss), -EINVAL);
    assert_int_equal(aenc_create(&e, NULL, NULL), -EINVAL);

    assert_int_equal(aenc_create(&e, &acodec_opus, NULL), 0);
    assert_int_equal(aenc_encode(e, pcm, 100, pkt, sizeof(pkt)), -EINVAL); /* not a frame size */
    assert_int_equal(aenc_encode(e, pcm, FRAME_48K, pkt, 0), -ENOBUFS);
    /* Opus fits a frame into whatever it is given (a tiny buffer lowers the bitrate), so a
     * non-zero capacity is never too small. */
    assert_true(aenc_encode(e, pcm, FRAME_48K, pkt, 3) > 0);
    int n = aenc_encode(e, pcm, FRAME_48K, pkt, sizeof(pkt));
    assert_true(n > 0);
    aenc_destroy(&e);

    assert_int_equal(adec_create(&d, &acodec_opus), 0);
    /* Code 3 (signalled frame count) with a count of 0, and code 1 (two equal frames) with a
     * payload that cannot split in two. */
    static const uint8_t zero_frames[] = {0x03, 0x00};
    static const uint8_t odd_pair[] = {0x01, 0xaa};
    assert_int_equal(adec_decode(d, zero_frames, sizeof(zero_frames), pcm, FRAME_48K, 0), -EBADMSG);
    assert_int_equal(adec_decode(d, odd_pair, sizeof(odd_pair), pcm, FRAME_48K, 0), -EBADMSG);
    assert_int_equal(adec_decode(d, pkt, 0, pcm, FRAME_48K, 0), -EBADMSG);
    /* A 20 ms packet does not fit in 10 ms. */
    assert_int_equal(adec_decode(d, pkt, (size_t)n, pcm, FRAME_48K / 2, 0), -ENOBUFS);
    assert_int_equal(adec_decode(d, pkt, (size_t)n, pcm, FRAME_48K, 0), FRAME_48K);
    assert_int_equal(adec_decode(d, NULL, 10, pcm, FRAME_48K, 0), -EINVAL);
    assert_int_equal(adec_plc(d, pcm, 0), -EINVAL);
    adec_destroy(&d);
}

/* With DTX, a silent input stops producing packets once the encoder notices. */
static void test_opus_dtx(void **state)
{
    (void)state;
    const struct acodec_enc_params p = {.complexity = -1, .dtx = 1};
    struct aenc *e = NULL;
    assert_int_equal(aenc_create(&e, &acodec_opus, &p), 0);
    int16_t pcm[FRAME_48K] = {0};
    uint8_t pkt[MAX_PKT];
    int empty = 0;
    for (int f = 0; f < NFRAMES; f++) {
        int n = aenc_encode(e, pcm, FRAME_48K, pkt, sizeof(pkt));
        assert_true(n >= 0);
        empty += n == 0;
    }
    print_message("  DTX: %d of %d silent frames sent nothing\n", empty, NFRAMES);
    assert_true(empty > NFRAMES / 2);
    aenc_destroy(&e);
}

static void g711_round_trip(const struct acodec *c, uint8_t silence_byte)
{
    struct aenc *e = NULL;
    struct adec *d = NULL;
    assert_int_equal(aenc_create(&e, c, NULL), 0);
    assert_int_equal(adec_create(&d, c), 0);

    int16_t in[FRAME_8K], out[FRAME_8K];
    uint8_t pkt[FRAME_8K];
    double sig = 0, err = 0;
    for (int f = 0; f < NFRAMES; f++) {
        /* 1020 Hz, the telephony test tone: unlike 1 kHz it does not repeat every 8 samples,
         * so the error is measured over the whole quantiser, not at three points. */
        tone(in, FRAME_8K, (long)f * FRAME_8K, 1020, 8000, TONE_AMP);
        assert_int_equal(aenc_encode(e, in, FRAME_8K, pkt, sizeof(pkt)), FRAME_8K);
        assert_int_equal(adec_decode(d, pkt, FRAME_8K, out, FRAME_8K, 0), FRAME_8K);
        for (int i = 0; i < FRAME_8K; i++) {
            double diff = (double)out[i] - in[i];
            sig += (double)in[i] * in[i];
            err += diff * diff;
        }
    }
    double snr = 10.0 * log10(sig / err);
    print_message("  %s: SNR %.1f dB\n", c->name, snr);
    assert_true(snr > 30.0);

    /* The right law for the payload type: µ-law codes 0 as 0xff, A-law as 0xd5. */
    memset(in, 0, sizeof(in));
    assert_int_equal(aenc_encode(e, in, FRAME_8K, pkt, sizeof(pkt)), FRAME_8K);
    assert_int_equal(pkt[0], silence_byte);

    assert_int_equal(aenc_encode(e, in, FRAME_8K, pkt, FRAME_8K - 1), -ENOBUFS);
    assert_int_equal(adec_decode(d, pkt, FRAME_8K, out, FRAME_8K - 1, 0), -ENOBUFS);
    assert_int_equal(adec_decode(d, pkt, FRAME_8K, out, FRAME_8K, 1), -ENOTSUP);
    aenc_destroy(&e);
    adec_destroy(&d);
}

static void test_g711_round_trip(void **state)
{
    (void)state;
    g711_round_trip(&acodec_pcmu, 0xff);
    g711_round_trip(&acodec_pcma, 0xd5);
}

/* G.711 PLC repeats the last frame, fading to silence within 60 ms. */
static void test_g711_plc(void **state)
{
    (void)state;
    struct aenc *e = NULL;
    struct adec *d = NULL;
    int16_t in[FRAME_8K], out[FRAME_8K];
    uint8_t pkt[FRAME_8K];
    assert_int_equal(aenc_create(&e, &acodec_pcmu, NULL), 0);
    assert_int_equal(adec_create(&d, &acodec_pcmu), 0);

    /* Before any packet there is nothing to repeat. */
    assert_int_equal(adec_plc(d, out, FRAME_8K), FRAME_8K);
    assert_true(rms(out, FRAME_8K) == 0.0);

    tone(in, FRAME_8K, 0, 1000, 8000, TONE_AMP);
    assert_int_equal(aenc_encode(e, in, FRAME_8K, pkt, sizeof(pkt)), FRAME_8K);
    assert_int_equal(adec_decode(d, pkt, FRAME_8K, out, FRAME_8K, 0), FRAME_8K);
    double good = rms(out, FRAME_8K);
    double prev = good;
    for (int f = 0; f < 3; f++) {
        assert_int_equal(adec_plc(d, out, FRAME_8K), FRAME_8K);
        double r = rms(out, FRAME_8K);
        assert_true(r > 0 && r < prev);
        prev = r;
    }
    assert_int_equal(adec_plc(d, out, FRAME_8K), FRAME_8K);
    assert_true(rms(out, FRAME_8K) == 0.0);

    /* A packet ends the concealment and restarts the fade. */
    assert_int_equal(adec_decode(d, pkt, FRAME_8K, out, FRAME_8K, 0), FRAME_8K);
    assert_int_equal(adec_plc(d, out, FRAME_8K), FRAME_8K);
    assert_true(rms(out, FRAME_8K) > good / 2);
    aenc_destroy(&e);
    adec_destroy(&d);
}

/* A 440 Hz tone through 8 kHz -> 48 kHz -> 8 kHz comes back at its level. */
static void test_resampler(void **state)
{
    (void)state;
    struct resampler *up = NULL, *down = NULL;
    assert_int_equal(resampler_create(&up, 8000, 48000, 3), 0);
    assert_int_equal(resampler_create(&down, 48000, 8000, 3), 0);

    static int16_t out[NFRAMES * FRAME_8K];
    int16_t in[FRAME_8K], mid[FRAME_48K];
    for (int f = 0; f < NFRAMES; f++) {
        tone(in, FRAME_8K, (long)f * FRAME_8K, 440, 8000, TONE_AMP);
        assert_int_equal(resampler_process(up, in, FRAME_8K, mid, FRAME_48K), FRAME_48K);
        if (f >= SKIP)
            check_tone(mid, FRAME_48K, 440, 48000, TONE_AMP, 1.0, 0); /* 8.8 cycles: loose */
        assert_int_equal(resampler_process(down, mid, FRAME_48K, out + f * FRAME_8K, FRAME_8K),
                         FRAME_8K);
    }
    /* 40 frames, 352 whole cycles, after both filters' delay. */
    assert_tone(out + SKIP * FRAME_8K, (NFRAMES - SKIP) * FRAME_8K, 440, 8000, TONE_AMP, 1.0);

    /* Too small an output buffer is refused before any input is consumed. */
    assert_int_equal(resampler_process(up, in, FRAME_8K, mid, FRAME_48K - 1), -ENOBUFS);
    assert_int_equal(resampler_process(up, in, 0, mid, FRAME_48K), -EINVAL);
    resampler_destroy(&up);
    resampler_destroy(&down);
    assert_null(up);

    assert_int_equal(resampler_create(&up, 0, 48000, 3), -EINVAL);
    assert_int_equal(resampler_create(&up, 8000, 48000, 11), -EINVAL);
    assert_null(up);
}

/* Run 2 s of a 1 kHz tone at `amp`; report the loudest output frame's RMS (copied to `loudest`)
 * and the last frame's. */
static void run_preproc(struct preproc *p, double amp, int16_t *loudest, double *max_rms,
                        double *last_rms)
{
    int16_t frame[FRAME_48K];
    *max_rms = 0;
    for (int f = 0; f < NFRAMES * 2; f++) {
        tone(frame, FRAME_48K, (long)f * FRAME_48K, 1000, 48000, amp);
        assert_int_equal(preproc_run(p, frame), 0);
        double r = rms(frame, FRAME_48K);
        if (r > *max_rms) {
            *max_rms = r;
            memcpy(loudest, frame, sizeof(frame));
        }
        *last_rms = r;
    }
}

static void test_preproc(void **state)
{
    (void)state;
    const struct preproc_params params = {
        .rate = 48000, .frame_samples = FRAME_48K, .denoise = 1, .agc = 1, .agc_level = 24000};
    struct preproc *p = NULL;
    int16_t loudest[FRAME_48K];
    double max_rms, last_rms;
    const double sine_rms = 32767 / M_SQRT2;

    /* Silence stays silence: the AGC has nothing to raise, the denoiser nothing to remove. */
    assert_int_equal(preproc_create(&p, &params), 0);
    run_preproc(p, 0, loudest, &max_rms, &last_rms);
    print_message("  silence: max RMS %.2f\n", max_rms);
    assert_true(max_rms < 1.0);
    preproc_destroy(&p);
    assert_null(p);

    /* A full-scale tone: the AGC turns it down at once and the denoiser learns it as noise
     * within a second, but it never comes out louder than it went in, never wraps (the loudest
     * frame is still a clean tone) and does not vanish in the first frames. */
    assert_int_equal(preproc_create(&p, &params), 0);
    run_preproc(p, 32767, loudest, &max_rms, &last_rms);
    print_message("  full scale: max RMS %.0f, last %.0f (input %.0f)\n", max_rms, last_rms,
                  sine_rms);
    assert_true(max_rms <= sine_rms * 1.01);
    assert_true(max_rms > sine_rms / 10);
    assert_true(goertzel_amp(loudest, FRAME_48K, 1000, 48000) / M_SQRT2 > 0.9 * max_rms);
    preproc_destroy(&p);

    /* Everything off is a pass-through in level (after SpeexDSP's one frame of delay). */
    const struct preproc_params off = {.rate = 48000, .frame_samples = FRAME_48K};
    assert_int_equal(preproc_create(&p, &off), 0);
    run_preproc(p, TONE_AMP, loudest, &max_rms, &last_rms);
    assert_true(fabs(db(last_rms / (TONE_AMP / M_SQRT2))) < 1.0);
    preproc_destroy(&p);

    struct preproc_params bad = params;
    bad.rate = 0;
    assert_int_equal(preproc_create(&p, &bad), -EINVAL);
    bad = params;
    bad.frame_samples = 0;
    assert_int_equal(preproc_create(&p, &bad), -EINVAL);
    assert_int_equal(preproc_create(&p, NULL), -EINVAL);
    assert_null(p);
}

/* Every create fails cleanly (no leak under ASan, out stays NULL) when an allocation fails. */
static void test_oom(void **state)
{
    (void)state;
    const struct preproc_params pp = {.rate = 48000, .frame_samples = FRAME_48K, .denoise = 1};
    for (long n = 0;; n++) {
        struct aenc *e = NULL;
        struct adec *d = NULL;
        mcu_alloc_fail_after(n);
        int r1 = aenc_create(&e, &acodec_opus, NULL);
        mcu_alloc_fail_after(n);
        int r2 = adec_create(&d, &acodec_opus);
        mcu_alloc_fail_after(-1);
        assert_true(r1 == 0 || (r1 == -ENOMEM && !e));
        assert_true(r2 == 0 || (r2 == -ENOMEM && !d));
        aenc_destroy(&e);
        adec_destroy(&d);
        if (r1 == 0 && r2 == 0)
            break;
        assert_true(n < 4);
    }
    struct adec *g = NULL;
    struct resampler *r = NULL;
    struct preproc *p = NULL;
    mcu_alloc_fail_after(0);
    assert_int_equal(adec_create(&g, &acodec_pcma), -ENOMEM);
    assert_int_equal(resampler_create(&r, 8000, 48000, 3), -ENOMEM);
    assert_int_equal(preproc_create(&p, &pp), -ENOMEM);
    mcu_alloc_fail_after(-1);
    assert_null(g);
    assert_null(r);
    assert_null(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),        cmocka_unit_test(test_opus_round_trip),
        cmocka_unit_test(test_opus_fec),    cmocka_unit_test(test_opus_errors),
        cmocka_unit_test(test_opus_dtx),    cmocka_unit_test(test_g711_round_trip),
        cmocka_unit_test(test_g711_plc),    cmocka_unit_test(test_resampler),
        cmocka_unit_test(test_preproc),     cmocka_unit_test(test_oom),
        cmocka_unit_test(test_voices_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
