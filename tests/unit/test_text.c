/* Text formats users and clients see: base64 keys, times, SDP, HOST:PORT, config lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"
#include "config.h"
#include "meeting.h"
#include "sdp.h"
#include "timefmt.h"
#include "udp.h"

static void test_base64(void **state)
{
    char out[64];
    uint8_t back[64];
    const char *vec[][2] = {{"", ""},
                            {"f", "Zg=="},
                            {"fo", "Zm8="},
                            {"foo", "Zm9v"},
                            {"foob", "Zm9vYg=="},
                            {"fooba", "Zm9vYmE="},
                            {"foobar", "Zm9vYmFy"}}; /* RFC 4648 section 10 */
    for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        size_t n = strlen(vec[i][0]);
        assert_int_equal(base64_encode(out, sizeof(out), (const uint8_t *)vec[i][0], n),
                         (int)strlen(vec[i][1]));
        assert_string_equal(out, vec[i][1]);
        assert_int_equal(base64_decode(back, sizeof(back), out, strlen(out)), (int)n);
        assert_memory_equal(back, vec[i][0], n);
    }
    assert_int_equal(base64_encode(out, 4, (const uint8_t *)"foo", 3), -ENOSPC);
    assert_int_equal(base64_decode(back, sizeof(back), "Zm9", 3), -EBADMSG);
    assert_int_equal(base64_decode(back, sizeof(back), "Zm=v", 4), -EBADMSG);
    assert_int_equal(base64_decode(back, sizeof(back), "Zg==Zg==", 8), -EBADMSG);
    assert_int_equal(base64_decode(back, sizeof(back), "Z!9v", 4), -EBADMSG);
    assert_int_equal(base64_decode(back, 2, "Zm9v", 4), -ENOSPC);
}

static void test_time(void **state)
{
    int64_t t;
    char buf[32];
    assert_int_equal(time_parse("now", 1000, &t), 0);
    assert_int_equal(t, 1000);
    assert_int_equal(time_parse("+90s", 1000, &t), 0);
    assert_int_equal(t, 1090);
    assert_int_equal(time_parse("+15m", 0, &t), 0);
    assert_int_equal(t, 900);
    assert_int_equal(time_parse("+2h", 0, &t), 0);
    assert_int_equal(t, 7200);
    assert_int_equal(time_parse("2026-11-24T10:00:00Z", 0, &t), 0);
    assert_string_equal(time_format_utc(t, buf, sizeof(buf)), "2026-11-24T10:00:00Z");
    assert_int_equal(time_parse("2026-11-24T10:00", 0, &t), 0);
    assert_string_equal(time_format_utc(t, buf, sizeof(buf)), "2026-11-24T10:00:00Z");
    assert_int_equal(time_parse("2026-11-24T10:00:00+01:30", 0, &t), 0);
    assert_string_equal(time_format_utc(t, buf, sizeof(buf)), "2026-11-24T08:30:00Z");
    const char *bad[] = {"",
                         "later",
                         "+5",
                         "+5y",
                         "+-5m",
                         "2026-13-01T00:00Z",
                         "2026-02-31T00:00Z",
                         "2026-11-24",
                         "2026-11-24T10:00:00+1",
                         "+5m "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(time_parse(bad[i], 0, &t), -EINVAL);
}

static void test_sdp(void **state)
{
    char buf[512];
    struct sdp_audio a = {"127.0.0.1", 5004, 111, "opus", 48000, 2, "AES_CM_128_HMAC_SHA1_80",
                          "QUJD",      "t"};
    int n = sdp_write_audio(buf, sizeof(buf), &a);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "c=IN IP4 127.0.0.1\r\n"));
    assert_non_null(strstr(buf, "m=audio 5004 RTP/SAVP 111\r\n"));
    assert_non_null(strstr(buf, "a=rtpmap:111 opus/48000/2\r\n"));
    /* Nothing may follow the key: FFmpeg silently drops to plain RTP otherwise. */
    assert_non_null(strstr(buf, "inline:QUJD\r\n"));
    assert_int_equal(sdp_write_audio(buf, 40, &a), -ENOSPC);
    a.conn_ip = "::1";
    assert_true(sdp_write_audio(buf, sizeof(buf), &a) > 0);
    assert_non_null(strstr(buf, "c=IN IP6 ::1\r\n"));
}

static void test_hostport(void **state)
{
    struct udp_addr a, b;
    char s[64];
    assert_int_equal(udp_addr_parse(&a, "127.0.0.1:5004"), 0);
    assert_int_equal(udp_addr_port(&a), 5004);
    assert_string_equal(udp_addr_str(&a, s, sizeof(s)), "127.0.0.1:5004");
    assert_int_equal(udp_addr_parse(&b, "[::1]:6000"), 0);
    assert_string_equal(udp_addr_str(&b, s, sizeof(s)), "[::1]:6000");
    assert_false(udp_addr_equal(&a, &b));
    udp_addr_set_port(&b, 1);
    assert_int_equal(udp_addr_port(&b), 1);
    const char *bad[] = {"",
                         "127.0.0.1",
                         ":5004",
                         "127.0.0.1:",
                         "127.0.0.1:0",
                         "127.0.0.1:65536",
                         "localhost:5004",
                         "127.0.0.1:50x",
                         "[::1:5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(udp_addr_parse(&a, bad[i]), -EINVAL);
}

static void test_repeat_across_dst(void **state)
{
    struct meeting m;
    memset(&m, 0, sizeof(m));
    m.repeat = REPEAT_DAILY;
    snprintf(m.tz, sizeof(m.tz), "Europe/Berlin");
    int64_t t;
    /* 09:00 CET on Saturday 28 March 2026; Berlin moves to CEST on the Sunday. */
    assert_int_equal(time_parse("2026-03-28T08:00:00Z", 0, &t), 0);
    m.start_unix = t;
    m.end_unix = t + 1800;
    assert_int_equal(meeting_next_occurrence(&m, t + 1800), 1);
    char buf[32];
    assert_string_equal(time_format_utc(m.start_unix, buf, sizeof(buf)), "2026-03-29T07:00:00Z");
    assert_int_equal(m.end_unix - m.start_unix, 1800);
    /* A weekly UTC series, and the end of a series. */
    m.repeat = REPEAT_WEEKLY;
    snprintf(m.tz, sizeof(m.tz), "UTC");
    assert_int_equal(meeting_next_occurrence(&m, m.end_unix), 1);
    assert_string_equal(time_format_utc(m.start_unix, buf, sizeof(buf)), "2026-04-05T07:00:00Z");
    m.until_unix = m.start_unix + 86400;
    assert_int_equal(meeting_next_occurrence(&m, m.end_unix), 0);
    m.repeat = REPEAT_NONE;
    assert_int_equal(meeting_next_occurrence(&m, m.end_unix), 0);
    assert_int_equal(meeting_tz_valid("Europe/Berlin"), 0);
    assert_int_equal(meeting_tz_valid("UTC"), 0);
    assert_int_equal(meeting_tz_valid("Mars/Olympus"), -EINVAL);
    assert_int_equal(meeting_tz_valid("../etc/passwd"), -EINVAL);
    assert_int_equal(meeting_tz_valid("/etc/passwd"), -EINVAL);
    assert_int_equal(meeting_tz_valid(""), -EINVAL);
}

static void test_config(void **state)
{
    struct mcu_config c;
    char err[300];
    config_defaults(&c);
    assert_int_equal(c.listen_port, 8080);
    assert_int_equal(config_set(&c, "listen", "0.0.0.0:9000", err, sizeof(err)), 0);
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(c.listen_port, 9000);
    assert_int_equal(config_set(&c, "ports", "30000-30099", err, sizeof(err)), 0);
    assert_int_equal(c.port_lo, 30000);
    assert_int_equal(config_set(&c, "ports", "30000-30001", err, sizeof(err)), -EINVAL);
    assert_int_equal(config_set(&c, "workers", "-1", err, sizeof(err)), -EINVAL);
    assert_int_equal(config_set(&c, "colour", "blue", err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "unknown setting"));

    char path[] = "/tmp/mcu-config-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("# a comment\nworkers = 3\n\nmedia-ip = 10.0.0.1  # trailing\nbogus line\n", f);
    fclose(f);
    assert_int_equal(config_load(&c, path, err, sizeof(err)), -EINVAL);
    assert_int_equal(c.workers, 3);
    assert_string_equal(c.media_ip, "10.0.0.1");
    assert_non_null(strstr(err, ":5: expected"));
    remove(path);
    assert_int_equal(config_load(&c, "/nonexistent/mcu.conf", err, sizeof(err)), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64), cmocka_unit_test(test_time),
        cmocka_unit_test(test_sdp),    cmocka_unit_test(test_hostport),
        cmocka_unit_test(test_config), cmocka_unit_test(test_repeat_across_dst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
