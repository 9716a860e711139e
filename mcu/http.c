/* evhttp server: auth, body limits, routing, JSON replies. */
#include "http.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "api.h"
#include "events.h"

#define BODY_MAX (64 * 1024)
#define MAX_SEGS 8

struct http {
    struct evhttp *ev;
    char *token;
    struct api *api;
};

int http_token_equal(const char *given, const char *expected)
{
    size_t gl = strlen(given), el = strlen(expected);
    unsigned diff = (unsigned)(gl ^ el);
    /* Touch every byte of the expected token whatever the input, so timing says nothing. */
    for (size_t i = 0; i < el; i++)
        diff |= (unsigned)(expected[i] ^ (i < gl ? given[i] : 0));
    return diff == 0;
}

static void send_json(struct evhttp_request *r, int status, json_t *j)
{
    struct evbuffer *out = evbuffer_new();
    char *text = json_dumps(j, JSON_COMPACT);
    if (out && text) {
        evbuffer_add_printf(out, "%s\n", text);
        evhttp_add_header(evhttp_request_get_output_headers(r), "Content-Type", "application/json");
        evhttp_send_reply(r, status, NULL, out);
    } else {
        evhttp_send_error(r, 500, "out of memory");
    }
    free(text);
    if (out)
        evbuffer_free(out);
}

static void send_error(struct evhttp_request *r, int status, int code, const char *msg)
{
    json_t *j = json_pack("{s:s, s:i}", "error", msg, "code", code);
    send_json(r, status, j);
    json_decref(j);
}

static unsigned split(char *path, char **segs)
{
    unsigned n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(path, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGS)
            return MAX_SEGS + 1; /* longer than any route */
        segs[n++] = tok;
    }
    return n;
}

/* 1: path matches; fills rq->param. */
static int match(const char *pattern, char **segs, unsigned n, struct api_req *rq)
{
    char pat[128];
    char *psegs[MAX_SEGS + 1];
    snprintf(pat, sizeof(pat), "%s", pattern);
    unsigned pn = split(pat, psegs), np = 0;
    if (pn != n)
        return 0;
    for (unsigned i = 0; i < n; i++) {
        if (psegs[i][0] == ':') {
            if (np < API_MAX_PARAMS)
                rq->param[np++] = segs[i];
        } else if (strcmp(psegs[i], segs[i])) {
            return 0;
        }
    }
    return 1;
}

/* The route for this path and method; *path_known tells 405 from 404. */
static const struct api_route *route(int method, char **segs, unsigned n, struct api_req *rq,
                                     int *path_known)
{
    *path_known = 0;
    for (size_t i = 0; i < api_nroutes; i++) {
        if (!match(api_routes[i].pattern, segs, n, rq))
            continue;
        *path_known = 1;
        if (api_routes[i].method == method)
            return &api_routes[i];
    }
    return NULL;
}

static int authorised(struct http *h, struct evhttp_request *r)
{
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(r), "Authorization");
    static const char bearer[] = "Bearer ";
    if (!auth || strncmp(auth, bearer, sizeof(bearer) - 1))
        return 0;
    return http_token_equal(auth + sizeof(bearer) - 1, h->token);
}

/* -1: an error reply was sent. */
static int read_body(struct evhttp_request *r, json_t **body)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r);
    size_t len = evbuffer_get_length(in);
    *body = NULL;
    if (len == 0)
        return 0;
    if (len > BODY_MAX) {
        send_error(r, 413, -EMSGSIZE, "request body too large (the limit is 64 KiB)");
        return -1;
    }
    json_error_t jerr;
    const char *data = (const char *)evbuffer_pullup(in, -1);
    *body = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*body) {
        char msg[256];
        snprintf(msg, sizeof(msg), "the body is not valid JSON: %s (line %d, column %d)", jerr.text,
                 jerr.line, jerr.column);
        send_error(r, 400, -EBADMSG, msg);
        return -1;
    }
    return 0;
}

static void reply(struct evhttp_request *r, struct api_req *rq, int err)
{
    if (err) {
        send_error(r, rq->status, err, rq->error);
    } else if (rq->text) {
        evhttp_add_header(evhttp_request_get_output_headers(r), "Content-Type",
                          "text/plain; version=0.0.4");
        evhttp_send_reply(r, rq->status, NULL, rq->text);
    } else {
        send_json(r, rq->status, rq->reply);
    }
}

static void handle(struct http *h, struct evhttp_request *r, char **segs, unsigned n)
{
    struct api_req rq;
    memset(&rq, 0, sizeof(rq));
    rq.method = (int)evhttp_request_get_command(r);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r);
    rq.query = uri ? evhttp_uri_get_query(uri) : NULL;
    rq.status = 200;
    int known;
    const struct api_route *rt = route(rq.method, segs, n, &rq, &known);
    if (!rt) {
        send_error(r, known ? 405 : 404, known ? -EOPNOTSUPP : -ENOENT,
                   known ? "method not allowed on this path" : "no such path; see /api/v1/");
        return;
    }
    if (!rt->public && !authorised(h, r)) {
        send_error(r, 401, -EACCES,
                   "missing or wrong admin token: send 'Authorization: Bearer TOKEN' "
                   "(the token is in the server's data folder, admin.token)");
        return;
    }
    json_t *body;
    if (read_body(r, &body))
        return;
    rq.body = body;
    h->api->requests++;
    int err = rt->fn(h->api, &rq);
    if (err)
        h->api->errors++;
    if (!err && rq.stream && h->api->events) {
        if (events_subscribe(h->api->events, r, rq.param[0]))
            send_error(r, 503, -ENOMEM, "out of memory for another event stream");
    } else {
        reply(r, &rq, err);
    }
    json_decref(body);
    json_decref(rq.reply);
    if (rq.text)
        evbuffer_free(rq.text);
}

static void on_request(struct evhttp_request *r, void *arg)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r);
    const char *p = uri ? evhttp_uri_get_path(uri) : NULL;
    char path[512];
    char *segs[MAX_SEGS + 1];
    if (!p || strlen(p) >= sizeof(path)) {
        send_error(r, 414, -ENAMETOOLONG, "path too long");
        return;
    }
    snprintf(path, sizeof(path), "%s", p);
    unsigned n = split(path, segs);
    handle(arg, r, segs, n);
}

int http_create(struct http **out, struct event_base *base, const char *host, uint16_t port,
                const char *token, struct api *api)
{
    struct http *h = mcu_calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    h->api = api;
    h->token = mcu_strdup(token);
    h->ev = evhttp_new(base);
    if (!h->token || !h->ev) {
        http_destroy(&h);
        return -ENOMEM;
    }
    /* evhttp answers an oversized body itself (not in JSON): keep its limit above ours. */
    evhttp_set_max_body_size(h->ev, 4 * BODY_MAX);
    evhttp_set_max_headers_size(h->ev, 16 * 1024);
    evhttp_set_timeout(h->ev, 30);
    evhttp_set_allowed_methods(h->ev, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE |
                                          EVHTTP_REQ_PATCH | EVHTTP_REQ_PUT);
    evhttp_set_gencb(h->ev, on_request, h);
    if (!evhttp_bind_socket_with_handle(h->ev, host, port)) {
        int err = errno ? -errno : -EADDRINUSE;
        http_destroy(&h);
        return err;
    }
    *out = h;
    return 0;
}

void http_destroy(struct http **hp)
{
    struct http *h = *hp;
    if (!h)
        return;
    if (h->ev)
        evhttp_free(h->ev);
    if (h->token) {
        memset(h->token, 0, strlen(h->token));
        mcu_free(h->token);
    }
    mcu_free(h);
    *hp = NULL;
}
