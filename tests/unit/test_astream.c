/* A participant's audio path: Opus packets through jitter buffer and decoder into 48 kHz frames,
 * G.711 resampled up, and RFC 6464 levels that let a known-silent frame skip decoding. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "acodec.h"
#include "amix.h"
#include "astream.h"
#include "rtp.h"

static int16_t pcm[ASTREAM_MIX_SAMPLES];

/* Encode one 20 ms tone frame with `c` and build an RTP packet, optionally with an RFC 6464
 * level in extension id 1. Returns the packet length. */
static double tone_amp = 8000;

static size_t make_packet(struct aenc *e, const struct acodec *c, uint16_t seq, int level,
                          uint8_t *pkt)
{
    int samples = (int)(c->pcm_rate / 50);
    int16_t in[960];
    for (int i = 0; i < samples; i++)
        in[i] = (int16_t)(tone_amp * sin(2 * M_PI * 1000.0 * (seq * samples + i) / c->pcm_rate));
    uint8_t id = 1, lvl = (uint8_t)(level & 0x7f);
    const uint8_t *vals[1] = {&lvl};
    uint8_t len1 = 1;
    int hl = level >= 0 ? rtp_write_header_ext(pkt, 64, 0, c->pt, seq, seq * (uint32_t)samples,
                                               0x1234, &id, vals, &len1, 1)
                        : (rtp_write_header(pkt, 0, c->pt, seq, seq * (uint32_t)samples, 0x1234),
                           RTP_HDR_MIN);
    int n = aenc_encode(e, in, samples, pkt + hl, 1400);
    assert_true(n > 0);
    return (size_t)(hl + n);
}

/* Put `count` packets 20 ms apart and pull a frame for each tick; returns frames with audio. */
static int run(struct astream *a, struct aenc *e, const struct acodec *c, int level, int count,
               enum astream_want want, double *rms)
{
    uint8_t pkt[1500];
    int audio = 0;
    double acc = 0;
    for (int t = 0; t < count; t++) {
        uint64_t now = 1000000u + (uint64_t)t * 20000u;
        size_t len = make_packet(e, c, (uint16_t)t, level, pkt);
        struct rtp_hdr h;
        assert_int_equal(rtp_parse(&h, pkt, len), 0);
        astream_put(a, &h, now);
        int dbov;
        if (astream_pull(a, now + 5000, want, pcm, &dbov) == 1) {
            audio++;
            for (int i = 0; i < ASTREAM_MIX_SAMPLES; i++)
                acc += (double)pcm[i] * pcm[i];
        }
    }
    *rms = audio ? sqrt(acc / ((double)audio * ASTREAM_MIX_SAMPLES)) : 0;
    return audio;
}

static void check_codec(const struct acodec *c)
{
    struct astream_params p = {c, 0, 0};
    struct astream *a;
    struct aenc *e;
    assert_int_equal(astream_create(&a, &p), 0);
    assert_int_equal(aenc_create(&e, c, NULL), 0);
    double rms;
    int audio = run(a, e, c, -1, 50, ASTREAM_WANT_AUDIO, &rms);
    assert_true(audio >= 45); /* all but the jitter buffer's first fill */
    assert_true(rms > 3000);  /* the 8000-peak tone comes through at 48 kHz */
    assert_int_equal(astream_frame_ts(a), c->clock_rate / 50);
    aenc_destroy(&e);
    astream_destroy(&a);
    assert_null(a);
}

static void test_opus_and_g711(void **state)
{
    check_codec(&acodec_opus);
    check_codec(&acodec_pcmu);
    check_codec(&acodec_pcma);
}

/* Frames with audio from a fresh stream whose client reports RFC 6464 `level`. */
static int with_level(int level, enum astream_want want)
{
    struct astream_params p = {&acodec_opus, 0, 1};
    struct astream *a;
    struct aenc *e;
    assert_int_equal(astream_create(&a, &p), 0);
    assert_int_equal(aenc_create(&e, &acodec_opus, NULL), 0);
    double rms;
    int audio = run(a, e, &acodec_opus, level, 30, want, &rms);
    aenc_destroy(&e);
    astream_destroy(&a);
    return audio;
}

static void test_level_skips_decode(void **state)
{
    /* The client says -127 dBov: a listener that may skip is not decoded at all... */
    assert_int_equal(with_level(127, ASTREAM_WANT_LEVEL), 0);
    /* ...while a mixed talker (may not skip) is, and a loud level is always decoded. */
    assert_true(with_level(127, ASTREAM_WANT_AUDIO) >= 25);
    assert_true(with_level(10, ASTREAM_WANT_LEVEL) >= 25);
}

/* Frames decoded of `count` from a participant who is not talking (ASTREAM_WANT_ONSET), with
 * `lose` every n-th packet lost; *quiet counts the frames that came back AMIX_LEVEL_QUIET. With
 * `speech`, 6 frames of 10 are at `amp` and the rest near silence, as syllables: a steady
 * tone is what an encoder's VAD learns to call noise. */
static int onset_decodes(const struct acodec *c, double amp, int speech, int count, int lose,
                         int *quiet)
{
    struct astream_params p = {c, 0, 0};
    struct astream *a;
    struct aenc *e;
    assert_int_equal(astream_create(&a, &p), 0);
    /* A VoIP encoder at 32 kbit/s, as the clients: hybrid Opus, whose SILK layer has the flag. */
    assert_int_equal(aenc_create(&e, c, NULL), 0);
    uint8_t pkt[1500];
    int decoded = 0;
    *quiet = 0;
    for (int t = 0; t < count; t++) {
        uint64_t now = 1000000u + (uint64_t)t * 20000u;
        tone_amp = !speech || t % 10 < 6 ? amp : 2;
        size_t len = make_packet(e, c, (uint16_t)t, -1, pkt);
        struct rtp_hdr h;
        assert_int_equal(rtp_parse(&h, pkt, len), 0);
        if (!lose || t % lose)
            astream_put(a, &h, now);
        int level;
        int has = astream_pull(a, now + 5000, ASTREAM_WANT_ONSET, pcm, &level);
        decoded += has;
        *quiet += level == AMIX_LEVEL_QUIET;
        assert_true(has ? level == AMIX_LEVEL_MEASURE : level != 0);
    }
    tone_amp = 8000;
    aenc_destroy(&e);
    astream_destroy(&a);
    return decoded;
}

static void test_quiet_inputs_are_not_decoded(void **state)
{
    int quiet;
    /* Opus: near silence is flagged inactive by the sender's encoder and never decoded (after
     * its VAD settles), lost or not: losses of a quiet input are not concealed... */
    assert_true(onset_decodes(&acodec_opus, 2, 0, 100, 0, &quiet) <= 10);
    assert_true(quiet >= 90);
    assert_true(onset_decodes(&acodec_opus, 2, 0, 100, 5, &quiet) <= 10);
    assert_true(quiet >= 90);
    /* ...while syllables are flagged and decoded. */
    int n = onset_decodes(&acodec_opus, 8000, 1, 100, 0, &quiet);
    assert_true(n >= 55 && n <= 80);
    /* G.711 has no flag: one frame in ASTREAM_SAMPLE_EVERY is decoded, loud or not. */
    n = onset_decodes(&acodec_pcmu, 8000, 0, 100, 0, &quiet);
    assert_in_range(n, 100 / ASTREAM_SAMPLE_EVERY - 2, 100 / ASTREAM_SAMPLE_EVERY + 1);
    assert_true(quiet >= 70);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quiet_inputs_are_not_decoded),
        cmocka_unit_test(test_opus_and_g711),
        cmocka_unit_test(test_level_skips_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
