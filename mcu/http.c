/* evhttp server: auth, body limits, routing, JSON replies. */
#include "http.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "api.h"
#include "events.h"

#define BODY_MAX (64 * 1024)
#define MAX_SEGS 8

struct http {
    struct evhttp *ev;
    struct evhttp_bound_socket *sock;
    /* Every connection's bufferevent with a reference of ours (see conn_new). */
    struct bufferevent *conn[HTTP_CONNECTIONS_MAX];
    unsigned nconn, conns_max;
    int paused;              /* the listener stopped accepting at conns_max */
    struct event *resume_ev; /* while paused: looks for closed connections */
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

/* libevent 2.1's evhttp has no connection limit, and each connection holds a descriptor that
 * media sockets need too. At the limit the listener stops accepting: further clients wait in the
 * kernel's listen backlog, costing the server nothing, until a connection closes.
 *
 * evhttp tells nobody when it frees a connection (its close callback is events.c's for event
 * streams, and is not called for a connection that never sent a request). So the server makes
 * each connection's bufferevent itself (conn_new) and keeps a reference to it: evhttp's
 * bufferevent_free then leaves it alive with its callbacks cleared, which is how conn_sweep
 * tells a closed connection, and drops the last reference. Without BEV_OPT_CLOSE_ON_FREE evhttp
 * closes the socket itself, at once, as it does for its own bufferevents. */
static int conn_closed(struct bufferevent *bev)
{
    void *arg = NULL;
    bufferevent_getcb(bev, NULL, NULL, NULL, &arg);
    return arg == NULL; /* evhttp always sets its connection as the argument */
}

static void conn_sweep(struct http *h)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < h->nconn; i++) {
        if (conn_closed(h->conn[i]))
            bufferevent_decref(h->conn[i]);
        else
            h->conn[kept++] = h->conn[i];
    }
    h->nconn = kept;
}

static void set_paused(struct http *h, int pause)
{
    if (pause == h->paused)
        return;
    struct evconnlistener *l = evhttp_bound_socket_get_listener(h->sock);
    const struct timeval every = {0, 200000};
    if (pause) {
        evconnlistener_disable(l);
        event_add(h->resume_ev, &every);
    } else {
        evconnlistener_enable(l);
        event_del(h->resume_ev);
    }
    h->paused = pause;
}

static void on_resume_timer(evutil_socket_t fd, short what, void *arg)
{
    struct http *h = arg;
    conn_sweep(h);
    set_paused(h, h->nconn >= h->conns_max);
}

/* evhttp's hook for a new connection's bufferevent, before it has a socket. NULL lets evhttp
 * make its own, uncounted: a connection is never refused for want of memory here. */
static struct bufferevent *conn_new(struct event_base *base, void *arg)
{
    struct http *h = arg;
    conn_sweep(h); /* every entry already has evhttp's callbacks: they are set right after */
    if (h->nconn == HTTP_CONNECTIONS_MAX)
        return NULL; /* the listener overshot the limit: cannot happen, but stay in bounds */
    struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
    if (!bev)
        return NULL;
    bufferevent_incref(bev);
    h->conn[h->nconn++] = bev;
    set_paused(h, h->nconn >= h->conns_max);
    return bev;
}

void http_set_max_connections(struct http *h, unsigned n)
{
    h->conns_max = n == 0 ? 1 : n > HTTP_CONNECTIONS_MAX ? HTTP_CONNECTIONS_MAX : n;
    conn_sweep(h);
    set_paused(h, h->nconn >= h->conns_max);
}

unsigned http_connections(struct http *h)
{
    conn_sweep(h);
    return h->nconn;
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
        /* jansson's text quotes the input near the error ("... near '1234'"): cut that off, as
         * the body may hold a PIN, and line and column are enough to find the mistake. */
        char why[sizeof(jerr.text)];
        snprintf(why, sizeof(why), "%s", jerr.text);
        char *near = strstr(why, " near ");
        if (near)
            *near = '\0';
        char msg[256];
        snprintf(msg, sizeof(msg), "the body is not valid JSON: %s (line %d, column %d)", why,
                 jerr.line, jerr.column);
        send_error(r, 400, -EBADMSG, msg);
        return -1;
    }
    return 0;
}

static void reply(struct evhttp_request *r, struct api_req *rq, int err)
{
    if (rq->retry_after > 0) {
        char secs[16];
        snprintf(secs, sizeof(secs), "%d", rq->retry_after);
        evhttp_add_header(evhttp_request_get_output_headers(r), "Retry-After", secs);
    }
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
    char *peer = NULL;
    uint16_t peer_port = 0;
    evhttp_connection_get_peer(evhttp_request_get_connection(r), &peer, &peer_port);
    rq.peer = peer;
    int known;
    const struct api_route *rt = route(rq.method, segs, n, &rq, &known);
    /* The token first, for every path but the public routes: without it a client learns
     * nothing, not even which paths exist (404) or which methods they take (405). */
    if ((!rt || !rt->public) && !authorised(h, r)) {
        send_error(r, 401, -EACCES,
                   "missing or wrong admin token: send 'Authorization: Bearer TOKEN' "
                   "(the token is in the server's data folder, admin.token)");
        return;
    }
    if (!rt) {
        send_error(r, known ? 405 : 404, known ? -EOPNOTSUPP : -ENOENT,
                   known ? "method not allowed on this path" : "no such path; see /api/v1/");
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
    h->resume_ev = event_new(base, -1, EV_PERSIST, on_resume_timer, h);
    h->conns_max = HTTP_CONNECTIONS_MAX;
    if (!h->token || !h->ev || !h->resume_ev) {
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
    evhttp_set_bevcb(h->ev, conn_new, h);
    h->sock = evhttp_bind_socket_with_handle(h->ev, host, port);
    if (!h->sock) {
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
        evhttp_free(h->ev); /* frees its connections: their bufferevents are then ours alone */
    for (unsigned i = 0; i < h->nconn; i++)
        bufferevent_decref(h->conn[i]);
    if (h->resume_ev)
        event_free(h->resume_ev);
    if (h->token) {
        memset(h->token, 0, strlen(h->token));
        mcu_free(h->token);
    }
    mcu_free(h);
    *hp = NULL;
}
