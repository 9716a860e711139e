/* API handlers through the route table, with a real conference manager, store and sockets:
 * every error path a client can hit, and the shapes scripts rely on. */
#include <errno.h>
#include <event2/http.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"
#include "confmgr.h"
#include "http.h"
#include "rtpsec.h"
#include "store.h"
#include "timefmt.h"

static int64_t fake_now = 1800000000;
static int64_t clock_fn(void)
{
    return fake_now;
}

struct fixture {
    struct store *store;
    struct confmgr *cm;
    struct api api;
    struct api_req rq;
};

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    if (rtpsec_global_init() || store_open(&f.store, ":memory:"))
        return -1;
    struct confmgr_params p = {.media_ip = "127.0.0.1",
                               .port_lo = 47000,
                               .port_hi = 47099,
                               .workers = 1,
                               .store = f.store};
    if (confmgr_create(&f.cm, &p) || confmgr_start(f.cm))
        return -1;
    confmgr_set_clock(f.cm, clock_fn);
    f.api.cm = f.cm;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    confmgr_destroy(&f->cm);
    store_close(&f->store);
    return 0;
}

/* Call the handler for METHOD PATTERN with params and a JSON body text; returns its result. */
static int call(struct fixture *f, int method, const char *pattern, const char *p0, const char *p1,
                const char *body)
{
    json_decref(f->rq.reply);
    memset(&f->rq, 0, sizeof(f->rq));
    f->rq.method = method;
    f->rq.status = 200;
    f->rq.param[0] = p0;
    f->rq.param[1] = p1;
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    assert_true(!body || j);
    f->rq.body = j;
    for (size_t i = 0; i < api_nroutes; i++) {
        if (api_routes[i].method == method && !strcmp(api_routes[i].pattern, pattern)) {
            int err = api_routes[i].fn(&f->api, &f->rq);
            json_decref(j);
            return err;
        }
    }
    fail_msg("no route %s", pattern);
    return 0;
}

static const char *reply_str(struct fixture *f, const char *key)
{
    return json_string_value(json_object_get(f->rq.reply, key));
}

#define MEETINGS "/api/v1/meetings"
#define MEETING  "/api/v1/meetings/:id"
#define PARTS    "/api/v1/meetings/:id/participants"
#define PART     "/api/v1/meetings/:id/participants/:pid"

static void test_meeting_errors(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0, NULL), -EINVAL);
    assert_int_equal(f->rq.status, 400);
    assert_int_equal(call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0, "[1]"), -EINVAL);
    assert_int_equal(call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0, "{}"), -EINVAL);
    assert_non_null(strstr(f->rq.error, "missing required field \"title\""));
    assert_int_equal(call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0, "{\"title\":\"x\",\"tilte\":1}"),
                     -EINVAL);
    assert_non_null(strstr(f->rq.error, "unknown field \"tilte\""));
    assert_int_equal(call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0, "{\"title\":5}"), -EINVAL);
    assert_int_equal(call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0, "{\"title\":\"\"}"), -EINVAL);
    assert_int_equal(
        call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0, "{\"title\":\"x\",\"start\":\"tomorrow\"}"),
        -EINVAL);
    assert_non_null(strstr(f->rq.error, "ISO-8601"));
    assert_int_equal(call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0, "{\"title\":\"x\",\"max\":1}"),
                     -EINVAL);
    assert_int_equal(
        call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0, "{\"title\":\"x\",\"video\":\"hologram\"}"),
        -EINVAL);
    assert_non_null(strstr(f->rq.error, "one of: off, composite, forward"));
    assert_int_equal(call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0, "{\"title\":\"x\",\"pin\":\"12a\"}"),
                     -EINVAL);
    assert_int_equal(call(f, EVHTTP_REQ_GET, MEETING, "m-nothere", 0, NULL), -ENOENT);
    assert_int_equal(f->rq.status, 404);
    assert_int_equal(call(f, EVHTTP_REQ_DELETE, MEETING, "m-nothere", 0, NULL), -ENOENT);
    assert_int_equal(call(f, EVHTTP_REQ_GET, PARTS, "m-nothere", 0, NULL), -ENOENT);
}

static void test_join_flow(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0,
                          "{\"title\":\"Board\",\"pin\":\"4321\",\"max\":2}"),
                     0);
    assert_int_equal(f->rq.status, 201);
    char id[32];
    snprintf(id, sizeof(id), "%s", reply_str(f, "id"));
    assert_string_equal(reply_str(f, "state"), "open");
    assert_true(json_is_true(json_object_get(f->rq.reply, "has_pin")));
    assert_null(json_object_get(f->rq.reply, "pin")); /* never echoed */

    assert_int_equal(call(f, EVHTTP_REQ_POST, PARTS, id, 0, "{\"name\":\"Ada\"}"), -EPERM);
    assert_int_equal(f->rq.status, 403);
    assert_int_equal(call(f, EVHTTP_REQ_POST, PARTS, id, 0, "{\"name\":\"Ada\",\"pin\":\"1\"}"),
                     -EPERM);
    assert_int_equal(call(f, EVHTTP_REQ_POST, PARTS, id, 0,
                          "{\"name\":\"Ada\",\"pin\":\"4321\",\"recv\":\"localhost:1\"}"),
                     -EINVAL);
    assert_non_null(strstr(f->rq.error, "HOST:PORT"));
    assert_int_equal(call(f, EVHTTP_REQ_POST, PARTS, id, 0,
                          "{\"name\":\"Ada\",\"pin\":\"4321\",\"audio\":\"g729\"}"),
                     -EINVAL);
    assert_non_null(strstr(f->rq.error, "one of: opus, pcmu, pcma"));
    assert_int_equal(call(f, EVHTTP_REQ_POST, PARTS, id, 0,
                          "{\"name\":\"Ada\",\"pin\":\"4321\",\"srtp_suite\":\"NONE\"}"),
                     -EINVAL);

    assert_int_equal(call(f, EVHTTP_REQ_POST, PARTS, id, 0,
                          "{\"name\":\"Ada\",\"pin\":\"4321\",\"recv\":\"127.0.0.1:5004\"}"),
                     0);
    assert_int_equal(f->rq.status, 201);
    json_t *audio = json_object_get(f->rq.reply, "audio");
    assert_int_equal(json_integer_value(json_object_get(audio, "port")) % 2, 0);
    assert_int_equal(strlen(json_string_value(json_object_get(audio, "srtp_key"))), 40);
    const char *sdp = reply_str(f, "sdp");
    assert_non_null(strstr(sdp, "m=audio 5004 RTP/SAVP 111"));
    /* The receiver's key is the server's send key, not the participant's. */
    assert_null(strstr(sdp, json_string_value(json_object_get(audio, "srtp_key"))));
    char pid[32];
    snprintf(pid, sizeof(pid), "%s", reply_str(f, "participant"));

    assert_int_equal(call(f, EVHTTP_REQ_POST, PARTS, id, 0,
                          "{\"name\":\"Bob\",\"pin\":\"4321\",\"srtp_suite\":\"AEAD_AES_128_GCM\","
                          "\"audio\":\"pcmu\",\"recv\":\"127.0.0.1:5008\"}"),
                     0);
    assert_non_null(strstr(reply_str(f, "sdp"), "m=audio 5008 RTP/SAVP 0\r\n"));
    assert_non_null(strstr(reply_str(f, "sdp"), "a=rtpmap:0 PCMU/8000/1\r\n"));
    audio = json_object_get(f->rq.reply, "audio");
    assert_int_equal(strlen(json_string_value(json_object_get(audio, "srtp_key"))), 40);
    assert_int_equal(call(f, EVHTTP_REQ_POST, PARTS, id, 0, "{\"name\":\"Cy\",\"pin\":\"4321\"}"),
                     -EUSERS);
    assert_int_equal(f->rq.status, 409);

    assert_int_equal(call(f, EVHTTP_REQ_GET, PARTS, id, 0, NULL), 0);
    assert_int_equal(json_array_size(json_object_get(f->rq.reply, "participants")), 2);
    assert_int_equal(call(f, EVHTTP_REQ_DELETE, PART, id, "p-nothere", NULL), -ENOENT);
    assert_int_equal(call(f, EVHTTP_REQ_DELETE, PART, id, pid, NULL), 0);
    assert_int_equal(call(f, EVHTTP_REQ_GET, PARTS, id, 0, NULL), 0);
    assert_int_equal(json_array_size(json_object_get(f->rq.reply, "participants")), 1);

    assert_int_equal(call(f, EVHTTP_REQ_DELETE, MEETING, id, 0, NULL), 0);
    assert_string_equal(reply_str(f, "state"), "cancelled");
    assert_int_equal(call(f, EVHTTP_REQ_DELETE, MEETING, id, 0, NULL), -EALREADY);
    assert_int_equal(call(f, EVHTTP_REQ_POST, PARTS, id, 0, "{\"name\":\"Ada\",\"pin\":\"4321\"}"),
                     -ESHUTDOWN);
    assert_non_null(strstr(f->rq.error, "cancelled"));
}

static void test_not_open_yet_then_ended(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0,
                          "{\"title\":\"Later\",\"start\":\"+10m\",\"duration\":5}"),
                     0);
    char id[32];
    snprintf(id, sizeof(id), "%s", reply_str(f, "id"));
    assert_string_equal(reply_str(f, "state"), "scheduled");
    assert_int_equal(call(f, EVHTTP_REQ_POST, PARTS, id, 0, "{\"name\":\"Early\"}"), -EAGAIN);
    assert_int_equal(f->rq.status, 409);
    char when[64];
    snprintf(when, sizeof(when), "opens at %s", "2027-01-15T08:10:00Z");
    assert_non_null(strstr(f->rq.error, when));
    fake_now += 11 * 60;
    assert_int_equal(call(f, EVHTTP_REQ_POST, PARTS, id, 0, "{\"name\":\"OnTime\"}"), 0);
    fake_now += 10 * 60;
    confmgr_tick(f->cm);
    assert_int_equal(call(f, EVHTTP_REQ_GET, MEETING, id, 0, NULL), 0);
    assert_string_equal(reply_str(f, "state"), "ended");
    assert_int_equal(json_integer_value(json_object_get(f->rq.reply, "participants")), 0);
    assert_int_equal(call(f, EVHTTP_REQ_POST, PARTS, id, 0, "{\"name\":\"Late\"}"), -ESHUTDOWN);
}

static void test_reschedule_repeat_mute(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0,
                          "{\"title\":\"Daily\",\"start\":\"+1h\",\"duration\":15,"
                          "\"repeat\":\"daily\",\"until\":\"+50h\"}"),
                     0);
    char id[32];
    snprintf(id, sizeof(id), "%s", reply_str(f, "id"));
    assert_string_equal(reply_str(f, "repeat"), "daily");
    assert_non_null(reply_str(f, "until"));
    /* Reschedule: a bad body, a bad time, then a real move. */
    assert_int_equal(call(f, EVHTTP_REQ_PATCH, MEETING, id, 0, "{\"colour\":1}"), -EINVAL);
    assert_int_equal(call(f, EVHTTP_REQ_PATCH, MEETING, id, 0, "{\"start\":\"soon\"}"), -EINVAL);
    assert_int_equal(call(f, EVHTTP_REQ_PATCH, MEETING, "m-nothere", 0, "{\"title\":\"x\"}"),
                     -ENOENT);
    assert_int_equal(call(f, EVHTTP_REQ_PATCH, MEETING, id, 0,
                          "{\"start\":\"+2m\",\"title\":\"Daily standup\"}"),
                     0);
    assert_string_equal(reply_str(f, "title"), "Daily standup");
    assert_string_equal(reply_str(f, "state"), "scheduled");
    assert_int_equal(json_integer_value(json_object_get(f->rq.reply, "duration")), 15);

    /* It opens, takes a participant, who is muted and unmuted. */
    fake_now += 3 * 60;
    assert_int_equal(call(f, EVHTTP_REQ_POST, PARTS, id, 0, "{\"name\":\"Ann\"}"), 0);
    char pid[32];
    snprintf(pid, sizeof(pid), "%s", reply_str(f, "participant"));
    assert_int_equal(
        call(f, EVHTTP_REQ_POST, "/api/v1/meetings/:id/participants/:pid/mute", id, pid, NULL), 0);
    assert_true(json_is_true(json_object_get(f->rq.reply, "muted")));
    assert_int_equal(call(f, EVHTTP_REQ_GET, PARTS, id, 0, NULL), 0);
    json_t *p0 = json_array_get(json_object_get(f->rq.reply, "participants"), 0);
    assert_true(json_is_true(json_object_get(json_object_get(p0, "audio"), "muted")));
    assert_int_equal(
        call(f, EVHTTP_REQ_POST, "/api/v1/meetings/:id/participants/:pid/unmute", id, pid, NULL),
        0);
    assert_false(json_is_true(json_object_get(f->rq.reply, "muted")));
    const char *gain = "/api/v1/meetings/:id/participants/:pid/gain";
    assert_int_equal(call(f, EVHTTP_REQ_POST, gain, id, pid, "{\"gain_percent\":250}"), -EINVAL);
    assert_int_equal(call(f, EVHTTP_REQ_POST, gain, id, pid, "{}"), -EINVAL);
    assert_int_equal(call(f, EVHTTP_REQ_POST, gain, id, pid, "{\"gain_percent\":50}"), 0);
    assert_int_equal(call(f, EVHTTP_REQ_GET, PARTS, id, 0, NULL), 0);
    p0 = json_array_get(json_object_get(f->rq.reply, "participants"), 0);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(p0, "audio"), "gain_percent")), 50);
    assert_int_equal(call(f, EVHTTP_REQ_POST, "/api/v1/meetings/:id/participants/:pid/mute", id,
                          "p-nothere", NULL),
                     -ENOENT);
    /* An open meeting's start cannot move ahead. */
    assert_int_equal(call(f, EVHTTP_REQ_PATCH, MEETING, id, 0, "{\"start\":\"+1h\"}"), -EBUSY);

    /* At its end it is scheduled again for tomorrow, and its participant is gone. */
    fake_now += 15 * 60;
    confmgr_tick(f->cm);
    assert_int_equal(call(f, EVHTTP_REQ_GET, MEETING, id, 0, NULL), 0);
    assert_string_equal(reply_str(f, "state"), "scheduled");
    assert_int_equal(json_integer_value(json_object_get(f->rq.reply, "participants")), 0);
    char again[32];
    /* It had started at +2 min, 1 min before the clock reached it: the same time tomorrow. */
    time_format_utc(fake_now - 15 * 60 - 60 + 86400, again, sizeof(again));
    assert_string_equal(reply_str(f, "start"), again);
    /* Filters by state. */
    json_decref(f->rq.reply);
    memset(&f->rq, 0, sizeof(f->rq));
    f->rq.query = "state=scheduled";
    for (size_t i = 0; i < api_nroutes; i++) {
        if (api_routes[i].method == EVHTTP_REQ_GET && !strcmp(api_routes[i].pattern, MEETINGS))
            assert_int_equal(api_routes[i].fn(&f->api, &f->rq), 0);
    }
    json_t *arr = json_object_get(f->rq.reply, "meetings");
    assert_true(json_array_size(arr) >= 1);
    for (size_t i = 0; i < json_array_size(arr); i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(arr, i), "state")),
                            "scheduled");
    json_decref(f->rq.reply);
    memset(&f->rq, 0, sizeof(f->rq));
    f->rq.query = "state=sleeping";
    for (size_t i = 0; i < api_nroutes; i++) {
        if (api_routes[i].method == EVHTTP_REQ_GET && !strcmp(api_routes[i].pattern, MEETINGS))
            assert_int_equal(api_routes[i].fn(&f->api, &f->rq), -EINVAL);
    }
    /* After the series' last day it ends for good. */
    fake_now += 3 * 86400;
    confmgr_tick(f->cm);
    assert_int_equal(call(f, EVHTTP_REQ_GET, MEETING, id, 0, NULL), 0);
    assert_string_equal(reply_str(f, "state"), "ended");
}

/* Plain RTP only where the meeting allows it; there, only for joins that ask ("srtp_suite":
 * "none"): no key in the answer, an RTP/AVP SDP without a=crypto for audio and video. */
static void test_plain_rtp(void **state)
{
    struct fixture *f = *state;
    char id[32], pid[32];
    assert_int_equal(call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0, "{\"title\":\"S\"}"), 0);
    assert_true(json_is_false(json_object_get(f->rq.reply, "plain_rtp")));
    snprintf(id, sizeof(id), "%s", reply_str(f, "id"));
    assert_int_equal(
        call(f, EVHTTP_REQ_POST, PARTS, id, 0, "{\"name\":\"Pat\",\"srtp_suite\":\"none\"}"),
        -EPROTONOSUPPORT);
    assert_int_equal(f->rq.status, 400);
    assert_non_null(strstr(f->rq.error, "\"plain_rtp\": true"));
    assert_non_null(strstr(f->rq.error, "mcuctl schedule --plain-rtp"));
    assert_int_equal(
        call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0, "{\"title\":\"P\",\"plain_rtp\":\"yes\"}"),
        -EINVAL);
    assert_non_null(strstr(f->rq.error, "plain_rtp"));

    assert_int_equal(call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0,
                          "{\"title\":\"P\",\"plain_rtp\":true,\"video\":\"forward\","
                          "\"max\":3}"),
                     0);
    assert_int_equal(f->rq.status, 201);
    assert_true(json_is_true(json_object_get(f->rq.reply, "plain_rtp")));
    snprintf(id, sizeof(id), "%s", reply_str(f, "id"));
    assert_int_equal(call(f, EVHTTP_REQ_GET, MEETING, id, 0, NULL), 0);
    assert_true(json_is_true(json_object_get(f->rq.reply, "plain_rtp")));

    assert_int_equal(
        call(f, EVHTTP_REQ_POST, PARTS, id, 0,
             "{\"name\":\"Pat\",\"srtp_suite\":\"none\",\"recv\":"
             "\"127.0.0.1:5004\",\"video\":\"vp8\",\"video_recv\":\"127.0.0.1:5006\"}"),
        0);
    assert_int_equal(f->rq.status, 201);
    snprintf(pid, sizeof(pid), "%s", reply_str(f, "participant"));
    json_t *audio = json_object_get(f->rq.reply, "audio");
    assert_string_equal(json_string_value(json_object_get(audio, "srtp_suite")), "none");
    assert_null(json_object_get(audio, "srtp_key"));
    const char *sdp = reply_str(f, "sdp");
    assert_non_null(strstr(sdp, "m=audio 5004 RTP/AVP 111\r\n"));
    assert_non_null(strstr(sdp, "m=video 5006 RTP/AVP 96\r\n"));
    assert_non_null(strstr(sdp, "m=video 5008 RTP/AVP 96\r\n"));
    assert_null(strstr(sdp, "SAVP"));
    assert_null(strstr(sdp, "a=crypto"));
    json_t *video = json_object_get(f->rq.reply, "video");
    assert_string_equal(json_string_value(json_object_get(video, "srtp_suite")), "none");
    assert_null(json_object_get(video, "srtp_key"));
    const char *vsdp = json_string_value(json_object_get(video, "sdp"));
    assert_non_null(strstr(vsdp, "m=video 5006 RTP/AVP 96\r\n"));
    assert_null(strstr(vsdp, "a=crypto"));

    /* In the same meeting a join that does not ask gets SRTP. */
    assert_int_equal(
        call(f, EVHTTP_REQ_POST, PARTS, id, 0, "{\"name\":\"Sam\",\"recv\":\"127.0.0.1:5010\"}"),
        0);
    audio = json_object_get(f->rq.reply, "audio");
    assert_string_equal(json_string_value(json_object_get(audio, "srtp_suite")),
                        "AES_CM_128_HMAC_SHA1_80");
    assert_int_equal(strlen(json_string_value(json_object_get(audio, "srtp_key"))), 40);
    assert_non_null(strstr(reply_str(f, "sdp"), "m=audio 5010 RTP/SAVP 111\r\n"));
    assert_non_null(strstr(reply_str(f, "sdp"), "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));

    assert_int_equal(call(f, EVHTTP_REQ_GET, PARTS, id, 0, NULL), 0);
    json_t *arr = json_object_get(f->rq.reply, "participants");
    assert_int_equal(json_array_size(arr), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *p = json_array_get(arr, i);
        int plain = !strcmp(json_string_value(json_object_get(p, "id")), pid);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(p, "audio"), "srtp_suite")),
            plain ? "none" : "AES_CM_128_HMAC_SHA1_80");
    }
    assert_int_equal(call(f, EVHTTP_REQ_DELETE, MEETING, id, 0, NULL), 0);
}

static void test_token_compare(void **state)
{
    assert_true(http_token_equal("secret", "secret"));
    assert_false(http_token_equal("secreT", "secret"));
    assert_false(http_token_equal("secret2", "secret"));
    assert_false(http_token_equal("", "secret"));
    assert_false(http_token_equal("sec", "secret"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meeting_errors),
        cmocka_unit_test(test_join_flow),
        cmocka_unit_test(test_not_open_yet_then_ended),
        cmocka_unit_test(test_reschedule_repeat_mute),
        cmocka_unit_test(test_plain_rtp),
        cmocka_unit_test(test_token_compare),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
