/* Unit tests for codec/opus_vad.c: the VAD flags read out of packets from the real libopus
 * encoder agree with what was fed to it, and framing errors are refused. */
#include <errno.h>
#include <math.h>
#include <opus/opus.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "opus_vad.h"

#define RATE    48000
#define FRAME   960 /* 20 ms */
#define MAX_PKT 1275
#define SETTLE  10 /* frames after a change that the encoder's VAD may take to follow it */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Quiet: white noise about 80 dB under full scale. Loud: a voiced 150 Hz buzz with formants'
 * worth of harmonics, as a vowel would be. */
static void make_frame(int16_t *pcm, int samples, long start, int loud, uint32_t *seed)
{
    for (int i = 0; i < samples; i++) {
        double x = (double)(lcg(seed) % 7) - 3.0;
        if (loud) {
            double t = (double)(start + i) / RATE;
            for (int h = 1; h <= 12; h++)
                x += 6000.0 / h * sin(2.0 * M_PI * 150.0 * h * t);
        }
        pcm[i] = (int16_t)lrint(x);
    }
}

static OpusEncoder *voip_encoder(int application, int bitrate)
{
    int err = 0;
    OpusEncoder *e = opus_encoder_create(RATE, 1, application, &err);
    assert_int_equal(err, OPUS_OK);
    assert_int_equal(opus_encoder_ctl(e, OPUS_SET_BITRATE(bitrate)), OPUS_OK);
    /* Else libopus may code the steady buzz below as music, in CELT-only mode (no flag). */
    if (application == OPUS_APPLICATION_VOIP)
        assert_int_equal(opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)), OPUS_OK);
    return e;
}

/* Alternating 1 s quiet, 1 s loud, four times: the flag must follow, apart from the frames just
 * after each change. */
static void check_follows(OpusEncoder *e, int samples, int *cfg_seen)
{
    int16_t pcm[3 * FRAME];
    uint8_t pkt[MAX_PKT];
    uint32_t seed = 1;
    int frames_per_s = RATE / samples, agree = 0, counted = 0;
    for (int sec = 0; sec < 8; sec++) {
        int loud = sec % 2;
        for (int f = 0; f < frames_per_s; f++) {
            long start = (long)(sec * frames_per_s + f) * samples;
            make_frame(pcm, samples, start, loud, &seed);
            int n = opus_encode(e, pcm, samples, pkt, sizeof(pkt));
            assert_true(n > 0);
            int vad = opus_vad(pkt, (size_t)n);
            if (vad != 0 && vad != 1)
                print_message("sec %d f %d len %d toc %02x vad %d\n", sec, f, n, pkt[0], vad);
            assert_true(vad == 0 || vad == 1);
            *cfg_seen = pkt[0] >> 3;
            if (f < SETTLE * FRAME / samples)
                continue;
            counted++;
            agree += vad == loud;
        }
    }
    /* The encoder's VAD is its own judgement: demand it nearly always, not always. */
    assert_true(agree >= counted * 95 / 100);
}

static void silk_and_hybrid_follow_the_input(void **state)
{
    (void)state;
    int cfg = -1;
    OpusEncoder *e = voip_encoder(OPUS_APPLICATION_VOIP, 32000); /* hybrid, as we and browsers */
    check_follows(e, FRAME, &cfg);
    assert_true(cfg >= 12 && cfg < 16);
    opus_encoder_destroy(e);

    e = voip_encoder(OPUS_APPLICATION_VOIP, 12000); /* SILK-only wideband */
    check_follows(e, FRAME, &cfg);
    assert_true(cfg < 12);
    opus_encoder_destroy(e);
}

static void several_silk_frames(void **state)
{
    (void)state;
    int cfg = -1;
    OpusEncoder *e = voip_encoder(OPUS_APPLICATION_VOIP, 12000);
    check_follows(e, 3 * FRAME, &cfg); /* 60 ms: three SILK frames, three flags */
    assert_true(cfg < 12 && (cfg & 3) == 3);
    opus_encoder_destroy(e);
}

static void celt_only_is_not_supported(void **state)
{
    (void)state;
    OpusEncoder *e = voip_encoder(OPUS_APPLICATION_RESTRICTED_LOWDELAY, 64000);
    int16_t pcm[FRAME];
    uint8_t pkt[MAX_PKT];
    uint32_t seed = 3;
    make_frame(pcm, FRAME, 0, 1, &seed);
    int n = opus_encode(e, pcm, FRAME, pkt, sizeof(pkt));
    assert_true(n > 0 && (pkt[0] >> 3) >= 16);
    assert_int_equal(opus_vad(pkt, (size_t)n), -ENOTSUP);
    opus_encoder_destroy(e);
}

static void framing(void **state)
{
    (void)state;
    const uint8_t hybrid = 15 << 3; /* hybrid fullband 20 ms, mono */
    uint8_t p[600];
    memset(p, 0xff, sizeof(p));

    assert_int_equal(opus_vad(NULL, 5), -EBADMSG);
    assert_int_equal(opus_vad(p, 0), -EBADMSG);
    p[0] = hybrid; /* code 0 with no frame bytes: DTX */
    assert_int_equal(opus_vad(p, 1), 0);
    p[1] = 0; /* a frame starting 0x00: the first range-coded bit is 0 */
    assert_int_equal(opus_vad(p, 2), 0);
    p[1] = 0x80;
    assert_int_equal(opus_vad(p, 2), 1);

    p[0] = hybrid | 1; /* code 1: two equal frames, so an odd remainder is malformed */
    assert_int_equal(opus_vad(p, 4), -EBADMSG);
    assert_int_equal(opus_vad(p, 5), 1);

    p[0] = hybrid | 2; /* code 2: the first length must fit */
    p[1] = 10;
    assert_int_equal(opus_vad(p, 11), -EBADMSG);
    p[2] = 0x80;
    assert_int_equal(opus_vad(p, 12), 1);
    p[1] = 252; /* two-byte length 252 + 4 * p[2] */
    p[2] = 0;
    assert_int_equal(opus_vad(p, 300), 1);
    assert_int_equal(opus_vad(p, 2), -EBADMSG);

    p[0] = hybrid | 3; /* code 3 */
    p[1] = 0;          /* zero frames */
    assert_int_equal(opus_vad(p, 10), -EBADMSG);
    p[1] = 2; /* CBR, two frames, 8 bytes left: 4 each */
    p[2] = 0xff;
    assert_int_equal(opus_vad(p, 10), 1);
    assert_int_equal(opus_vad(p, 11), -EBADMSG);
    p[1] = 0x40 | 2; /* padded: 255 means 254 and more, then 3 */
    p[2] = 255;
    p[3] = 3;
    assert_int_equal(opus_vad(p, 4 + 257 + 4), 1);
    assert_int_equal(opus_vad(p, 4 + 256), -EBADMSG);
    p[1] = 0x80 | 3; /* VBR, three frames: the first length is coded */
    p[2] = 5;
    p[3] = 0x00;
    assert_int_equal(opus_vad(p, 20), 0);
    assert_int_equal(opus_vad(p, 6), -EBADMSG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(silk_and_hybrid_follow_the_input),
        cmocka_unit_test(several_silk_frames),
        cmocka_unit_test(celt_only_is_not_supported),
        cmocka_unit_test(framing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
