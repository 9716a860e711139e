/* API route table and handlers (see API.md). */
#include "api.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "acodec.h"
#include "confmgr.h"
#include "jsonspec.h"
#include "sdp.h"
#include "session.h"
#include "vcodec.h"
#include "speaker.h"
#include "timefmt.h"

static int status_for(int err)
{
    switch (err) {
    case -EINVAL:
    case -EBADMSG:
        return 400;
    case -EACCES:
        return 401;
    case -EPERM:
        return 403;
    case -ENOENT:
        return 404;
    case -EAGAIN:
    case -ESHUTDOWN:
    case -EUSERS:
    case -EALREADY:
        return 409;
    case -EADDRNOTAVAIL:
    case -ENOSPC:
        return 503;
    default:
        return 500;
    }
}

int api_fail(struct api_req *rq, int status, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rq->error, sizeof(rq->error), fmt, ap);
    va_end(ap);
    rq->status = status ? status : status_for(err);
    return err;
}

static json_t *media_json(struct meeting *m)
{
    struct cstats *c = &m->cstats;
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "encoders_running",
                     (json_int_t)pstat_get(&c->encoders_running), "decoders_running",
                     (json_int_t)pstat_get(&c->decoders_running), "talkers",
                     (json_int_t)pstat_get(&c->talkers), "ticks", (json_int_t)pstat_get(&c->ticks),
                     "tick_overruns", (json_int_t)pstat_get(&c->tick_overruns), "tick_us_max",
                     (json_int_t)pstat_get(&c->tick_us_max), "video_frames",
                     (json_int_t)pstat_get(&c->video_frames), "video_tick_us_max",
                     (json_int_t)pstat_get(&c->video_tick_us_max));
}

static json_t *meeting_json(struct meeting *m)
{
    char start[32], end[32];
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:i, s:s, s:i, s:s, s:s, s:s, s:i}", "id", m->id,
                  "title", m->title, "start", time_format_utc(m->start_unix, start, 32), "end",
                  time_format_utc(m->end_unix, end, 32), "duration",
                  (json_int_t)((m->end_unix - m->start_unix) / 60), "has_pin", m->pin[0] != 0,
                  "max", (int)m->max, "mode", meeting_mode_name(m->mode), "talkers",
                  (int)m->talkers, "video", m->video, "layout", m->layout, "state",
                  meeting_state_name(m->state), "participants", (int)m->nparticipants);
    if (j) {
        json_object_set_new(j, "preprocess", json_boolean(m->preprocess));
        json_object_set_new(j, "repeat", json_string(meeting_repeat_name(m->repeat)));
        json_object_set_new(j, "tz", json_string(m->tz));
        json_object_set_new(j, "owner", json_string(m->owner));
        char res[24];
        snprintf(res, sizeof(res), "%dx%d", m->video_w, m->video_h);
        json_object_set_new(j, "resolution", json_string(res));
        json_object_set_new(j, "video_kbps", json_integer(m->video_kbps));
        json_object_set_new(j, "plain_rtp", json_boolean(m->plain_rtp));
        if (m->until_unix)
            json_object_set_new(j, "until", json_string(time_format_utc(m->until_unix, start, 32)));
    }
    if (j && m->conf)
        json_object_set_new(j, "media", media_json(m));
    return j;
}

static int find_meeting(struct api *api, struct api_req *rq, struct meeting **m)
{
    *m = confmgr_meeting_find(api->cm, rq->param[0]);
    if (!*m)
        return api_fail(rq, 404, -ENOENT, "no meeting with id \"%s\" (see GET /api/v1/meetings)",
                        rq->param[0]);
    return 0;
}

static int find_participant(struct api *api, struct api_req *rq, struct meeting **m,
                            struct participant **p)
{
    int err = find_meeting(api, rq, m);
    if (err)
        return err;
    *p = confmgr_participant_find(*m, rq->param[1]);
    if (!*p)
        return api_fail(rq, 404, -ENOENT, "no participant \"%s\" in meeting %s", rq->param[1],
                        (*m)->id);
    return 0;
}

static int get_health(struct api *api, struct api_req *rq)
{
    rq->reply = json_pack("{s:s}", "status", "ok");
    return 0;
}

static const char *const video_choices[] = {"off", "composite", "forward", NULL};
static const char *const layout_choices[] = {"grid", "speaker", NULL};
static const char *const mode_choices[] = {"forward", "mix", NULL};
static const char *const repeat_choices[] = {"none", "daily", "weekly", NULL};

static const struct jsonspec meeting_params[] = {
    {"title", JS_STRING, 1, 1, MEETING_TITLE_MAX, NULL},
    {"start", JS_STRING, 0, 1, 40, NULL},
    {"duration", JS_INT, 0, 1, 7 * 24 * 60, NULL},
    {"pin", JS_STRING, 0, 0, MEETING_PIN_MAX, NULL},
    {"max", JS_INT, 0, 2, MEETING_MAX_PARTICIPANTS, NULL},
    {"mode", JS_STRING, 0, 0, 0, mode_choices},
    {"talkers", JS_INT, 0, 1, SPEAKER_MAX_TALKERS, NULL},
    {"preprocess", JS_BOOL, 0, 0, 0, NULL},
    {"video", JS_STRING, 0, 0, 0, video_choices},
    {"layout", JS_STRING, 0, 0, 0, layout_choices},
    {"repeat", JS_STRING, 0, 0, 0, repeat_choices},
    {"until", JS_STRING, 0, 1, 40, NULL},
    {"tz", JS_STRING, 0, 1, MEETING_TZ_MAX, NULL},
    {"owner", JS_STRING, 0, 0, MEETING_OWNER_MAX, NULL},
    {"resolution", JS_STRING, 0, 3, 9, NULL},
    {"video_kbps", JS_INT, 0, 50, 20000, NULL},
    {"plain_rtp", JS_BOOL, 0, 0, 0, NULL},
};

static const struct jsonspec patch_params[] = {
    {"title", JS_STRING, 0, 1, MEETING_TITLE_MAX, NULL},
    {"start", JS_STRING, 0, 1, 40, NULL},
    {"duration", JS_INT, 0, 1, 7 * 24 * 60, NULL},
    {"pin", JS_STRING, 0, 0, MEETING_PIN_MAX, NULL},
    {"max", JS_INT, 0, 2, MEETING_MAX_PARTICIPANTS, NULL},
    {"talkers", JS_INT, 0, 1, SPEAKER_MAX_TALKERS, NULL},
    {"preprocess", JS_BOOL, 0, 0, 0, NULL},
    {"repeat", JS_STRING, 0, 0, 0, repeat_choices},
    {"until", JS_STRING, 0, 1, 40, NULL},
};

/* A time field, if present: "now", relative or ISO-8601. 0 (and *out, or `dflt` when absent). */
static int time_field(struct api *api, struct api_req *rq, const char *key, int64_t dflt,
                      int64_t *out)
{
    const char *v = jsonspec_str(rq->body, key, NULL);
    *out = dflt;
    if (v && time_parse(v, confmgr_now(api->cm), out))
        return api_fail(rq, 400, -EINVAL,
                        "\"%s\" must be \"now\", relative like \"+15m\", or ISO-8601 like "
                        "\"2026-11-24T10:00:00Z\"; got \"%s\"",
                        key, v);
    return 0;
}

static int check_body(struct api_req *rq, const struct jsonspec *spec, size_t n)
{
    char why[200];
    if (!rq->body)
        return api_fail(rq, 400, -EINVAL, "send a JSON body, e.g. {\"title\": \"Standup\"}");
    int err = jsonspec_check(rq->body, spec, n, why, sizeof(why));
    if (err)
        return api_fail(rq, 400, err, "%s", why);
    const char *pin = jsonspec_str(rq->body, "pin", NULL);
    if (pin && strspn(pin, "0123456789") != strlen(pin))
        return api_fail(rq, 400, -EINVAL, "\"pin\" must be digits only");
    const char *tz = jsonspec_str(rq->body, "tz", NULL);
    if (tz && meeting_tz_valid(tz))
        return api_fail(rq, 400, -EINVAL,
                        "\"tz\" must be an IANA time zone such as \"Europe/Berlin\" or \"UTC\"; "
                        "got \"%s\"",
                        tz);
    return 0;
}

static int post_meeting(struct api *api, struct api_req *rq)
{
    struct meeting_spec spec;
    memset(&spec, 0, sizeof(spec));
    int err = check_body(rq, meeting_params, sizeof(meeting_params) / sizeof(meeting_params[0]));
    if (!err)
        err = time_field(api, rq, "start", confmgr_now(api->cm), &spec.start_unix);
    if (!err)
        err = time_field(api, rq, "until", 0, &spec.until_unix);
    if (err)
        return err;
    spec.title = jsonspec_str(rq->body, "title", NULL);
    spec.tz = jsonspec_str(rq->body, "tz", "UTC");
    spec.owner = jsonspec_str(rq->body, "owner", NULL);
    meeting_repeat_parse(jsonspec_str(rq->body, "repeat", "none"), &spec.repeat);
    spec.end_unix = spec.start_unix + 60 * jsonspec_int(rq->body, "duration", 60);
    spec.pin = jsonspec_str(rq->body, "pin", NULL);
    spec.max = (unsigned)jsonspec_int(rq->body, "max", 100);
    meeting_mode_parse(jsonspec_str(rq->body, "mode", "mix"), &spec.mode);
    spec.talkers = (unsigned)jsonspec_int(rq->body, "talkers", 3);
    spec.preprocess = jsonspec_bool(rq->body, "preprocess", 0);
    spec.video = jsonspec_str(rq->body, "video", "off");
    spec.layout = jsonspec_str(rq->body, "layout", "grid");
    const char *res = jsonspec_str(rq->body, "resolution", NULL);
    if (res && meeting_resolution_parse(res, &spec.video_w, &spec.video_h))
        return api_fail(rq, 400, -EINVAL,
                        "\"resolution\" must be WIDTHxHEIGHT with even numbers from 128x96 to "
                        "1920x1088, e.g. \"1280x720\"; got \"%s\"",
                        res);
    spec.video_kbps = (int)jsonspec_int(rq->body, "video_kbps", 0);
    spec.plain_rtp = jsonspec_bool(rq->body, "plain_rtp", 0);
    struct meeting *m;
    err = confmgr_meeting_create(api->cm, &spec, &m);
    if (err)
        return api_fail(rq, err == -ENOSPC || err == -EIO ? 503 : 0, err,
                        "could not create the meeting: %s",
                        err == -ENOSPC ? "the data folder's disk is full; nothing was saved"
                        : err == -EIO  ? "the store refused the write (read-only or damaged?)"
                                       : strerror(-err));
    rq->status = 201;
    rq->reply = meeting_json(m);
    return 0;
}

static int list_meetings(struct api *api, struct api_req *rq)
{
    struct evkeyvalq q;
    int want = -1;
    if (rq->query) {
        if (evhttp_parse_query_str(rq->query, &q))
            return api_fail(rq, 400, -EINVAL, "malformed query string");
        const char *state = evhttp_find_header(&q, "state");
        enum meeting_state st;
        int bad = state && meeting_state_parse(state, &st);
        if (state && !bad)
            want = (int)st;
        evhttp_clear_headers(&q);
        if (bad)
            return api_fail(rq, 400, -EINVAL, "state must be scheduled, open, ended or cancelled");
    }
    json_t *arr = json_array();
    for (struct meeting *m = confmgr_meetings(api->cm); m; m = m->next) {
        if (m->state == MEETING_OPEN || m->state == MEETING_SCHEDULED)
            confmgr_meeting_refresh(api->cm, m);
        if (want < 0 || (int)m->state == want)
            json_array_append_new(arr, meeting_json(m));
    }
    rq->reply = json_pack("{s:o}", "meetings", arr);
    return 0;
}

static int get_meeting(struct api *api, struct api_req *rq)
{
    struct meeting *m;
    int err = find_meeting(api, rq, &m);
    if (err)
        return err;
    confmgr_meeting_refresh(api->cm, m);
    rq->reply = meeting_json(m);
    return 0;
}

static int patch_meeting(struct api *api, struct api_req *rq)
{
    struct meeting *m;
    struct meeting_update u = {NULL, -1, -1, NULL, -1, -1, -1, -1, -1};
    int err = find_meeting(api, rq, &m);
    if (!err)
        err = check_body(rq, patch_params, sizeof(patch_params) / sizeof(patch_params[0]));
    if (!err)
        err = time_field(api, rq, "start", -1, &u.start_unix);
    if (!err)
        err = time_field(api, rq, "until", -1, &u.until_unix);
    if (err)
        return err;
    u.title = jsonspec_str(rq->body, "title", NULL);
    u.pin = jsonspec_str(rq->body, "pin", NULL);
    u.duration_min = (int)jsonspec_int(rq->body, "duration", -1);
    u.max = (int)jsonspec_int(rq->body, "max", -1);
    u.talkers = (int)jsonspec_int(rq->body, "talkers", -1);
    u.preprocess = jsonspec_bool(rq->body, "preprocess", -1);
    enum meeting_repeat r;
    if (!meeting_repeat_parse(jsonspec_str(rq->body, "repeat", ""), &r))
        u.repeat = (int)r;
    err = confmgr_meeting_update(api->cm, m, &u);
    switch (err) {
    case 0:
        break;
    case -ESHUTDOWN:
        return api_fail(rq, 409, err, "meeting %s is %s and cannot change", m->id,
                        meeting_state_name(m->state));
    case -EBUSY:
        return api_fail(rq, 409, err,
                        "meeting %s is in progress: its start cannot move ahead nor its maximum "
                        "grow until it ends (cancel it and schedule a new one)",
                        m->id);
    case -EINVAL:
        return api_fail(rq, 400, err,
                        "the change does not hold together (end before start, or a maximum under "
                        "the number of participants present)");
    default:
        return api_fail(rq, 0, err, "could not change the meeting: %s", strerror(-err));
    }
    rq->reply = meeting_json(m);
    return 0;
}

static int delete_meeting(struct api *api, struct api_req *rq)
{
    struct meeting *m;
    int err = find_meeting(api, rq, &m);
    if (!err)
        err = confmgr_meeting_cancel(api->cm, m);
    if (err == -EALREADY)
        return api_fail(rq, 409, err, "meeting %s is already cancelled", m->id);
    if (err && err != -ENOENT)
        return api_fail(rq, 0, err, "could not cancel: %s", strerror(-err));
    if (err)
        return err;
    rq->reply = meeting_json(m);
    return 0;
}

static const char *const audio_choices[] = {"opus", "pcmu", "pcma", NULL};
static const char *const vcodec_choices[] = {"none", "vp8", "h264", NULL};
static const char *const suite_choices[] = {"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
                                            "AEAD_AES_128_GCM", "none", NULL};

static const struct jsonspec join_params[] = {
    {"name", JS_STRING, 1, 1, PARTICIPANT_NAME_MAX, NULL},
    {"pin", JS_STRING, 0, 0, MEETING_PIN_MAX, NULL},
    {"recv", JS_STRING, 0, 3, 64, NULL},
    {"rtcp_mux", JS_BOOL, 0, 0, 0, NULL},
    {"audio", JS_STRING, 0, 0, 0, audio_choices},
    {"video", JS_STRING, 0, 0, 0, vcodec_choices},
    {"video_recv", JS_STRING, 0, 3, 64, NULL},
    {"srtp_suite", JS_STRING, 0, 0, 0, suite_choices},
    {"preprocess", JS_BOOL, 0, 0, 0, NULL},
    {"audio_level_id", JS_INT, 0, 1, 14, NULL},
};

static int join_error(struct api_req *rq, const struct meeting *m, int err)
{
    char when[32];
    switch (err) {
    case -EINVAL:
        return api_fail(rq, 400, err, "\"name\" must be 1 to %d characters", PARTICIPANT_NAME_MAX);
    case -EPERM:
        return api_fail(rq, 403, err, "wrong or missing PIN for meeting %s", m->id);
    case -EPROTONOSUPPORT:
        return api_fail(rq, 400, err,
                        "meeting %s does not allow plain RTP: join with SRTP (leave out "
                        "\"srtp_suite\" or name a suite), or schedule a meeting with "
                        "\"plain_rtp\": true (mcuctl schedule --plain-rtp)",
                        m->id);
    case -EAGAIN:
        return api_fail(rq, 409, err, "meeting %s is not open yet: it opens at %s", m->id,
                        time_format_utc(m->start_unix, when, sizeof(when)));
    case -ESHUTDOWN:
        return api_fail(rq, 409, err, "meeting %s is %s", m->id, meeting_state_name(m->state));
    case -EUSERS:
        return api_fail(rq, 409, err, "meeting %s is full (%u participants)", m->id, m->max);
    case -EADDRNOTAVAIL:
        return api_fail(rq, 503, err, "no free media port: widen the server's --ports range");
    case -ENOMEDIUM:
        return api_fail(rq, 409, err,
                        "meeting %s has video off: join without \"video\" (or schedule it with "
                        "\"video\": \"composite\" or \"forward\")",
                        m->id);
    default:
        return api_fail(rq, 500, err, "could not set up the media session: %s", strerror(-err));
    }
}

static int parse_join(struct api_req *rq, struct join_spec *js)
{
    if (!rq->body)
        return api_fail(rq, 400, -EINVAL, "send a JSON body, e.g. {\"name\": \"Ada\"}");
    char why[200];
    int err = jsonspec_check(rq->body, join_params, sizeof(join_params) / sizeof(join_params[0]),
                             why, sizeof(why));
    if (err)
        return api_fail(rq, 400, err, "%s", why);
    memset(js, 0, sizeof(*js));
    js->name = jsonspec_str(rq->body, "name", NULL);
    js->pin = jsonspec_str(rq->body, "pin", NULL);
    js->rtcp_mux = jsonspec_bool(rq->body, "rtcp_mux", 0);
    const char *recv = jsonspec_str(rq->body, "recv", NULL);
    if (recv) {
        if (udp_addr_parse(&js->recv, recv))
            return api_fail(rq, 400, -EINVAL,
                            "\"recv\" must be a numeric HOST:PORT such as 127.0.0.1:5004; got "
                            "\"%s\"",
                            recv);
        js->has_recv = 1;
    }
    js->codec = acodec_find(jsonspec_str(rq->body, "audio", "opus"));
    js->preprocess = jsonspec_bool(rq->body, "preprocess", -1);
    js->level_ext_id = (int)jsonspec_int(rq->body, "audio_level_id", 0);
    const char *video = jsonspec_str(rq->body, "video", "none");
    enum vcodec_id vc = VCODEC_VP8;
    js->video = strcmp(video, "none") != 0 && vcodec_parse(video, &vc) == 0;
    js->vcodec = vc;
    const char *vrecv = jsonspec_str(rq->body, "video_recv", NULL);
    if (vrecv && !js->video)
        return api_fail(rq, 400, -EINVAL, "\"video_recv\" needs \"video\": \"vp8\" or \"h264\"");
    if (vrecv) {
        if (udp_addr_parse(&js->vrecv, vrecv))
            return api_fail(rq, 400, -EINVAL,
                            "\"video_recv\" must be a numeric HOST:PORT such as 127.0.0.1:5006; "
                            "got \"%s\"",
                            vrecv);
        js->has_vrecv = 1;
    }
    const char *suite = jsonspec_str(rq->body, "srtp_suite", "AES_CM_128_HMAC_SHA1_80");
    js->plain = strcmp(suite, "none") == 0;
    js->suite = RTPSEC_AES_CM_128_HMAC_SHA1_80;
    if (!js->plain)
        rtpsec_suite_parse(suite, &js->suite);
    return 0;
}

/* The receiver's own host, from "ip:port" / "[ip]:port". */
static void host_of(const struct udp_addr *a, char *host, size_t cap)
{
    char addr[80];
    udp_addr_str(a, addr, sizeof(addr));
    char *colon = strrchr(addr, ':');
    if (colon)
        *colon = '\0';
    snprintf(host, cap, "%s", addr[0] == '[' ? addr + 1 : addr);
    size_t n = strlen(host);
    if (n && host[n - 1] == ']')
        host[n - 1] = '\0';
}

/* The SDES suite of the participant's sessions, NULL for plain RTP (sdp.h's convention). */
static const char *suite_or_null(const struct participant *p)
{
    return p->plain ? NULL : rtpsec_suite_name(p->suite);
}

/* The suite as the API names it: "none" for plain RTP. */
static const char *suite_name(const struct participant *p)
{
    return p->plain ? "none" : rtpsec_suite_name(p->suite);
}

/* "srtp_suite" and, with SRTP, "srtp_key" (what the participant sends with) of a join's media. */
static void set_keying(json_t *media, const struct participant *p, const char *key_b64)
{
    json_object_set_new(media, "srtp_suite", json_string(suite_name(p)));
    if (!p->plain)
        json_object_set_new(media, "srtp_key", json_string(key_b64));
}

/* The m= sections of what the server sends this participant: audio, then its video streams
 * (one in composite mode; in forward mode one per last-N stream, at port + 2i). */
static unsigned media_sections(const struct meeting *m, const struct participant *p,
                               struct sdp_media *out)
{
    out[0] = (struct sdp_media){"audio",
                                p->has_recv ? udp_addr_port(&p->recv) : p->port,
                                p->codec->pt,
                                p->codec->name,
                                p->codec->clock_rate,
                                p->codec->sdp_channels,
                                NULL,
                                suite_or_null(p),
                                p->tx_key_b64};
    if (!p->vport)
        return 1;
    unsigned streams = meeting_video_streams(m);
    uint16_t base = p->has_vrecv ? udp_addr_port(&p->vrecv) : p->vport;
    int h264 = p->vcodec == VCODEC_H264;
    for (unsigned i = 0; i < streams; i++)
        out[1 + i] = (struct sdp_media){"video",
                                        (uint16_t)(base + 2 * i),
                                        h264 ? VIDEO_PT_H264 : VIDEO_PT_VP8,
                                        vcodec_sdp_name((enum vcodec_id)p->vcodec),
                                        90000,
                                        0,
                                        h264 ? "packetization-mode=1" : NULL,
                                        suite_or_null(p),
                                        p->vtx_key_b64};
    return 1 + streams;
}

/* The join answer's "video": where to send it and how, and the SDP of its streams. */
static json_t *join_video_json(struct api *api, const struct participant *p, unsigned streams,
                               const char *sdp)
{
    json_t *v =
        json_pack("{s:s, s:s, s:i, s:i}", "codec", p->vcodec == VCODEC_H264 ? "h264" : "vp8",
                  "host", confmgr_media_ip(api->cm), "port", p->vport, "payload_type",
                  p->vcodec == VCODEC_H264 ? VIDEO_PT_H264 : VIDEO_PT_VP8);
    if (v) {
        set_keying(v, p, p->vrx_key_b64);
        json_object_set_new(v, "streams", json_integer(streams));
        json_object_set_new(v, "sdp", json_string(sdp));
    }
    return v;
}

static json_t *join_json(struct api *api, const struct meeting *m, const struct participant *p)
{
    char sdp[4096], vsdp[4096], host[80], vhost[80];
    struct sdp_media ms[1 + SESSION_MAX_STREAMS];
    unsigned n = media_sections(m, p, ms);
    if (p->has_recv)
        host_of(&p->recv, host, sizeof(host));
    else
        snprintf(host, sizeof(host), "%s", confmgr_media_ip(api->cm));
    if (p->has_vrecv)
        host_of(&p->vrecv, vhost, sizeof(vhost));
    else
        snprintf(vhost, sizeof(vhost), "%s", host);
    /* One address for the whole SDP: audio and video receivers on the same host. */
    if (sdp_write(sdp, sizeof(sdp), host, m->title, ms, n) < 0)
        sdp[0] = '\0';
    json_t *audio = json_pack("{s:s, s:i, s:i}", "host", confmgr_media_ip(api->cm), "port", p->port,
                              "payload_type", p->codec->pt);
    if (audio)
        set_keying(audio, p, p->rx_key_b64);
    json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:s}", "meeting", m->id, "participant", p->id,
                          "name", p->name, "audio", audio, "sdp", sdp);
    if (j && p->vport) {
        if (sdp_write(vsdp, sizeof(vsdp), vhost, m->title, ms + 1, n - 1) < 0)
            vsdp[0] = '\0';
        json_object_set_new(j, "video", join_video_json(api, p, n - 1, vsdp));
    }
    return j;
}

/* The throttle entry of (peer, meeting), or NULL. */
static struct api_pin_slot *pin_find(struct api *api, const char *peer, const char *meeting)
{
    for (size_t i = 0; i < API_PIN_SLOTS; i++) {
        struct api_pin_slot *s = &api->pin[i];
        if (s->peer[0] && !strcmp(s->peer, peer) && !strcmp(s->meeting, meeting))
            return s;
    }
    return NULL;
}

/* When an entry stops mattering: its lock is over and so is its window. */
static int64_t pin_expiry(const struct api_pin_slot *s)
{
    int64_t w = s->window_start + API_PIN_WINDOW_S;
    return s->locked_until > w ? s->locked_until : w;
}

/* A slot for a new entry: a free one, else the one that expires first (maybe still locked: a
 * bounded table cannot remember more than API_PIN_SLOTS addresses, see API.md). */
static struct api_pin_slot *pin_new(struct api *api, const char *peer, const char *meeting)
{
    struct api_pin_slot *best = &api->pin[0];
    for (size_t i = 0; i < API_PIN_SLOTS && best->peer[0]; i++) {
        struct api_pin_slot *s = &api->pin[i];
        if (!s->peer[0] || pin_expiry(s) < pin_expiry(best))
            best = s;
    }
    memset(best, 0, sizeof(*best));
    snprintf(best->peer, sizeof(best->peer), "%s", peer);
    snprintf(best->meeting, sizeof(best->meeting), "%s", meeting);
    return best;
}

static const char *peer_of(const struct api_req *rq)
{
    return rq->peer && rq->peer[0] ? rq->peer : "unknown";
}

/* 0, or 429 with Retry-After while this address is locked out of this meeting's PIN. */
static int pin_throttle(struct api *api, struct api_req *rq, const struct meeting *m)
{
    if (!m->pin[0])
        return 0;
    struct api_pin_slot *s = pin_find(api, peer_of(rq), m->id);
    int64_t now = confmgr_now(api->cm);
    if (!s || s->locked_until <= now)
        return 0;
    api->pin_refused++;
    rq->retry_after = (int)(s->locked_until - now);
    return api_fail(rq, 429, -EBUSY,
                    "too many wrong PINs for meeting %s from this address: try again in %d s",
                    m->id, rq->retry_after);
}

/* After a join with a PIN was judged: a right PIN clears the address's record, a wrong one
 * counts, and the API_PIN_FAILS-th within the window locks the address out. */
static void pin_note(struct api *api, struct api_req *rq, const struct meeting *m, int right)
{
    const char *peer = peer_of(rq);
    struct api_pin_slot *s = pin_find(api, peer, m->id);
    if (right) {
        if (s)
            memset(s, 0, sizeof(*s));
        return;
    }
    int64_t now = confmgr_now(api->cm);
    if (!s)
        s = pin_new(api, peer, m->id);
    if (now - s->window_start >= API_PIN_WINDOW_S) {
        s->window_start = now;
        s->fails = 0;
    }
    if (++s->fails >= API_PIN_FAILS) {
        s->locked_until = now + API_PIN_LOCK_S;
        s->fails = 0;
    }
}

static int post_participant(struct api *api, struct api_req *rq)
{
    struct meeting *m;
    struct join_spec js;
    int err = find_meeting(api, rq, &m);
    if (!err)
        err = pin_throttle(api, rq, m);
    if (!err)
        err = parse_join(rq, &js);
    if (err)
        return err;
    struct participant *p;
    err = confmgr_join(api->cm, m, &js, &p);
    /* Only a judged PIN is evidence: a full or closed meeting says nothing about guessing. */
    if (m->pin[0] && (!err || err == -EPERM))
        pin_note(api, rq, m, !err);
    if (err)
        return join_error(rq, m, err);
    rq->status = 201;
    rq->reply = join_json(api, m, p);
    return 0;
}

static json_t *stats_json(struct pstats *s)
{
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I}", "rx_packets",
        (json_int_t)pstat_get(&s->rx_packets), "rx_bytes", (json_int_t)pstat_get(&s->rx_bytes),
        "rx_rtcp", (json_int_t)pstat_get(&s->rx_rtcp), "rx_malformed",
        (json_int_t)pstat_get(&s->rx_malformed), "rx_auth_fail",
        (json_int_t)pstat_get(&s->rx_auth_fail), "rx_replay", (json_int_t)pstat_get(&s->rx_replay),
        "rx_unknown", (json_int_t)pstat_get(&s->rx_unknown), "rx_foreign",
        (json_int_t)pstat_get(&s->rx_foreign), "rx_lost",
        (json_int_t)atomic_load_explicit(&s->rx_lost, memory_order_relaxed), "rx_jitter_ms",
        (double)pstat_get(&s->rx_jitter_us) / 1000.0, "tx_packets",
        (json_int_t)pstat_get(&s->tx_packets), "tx_bytes", (json_int_t)pstat_get(&s->tx_bytes),
        "tx_rtcp", (json_int_t)pstat_get(&s->tx_rtcp), "tx_errors",
        (json_int_t)pstat_get(&s->tx_errors));
}

static json_t *participant_media_json(struct participant *p)
{
    return json_pack("{s:s, s:b, s:b, s:b, s:i, s:s}", "codec", p->codec->name, "talking",
                     pstat_get(&p->stats.talking) != 0, "mixed", pstat_get(&p->stats.mixed) != 0,
                     "muted", p->muted != 0, "gain_percent", p->gain_pct, "srtp_suite",
                     suite_name(p));
}

static json_t *participant_json(struct participant *p)
{
    char joined[32], recv[80];
    return json_pack(
        "{s:s, s:s, s:s, s:i, s:o, s:o, s:o}", "id", p->id, "name", p->name, "joined",
        time_format_utc(p->joined_unix, joined, sizeof(joined)), "port", p->port, "recv",
        p->has_recv ? json_string(udp_addr_str(&p->recv, recv, sizeof(recv))) : json_null(),
        "audio", participant_media_json(p), "stats", stats_json(&p->stats));
}

static json_t *participant_full_json(struct participant *p)
{
    json_t *j = participant_json(p);
    if (j && p->vport) {
        json_t *st = stats_json(&p->vstats);
        if (st) {
            json_object_set_new(st, "rx_frames",
                                json_integer((json_int_t)pstat_get(&p->vstats.rx_frames)));
            json_object_set_new(st, "rx_frames_lost",
                                json_integer((json_int_t)pstat_get(&p->vstats.rx_frames_lost)));
            json_object_set_new(st, "rx_nack",
                                json_integer((json_int_t)pstat_get(&p->vstats.rx_nack)));
            json_object_set_new(st, "rx_keyreq",
                                json_integer((json_int_t)pstat_get(&p->vstats.rx_keyreq)));
            json_object_set_new(st, "tx_rtx",
                                json_integer((json_int_t)pstat_get(&p->vstats.tx_rtx)));
            json_object_set_new(st, "tx_keyreq",
                                json_integer((json_int_t)pstat_get(&p->vstats.tx_keyreq)));
        }
        json_object_set_new(j, "video",
                            json_pack("{s:s, s:i, s:o}", "codec",
                                      p->vcodec == VCODEC_H264 ? "h264" : "vp8", "port", p->vport,
                                      "stats", st ? st : json_null()));
    }
    return j;
}

static int list_participants(struct api *api, struct api_req *rq)
{
    struct meeting *m;
    int err = find_meeting(api, rq, &m);
    if (err)
        return err;
    json_t *arr = json_array();
    for (struct participant *p = m->participants; p; p = p->next)
        json_array_append_new(arr, participant_full_json(p));
    rq->reply = json_pack("{s:s, s:o}", "meeting", m->id, "participants", arr);
    return 0;
}

static int delete_participant(struct api *api, struct api_req *rq)
{
    struct meeting *m;
    struct participant *p;
    int err = find_participant(api, rq, &m, &p);
    if (err)
        return err;
    char id[MEETING_ID_LEN + 1];
    snprintf(id, sizeof(id), "%s", p->id);
    err = confmgr_leave(api->cm, m, p);
    if (err)
        return api_fail(rq, 500, err, "could not remove the participant: %s", strerror(-err));
    rq->reply = json_pack("{s:s, s:b}", "participant", id, "left", 1);
    return 0;
}

/* Why input was not used. "foreign" (another address than the latched one) is listed but not
 * in mcu_rx_dropped: a plain session drops such packets, an SRTP one takes them (NAT rebinding). */
#define DROP_REASONS 5
#define DROP_COUNTED 4 /* the first ones, those in mcu_rx_dropped */
static const char *const drop_reasons[DROP_REASONS] = {"malformed", "auth_fail", "replay",
                                                       "unknown", "foreign"};

static void drops_add(uint64_t *why, struct pstats *s)
{
    why[0] += pstat_get(&s->rx_malformed);
    why[1] += pstat_get(&s->rx_auth_fail);
    why[2] += pstat_get(&s->rx_replay);
    why[3] += pstat_get(&s->rx_unknown);
    why[4] += pstat_get(&s->rx_foreign);
}

static int get_metrics(struct api *api, struct api_req *rq)
{
    unsigned meetings = 0, open = 0, parts = 0;
    uint64_t rx = 0, tx = 0, rtcp = 0, bad = 0, encoders = 0, decoders = 0, overruns = 0;
    uint64_t why[DROP_REASONS] = {0}; /* in drop_reasons' order */
    int64_t lost = 0;
    double jitter_ms_max = 0;
    for (struct meeting *m = confmgr_meetings(api->cm); m; m = m->next) {
        meetings++;
        open += m->state == MEETING_OPEN;
        if (m->conf) {
            encoders += pstat_get(&m->cstats.encoders_running);
            decoders += pstat_get(&m->cstats.decoders_running);
            overruns += pstat_get(&m->cstats.tick_overruns);
        }
        for (struct participant *p = m->participants; p; p = p->next) {
            parts++;
            rx += pstat_get(&p->stats.rx_packets);
            tx += pstat_get(&p->stats.tx_packets);
            rtcp += pstat_get(&p->stats.tx_rtcp);
            drops_add(why, &p->stats);
            if (p->vport)
                drops_add(why, &p->vstats);
            lost += atomic_load_explicit(&p->stats.rx_lost, memory_order_relaxed);
            double j = (double)pstat_get(&p->stats.rx_jitter_us) / 1000.0;
            jitter_ms_max = j > jitter_ms_max ? j : jitter_ms_max;
        }
    }
    for (size_t i = 0; i < DROP_COUNTED; i++)
        bad += why[i];
    rq->text = evbuffer_new();
    if (!rq->text)
        return api_fail(rq, 500, -ENOMEM, "out of memory");
    evbuffer_add_printf(rq->text,
                        "# TYPE mcu_meetings gauge\nmcu_meetings %u\n"
                        "# TYPE mcu_meetings_open gauge\nmcu_meetings_open %u\n"
                        "# TYPE mcu_participants gauge\nmcu_participants %u\n"
                        "# TYPE mcu_rx_packets counter\nmcu_rx_packets %llu\n"
                        "# TYPE mcu_tx_packets counter\nmcu_tx_packets %llu\n"
                        "# TYPE mcu_tx_rtcp counter\nmcu_tx_rtcp %llu\n"
                        "# TYPE mcu_rx_dropped counter\nmcu_rx_dropped %llu\n"
                        "# TYPE mcu_encoders_running gauge\nmcu_encoders_running %llu\n"
                        "# TYPE mcu_tick_overruns counter\nmcu_tick_overruns %llu\n"
                        "# TYPE mcu_workers gauge\nmcu_workers %u\n"
                        "# TYPE mcu_api_requests counter\nmcu_api_requests %llu\n",
                        meetings, open, parts, (unsigned long long)rx, (unsigned long long)tx,
                        (unsigned long long)rtcp, (unsigned long long)bad,
                        (unsigned long long)encoders, (unsigned long long)overruns,
                        confmgr_worker_count(api->cm), api->requests);
    evbuffer_add_printf(rq->text,
                        "# TYPE mcu_decoders_running gauge\nmcu_decoders_running %llu\n"
                        "# TYPE mcu_rx_lost counter\nmcu_rx_lost %lld\n"
                        "# TYPE mcu_rx_jitter_ms_max gauge\nmcu_rx_jitter_ms_max %.3f\n"
                        "# TYPE mcu_worker_cpu_seconds counter\n",
                        (unsigned long long)decoders, (long long)lost, jitter_ms_max);
    for (unsigned i = 0; i < confmgr_worker_count(api->cm); i++)
        evbuffer_add_printf(rq->text, "mcu_worker_cpu_seconds{worker=\"%u\"} %.3f\n", i,
                            confmgr_worker_cpu(api->cm, i));
    evbuffer_add_printf(rq->text, "# TYPE mcu_rx_dropped_by_reason counter\n");
    for (size_t i = 0; i < DROP_REASONS; i++)
        evbuffer_add_printf(rq->text, "mcu_rx_dropped_by_reason{reason=\"%s\"} %llu\n",
                            drop_reasons[i], (unsigned long long)why[i]);
    evbuffer_add_printf(rq->text, "# TYPE mcu_api_pin_refused counter\nmcu_api_pin_refused %llu\n",
                        api->pin_refused);
    return 0;
}

static int set_mute(struct api *api, struct api_req *rq, int muted)
{
    struct meeting *m;
    struct participant *p;
    int err = find_participant(api, rq, &m, &p);
    if (err)
        return err;
    err = confmgr_mute(api->cm, m, p, muted);
    if (err)
        return api_fail(rq, 0, err, "could not change the mute: %s", strerror(-err));
    rq->reply = json_pack("{s:s, s:b}", "participant", p->id, "muted", muted);
    return 0;
}

static const struct jsonspec gain_params[] = {
    {"gain_percent", JS_INT, 1, 0, 200, NULL},
};

static int post_gain(struct api *api, struct api_req *rq)
{
    struct meeting *m;
    struct participant *p;
    int err = find_participant(api, rq, &m, &p);
    if (!err)
        err = check_body(rq, gain_params, 1);
    if (err)
        return err;
    int pct = (int)jsonspec_int(rq->body, "gain_percent", 100);
    err = confmgr_set_gain(api->cm, m, p, pct);
    if (err)
        return api_fail(rq, 0, err, "could not change the gain: %s", strerror(-err));
    rq->reply = json_pack("{s:s, s:i}", "participant", p->id, "gain_percent", pct);
    return 0;
}

static int post_mute(struct api *api, struct api_req *rq)
{
    return set_mute(api, rq, 1);
}

static int post_unmute(struct api *api, struct api_req *rq)
{
    return set_mute(api, rq, 0);
}

static int get_events(struct api *api, struct api_req *rq)
{
    struct meeting *m;
    int err = find_meeting(api, rq, &m);
    if (err)
        return err;
    rq->stream = 1;
    return 0;
}

const struct api_route api_routes[] = {
    {EVHTTP_REQ_GET, "/api/v1/meetings/:id/events", get_events, 0},
    {EVHTTP_REQ_GET, "/healthz", get_health, 1},
    {EVHTTP_REQ_GET, "/metrics", get_metrics, 0},
    {EVHTTP_REQ_POST, "/api/v1/meetings", post_meeting, 0},
    {EVHTTP_REQ_GET, "/api/v1/meetings", list_meetings, 0},
    {EVHTTP_REQ_GET, "/api/v1/meetings/:id", get_meeting, 0},
    {EVHTTP_REQ_DELETE, "/api/v1/meetings/:id", delete_meeting, 0},
    {EVHTTP_REQ_PATCH, "/api/v1/meetings/:id", patch_meeting, 0},
    {EVHTTP_REQ_POST, "/api/v1/meetings/:id/participants/:pid/mute", post_mute, 0},
    {EVHTTP_REQ_POST, "/api/v1/meetings/:id/participants/:pid/unmute", post_unmute, 0},
    {EVHTTP_REQ_POST, "/api/v1/meetings/:id/participants/:pid/gain", post_gain, 0},
    {EVHTTP_REQ_POST, "/api/v1/meetings/:id/participants", post_participant, 0},
    {EVHTTP_REQ_GET, "/api/v1/meetings/:id/participants", list_participants, 0},
    {EVHTTP_REQ_DELETE, "/api/v1/meetings/:id/participants/:pid", delete_participant, 0},
};
const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
