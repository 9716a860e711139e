/* The conference's video: composite (one canvas, one encode per codec, shared by every
 * receiver) or forward (each receiver gets the last-N active senders). */
#include <errno.h>
#include <string.h>

#include "amix.h"
#include "clock.h"
#include "conf_priv.h"
#include "pstats.h"
#include "rtp.h"
#include "session.h"
#include "vframe.h"
#include "vmix.h"
#include "vstream.h"

#define VIDEO_IDLE_US  2000000u /* no video from anybody this long: stop ticking */
#define TILE_STALE_US  5000000u /* a sender silent this long leaves the layout */
#define FWD_TICK_US    200000u  /* forward mode: how often the last-N is re-ranked */
#define VIDEO_CLOCK_HZ 90000u
/* A receiver's first keyframe is easily lost: its client may not listen yet (FFmpeg binds its
 * port only after reading the SDP the join returned, 0.4-2 s later, more on a busy machine) and
 * such clients never send a PLI. So a new receiver that has sent no RTCP (a client that reports
 * will also ask) gets a keyframe every KEY_RETRY_US during its first STARTUP_US: about a dozen
 * extra keyframes per join for everyone, against a picture that would otherwise wait for the
 * encoder's next periodic keyframe. */
#define STARTUP_US   4000000u
#define KEY_RETRY_US 300000u

static uint8_t video_pt(enum vcodec_id codec)
{
    return codec == VCODEC_H264 ? VIDEO_PT_H264 : VIDEO_PT_VP8;
}

static int member_index(const struct conference *c, const struct member *m)
{
    return (int)(m - c->m);
}

static uint64_t tick_us(const struct conference *c)
{
    if (c->p.video == VIDEO_FORWARD)
        return FWD_TICK_US;
    return 1000000u / (unsigned)(c->p.video_fps ? c->p.video_fps : MEETING_VIDEO_FPS);
}

static void on_vtick(evutil_socket_t fd, short what, void *arg);

int conf_video_create(struct conference *c)
{
    if (c->p.video == VIDEO_OFF)
        return 0;
    if (c->p.video == VIDEO_COMPOSITE) {
        struct vmix_params vp = {
            .width = c->p.video_w ? c->p.video_w : MEETING_VIDEO_W,
            .height = c->p.video_h ? c->p.video_h : MEETING_VIDEO_H,
            .fps = c->p.video_fps ? c->p.video_fps : MEETING_VIDEO_FPS,
            .kbps = c->p.video_kbps ? c->p.video_kbps : MEETING_VIDEO_KBPS,
            .layout = c->p.layout,
            .cpu_flags = c->p.cpu_flags,
        };
        int err = vmix_create(&c->vmix, &vp);
        if (err)
            return err;
    }
    if (c->p.last_n == 0 || c->p.last_n > SESSION_MAX_STREAMS)
        c->p.last_n = MEETING_VIDEO_LAST_N;
    c->vepoch_us = clock_now_us();
    c->vtick = evtimer_new(c->p.base, on_vtick, c);
    return c->vtick ? 0 : -ENOMEM;
}

void conf_video_destroy(struct conference *c)
{
    if (c->vtick)
        event_free(c->vtick);
    c->vtick = NULL;
    vmix_destroy(&c->vmix);
}

static void start_vtick(struct conference *c)
{
    c->vticking = 1;
    uint64_t t = tick_us(c);
    c->vdeadline_us = clock_now_us() + t;
    struct timeval tv = {0, (suseconds_t)t};
    evtimer_add(c->vtick, &tv);
}

/* ---- forward ---- */

static void forward_packet(struct conference *c, struct member *from, const uint8_t *pkt,
                           size_t len, const struct rtp_hdr *h)
{
    int src = member_index(c, from);
    enum vcodec_id codec = vstream_codec(from->vin);
    for (unsigned i = 0; i < c->hi; i++) {
        struct member *r = &c->m[i];
        if (!r->used || !r->vs || r == from || vstream_codec(r->vin) != codec)
            continue;
        for (unsigned k = 0; k < c->p.last_n; k++) {
            struct vslot *sl = &r->slot[k];
            if (sl->src != src)
                continue;
            if (sl->key_wait) {
                /* A decoder cannot start on a delta frame of a stream it has not seen. */
                if (!vstream_is_key_start(from->vin, h->payload, h->payload_len))
                    break;
                sl->key_wait = 0;
            }
            conf_mark_dirty(c, r->vs, session_forward_rtp_on(r->vs, k, pkt, len, h));
            break;
        }
    }
}

static void ask_key(struct member *src, uint64_t now)
{
    if (vstream_want_key(src->vin, now))
        session_request_keyframe(src->vs);
}

static int in_slots(const struct member *r, unsigned last_n, int src)
{
    for (unsigned k = 0; k < last_n; k++) {
        if (r->slot[k].src == src)
            return 1;
    }
    return 0;
}

/* Is sender `a` ranked before sender `b` for the last-N? More recently active first; the earlier
 * member on a tie, so an all-silent room keeps a stable choice. */
static int ranks_before(const struct conference *c, int a, int b)
{
    uint64_t ta = c->m[a].last_active_us, tb = c->m[b].last_active_us;
    return ta != tb ? ta > tb : a < b;
}

/* The receiver's wanted sources: the first last_n of its codec's ranking that are not itself. */
static unsigned wanted_for(const struct conference *c, const struct member *r, const int *rank,
                           unsigned nrank, int *want)
{
    unsigned n = 0;
    for (unsigned i = 0; i < nrank && n < c->p.last_n; i++) {
        if (&c->m[rank[i]] != r)
            want[n++] = rank[i];
    }
    return n;
}

static void assign_receiver(struct conference *c, struct member *r, const int *rank, unsigned nrank,
                            uint64_t now)
{
    int want[SESSION_MAX_STREAMS];
    unsigned nw = wanted_for(c, r, rank, nrank, want);
    for (unsigned k = 0; k < c->p.last_n; k++) { /* free the slots of those who dropped out */
        int keep = 0;
        for (unsigned w = 0; w < nw; w++)
            keep |= r->slot[k].src == want[w];
        if (!keep)
            r->slot[k].src = -1;
    }
    for (unsigned w = 0; w < nw; w++) {
        if (in_slots(r, c->p.last_n, want[w]))
            continue;
        for (unsigned k = 0; k < c->p.last_n; k++) {
            if (r->slot[k].src < 0) {
                r->slot[k].src = want[w];
                r->slot[k].key_wait = 1;
                /* A new source on this stream starts a new sequence line, even if it is the
                 * one the stream carried before (no gap for the receiver to NACK). */
                session_forward_reset(r->vs, k);
                break;
            }
        }
    }
}

#define NCODECS 2

/* The top senders of each codec by insertion (a receiver only takes its own codec, so one
 * codec's senders must not crowd out another's): last_n + 1 places each suffice, one of them
 * possibly the receiver itself. Then every receiver's slots follow its codec's ranking, and a
 * slot still waiting for its new source's keyframe asks again (rate-limited per sender). */
static void assign_slots(struct conference *c, uint64_t now)
{
    int rank[NCODECS][SESSION_MAX_STREAMS + 1];
    unsigned nrank[NCODECS] = {0, 0}, cap = c->p.last_n + 1;
    for (unsigned i = 0; i < c->hi; i++) {
        struct member *m = &c->m[i];
        uint64_t rx = m->used && m->vin ? vstream_last_rx_us(m->vin) : 0;
        if (!rx || now - rx > VIDEO_IDLE_US)
            continue;
        unsigned cd = vstream_codec(m->vin) == VCODEC_H264;
        int *rk = rank[cd];
        unsigned pos = nrank[cd];
        while (pos > 0 && ranks_before(c, (int)i, rk[pos - 1]))
            pos--;
        if (pos >= cap)
            continue;
        if (nrank[cd] < cap)
            nrank[cd]++;
        memmove(&rk[pos + 1], &rk[pos], (nrank[cd] - 1 - pos) * sizeof(rk[0]));
        rk[pos] = (int)i;
    }
    for (unsigned i = 0; i < c->hi; i++) {
        struct member *r = &c->m[i];
        if (!r->used || !r->vs)
            continue;
        unsigned cd = vstream_codec(r->vin) == VCODEC_H264;
        assign_receiver(c, r, rank[cd], nrank[cd], now);
        for (unsigned k = 0; k < c->p.last_n; k++) {
            if (r->slot[k].src >= 0 && r->slot[k].key_wait)
                ask_key(&c->m[r->slot[k].src], now);
        }
    }
}

/* ---- composite ---- */

static void send_canvas(struct conference *c, struct member *r, uint64_t now)
{
    enum vcodec_id codec = vstream_codec(r->vin);
    if (now - r->vjoin_us < STARTUP_US && now - r->vkey_sent_us >= KEY_RETRY_US && !r->vkey_wait &&
        pstat_get(&session_stats(r->vs)->rx_rtcp) == 0) {
        vmix_request_key(c->vmix, codec);
        r->vkey_sent_us = now; /* the next one counts from this request */
    }
    const struct vmix_out *out;
    int err = vmix_encode(c->vmix, codec, &out);
    if (err) {
        if (err != -EAGAIN)
            pstat_add(&session_stats(r->vs)->tx_errors, 1);
        return;
    }
    if (r->vkey_wait && !out->keyframe) {
        vmix_request_key(c->vmix, codec); /* granted within VMIX_KEY_INTERVAL_MS */
        return;
    }
    if (r->vkey_wait)
        r->vkey_sent_us = now;
    r->vkey_wait = 0;
    unsigned fps = (unsigned)(c->p.video_fps ? c->p.video_fps : MEETING_VIDEO_FPS);
    uint32_t ts = r->vts_base + (uint32_t)(out->frame_no * VIDEO_CLOCK_HZ / fps);
    for (unsigned k = 0; k < out->n; k++) {
        const struct vmix_pkt *pk = &out->pkt[k];
        conf_mark_dirty(
            c, r->vs,
            session_send_rtp(r->vs, video_pt(codec), pk->marker, ts, out->buf + pk->off, pk->len));
    }
}

/* A fingerprint of what the canvas would show: who is on it, where, and how many frames each
 * has decoded. Equal fingerprints mean an identical canvas. */
static uint64_t scene_mix(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001b3ull;
}

static void compose_and_send(struct conference *c, uint64_t now)
{
    const struct vframe *pics[VMIX_MAX_TILES];
    int speaker = -1, active = c->amix ? amix_active_speaker(c->amix) : -1;
    unsigned n = 0;
    uint64_t scene = 0xcbf29ce484222325ull;
    for (unsigned i = 0; i < c->hi && n < VMIX_MAX_TILES; i++) {
        struct member *m = &c->m[i];
        uint64_t rx = m->used && m->vin ? vstream_last_rx_us(m->vin) : 0;
        if (!rx || now - rx > TILE_STALE_US)
            continue;
        if ((int)i == active)
            speaker = (int)n;
        struct vstream_stats st;
        vstream_get_stats(m->vin, &st);
        scene = scene_mix(scene_mix(scene, i), st.frames);
        pics[n++] = vstream_picture(m->vin);
    }
    scene = scene_mix(scene_mix(scene, n), (uint64_t)(speaker + 1));
    /* The canvas clock runs from the conference's start whether or not a canvas is drawn, so
     * skipped and late ticks do not slow the receivers' timestamps or the encoder's clock. */
    vmix_set_frame(c->vmix, (now - c->vepoch_us) / tick_us(c));
    /* Nothing new to show and no keyframe owed: no canvas this tick. Senders at 15 fps halve
     * the encodes of a 30 fps canvas; a still room costs almost nothing. */
    if (scene == c->vscene && !vmix_key_pending(c->vmix))
        return;
    c->vscene = scene;
    if (vmix_compose(c->vmix, pics, n, speaker))
        return;
    unsigned encodes[2] = {0, 0};
    for (unsigned i = 0; i < c->hi; i++) {
        struct member *r = &c->m[i];
        if (!r->used || !r->vs || !session_has_destination(r->vs))
            continue;
        send_canvas(c, r, now);
        encodes[vstream_codec(r->vin) == VCODEC_H264] = 1;
    }
    pstat_add(&c->p.stats->video_frames, encodes[0] + encodes[1]);
}

/* ---- both ---- */

static int video_active(const struct conference *c, uint64_t now)
{
    for (unsigned i = 0; i < c->hi; i++) {
        const struct member *m = &c->m[i];
        uint64_t rx = m->used && m->vin ? vstream_last_rx_us(m->vin) : 0;
        if (rx && now - rx < VIDEO_IDLE_US)
            return 1;
    }
    return 0;
}

static void on_vtick(evutil_socket_t fd, short what, void *arg)
{
    struct conference *c = arg;
    uint64_t start = clock_now_us();
    if (c->vmix)
        compose_and_send(c, start);
    else
        assign_slots(c, start);
    conf_flush_dirty(c);
    uint64_t now = clock_now_us();
    if (now - start > pstat_get(&c->p.stats->video_tick_us_max))
        pstat_set(&c->p.stats->video_tick_us_max, now - start);
    if (!video_active(c, now)) {
        c->vticking = 0;
        return;
    }
    uint64_t t = tick_us(c);
    c->vdeadline_us += t;
    if (now > c->vdeadline_us) /* late by a whole frame: a fresh timeline, not a burst */
        c->vdeadline_us = now + t;
    uint64_t wait = c->vdeadline_us - now;
    struct timeval tv = {(time_t)(wait / 1000000u), (suseconds_t)(wait % 1000000u)};
    evtimer_add(c->vtick, &tv);
}

static void on_vrtp(void *owner, struct session *from, uint8_t *pkt, size_t len,
                    const struct rtp_hdr *h)
{
    struct conference *c = owner;
    struct member *m = session_user(from);
    uint64_t now = clock_now_us();
    struct vstream_result r;
    vstream_put(m->vin, h, now, &r);
    if (r.nnack)
        session_send_nack(from, r.nack, r.nnack);
    if (r.need_key)
        session_request_keyframe(from);
    struct pstats *st = session_stats(from);
    if (r.frame)
        pstat_add(&st->rx_frames, 1);
    struct vstream_stats vst;
    vstream_get_stats(m->vin, &vst);
    pstat_set(&st->rx_frames_lost, vst.frames_lost);
    if (!c->vticking) {
        if (c->p.video == VIDEO_FORWARD)
            assign_slots(c, now); /* this very packet needs its receivers */
        start_vtick(c);
    }
    if (c->p.video == VIDEO_FORWARD)
        forward_packet(c, m, pkt, len, h);
}

static void on_vburst_end(void *owner)
{
    conf_flush_dirty(owner);
}

static void on_keyframe_request(void *owner, struct session *s, unsigned stream)
{
    struct conference *c = owner;
    struct member *r = session_user(s);
    if (c->vmix) {
        vmix_request_key(c->vmix, vstream_codec(r->vin));
        return;
    }
    int src = stream < SESSION_MAX_STREAMS ? r->slot[stream].src : -1;
    if (src >= 0 && c->m[src].used && c->m[src].vin)
        ask_key(&c->m[src], clock_now_us());
}

static const struct session_ops video_ops = {
    .on_rtp = on_vrtp,
    .on_burst_end = on_vburst_end,
    .on_keyframe_request = on_keyframe_request,
};

int conf_video_add(struct conference *c, struct member *m)
{
    for (unsigned k = 0; k < SESSION_MAX_STREAMS; k++)
        m->slot[k].src = -1;
    m->vkey_wait = 1;
    m->vts_base = session_ts_base(m->vs);
    m->vjoin_us = clock_now_us();
    session_set_user(m->vs, m);
    if (c->vmix)
        vmix_request_key(c->vmix, vstream_codec(m->vin)); /* a late joiner starts at once */
    return session_start(m->vs, &video_ops, c, c->rx);
}

void conf_video_remove(struct conference *c, struct member *m)
{
    int idx = member_index(c, m);
    for (unsigned i = 0; i < c->hi; i++) {
        for (unsigned k = 0; c->m[i].used && k < SESSION_MAX_STREAMS; k++) {
            if (c->m[i].slot[k].src == idx)
                c->m[i].slot[k].src = -1;
        }
    }
}

void conf_video_note_active(struct conference *c, struct member *m, uint64_t now)
{
    m->last_active_us = now;
}
