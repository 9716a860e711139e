/* Conference: membership and forwarding between sessions on one worker. */
#include "conference.h"

#include <errno.h>
#include <string.h>

#include "alloc.h"
#include "rtp.h"
#include "session.h"
#include "udp.h"

struct conference {
    unsigned max, n, ndirty;
    struct session **sessions;
    struct session **dirty; /* sessions with queued packets, flushed at the end of a burst */
    struct udp_rx_batch *rx;
};

int conference_create(struct conference **out, unsigned max_sessions)
{
    struct conference *c = mcu_calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->max = max_sessions;
    c->sessions = mcu_calloc(max_sessions, sizeof(*c->sessions));
    c->dirty = mcu_calloc(max_sessions, sizeof(*c->dirty));
    c->rx = mcu_malloc(sizeof(*c->rx));
    if (!c->sessions || !c->dirty || !c->rx) {
        conference_destroy(&c);
        return -ENOMEM;
    }
    *out = c;
    return 0;
}

void conference_destroy(struct conference **cp)
{
    struct conference *c = *cp;
    if (!c)
        return;
    for (unsigned i = 0; i < c->n; i++)
        session_destroy(&c->sessions[i]);
    mcu_free(c->sessions);
    mcu_free(c->dirty);
    mcu_free(c->rx);
    mcu_free(c);
    *cp = NULL;
}

static void on_rtp(void *owner, struct session *from, uint8_t *pkt, size_t len,
                   const struct rtp_hdr *h)
{
    struct conference *c = owner;
    for (unsigned i = 0; i < c->n; i++) {
        struct session *to = c->sessions[i];
        if (to == from)
            continue;
        if (session_forward_rtp(to, pkt, len, h) == 1)
            c->dirty[c->ndirty++] = to;
    }
}

static void on_burst_end(void *owner)
{
    struct conference *c = owner;
    for (unsigned i = 0; i < c->ndirty; i++)
        session_flush(c->dirty[i]);
    c->ndirty = 0;
}

static const struct session_ops conference_session_ops = {
    .on_rtp = on_rtp,
    .on_burst_end = on_burst_end,
};

int conference_add(struct conference *c, struct session *s)
{
    if (c->n == c->max) {
        session_destroy(&s);
        return -ENOSPC;
    }
    c->sessions[c->n++] = s;
    return session_start(s, &conference_session_ops, c, c->rx);
}

int conference_remove(struct conference *c, struct session *s)
{
    for (unsigned i = 0; i < c->n; i++) {
        if (c->sessions[i] != s)
            continue;
        /* A pending flush must not touch a destroyed session. */
        for (unsigned d = 0; d < c->ndirty; d++) {
            if (c->dirty[d] == s)
                c->dirty[d--] = c->dirty[--c->ndirty];
        }
        c->sessions[i] = c->sessions[--c->n];
        session_destroy(&s);
        return 0;
    }
    return -ENOENT;
}

unsigned conference_size(const struct conference *c)
{
    return c->n;
}
