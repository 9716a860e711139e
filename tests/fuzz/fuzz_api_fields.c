/* libFuzzer target for the string fields of API requests that the JSON table checks only as
 * strings and that parsers then interpret: "recv"/"video_recv" (udp_addr_parse), "resolution"
 * (meeting_resolution_parse), "tz" (meeting_tz_valid, which builds a path from it),
 * "srtp_suite", "audio", "video", "layout", "mode", "repeat" and a meeting's state. The input
 * (cut at its first NUL) goes to every one of them; what they accept must be what they document
 * and must print back to something they accept again. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acodec.h"
#include "layout.h"
#include "meeting.h"
#include "rtpsec.h"
#include "udp.h"
#include "vcodec.h"

#define TEXT_MAX 256 /* past every field's limit in the API's tables */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void fuzz_addr(const char *s)
{
    struct udp_addr a, b;
    if (udp_addr_parse(&a, s))
        return;
    check(a.ss.ss_family == AF_INET || a.ss.ss_family == AF_INET6);
    check(udp_addr_port(&a) >= 1);
    char buf[80];
    udp_addr_str(&a, buf, sizeof(buf));
    check(udp_addr_parse(&b, buf) == 0 && udp_addr_equal(&a, &b));
}

static void fuzz_resolution(const char *s)
{
    int w = -1, h = -1;
    if (meeting_resolution_parse(s, &w, &h)) {
        check(w == -1 && h == -1);
        return;
    }
    check(w >= 128 && w <= 1920 && h >= 96 && h <= 1088 && !(w & 1) && !(h & 1));
}

static void fuzz_tz(const char *s)
{
    if (meeting_tz_valid(s))
        return;
    /* Accepted: a relative path inside /usr/share/zoneinfo that cannot climb out of it. */
    size_t n = strlen(s);
    check(n > 0 && n <= MEETING_TZ_MAX && s[0] != '/' && !strstr(s, ".."));
}

/* Names that parse map to an entry whose own name compares equal. */
static void fuzz_names(const char *s)
{
    enum rtpsec_suite suite;
    if (!rtpsec_suite_parse(s, &suite))
        check((unsigned)suite < RTPSEC_SUITE_COUNT && !strcasecmp(rtpsec_suite_name(suite), s));
    const struct acodec *ac = acodec_find(s);
    if (ac)
        check(acodec_find(ac->name) == ac && !strcasecmp(ac->name, s));
    enum vcodec_id vc;
    if (!vcodec_parse(s, &vc))
        check(!vcodec_parse(vcodec_sdp_name(vc), &vc) && !strcasecmp(vcodec_sdp_name(vc), s));
    enum layout_kind lk;
    if (!layout_parse(s, &lk))
        check(lk == LAYOUT_GRID || lk == LAYOUT_SPEAKER);
    enum meeting_mode mm;
    if (!meeting_mode_parse(s, &mm))
        check(!strcmp(meeting_mode_name(mm), s));
    enum meeting_repeat mr;
    if (!meeting_repeat_parse(s, &mr))
        check(!strcmp(meeting_repeat_name(mr), s));
    enum meeting_state ms;
    if (!meeting_state_parse(s, &ms))
        check(!strcmp(meeting_state_name(ms), s));
    enum meeting_video mv;
    if (!meeting_video_parse(s, &mv))
        check(mv == VIDEO_OFF || mv == VIDEO_COMPOSITE || mv == VIDEO_FORWARD);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[TEXT_MAX + 1];
    size_t n = size < TEXT_MAX ? size : TEXT_MAX;
    memcpy(s, data, n);
    s[n] = '\0';
    fuzz_addr(s);
    fuzz_resolution(s);
    fuzz_tz(s);
    fuzz_names(s);
    return 0;
}
