/* Event streams over evhttp chunked replies. */
#include "events.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "meeting.h"

struct sub {
    struct sub *next;
    struct events *ev;
    struct evhttp_request *req;
    char meeting[MEETING_ID_LEN + 1];
};

struct events {
    struct sub *subs;
    unsigned n;
};

int events_create(struct events **out)
{
    *out = mcu_calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

static void unlink_sub(struct events *ev, struct sub *s)
{
    for (struct sub **pp = &ev->subs; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            ev->n--;
            return;
        }
    }
}

static void on_close(struct evhttp_connection *conn, void *arg)
{
    struct sub *s = arg;
    unlink_sub(s->ev, s);
    /* A client that goes away in the middle of a streamed reply leaves the request detached
     * from its connection and ours to free; ending the reply does that. A request still
     * attached goes with its connection. */
    if (!evhttp_request_get_connection(s->req))
        evhttp_send_reply_end(s->req);
    mcu_free(s);
}

void events_destroy(struct events **ep)
{
    struct events *ev = *ep;
    if (!ev)
        return;
    while (ev->subs) {
        struct sub *s = ev->subs;
        ev->subs = s->next;
        evhttp_connection_set_closecb(evhttp_request_get_connection(s->req), NULL, NULL);
        evhttp_send_reply_end(s->req);
        mcu_free(s);
    }
    mcu_free(ev);
    *ep = NULL;
}

int events_subscribe(struct events *ev, struct evhttp_request *r, const char *meeting)
{
    struct sub *s = mcu_calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->ev = ev;
    s->req = r;
    snprintf(s->meeting, sizeof(s->meeting), "%s", meeting);
    struct evkeyvalq *h = evhttp_request_get_output_headers(r);
    evhttp_add_header(h, "Content-Type", "text/event-stream");
    evhttp_add_header(h, "Cache-Control", "no-cache");
    evhttp_send_reply_start(r, 200, "OK");
    struct evbuffer *b = evbuffer_new();
    if (b) {
        /* A comment line first, so a client sees the stream open at once. */
        evbuffer_add_printf(b, ": events of meeting %s\n\n", meeting);
        evhttp_send_reply_chunk(r, b);
        evbuffer_free(b);
    }
    evhttp_connection_set_closecb(evhttp_request_get_connection(r), on_close, s);
    s->next = ev->subs;
    ev->subs = s;
    ev->n++;
    return 0;
}

void events_publish(struct events *ev, const char *meeting, const char *type, json_t *data)
{
    char *text = ev->n ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (!text)
        return;
    for (struct sub *s = ev->subs; s; s = s->next) {
        if (strcmp(s->meeting, meeting))
            continue;
        struct evbuffer *b = evbuffer_new();
        if (!b)
            break;
        evbuffer_add_printf(b, "event: %s\ndata: %s\n\n", type, text);
        evhttp_send_reply_chunk(s->req, b);
        evbuffer_free(b);
    }
    free(text);
}

unsigned events_subscribers(const struct events *ev)
{
    return ev->n;
}
