/* Blocking one-shot HTTP/1.1 client over libevent's evhttp client API (see httpc.h). */
#include "httpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

/* What one attempt learns; filled by the libevent callbacks, read after the loop returns. */
struct call {
    struct event_base *base;
    struct evhttp_connection *conn;
    struct httpc_reply *reply;
    int err;  /* 0 or a negative errno */
    int done; /* the completion callback ran */
};

/* The parts of base_url a request needs; host and prefix point into uri. */
struct target {
    struct evhttp_uri *uri;
    const char *host;
    int port;
    const char *prefix; /* path before the API path, "" for none */
};

static const struct {
    const char *name;
    enum evhttp_cmd_type type;
} methods[] = {
    {"GET", EVHTTP_REQ_GET},       {"POST", EVHTTP_REQ_POST},   {"PUT", EVHTTP_REQ_PUT},
    {"DELETE", EVHTTP_REQ_DELETE}, {"PATCH", EVHTTP_REQ_PATCH},
};

static int parse_target(const char *base_url, struct target *t)
{
    memset(t, 0, sizeof(*t));
    if (!base_url)
        return -EINVAL;
    t->uri = evhttp_uri_parse_with_flags(base_url, 0);
    if (!t->uri)
        return -EINVAL;
    const char *scheme = evhttp_uri_get_scheme(t->uri);
    t->host = evhttp_uri_get_host(t->uri);
    int rc = 0;
    if (!scheme || !t->host || !*t->host)
        rc = -EINVAL;
    else if (strcmp(scheme, "http") != 0)
        rc = -EPROTONOSUPPORT; /* no TLS here: mcuctl talks to a local or tunnelled server */
    else if (evhttp_uri_get_query(t->uri) || evhttp_uri_get_fragment(t->uri))
        rc = -EINVAL;
    if (rc < 0) {
        evhttp_uri_free(t->uri);
        t->uri = NULL;
        return rc;
    }
    t->port = evhttp_uri_get_port(t->uri);
    if (t->port < 0)
        t->port = 80;
    t->prefix = evhttp_uri_get_path(t->uri);
    if (!t->prefix)
        t->prefix = "";
    return 0;
}

int httpc_check_url(const char *base_url)
{
    struct target t;
    int rc = parse_target(base_url, &t);
    if (rc == 0)
        evhttp_uri_free(t.uri);
    return rc;
}

static int method_type(const char *name, enum evhttp_cmd_type *type)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (name && strcmp(name, methods[i].name) == 0) {
            *type = methods[i].type;
            return 0;
        }
    }
    return -EINVAL;
}

static int is_connect_errno(int e)
{
    return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EADDRNOTAVAIL ||
           e == ECONNRESET || e == ETIMEDOUT;
}

/* libevent reports why a request failed here, before the completion callback. */
static void on_error(enum evhttp_request_error what, void *arg)
{
    struct call *c = arg;
    int e = errno; /* still the socket error when the connect itself failed */
    switch (what) {
    case EVREQ_HTTP_TIMEOUT:
        c->err = -ETIMEDOUT;
        break;
    case EVREQ_HTTP_DATA_TOO_LONG:
        c->err = -EMSGSIZE;
        break;
    case EVREQ_HTTP_INVALID_HEADER:
        c->err = -EBADMSG;
        break;
    case EVREQ_HTTP_BUFFER_ERROR:
        c->err = -ENOMEM;
        break;
    default:
        c->err = is_connect_errno(e) ? -e : -ECONNRESET;
        break;
    }
}

/* The host name failing to resolve shows only on the connection's bufferevent. */
static int connect_failure(struct call *c)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c->conn);
    if (bev && bufferevent_socket_get_dns_error(bev) != 0)
        return -ENXIO;
    if (c->err)
        return c->err;
    /* libevent 2.1 ends a refused connect with no error callback (and errno overwritten, often
     * ENOTCONN): no error reported is how a refusal looks. */
    return is_connect_errno(errno) ? -errno : -ECONNREFUSED;
}

static int copy_body(struct evhttp_request *req, struct httpc_reply *reply)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = in ? evbuffer_get_length(in) : 0;
    char *body = malloc(len + 1);
    if (!body)
        return -ENOMEM;
    if (len && evbuffer_remove(in, body, len) != (int)len) {
        free(body);
        return -EIO;
    }
    body[len] = '\0';
    reply->body = body;
    reply->len = len;
    return 0;
}

static void on_done(struct evhttp_request *req, void *arg)
{
    struct call *c = arg;
    int status = req ? evhttp_request_get_response_code(req) : 0;
    c->done = 1;
    if (status <= 0) {
        c->err = connect_failure(c);
    } else if (!c->err) {
        c->reply->status = status;
        c->err = copy_body(req, c->reply);
    }
    event_base_loopbreak(c->base);
}

static int add_header(struct evkeyvalq *h, const char *key, const char *value)
{
    /* evhttp refuses values with line breaks, which would otherwise split the header. */
    return evhttp_add_header(h, key, value) == 0 ? 0 : -EINVAL;
}

static int add_headers(struct evhttp_request *req, const struct target *t, const char *token,
                       const char *json)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    char host[300];
    int v6 = strchr(t->host, ':') != NULL; /* an IPv6 literal needs its brackets back */
    snprintf(host, sizeof(host), v6 ? "[%s]:%d" : "%s:%d", t->host, t->port);
    int rc = add_header(h, "Host", host);
    rc = rc ? rc : add_header(h, "User-Agent", "mcuctl");
    rc = rc ? rc : add_header(h, "Accept", "application/json");
    rc = rc ? rc : add_header(h, "Connection", "close");
    if (!rc && json) {
        /* evhttp adds Content-Length only to POST and PUT; a PATCH body needs it too. */
        char len[32];
        snprintf(len, sizeof(len), "%zu", strlen(json));
        rc = add_header(h, "Content-Type", "application/json");
        rc = rc ? rc : add_header(h, "Content-Length", len);
    }
    if (!rc && token) {
        char auth[1100];
        if (snprintf(auth, sizeof(auth), "Bearer %s", token) >= (int)sizeof(auth))
            return -EINVAL;
        rc = add_header(h, "Authorization", auth);
    }
    return rc;
}

static int build_uri(const struct target *t, const char *path, char **out)
{
    size_t plen = strlen(t->prefix);
    while (plen && t->prefix[plen - 1] == '/')
        plen--; /* "http://h:8080/" and "http://h:8080" mean the same server */
    size_t n = plen + strlen(path) + 2;
    *out = malloc(n);
    if (!*out)
        return -ENOMEM;
    snprintf(*out, n, "%.*s%s%s", (int)plen, t->prefix, path[0] == '/' ? "" : "/", path);
    return 0;
}

static struct evhttp_request *new_request(struct call *c, const struct target *t, const char *token,
                                          const char *json)
{
    struct evhttp_request *req = evhttp_request_new(on_done, c);
    if (!req)
        return NULL;
    evhttp_request_set_error_cb(req, on_error);
    if (add_headers(req, t, token, json) != 0 ||
        (json && evbuffer_add(evhttp_request_get_output_buffer(req), json, strlen(json)) != 0)) {
        evhttp_request_free(req);
        return NULL;
    }
    return req;
}

/* One connection attempt restricted to an address family (AF_UNSPEC for any). */
static int attempt(const struct target *t, int family, enum evhttp_cmd_type type, const char *uri,
                   const char *token, const char *json, struct httpc_reply *reply)
{
    struct call c = {.reply = reply};
    c.base = event_base_new();
    if (!c.base)
        return -ENOMEM;
    int rc = -ENOMEM;
    c.conn = evhttp_connection_base_new(c.base, NULL, t->host, (unsigned short)t->port);
    if (!c.conn)
        goto out;
    evhttp_connection_set_family(c.conn, family);
    evhttp_connection_set_timeout(c.conn, HTTPC_TIMEOUT_S);
    evhttp_connection_set_max_body_size(c.conn, HTTPC_MAX_REPLY);
    struct evhttp_request *req = new_request(&c, t, token, json);
    if (!req) {
        rc = -EINVAL;
        goto out;
    }
    /* On failure evhttp_make_request has already freed req. */
    if (evhttp_make_request(c.conn, req, type, uri) != 0)
        goto out;
    event_base_dispatch(c.base);
    rc = c.done ? c.err : -EIO;
out:
    if (c.conn)
        evhttp_connection_free(c.conn);
    event_base_free(c.base);
    return rc;
}

/* A name like "localhost" may resolve to ::1 first while the server listens on 127.0.0.1 only;
 * evhttp tries only the first address, so names get one attempt per family. Literals get one. */
static size_t families(const char *host, int fam[2])
{
    unsigned char buf[16];
    if (evutil_inet_pton(AF_INET, host, buf) == 1 || evutil_inet_pton(AF_INET6, host, buf) == 1) {
        fam[0] = AF_UNSPEC;
        return 1;
    }
    fam[0] = AF_INET;
    fam[1] = AF_INET6;
    return 2;
}

static int worth_another_family(int rc)
{
    return rc == -ECONNREFUSED || rc == -ENXIO || rc == -EHOSTUNREACH || rc == -ENETUNREACH ||
           rc == -EADDRNOTAVAIL;
}

int httpc_request(const char *base_url, const char *method, const char *path, const char *token,
                  const char *json, struct httpc_reply *reply)
{
    enum evhttp_cmd_type type;
    struct target t;
    if (!reply || !path || method_type(method, &type) != 0)
        return -EINVAL;
    memset(reply, 0, sizeof(*reply));
    int rc = parse_target(base_url, &t);
    if (rc < 0)
        return rc;
    char *uri = NULL;
    rc = build_uri(&t, path, &uri);
    int fam[2];
    size_t nfam = families(t.host, fam);
    int first = 0;
    for (size_t i = 0; rc == 0 && i < nfam; i++) {
        rc = attempt(&t, fam[i], type, uri, token, json, reply);
        if (rc == 0 || !worth_another_family(rc))
            break;
        /* "refused on IPv4, no IPv6 address" means the server is down, not an unknown host. */
        if (!first || first == -ENXIO)
            first = rc;
        rc = i + 1 == nfam ? first : 0;
    }
    if (rc < 0)
        httpc_reply_free(reply);
    free(uri);
    evhttp_uri_free(t.uri);
    return rc;
}

void httpc_reply_free(struct httpc_reply *reply)
{
    if (!reply)
        return;
    free(reply->body);
    memset(reply, 0, sizeof(*reply));
}
