/* The load generator's Janus backend: drives the AudioBridge plugin of Janus WebRTC Server
 * (1.1.2, Debian's) through its HTTP API, with every participant a "plain RTP" participant.
 *
 * One Janus session holds everything: per meeting a handle that owns an AudioBridge room, per
 * participant a handle that joined it with an "rtp" object. Requests are POSTs to
 * /janus[/SESSION[/HANDLE]]; "create", "destroy" and the other synchronous plugin requests answer
 * in the POST's reply, "join" and "leave" answer "ack" there and deliver their result as an event
 * on the session's long poll (GET /janus/SESSION?maxev=N). Janus sends every participant an event
 * when another joins or leaves, so a meeting of N queues O(N^2) events on the session while the
 * generator fills it: each poll drains what is queued and keeps only the event it waits for.
 *
 * A keepalive thread POSTs {"janus":"keepalive"} every KEEPALIVE_S seconds, so the session
 * outlives Janus's session_timeout (60 s by default) while the generator measures without any
 * request. bench/janus/start.sh also disables that timeout. Every wait is bounded. */
#include "backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "httpc.h"

#define PLUGIN        "janus.plugin.audiobridge"
#define OPUS_PT       111
#define KEEPALIVE_S   20 /* well under Janus's default session_timeout of 60 s */
#define EVENT_WAIT_S  10 /* how long join/leave wait for their event */
#define POLL_MAXEV    256
#define POLL_ATTEMPTS 8 /* long polls per event wait, each bounded by HTTPC_TIMEOUT_S */

struct jroom {
    json_int_t handle; /* the handle that created the room */
    json_int_t id;     /* the AudioBridge room id Janus chose */
};

struct jctx {
    char *url;    /* base URL, e.g. http://127.0.0.1:8188/janus */
    char *secret; /* sent as "apisecret" when the caller gave a token */
    json_int_t session;
    unsigned meetings;
    struct jroom *rooms;
    unsigned long txn; /* transaction counter, control thread only */
    /* keepalive thread */
    pthread_t ka_thread;
    int ka_started;
    int ka_stop;
    pthread_mutex_t ka_mu;
    pthread_cond_t ka_cv;
};

static void jlog(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("janus backend: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sends `body` (a Janus request without "transaction", which this adds, stolen) to `path` and
 * parses the reply. Returns the reply object or NULL (logged). */
static json_t *call(struct jctx *c, const char *method, const char *path, json_t *body,
                    const char *txn)
{
    char *text = NULL;
    if (body) {
        if (txn)
            json_object_set_new(body, "transaction", json_string(txn));
        if (c->secret)
            json_object_set_new(body, "apisecret", json_string(c->secret));
        text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        if (!text) {
            jlog("out of memory");
            return NULL;
        }
    }
    struct httpc_reply r;
    int rc = httpc_request(c->url, method, path, NULL, text, &r);
    free(text);
    if (rc < 0) {
        jlog("%s %s: %s", method, path, strerror(-rc));
        return NULL;
    }
    json_error_t err;
    json_t *j = json_loadb(r.body, r.len, 0, &err);
    if (!j)
        jlog("%s %s: HTTP %d, not JSON: %.200s", method, path, r.status, r.body);
    httpc_reply_free(&r);
    return j;
}

static void next_txn(struct jctx *c, char *buf, size_t n)
{
    snprintf(buf, n, "lg%lu", ++c->txn);
}

/* Logs a Janus-level error ({"janus":"error","error":{...}}) or a plugin error (plugindata.data
 * with "error_code"); returns 1 when `j` is either. */
static int is_error(const json_t *j, const char *what)
{
    const char *kind = json_string_value(json_object_get(j, "janus"));
    if (kind && strcmp(kind, "error") == 0) {
        json_t *e = json_object_get(j, "error");
        jlog("%s: Janus error %" JSON_INTEGER_FORMAT ": %s", what,
             json_integer_value(json_object_get(e, "code")),
             json_string_value(json_object_get(e, "reason")));
        return 1;
    }
    json_t *data = json_object_get(json_object_get(j, "plugindata"), "data");
    if (json_object_get(data, "error_code")) {
        jlog("%s: AudioBridge error %" JSON_INTEGER_FORMAT ": %s", what,
             json_integer_value(json_object_get(data, "error_code")),
             json_string_value(json_object_get(data, "error")));
        return 1;
    }
    return 0;
}

/* POST {"janus":"attach"} -> the new handle's id, or 0. */
static json_int_t attach(struct jctx *c)
{
    char txn[32], path[64];
    next_txn(c, txn, sizeof(txn));
    snprintf(path, sizeof(path), "/%" JSON_INTEGER_FORMAT, c->session);
    json_t *r =
        call(c, "POST", path, json_pack("{s:s, s:s}", "janus", "attach", "plugin", PLUGIN), txn);
    json_int_t h = 0;
    if (r && !is_error(r, "attach"))
        h = json_integer_value(json_object_get(json_object_get(r, "data"), "id"));
    json_decref(r);
    return h;
}

static void detach(struct jctx *c, json_int_t handle)
{
    char txn[32], path[64];
    next_txn(c, txn, sizeof(txn));
    snprintf(path, sizeof(path), "/%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT, c->session,
             handle);
    json_t *r = call(c, "POST", path, json_pack("{s:s}", "janus", "detach"), txn);
    if (r)
        is_error(r, "detach");
    json_decref(r);
}

/* POST {"janus":"message","body":body} to a handle (body stolen). Returns the reply: for a
 * synchronous request {"janus":"success","plugindata":{...}}, for an asynchronous one
 * {"janus":"ack"}. */
static json_t *message(struct jctx *c, json_int_t handle, json_t *body, const char *txn)
{
    char path[64];
    snprintf(path, sizeof(path), "/%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT, c->session,
             handle);
    return call(c, "POST", path, json_pack("{s:s, s:o}", "janus", "message", "body", body), txn);
}

/* Long-polls the session until the event answering `txn` arrives; every other queued event is
 * dropped. Returns that event's plugindata.data (a new reference) or NULL after EVENT_WAIT_S. */
static json_t *wait_event(struct jctx *c, const char *txn, const char *what)
{
    char path[96];
    snprintf(path, sizeof(path), "/%" JSON_INTEGER_FORMAT "?maxev=%d", c->session, POLL_MAXEV);
    double deadline = now_s() + EVENT_WAIT_S;
    for (int attempt = 0; attempt < POLL_ATTEMPTS && now_s() < deadline; attempt++) {
        json_t *r = call(c, "GET", path, NULL, NULL);
        if (!r)
            continue; /* a timed-out poll (nothing queued) or a transient failure */
        json_t *found = NULL;
        int answered = 0; /* the event came, with or without data */
        size_t n = json_is_array(r) ? json_array_size(r) : 1;
        for (size_t i = 0; i < n && !answered; i++) {
            json_t *ev = json_is_array(r) ? json_array_get(r, i) : r;
            const char *t = json_string_value(json_object_get(ev, "transaction"));
            if (!t || strcmp(t, txn) != 0)
                continue;
            answered = 1;
            if (is_error(ev, what))
                break;
            found = json_object_get(json_object_get(ev, "plugindata"), "data");
            if (found)
                json_incref(found);
            else
                jlog("%s: event without plugin data", what);
        }
        json_decref(r);
        if (answered)
            return found;
    }
    jlog("%s: no event for transaction %s within %d s", what, txn, EVENT_WAIT_S);
    return NULL;
}

static void *keepalive_main(void *arg)
{
    struct jctx *c = arg;
    char path[64];
    snprintf(path, sizeof(path), "/%" JSON_INTEGER_FORMAT, c->session);
    unsigned long n = 0;
    pthread_mutex_lock(&c->ka_mu);
    while (!c->ka_stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += KEEPALIVE_S;
        while (!c->ka_stop && pthread_cond_timedwait(&c->ka_cv, &c->ka_mu, &until) != ETIMEDOUT)
            ;
        if (c->ka_stop)
            break;
        pthread_mutex_unlock(&c->ka_mu);
        char txn[32];
        snprintf(txn, sizeof(txn), "ka%lu", ++n);
        json_t *r = call(c, "POST", path, json_pack("{s:s}", "janus", "keepalive"), txn);
        if (r)
            is_error(r, "keepalive");
        json_decref(r);
        pthread_mutex_lock(&c->ka_mu);
    }
    pthread_mutex_unlock(&c->ka_mu);
    return NULL;
}

static int start_keepalive(struct jctx *c)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return -1;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&c->ka_cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return -1;
    pthread_mutex_init(&c->ka_mu, NULL);
    if (pthread_create(&c->ka_thread, NULL, keepalive_main, c) != 0) {
        pthread_cond_destroy(&c->ka_cv);
        pthread_mutex_destroy(&c->ka_mu);
        return -1;
    }
    c->ka_started = 1;
    return 0;
}

static void stop_keepalive(struct jctx *c)
{
    if (!c->ka_started)
        return;
    pthread_mutex_lock(&c->ka_mu);
    c->ka_stop = 1;
    pthread_cond_signal(&c->ka_cv);
    pthread_mutex_unlock(&c->ka_mu);
    pthread_join(c->ka_thread, NULL);
    pthread_cond_destroy(&c->ka_cv);
    pthread_mutex_destroy(&c->ka_mu);
    c->ka_started = 0;
}

static void janus_close(void *ctx);

/* One room per meeting: 48 kHz mixing, plain-RTP participants allowed, no audio-level
 * extension or talking events (nothing the generator would read), not saved to the config. */
static int create_room(struct jctx *c, unsigned m, unsigned size)
{
    struct jroom *room = &c->rooms[m];
    room->handle = attach(c);
    if (!room->handle)
        return -1;
    char txn[32], desc[48];
    next_txn(c, txn, sizeof(txn));
    snprintf(desc, sizeof(desc), "loadgen meeting %u of %u", m, size);
    json_t *body =
        json_pack("{s:s, s:b, s:s, s:b, s:i, s:b, s:b, s:b}", "request", "create", "permanent", 0,
                  "description", desc, "is_private", 1, "sampling_rate", 48000,
                  "allow_rtp_participants", 1, "audiolevel_ext", 0, "audiolevel_event", 0);
    json_t *r = message(c, room->handle, body, txn);
    int rc = -1;
    if (r && !is_error(r, "create")) {
        json_t *data = json_object_get(json_object_get(r, "plugindata"), "data");
        const char *what = json_string_value(json_object_get(data, "audiobridge"));
        room->id = json_integer_value(json_object_get(data, "room"));
        if (what && strcmp(what, "created") == 0 && room->id)
            rc = 0;
        else
            jlog("create: unexpected answer");
    }
    json_decref(r);
    return rc;
}

static int janus_open(void **ctx, const char *base_url, const char *token, unsigned meetings,
                      unsigned size, const struct lg_video_meeting *video)
{
    *ctx = NULL;
    if (video) {
        jlog("AudioBridge mixes audio only: it has no video to composite");
        return -ENOTSUP;
    }
    int rc = httpc_check_url(base_url);
    if (rc < 0) {
        jlog("bad URL %s: %s", base_url, strerror(-rc));
        return -1;
    }
    struct jctx *c = calloc(1, sizeof(*c));
    if (!c)
        return -1;
    c->url = strdup(base_url);
    c->secret = token && *token ? strdup(token) : NULL;
    c->rooms = calloc(meetings ? meetings : 1, sizeof(*c->rooms));
    if (!c->url || !c->rooms || (token && *token && !c->secret)) {
        janus_close(c);
        return -1;
    }
    char txn[32];
    next_txn(c, txn, sizeof(txn));
    json_t *r = call(c, "POST", "/", json_pack("{s:s}", "janus", "create"), txn);
    if (r && !is_error(r, "create session"))
        c->session = json_integer_value(json_object_get(json_object_get(r, "data"), "id"));
    json_decref(r);
    if (!c->session || start_keepalive(c) != 0) {
        janus_close(c);
        return -1;
    }
    for (unsigned m = 0; m < meetings; m++, c->meetings++) {
        if (create_room(c, m, size) != 0) {
            c->meetings += c->rooms[m].handle != 0; /* so close detaches it */
            janus_close(c);
            return -1;
        }
    }
    *ctx = c;
    return 0;
}

static int janus_join(void *ctx, unsigned meeting, unsigned index, struct lg_participant *p)
{
    struct jctx *c = ctx;
    if (meeting >= c->meetings) {
        jlog("join: no meeting %u", meeting);
        return -1;
    }
    json_int_t h = attach(c);
    if (!h)
        return -1;
    char txn[32], display[48];
    next_txn(c, txn, sizeof(txn));
    snprintf(display, sizeof(display), "lg-%u-%u", meeting, index);
    json_t *body =
        json_pack("{s:s, s:I, s:s, s:b, s:s, s:{s:s, s:i, s:i}}", "request", "join", "room",
                  c->rooms[meeting].id, "display", display, "muted", 0, "codec", "opus", "rtp",
                  "ip", "127.0.0.1", "port", (int)p->local_port, "payload_type", OPUS_PT);
    json_t *r = message(c, h, body, txn);
    const char *kind = r ? json_string_value(json_object_get(r, "janus")) : NULL;
    int ok = kind && strcmp(kind, "ack") == 0;
    if (r && !ok && !is_error(r, "join"))
        jlog("join: expected ack, got %s", kind ? kind : "?");
    json_decref(r);
    json_t *data = ok ? wait_event(c, txn, "join") : NULL;
    /* {"audiobridge":"joined","room":R,"id":ID,"participants":[...],
     *  "rtp":{"ip":"127.0.0.1","port":P,"payload_type":111}} */
    json_t *rtp = json_object_get(data, "rtp");
    const char *ip = json_string_value(json_object_get(rtp, "ip"));
    json_int_t port = json_integer_value(json_object_get(rtp, "port"));
    json_t *pt = json_object_get(rtp, "payload_type");
    memset(&p->server, 0, sizeof(p->server));
    p->server.sin_family = AF_INET;
    if (!ip || port <= 0 || port > 65535 || inet_pton(AF_INET, ip, &p->server.sin_addr) != 1) {
        if (data)
            jlog("join: no usable rtp object in the joined event");
        json_decref(data);
        detach(c, h);
        return -1;
    }
    p->server.sin_port = htons((uint16_t)port);
    p->pt = json_is_integer(pt) ? (uint8_t)json_integer_value(pt) : OPUS_PT;
    p->srtp = 0;
    p->suite = 0;
    memset(p->tx_key, 0, sizeof(p->tx_key));
    memset(p->rx_key, 0, sizeof(p->rx_key));
    /* "HANDLE/PARTICIPANT": leave needs the handle, the participant id is for logs. */
    snprintf(p->id, sizeof(p->id), "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT, h,
             json_integer_value(json_object_get(data, "id")));
    json_decref(data);
    return 0;
}

static int janus_leave(void *ctx, unsigned meeting, struct lg_participant *p)
{
    struct jctx *c = ctx;
    char *end = NULL;
    errno = 0;
    long long h = strtoll(p->id, &end, 10);
    if (errno || end == p->id || *end != '/' || h <= 0) {
        jlog("leave: bad participant id '%s'", p->id);
        return -1;
    }
    char txn[32];
    next_txn(c, txn, sizeof(txn));
    json_t *r = message(c, (json_int_t)h, json_pack("{s:s}", "request", "leave"), txn);
    const char *kind = r ? json_string_value(json_object_get(r, "janus")) : NULL;
    int rc = -1;
    if (kind && strcmp(kind, "ack") == 0) {
        /* {"audiobridge":"left","room":R,"id":ID} */
        json_t *data = wait_event(c, txn, "leave");
        const char *what = json_string_value(json_object_get(data, "audiobridge"));
        rc = what && strcmp(what, "left") == 0 ? 0 : -1;
        json_decref(data);
    } else if (r) {
        is_error(r, "leave");
    }
    json_decref(r);
    detach(c, (json_int_t)h); /* detaching alone would also take the participant out */
    p->id[0] = '\0';
    return rc;
}

static void janus_close(void *ctx)
{
    struct jctx *c = ctx;
    if (!c)
        return;
    stop_keepalive(c);
    for (unsigned m = 0; c->session && m < c->meetings; m++) {
        struct jroom *room = &c->rooms[m];
        if (room->id) {
            char txn[32];
            next_txn(c, txn, sizeof(txn));
            json_t *r =
                message(c, room->handle,
                        json_pack("{s:s, s:I}", "request", "destroy", "room", room->id), txn);
            if (r)
                is_error(r, "destroy room");
            json_decref(r);
        }
        if (room->handle)
            detach(c, room->handle);
    }
    if (c->session) {
        /* Destroying the session also detaches every participant handle still attached. */
        char txn[32], path[64];
        next_txn(c, txn, sizeof(txn));
        snprintf(path, sizeof(path), "/%" JSON_INTEGER_FORMAT, c->session);
        json_t *r = call(c, "POST", path, json_pack("{s:s}", "janus", "destroy"), txn);
        if (r)
            is_error(r, "destroy session");
        json_decref(r);
    }
    free(c->rooms);
    free(c->secret);
    free(c->url);
    free(c);
}

const struct lg_backend_ops lg_backend_janus = {
    .name = "janus",
    .open = janus_open,
    .join = janus_join,
    .leave = janus_leave,
    .close = janus_close,
};
