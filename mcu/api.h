/* The HTTP/JSON API: a table of routes and their handlers. Handlers run on the control thread,
 * call only confmgr and the store, and fill a reply or an error; http.c does the transport. */
#ifndef MCU_API_H
#define MCU_API_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

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
    const char *peer;                  /* the client's IP address, or NULL (PIN throttling) */
    int retry_after;                   /* > 0: seconds for a Retry-After header (429) */
};

struct events;

/* PIN guessing: after API_PIN_FAILS wrong PINs for one meeting from one address within
 * API_PIN_WINDOW_S seconds, that address gets 429 for that meeting (right PIN or not, so the
 * answer says nothing) for API_PIN_LOCK_S seconds. Other addresses are not affected. The table
 * is fixed-size, so memory stays bounded whoever sends what: when it is full the stalest entry
 * is reused (see API.md for what that means against many addresses). */
#define API_PIN_FAILS    5
#define API_PIN_WINDOW_S 60
#define API_PIN_LOCK_S   60
#define API_PIN_SLOTS    256
#define API_PEER_MAX     48 /* an IPv6 address in text, with room */

struct api_pin_slot {
    char peer[API_PEER_MAX]; /* "" = free */
    char meeting[16];
    int64_t window_start; /* the first wrong PIN of the current window (confmgr_now seconds) */
    int64_t locked_until; /* 0 or when the lock ends */
    unsigned fails;       /* wrong PINs in the window */
};

/* Zero-initialised by its owner (main.c, tests): no create or destroy. */
struct api {
    struct confmgr *cm;
    struct events *events;
    unsigned long long requests, errors;
    unsigned long long pin_refused; /* joins answered 429 */
    struct api_pin_slot pin[API_PIN_SLOTS];
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
