/* API handlers through the route table, with a real conference manager, store and sockets:
 * every error path a client can hit, and the shapes scripts rely on. Then the HTTP server
 * itself over loopback: the token on every route but /healthz, PIN guessing throttled per
 * address, body and connection limits, and no secret in an error. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

/* A meeting with PIN "4321", open now; its id into id. */
static void pin_meeting(struct fixture *f, char *id, size_t cap)
{
    assert_int_equal(
        call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0, "{\"title\":\"Locked\",\"pin\":\"4321\"}"), 0);
    snprintf(id, cap, "%s", reply_str(f, "id"));
}

/* A join from `peer` with `pin`: the handler's result. */
static int join_from(struct fixture *f, const char *id, const char *peer, const char *pin)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"name\":\"G\",\"pin\":\"%s\"}", pin);
    json_decref(f->rq.reply);
    memset(&f->rq, 0, sizeof(f->rq));
    f->rq.status = 200;
    f->rq.param[0] = id;
    f->rq.peer = peer;
    json_t *j = json_loads(body, 0, NULL);
    f->rq.body = j;
    int err = -1;
    for (size_t i = 0; i < api_nroutes; i++) {
        if (api_routes[i].method == EVHTTP_REQ_POST && !strcmp(api_routes[i].pattern, PARTS))
            err = api_routes[i].fn(&f->api, &f->rq);
    }
    json_decref(j);
    return err;
}

/* PIN guessing: the 5th wrong PIN within a minute from one address locks that address out of
 * that meeting for 60 s (429, right PIN or not); other addresses and meetings are not affected;
 * a right PIN clears the count; a count older than the window starts again. */
static void test_pin_throttle(void **state)
{
    struct fixture *f = *state;
    char id[32], other[32];
    pin_meeting(f, id, sizeof(id));
    pin_meeting(f, other, sizeof(other));
    const char *bad = "192.0.2.1", *good = "192.0.2.2";
    for (int i = 0; i < API_PIN_FAILS; i++) {
        assert_int_equal(join_from(f, id, bad, "0000"), -EPERM);
        assert_int_equal(f->rq.status, 403);
        assert_null(strstr(f->rq.error, "0000"));
        assert_null(strstr(f->rq.error, "4321"));
    }
    assert_int_equal(join_from(f, id, bad, "4321"), -EBUSY);
    assert_int_equal(f->rq.status, 429);
    assert_int_equal(f->rq.retry_after, API_PIN_LOCK_S);
    assert_non_null(strstr(f->rq.error, "too many wrong PINs"));
    assert_null(strstr(f->rq.error, "4321"));
    assert_int_equal(join_from(f, id, good, "4321"), 0);   /* another address */
    assert_int_equal(join_from(f, other, bad, "4321"), 0); /* another meeting */
    fake_now += API_PIN_LOCK_S / 2;
    assert_int_equal(join_from(f, id, bad, "0000"), -EBUSY); /* not judged while locked */
    assert_int_equal(f->rq.retry_after, API_PIN_LOCK_S - API_PIN_LOCK_S / 2);
    fake_now += API_PIN_LOCK_S - API_PIN_LOCK_S / 2;
    assert_int_equal(join_from(f, id, bad, "4321"), 0); /* the lock is over */

    /* A right PIN clears the count; so does a window gone by. */
    for (int i = 0; i < API_PIN_FAILS - 1; i++)
        assert_int_equal(join_from(f, id, good, "1111"), -EPERM);
    assert_int_equal(join_from(f, id, good, "4321"), 0);
    for (int i = 0; i < API_PIN_FAILS - 1; i++)
        assert_int_equal(join_from(f, id, good, "1111"), -EPERM);
    fake_now += API_PIN_WINDOW_S;
    for (int i = 0; i < API_PIN_FAILS - 1; i++)
        assert_int_equal(join_from(f, id, good, "1111"), -EPERM);
    assert_int_equal(join_from(f, id, good, "4321"), 0);

    /* More guessing addresses than the table holds: memory stays bounded, and the newest
     * addresses are still locked out. */
    char peer[32];
    for (unsigned a = 0; a < 2 * API_PIN_SLOTS; a++) {
        snprintf(peer, sizeof(peer), "198.51.%u.%u", a / 256, a % 256);
        for (int i = 0; i < API_PIN_FAILS; i++)
            assert_int_equal(join_from(f, other, peer, "9"), -EPERM);
    }
    assert_int_equal(join_from(f, other, peer, "4321"), -EBUSY);
    assert_int_equal(call(f, EVHTTP_REQ_DELETE, MEETING, id, 0, NULL), 0);
    assert_int_equal(call(f, EVHTTP_REQ_DELETE, MEETING, other, 0, NULL), 0);
}

/* The HTTP server on loopback, run by the test's own loop between its socket calls. */
struct web {
    struct event_base *base;
    struct http *h;
    uint16_t port;
};

#define TOKEN "t0ken-for-tests"

static uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void web_start(struct fixture *f, struct web *w)
{
    w->base = event_base_new();
    assert_non_null(w->base);
    /* A port the kernel says is free a moment ago. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    w->port = ntohs(a.sin_port);
    assert_int_equal(http_create(&w->h, w->base, "127.0.0.1", w->port, TOKEN, &f->api), 0);
}

static void web_stop(struct web *w)
{
    http_destroy(&w->h);
    event_base_free(w->base);
}

static void pump(struct web *w, unsigned ms)
{
    uint64_t end = now_ms() + ms;
    do {
        event_base_loop(w->base, EVLOOP_NONBLOCK);
        struct timespec d = {0, 1000000};
        nanosleep(&d, NULL);
    } while (now_ms() < end);
}

/* A non-blocking TCP connection to the server from address `from` (NULL: 127.0.0.1). */
static int web_connect(struct web *w, const char *from)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    if (from) {
        assert_int_equal(inet_pton(AF_INET, from, &a.sin_addr), 1);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    }
    a.sin_port = htons(w->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
    assert_true(rc == 0 || errno == EINPROGRESS);
    return fd;
}

/* Send all of buf while the server's loop runs; stops early when the server closed. */
static void web_send(struct web *w, int fd, const char *buf, size_t len)
{
    size_t off = 0;
    uint64_t end = now_ms() + 3000;
    while (off < len && now_ms() < end) {
        ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
        if (n > 0)
            off += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN)
            return;
        event_base_loop(w->base, EVLOOP_NONBLOCK);
    }
}

/* What came back until the server closed the connection or `ms` went by: its length. */
static size_t web_read(struct web *w, int fd, char *buf, size_t cap, unsigned ms)
{
    size_t got = 0;
    uint64_t end = now_ms() + ms;
    while (now_ms() < end && got + 1 < cap) {
        event_base_loop(w->base, EVLOOP_NONBLOCK);
        ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            break;
        if (n > 0)
            got += (size_t)n;
        else
            poll(&(struct pollfd){fd, POLLIN, 0}, 1, 1);
    }
    buf[got] = '\0';
    return got;
}

/* One request (closing the connection after it) from `from`; the status, the reply in reply. */
static int web_call(struct web *w, const char *from, const char *method, const char *path,
                    const char *auth, const char *body, char *reply, size_t cap)
{
    size_t blen = body ? strlen(body) : 0;
    size_t cap_req = 1024 + blen;
    char *req = malloc(cap_req);
    assert_non_null(req);
    int n = snprintf(req, cap_req,
                     "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s%s%s"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, auth ? "Authorization: " : "", auth ? auth : "",
                     auth ? "\r\n" : "", blen);
    if (blen)
        memcpy(req + n, body, blen);
    int fd = web_connect(w, from);
    web_send(w, fd, req, (size_t)n + blen);
    free(req);
    size_t got = web_read(w, fd, reply, cap, 3000);
    close(fd);
    int status = 0;
    if (got > 12)
        sscanf(reply, "HTTP/1.%*d %d", &status);
    return status;
}

/* Every route in api_routes, called over HTTP without a token, with a wrong one and with one
 * that only starts right: 401, except /healthz. Unknown paths and methods too. With the token,
 * no route answers 401 (so the 401s above come from the token and nothing else). */
static void test_routes_need_token(void **state)
{
    struct fixture *f = *state;
    struct web w;
    web_start(f, &w);
    char id[32], pid[32], reply[4096];
    assert_int_equal(call(f, EVHTTP_REQ_POST, MEETINGS, 0, 0, "{\"title\":\"R\"}"), 0);
    snprintf(id, sizeof(id), "%s", reply_str(f, "id"));
    assert_int_equal(call(f, EVHTTP_REQ_POST, PARTS, id, 0, "{\"name\":\"Ro\"}"), 0);
    snprintf(pid, sizeof(pid), "%s", reply_str(f, "participant"));
    static const char *const wrong[] = {
        NULL, "Bearer nope", "Bearer t0ken", "Bearer " TOKEN "x", "Basic " TOKEN, TOKEN};
    unsigned publics = 0;
    for (size_t r = 0; r < api_nroutes; r++) {
        const struct api_route *rt = &api_routes[r];
        char path[256] = "";
        const char *p = rt->pattern;
        while (*p) { /* ":id" and ":pid" become real ids: only the token can be missing */
            size_t n = strlen(path);
            if (!strncmp(p, ":pid", 4)) {
                snprintf(path + n, sizeof(path) - n, "%s", pid);
                p += 4;
            } else if (!strncmp(p, ":id", 3)) {
                snprintf(path + n, sizeof(path) - n, "%s", id);
                p += 3;
            } else {
                path[n] = *p++;
                path[n + 1] = '\0';
            }
        }
        const char *method = rt->method == EVHTTP_REQ_GET      ? "GET"
                             : rt->method == EVHTTP_REQ_POST   ? "POST"
                             : rt->method == EVHTTP_REQ_DELETE ? "DELETE"
                                                               : "PATCH";
        const char *body = rt->method == EVHTTP_REQ_POST || rt->method == EVHTTP_REQ_PATCH
                               ? "{\"title\":\"x\"}"
                               : NULL;
        for (size_t k = 0; k < sizeof(wrong) / sizeof(wrong[0]); k++) {
            int st = web_call(&w, NULL, method, path, wrong[k], body, reply, sizeof(reply));
            if (rt->public) {
                assert_int_equal(st, 200);
            } else {
                if (st != 401)
                    fail_msg("%s %s with \"%s\": %d, not 401", method, path,
                             wrong[k] ? wrong[k] : "(none)", st);
                assert_non_null(strstr(reply, "\"code\":-13"));
                assert_null(strstr(reply, TOKEN));
            }
        }
        publics += rt->public != 0;
        if (!rt->public && rt->method == EVHTTP_REQ_GET && strstr(path, "/events") == NULL)
            assert_int_equal(
                web_call(&w, NULL, method, path, "Bearer " TOKEN, NULL, reply, sizeof(reply)), 200);
    }
    assert_int_equal(publics, 1); /* /healthz, and nothing else */
    assert_int_equal(web_call(&w, NULL, "GET", "/healthz", NULL, NULL, reply, sizeof(reply)), 200);
    /* Unknown paths and methods say nothing without the token. */
    assert_int_equal(web_call(&w, NULL, "GET", "/admin", NULL, NULL, reply, sizeof(reply)), 401);
    assert_int_equal(web_call(&w, NULL, "PUT", MEETINGS, NULL, NULL, reply, sizeof(reply)), 401);
    assert_int_equal(
        web_call(&w, NULL, "GET", "/admin", "Bearer " TOKEN, NULL, reply, sizeof(reply)), 404);
    assert_int_equal(
        web_call(&w, NULL, "PUT", MEETINGS, "Bearer " TOKEN, NULL, reply, sizeof(reply)), 405);
    assert_int_equal(call(f, EVHTTP_REQ_DELETE, MEETING, id, 0, NULL), 0);
    web_stop(&w);
}

/* Over HTTP: the throttle sees the client's real address (429 and Retry-After for it, a join
 * from 127.0.0.2 unaffected); bodies over 64 KiB get a JSON 413, over 256 KiB evhttp's own, and
 * the server still answers; a body that is not JSON is refused without quoting it back. */
static void test_http_limits_and_pin(void **state)
{
    struct fixture *f = *state;
    struct web w;
    web_start(f, &w);
    char id[32], path[64], reply[4096];
    pin_meeting(f, id, sizeof(id));
    snprintf(path, sizeof(path), "/api/v1/meetings/%s/participants", id);
    const char *auth = "Bearer " TOKEN;
    for (int i = 0; i < API_PIN_FAILS; i++)
        assert_int_equal(web_call(&w, NULL, "POST", path, auth, "{\"name\":\"g\",\"pin\":\"8\"}",
                                  reply, sizeof(reply)),
                         403);
    assert_int_equal(web_call(&w, NULL, "POST", path, auth, "{\"name\":\"g\",\"pin\":\"4321\"}",
                              reply, sizeof(reply)),
                     429);
    assert_non_null(strstr(reply, "\r\nRetry-After: 60\r\n"));
    assert_int_equal(web_call(&w, "127.0.0.2", "POST", path, auth,
                              "{\"name\":\"h\",\"pin\":\"4321\"}", reply, sizeof(reply)),
                     201);
    /* Not JSON, with the PIN in it: refused, the PIN not quoted back. */
    assert_int_equal(web_call(&w, "127.0.0.2", "POST", path, auth,
                              "{\"name\":\"h\",\"pin\":\"98765", reply, sizeof(reply)),
                     400);
    assert_non_null(strstr(reply, "not valid JSON"));
    assert_null(strstr(reply, "98765"));

    size_t big = 300 * 1024;
    char *body = malloc(big + 1);
    assert_non_null(body);
    memset(body, 'a', big);
    body[70 * 1024] = '\0';
    assert_int_equal(web_call(&w, NULL, "POST", MEETINGS, auth, body, reply, sizeof(reply)), 413);
    assert_non_null(strstr(reply, "\"code\":-90"));
    body[70 * 1024] = 'a';
    body[big] = '\0';
    assert_int_equal(web_call(&w, NULL, "POST", MEETINGS, auth, body, reply, sizeof(reply)), 413);
    free(body);
    assert_int_equal(web_call(&w, NULL, "GET", "/healthz", NULL, NULL, reply, sizeof(reply)), 200);
    assert_int_equal(call(f, EVHTTP_REQ_DELETE, MEETING, id, 0, NULL), 0);
    web_stop(&w);
}

/* At the connection limit the server stops accepting: a further client waits (its request is
 * not even read) until a connection closes, then is served. Idle connections count. */
static void test_connection_limit(void **state)
{
    struct fixture *f = *state;
    struct web w;
    web_start(f, &w);
    http_set_max_connections(w.h, 4);
    int idle[4];
    for (int i = 0; i < 4; i++)
        idle[i] = web_connect(&w, NULL);
    pump(&w, 100);
    assert_int_equal(http_connections(w.h), 4);
    int late = web_connect(&w, NULL);
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    web_send(&w, late, req, sizeof(req) - 1);
    char reply[1024];
    assert_int_equal(web_read(&w, late, reply, sizeof(reply), 500), 0);
    assert_int_equal(http_connections(w.h), 4);
    close(idle[0]);
    assert_true(web_read(&w, late, reply, sizeof(reply), 2000) > 0);
    assert_non_null(strstr(reply, "200 OK"));
    close(late);
    for (int i = 1; i < 4; i++)
        close(idle[i]);
    pump(&w, 50);
    assert_int_equal(http_connections(w.h), 0);
    web_stop(&w);
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
        cmocka_unit_test(test_pin_throttle),
        cmocka_unit_test(test_routes_need_token),
        cmocka_unit_test(test_http_limits_and_pin),
        cmocka_unit_test(test_connection_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
