/* The HTTP/JSON API: a table of routes and their handlers. Handlers run on the control thread,
 * call only confmgr and the store, and fill a reply or an error; http.c does the transport. */
#ifndef MCU_API_H
#define MCU_API_H

#include <jansson.h>
#include <stddef.h>

struct confmgr;
struct evbuffer;

#define API_MAX_PARAMS 4

struct api_req {
    int method;                        /* EVHTTP_REQ_* */
    const char *param[API_MAX_PARAMS]; /* path segments matched by ":name" in the route */
    const json_t *body;                /* parsed JSON body, or NULL when there was none */
    int status;                        /* reply status */
    json_t *reply;                     /* JSON reply, owned by the request */
    struct evbuffer *text;             /* or a plain-text reply (the caller allocates it) */
    char error[256];                   /* error message when the handler fails */
    int stream;                        /* set by a handler: reply with the event stream */
    const char *query;                 /* the URI's query string, or NULL */
};

struct events;

struct api {
    struct confmgr *cm;
    struct events *events;
    unsigned long long requests, errors;
};

typedef int (*api_fn)(struct api *api, struct api_req *rq);

struct api_route {
    int method;
    const char *pattern; /* "/api/v1/meetings/:id" */
    api_fn fn;
    int public; /* no token needed */
};

extern const struct api_route api_routes[];
extern const size_t api_nroutes;

/* Set rq's error and return err (a negative errno); the status maps from err unless given. */
int api_fail(struct api_req *rq, int status, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
