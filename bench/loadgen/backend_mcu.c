/* The load generator's backend for this server: meetings and participants over the HTTP API
 * (mcu/API.md) with the blocking client mcuctl uses. */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "backend.h"
#include "base64.h"
#include "httpc.h"
#include "loadgen.h"
#include "rtpsec.h"

unsigned lg_audio_level_id;
int lg_plain_rtp;

const char *lg_suite_name(int suite)
{
    if (suite == LG_SUITE_PLAIN)
        return "off (plain RTP)";
    return rtpsec_suite_name((enum rtpsec_suite)suite);
}

struct mcu_ctx {
    char url[256];
    char token[256];
    unsigned meetings;
    char (*ids)[64];
};

/* One request whose answer must have status `want`; the parsed JSON body in *out (may be
 * NULL). Prints the server's reason on failure. */
static int call(struct mcu_ctx *c, const char *method, const char *path, const char *body, int want,
                json_t **out)
{
    struct httpc_reply r = {0};
    int err = httpc_request(c->url, method, path, c->token[0] ? c->token : NULL, body, &r);
    if (err) {
        fprintf(stderr, "loadgen: %s %s%s: %s\n", method, c->url, path, strerror(-err));
        return err;
    }
    if (r.status != want) {
        int status = r.status;
        fprintf(stderr, "loadgen: %s %s: HTTP %d: %.300s\n", method, path, status, r.body);
        httpc_reply_free(&r);
        return status == 401 ? -EACCES : -EPROTO;
    }
    if (out) {
        json_error_t je;
        *out = json_loads(r.body, 0, &je);
        if (!*out) {
            fprintf(stderr, "loadgen: %s %s: the answer is not JSON: %s\n", method, path, je.text);
            err = -EBADMSG;
        }
    }
    httpc_reply_free(&r);
    return err;
}

static void mcu_close(void *ctx)
{
    struct mcu_ctx *c = ctx;
    if (!c)
        return;
    for (unsigned i = 0; i < c->meetings; i++) {
        if (!c->ids[i][0])
            continue;
        char path[128];
        snprintf(path, sizeof(path), "/api/v1/meetings/%s", c->ids[i]);
        call(c, "DELETE", path, NULL, 200, NULL);
    }
    free(c->ids);
    free(c);
}

static int mcu_open(void **ctx, const char *base_url, const char *token, unsigned meetings,
                    unsigned size, const struct lg_video_meeting *video)
{
    int err = httpc_check_url(base_url);
    if (err) {
        fprintf(stderr, "loadgen: %s is not an http:// URL\n", base_url);
        return err;
    }
    struct mcu_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    snprintf(c->url, sizeof(c->url), "%s", base_url);
    snprintf(c->token, sizeof(c->token), "%s", token ? token : "");
    c->ids = calloc(meetings ? meetings : 1, sizeof(*c->ids));
    if (!c->ids) {
        free(c);
        return -ENOMEM;
    }
    c->meetings = meetings;
    char vbody[160] = "";
    if (video)
        snprintf(vbody, sizeof(vbody),
                 ", \"video\": \"composite\", \"layout\": \"grid\", \"resolution\": "
                 "\"%dx%d\", \"video_kbps\": %d",
                 video->width, video->height, video->kbps);
    for (unsigned i = 0; i < meetings && !err; i++) {
        char body[400];
        snprintf(body, sizeof(body),
                 "{\"title\": \"loadgen %u\", \"start\": \"now\", \"duration\": 120, "
                 "\"max\": %u%s%s}",
                 i, size < 2 ? 2 : size, vbody, lg_plain_rtp ? ", \"plain_rtp\": true" : "");
        json_t *j = NULL;
        err = call(c, "POST", "/api/v1/meetings", body, 201, &j);
        const char *id = j ? json_string_value(json_object_get(j, "id")) : NULL;
        if (!err && !id)
            err = -EBADMSG;
        if (!err)
            snprintf(c->ids[i], sizeof(c->ids[i]), "%s", id);
        json_decref(j);
    }
    if (err) {
        mcu_close(c);
        return err;
    }
    *ctx = c;
    return 0;
}

/* The key after "inline:" in the SDP's a=crypto line: what the server protects with. */
static int sdp_key(const char *sdp, uint8_t *key, size_t want)
{
    const char *k = sdp ? strstr(sdp, "a=crypto:") : NULL;
    k = k ? strstr(k, "inline:") : NULL;
    if (!k)
        return -EBADMSG;
    k += strlen("inline:");
    size_t n = strcspn(k, "|\r\n ");
    int len = base64_decode(key, LG_KEY_MAX, k, n);
    return len == (int)want ? 0 : -EBADMSG;
}

/* The generator sends only to this machine: a server that names another media address (its
 * --media-ip) is refused rather than loaded over a network. */
static int loopback(const char *host, struct sockaddr_in *a)
{
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1 || (ntohl(a->sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "loadgen: the server's media address %s is not 127.0.0.1: not sending\n",
                host);
        return 0;
    }
    return 1;
}

/* The join answer's "video" object: where to send VP8, with which key, and (from its SDP's
 * a=crypto) the key the composite comes protected with. */
static int video_answer(const json_t *v, enum rtpsec_suite suite, struct lg_participant *p)
{
    const char *host = json_string_value(json_object_get(v, "host"));
    const char *key = json_string_value(json_object_get(v, "srtp_key"));
    json_int_t port = json_integer_value(json_object_get(v, "port"));
    json_int_t pt = json_integer_value(json_object_get(v, "payload_type"));
    if (!host || !key || port <= 0 || port >= 65536 || pt <= 0 || pt >= 128)
        return -EBADMSG;
    size_t kl = rtpsec_key_len(suite);
    memset(&p->vserver, 0, sizeof(p->vserver));
    p->vserver.sin_family = AF_INET;
    p->vserver.sin_port = htons((uint16_t)port);
    if (!loopback(host, &p->vserver) ||
        base64_decode(p->vtx_key, sizeof(p->vtx_key), key, strlen(key)) != (int)kl ||
        sdp_key(json_string_value(json_object_get(v, "sdp")), p->vrx_key, kl))
        return -EBADMSG;
    p->vpt = (uint8_t)pt;
    return 0;
}

static int mcu_join(void *ctx, unsigned meeting, unsigned index, struct lg_participant *p)
{
    struct mcu_ctx *c = ctx;
    if (meeting >= c->meetings)
        return -EINVAL;
    enum rtpsec_suite suite = (enum rtpsec_suite)p->suite;
    if (p->suite < 0 || p->suite >= RTPSEC_SUITE_COUNT)
        suite = RTPSEC_AES_CM_128_HMAC_SHA1_80;
    char path[128], body[400], level[40] = "", video[80] = "";
    if (lg_audio_level_id)
        snprintf(level, sizeof(level), ", \"audio_level_id\": %u", lg_audio_level_id);
    /* The API takes a video receiver only with a codec, so receive-only participants say vp8
     * too; they just never send. */
    if (p->video)
        snprintf(video, sizeof(video), ", \"video\": \"vp8\", \"video_recv\": \"127.0.0.1:%u\"",
                 p->vlocal_port);
    snprintf(path, sizeof(path), "/api/v1/meetings/%s/participants", c->ids[meeting]);
    snprintf(body, sizeof(body),
             "{\"name\": \"lg-%u-%u\", \"recv\": \"127.0.0.1:%u\", \"rtcp_mux\": true, "
             "\"srtp_suite\": \"%s\"%s%s}",
             meeting, index, p->local_port, lg_plain_rtp ? "none" : rtpsec_suite_name(suite), level,
             video);
    json_t *j = NULL;
    int err = call(c, "POST", path, body, 201, &j);
    if (err)
        return err;
    json_t *a = json_object_get(j, "audio");
    const char *host = json_string_value(json_object_get(a, "host"));
    const char *pid = json_string_value(json_object_get(j, "participant"));
    const char *key = json_string_value(json_object_get(a, "srtp_key"));
    const char *sname = json_string_value(json_object_get(a, "srtp_suite"));
    json_int_t port = json_integer_value(json_object_get(a, "port"));
    json_int_t pt = json_integer_value(json_object_get(a, "payload_type"));
    err = -EBADMSG;
    if (lg_plain_rtp && host && pid && sname && !strcmp(sname, "none") && port > 0 &&
        port < 65536 && pt > 0 && pt < 128 && !p->video) {
        memset(&p->server, 0, sizeof(p->server));
        p->server.sin_family = AF_INET;
        p->server.sin_port = htons((uint16_t)port);
        if (loopback(host, &p->server)) {
            p->pt = (uint8_t)pt;
            p->srtp = 0;
            snprintf(p->id, sizeof(p->id), "%s", pid);
            err = 0;
        }
    } else if (host && pid && key && sname && port > 0 && port < 65536 && pt > 0 && pt < 128 &&
               !rtpsec_suite_parse(sname, &suite)) {
        size_t kl = rtpsec_key_len(suite);
        memset(&p->server, 0, sizeof(p->server));
        p->server.sin_family = AF_INET;
        p->server.sin_port = htons((uint16_t)port);
        int ok = loopback(host, &p->server);
        ok = ok && base64_decode(p->tx_key, sizeof(p->tx_key), key, strlen(key)) == (int)kl;
        ok = ok && !sdp_key(json_string_value(json_object_get(j, "sdp")), p->rx_key, kl);
        ok = ok && (!p->video || !video_answer(json_object_get(j, "video"), suite, p));
        if (ok) {
            p->pt = (uint8_t)pt;
            p->srtp = 1;
            p->suite = (int)suite;
            snprintf(p->id, sizeof(p->id), "%s", pid);
            err = 0;
        }
    }
    if (err)
        fprintf(stderr, "loadgen: the join answer lacks an address, key or id I can use\n");
    json_decref(j);
    return err;
}

static int mcu_leave(void *ctx, unsigned meeting, struct lg_participant *p)
{
    struct mcu_ctx *c = ctx;
    if (meeting >= c->meetings || !p->id[0])
        return -EINVAL;
    char path[200];
    snprintf(path, sizeof(path), "/api/v1/meetings/%s/participants/%s", c->ids[meeting], p->id);
    return call(c, "DELETE", path, NULL, 200, NULL);
}

const struct lg_backend_ops lg_backend_mcu = {"mcu", mcu_open, mcu_join, mcu_leave, mcu_close};

/* ---- What only this server tells: /metrics, and where its token lives ---- */

int lg_mcu_metrics(const char *base_url, const char *token, struct lg_mcu_metrics *out)
{
    memset(out, 0, sizeof(*out));
    struct httpc_reply r = {0};
    int err =
        httpc_request(base_url, "GET", "/metrics", token && token[0] ? token : NULL, NULL, &r);
    if (err)
        return err;
    if (r.status != 200) {
        httpc_reply_free(&r);
        return -EPROTO;
    }
    static const struct {
        const char *name;
        size_t off;
    } keys[] = {
        {"mcu_tick_overruns ", offsetof(struct lg_mcu_metrics, tick_overruns)},
        {"mcu_participants ", offsetof(struct lg_mcu_metrics, participants)},
        {"mcu_rx_packets ", offsetof(struct lg_mcu_metrics, rx_packets)},
        {"mcu_tx_packets ", offsetof(struct lg_mcu_metrics, tx_packets)},
        {"mcu_rx_dropped ", offsetof(struct lg_mcu_metrics, rx_dropped)},
    };
    for (char *line = r.body; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            size_t n = strlen(keys[k].name);
            if (!strncmp(line, keys[k].name, n))
                *(double *)((char *)out + keys[k].off) = strtod(line + n, NULL);
        }
        if (!strncmp(line, "mcu_worker_cpu_seconds{", 23)) {
            const char *v = strchr(line, '}');
            if (v)
                out->worker_cpu_s += strtod(v + 1, NULL);
        }
        line = next;
    }
    httpc_reply_free(&r);
    return 0;
}

void lg_mcu_token(const char *explicit_token, const char *data_dir, char *out, size_t cap)
{
    out[0] = '\0';
    const char *env = getenv("MCU_TOKEN");
    if (explicit_token && explicit_token[0]) {
        snprintf(out, cap, "%s", explicit_token);
    } else if (env && env[0]) {
        snprintf(out, cap, "%s", env);
    } else {
        char path[512];
        snprintf(path, sizeof(path), "%s/admin.token", data_dir ? data_dir : "var");
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(out, (int)cap, f))
                out[0] = '\0';
            fclose(f);
            out[strcspn(out, "\r\n")] = '\0';
        }
    }
}
