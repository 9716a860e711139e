/* Adaptive audio jitter buffer: reorders, conceals, and paces its delay to measured jitter. */
#include "jbuf.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "alloc.h"

#define JB_WIN             100     /* transit samples in the estimator: 2 s of 20 ms packets */
#define JB_PCTL            95      /* the target covers this percentile of the relative delay */
#define JB_K               1       /* target = JB_K * jitter + margin: the percentile is a delay */
#define JB_TOPK_MAX        8       /* room for the top JB_WIN * (100 - JB_PCTL) % + 1 samples */
#define JB_SHRINK_EVERY_US 500000  /* at most one frame dropped per this much time */
#define JB_GROW_EVERY_US   60000   /* at most one concealed frame inserted per this much time */
#define JB_LATE_RESYNC     10      /* this many too-late packets in a row: the path changed */
#define JB_PLC_US          100000  /* an unexplained gap is concealed this long, then silent */
#define JB_MAX_DROPOUT     3000    /* RFC 3550 A.1: a seq this far ahead is a new stream */
#define JB_MAX_MISORDER    100     /* ... and one this far behind */
#define JB_JUMP_SLACK_US   2000000 /* a ts this far outside what could still play: new stream */
#define JB_SEEN_BITS       64      /* played seqs remembered, to tell duplicates from late */
#define JB_EXT_LIMIT       ((int64_t)1 << 40) /* extended seq/ts bound: products stay in int64 */
#define JB_TIME_LIMIT      ((int64_t)1 << 60) /* relative times are clamped to +-this */
#define JB_MIN_RATE        1000
#define JB_MAX_RATE        384000
#define JB_MAX_FRAME_MS    1000
#define JB_MAX_DELAY_MS    60000
#define JB_MAX_CAPACITY    32768
#define JB_MAX_SPAN_TICKS  8 /* frame_ts beyond this many ticks is taken as garbage: one tick */

_Static_assert(JB_TOPK_MAX >= JB_WIN - (JB_WIN * JB_PCTL + 99) / 100 + 1, "JB_TOPK_MAX");

struct jb_slot {
    int64_t seq, ts; /* extended: unwrapped past 16/32 bits */
    int64_t span;    /* RTP units of audio in the packet */
    size_t len;
    uint8_t *data; /* max_payload bytes, owned by the slot for the buffer's life */
};

struct jbuf {
    struct jbuf_params p;
    int64_t tick_ts, tick_us, margin_us, min_us, max_us, ahead_us, behind_us, plc_ticks;

    struct jb_slot *slot;
    uint8_t *bytes;
    unsigned *free_idx, nfree;
    unsigned *order, head, count; /* ring of slot indices, ascending seq */

    bool have_t0; /* times are kept relative to the first arrival, in signed 64 bits */
    uint64_t t0;

    bool have_stream;
    uint32_t ssrc;
    bool have_prev; /* stragglers of the SSRC just replaced must not switch back */
    uint32_t prev_ssrc;
    int64_t switch_us;
    int64_t max_seq, max_ts;

    bool playing;
    int64_t play_seq;      /* next sequence number to play */
    int64_t play_ts;       /* RTP time of the current tick */
    int64_t covered_until; /* end of the audio last handed out (multi-tick packets) */
    uint64_t seen;         /* bit i: seq play_seq - 1 - i was received (duplicate vs late) */
    int64_t dry_ticks;     /* ticks in a row with nothing buffered */
    int64_t last_skip_us, last_grow_us;
    unsigned late_run; /* packets in a row over max_delay */

    int64_t transit[JB_WIN]; /* arrival - media time, us: a fixed offset plus network delay */
    unsigned win_n, win_pos;
    bool dirty;
    int64_t base_us; /* smallest transit in the window: the fastest path */
    int64_t pctl_us; /* the transit at the percentile (valid while !dirty) */
    int64_t jitter_us, target_us;

    struct jbuf_stats st;
};

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

/* Signed difference of two wrapping counters, without implementation-defined conversions. */
static int64_t wrap16(uint16_t a, uint16_t b)
{
    uint16_t d = (uint16_t)(a - b);
    return d < 0x8000u ? (int64_t)d : (int64_t)d - 0x10000;
}

static int64_t wrap32(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;
    return d < 0x80000000u ? (int64_t)d : (int64_t)d - 0x100000000;
}

static int64_t ts_us(const struct jbuf *jb, int64_t ts)
{
    return ts * 1000000 / (int64_t)jb->p.clock_rate;
}

static int64_t rel_time(struct jbuf *jb, uint64_t t)
{
    if (!jb->have_t0) {
        jb->t0 = t;
        jb->have_t0 = true;
    }
    if (t >= jb->t0)
        return t - jb->t0 > (uint64_t)JB_TIME_LIMIT ? JB_TIME_LIMIT : (int64_t)(t - jb->t0);
    return jb->t0 - t > (uint64_t)JB_TIME_LIMIT ? -JB_TIME_LIMIT : -(int64_t)(jb->t0 - t);
}

/* ---- storage: slots plus a ring of their indices sorted by sequence number ---- */

static struct jb_slot *slot_at(const struct jbuf *jb, unsigned i)
{
    return &jb->slot[jb->order[(jb->head + i) % jb->p.capacity]];
}

static struct jb_slot *head_slot(const struct jbuf *jb)
{
    return jb->count ? slot_at(jb, 0) : NULL;
}

static void ring_pop(struct jbuf *jb)
{
    jb->free_idx[jb->nfree++] = jb->order[jb->head];
    jb->head = (jb->head + 1) % jb->p.capacity;
    jb->count--;
}

static void ring_insert(struct jbuf *jb, unsigned pos, unsigned idx)
{
    unsigned cap = jb->p.capacity;
    for (unsigned i = jb->count; i > pos; i--)
        jb->order[(jb->head + i) % cap] = jb->order[(jb->head + i - 1) % cap];
    jb->order[(jb->head + pos) % cap] = idx;
    jb->count++;
}

/* Where `seq` goes; packets mostly arrive in order, so the scan starts at the newest. */
static unsigned insert_pos(const struct jbuf *jb, int64_t seq, bool *dup)
{
    unsigned i = jb->count;
    while (i > 0 && slot_at(jb, i - 1)->seq > seq)
        i--;
    *dup = i > 0 && slot_at(jb, i - 1)->seq == seq;
    return i;
}

/* ---- jitter estimate: a percentile of each packet's delay beyond the fastest one ---- */

static void set_estimate(struct jbuf *jb, int64_t jitter)
{
    jb->jitter_us = clamp64(jitter, 0, jb->max_us);
    jb->target_us = clamp64(JB_K * jb->jitter_us + jb->margin_us, jb->min_us, jb->max_us);
}

/* Whether replacing `old` by `v` in a full window keeps the percentile sample (both are below
 * it, or equal) and lets the minimum be followed exactly: then no rescan is needed, which is
 * most packets (a rescan is most of a tick's cost). */
static bool same_estimate(const struct jbuf *jb, int64_t old, int64_t v)
{
    bool top_same = old == v || (old < jb->pctl_us && v < jb->pctl_us);
    bool base_known = old > jb->base_us || v <= jb->base_us;
    return top_same && base_known;
}

static void add_sample(struct jbuf *jb, int64_t transit)
{
    bool quick =
        !jb->dirty && jb->win_n == JB_WIN && same_estimate(jb, jb->transit[jb->win_pos], transit);
    jb->transit[jb->win_pos] = transit;
    jb->win_pos = (jb->win_pos + 1) % JB_WIN;
    if (jb->win_n < JB_WIN)
        jb->win_n++;
    /* Until the next rescan base_us may be below the true minimum, never above: the late test
     * in put errs on the side of keeping packets. */
    if (jb->win_n == 1 || transit < jb->base_us)
        jb->base_us = transit;
    if (quick)
        set_estimate(jb, jb->pctl_us - jb->base_us);
    else
        jb->dirty = true;
}

/* The k-th largest transit (k >= 1) through a short sorted list: k is at most JB_TOPK_MAX. */
static int64_t kth_largest(const struct jbuf *jb, unsigned k)
{
    int64_t top[JB_TOPK_MAX];
    unsigned n = 0;
    for (unsigned i = 0; i < jb->win_n; i++) {
        int64_t v = jb->transit[i];
        if (n == k && v <= top[n - 1])
            continue;
        unsigned j = n < k ? n++ : n - 1;
        while (j > 0 && top[j - 1] < v) {
            top[j] = top[j - 1];
            j--;
        }
        top[j] = v;
    }
    return top[k - 1];
}

static void refresh_estimate(struct jbuf *jb)
{
    if (!jb->dirty)
        return;
    jb->dirty = false;
    if (!jb->win_n) {
        set_estimate(jb, 0);
        return;
    }
    int64_t base = jb->transit[0];
    for (unsigned i = 1; i < jb->win_n; i++)
        base = jb->transit[i] < base ? jb->transit[i] : base;
    unsigned rank = (jb->win_n * JB_PCTL + 99) / 100; /* 1-based, ascending */
    jb->base_us = base;
    jb->pctl_us = kth_largest(jb, jb->win_n - rank + 1);
    set_estimate(jb, jb->pctl_us - base);
}

/* How long ago a frame of media time `ts` would have arrived by the fastest path. */
static int64_t delay_of(const struct jbuf *jb, int64_t now, int64_t ts)
{
    return now - jb->base_us - ts_us(jb, ts);
}

/* ---- stream identity: SSRC, unwrapping, restarts ---- */

static void clear_packets(struct jbuf *jb)
{
    while (jb->count)
        ring_pop(jb);
}

static void restart_stream(struct jbuf *jb, uint32_t ssrc, uint16_t seq, uint32_t ts, int64_t now)
{
    if (jb->have_stream) {
        jb->st.reset++;
        if (ssrc != jb->ssrc) {
            jb->have_prev = true;
            jb->prev_ssrc = jb->ssrc;
            jb->switch_us = now;
        }
    }
    clear_packets(jb);
    jb->have_stream = true;
    jb->ssrc = ssrc;
    jb->max_seq = seq;
    jb->max_ts = ts;
    jb->playing = false;
    jb->dry_ticks = 0;
    jb->last_skip_us = jb->last_grow_us = -JB_TIME_LIMIT;
    jb->late_run = 0;
    /* Transits hold the old stream's timestamp origin: the estimate starts over. */
    jb->win_n = jb->win_pos = 0;
    jb->dirty = true;
}

static bool from_previous_source(const struct jbuf *jb, uint32_t ssrc, int64_t now)
{
    return jb->have_stream && ssrc != jb->ssrc && jb->have_prev && ssrc == jb->prev_ssrc &&
           now - jb->switch_us < jb->max_us;
}

/* Unwrap against the stream; false for a jump far outside anything that could still play. */
static bool unwrap(const struct jbuf *jb, uint16_t seq, uint32_t ts, int64_t *xseq, int64_t *xts)
{
    /* While playing, the tick clock follows real time through talker pauses; max_ts does not. */
    int64_t ref = jb->playing ? jb->play_ts : jb->max_ts;
    *xseq = jb->max_seq + wrap16(seq, (uint16_t)jb->max_seq);
    *xts = ref + wrap32(ts, (uint32_t)ref);
    int64_t ds = *xseq - jb->max_seq;
    if (ds >= JB_MAX_DROPOUT || ds < -JB_MAX_MISORDER)
        return false;
    if (abs64(*xseq) > JB_EXT_LIMIT || abs64(*xts) > JB_EXT_LIMIT)
        return false;
    int64_t dt = ts_us(jb, *xts) - ts_us(jb, ref);
    return dt <= jb->ahead_us && dt >= -jb->behind_us;
}

/* ---- the play position ---- */

static void pass_missing(struct jbuf *jb, int64_t n)
{
    jb->st.lost += (uint64_t)n;
    jb->seen = n >= JB_SEEN_BITS ? 0 : jb->seen << n;
    jb->play_seq += n;
}

static void pass_received(struct jbuf *jb)
{
    jb->seen = jb->seen << 1 | 1;
    jb->play_seq++;
}

/* A full buffer pushes its oldest packet out; playback moves past it (delay is too high). */
static void drop_oldest(struct jbuf *jb)
{
    struct jb_slot *h = head_slot(jb);
    jb->st.overflow++;
    if (jb->playing) {
        pass_missing(jb, h->seq - jb->play_seq);
        pass_received(jb);
        if (jb->play_ts < h->ts + jb->tick_ts)
            jb->play_ts = h->ts + jb->tick_ts;
    }
    ring_pop(jb);
}

static int reject_old(struct jbuf *jb, int64_t seq, int64_t transit)
{
    int64_t back = jb->play_seq - 1 - seq;
    if (back < JB_SEEN_BITS && (jb->seen >> back & 1)) {
        jb->st.duplicate++;
        return -EALREADY;
    }
    add_sample(jb, transit); /* too late, but it still measures the network */
    jb->st.late++;
    return -ETIME;
}

static int64_t span_of(const struct jbuf *jb, uint32_t frame_ts)
{
    if (frame_ts == 0 || frame_ts > JB_MAX_SPAN_TICKS * jb->tick_ts)
        return jb->tick_ts;
    return frame_ts;
}

static void store(struct jbuf *jb, unsigned pos, int64_t seq, int64_t ts, uint32_t frame_ts,
                  const uint8_t *payload, size_t len)
{
    if (jb->count == jb->p.capacity) {
        if (pos == 0) { /* the newcomer is the oldest: it is the one pushed out */
            jb->st.overflow++;
            return;
        }
        drop_oldest(jb);
        pos--;
    }
    unsigned idx = jb->free_idx[--jb->nfree];
    struct jb_slot *s = &jb->slot[idx];
    s->seq = seq;
    s->ts = ts;
    s->span = span_of(jb, frame_ts);
    s->len = len;
    if (len)
        memcpy(s->data, payload, len);
    ring_insert(jb, pos, idx);
}

/* Over max_delay beyond the fastest path. A run of such packets means the path itself got
 * slower (a route change): the estimate restarts from them rather than dropping 2 s of audio
 * until the old fast samples leave the window. */
static bool too_late(struct jbuf *jb, int64_t transit)
{
    add_sample(jb, transit);
    if (transit - jb->base_us <= jb->max_us) {
        jb->late_run = 0;
        return false;
    }
    if (++jb->late_run < JB_LATE_RESYNC)
        return true;
    jb->late_run = 0;
    jb->win_n = jb->win_pos = 0;
    add_sample(jb, transit);
    return false;
}

int jbuf_put(struct jbuf *jb, uint32_t ssrc, uint16_t seq, uint32_t ts, uint32_t frame_ts,
             const uint8_t *payload, size_t len, uint64_t arrival_us)
{
    if (!jb || (!payload && len))
        return -EINVAL;
    jb->st.put++;
    if (len > jb->p.max_payload) {
        jb->st.overflow++;
        return -EMSGSIZE;
    }
    int64_t now = rel_time(jb, arrival_us);
    if (from_previous_source(jb, ssrc, now)) {
        jb->st.late++;
        return -ETIME;
    }
    int64_t xseq = seq, xts = ts;
    if (!jb->have_stream || ssrc != jb->ssrc || !unwrap(jb, seq, ts, &xseq, &xts)) {
        restart_stream(jb, ssrc, seq, ts, now);
        xseq = seq;
        xts = ts;
    }
    int64_t transit = now - ts_us(jb, xts);
    if (jb->playing && xseq < jb->play_seq)
        return reject_old(jb, xseq, transit);
    bool dup;
    unsigned pos = insert_pos(jb, xseq, &dup);
    if (dup) {
        jb->st.duplicate++;
        return -EALREADY;
    }
    jb->max_seq = xseq > jb->max_seq ? xseq : jb->max_seq;
    jb->max_ts = xts > jb->max_ts ? xts : jb->max_ts;
    if (too_late(jb, transit)) {
        jb->st.late++;
        return -ETIME;
    }
    store(jb, pos, xseq, xts, frame_ts, payload, len);
    return 0;
}

/* ---- one playout tick ---- */

/* Nothing buffered: late, lost or a pause, we cannot tell yet. Conceal briefly, then go quiet;
 * the position stays on play_seq, so a late packet still plays (the delay grows by its lateness)
 * and missing ones are counted once a later packet shows how many there were. */
static enum jbuf_status dry_tick(struct jbuf *jb)
{
    bool covered = jb->play_ts < jb->covered_until;
    jb->play_ts += jb->tick_ts;
    if (covered)
        return JBUF_EMPTY;
    jb->dry_ticks++;
    return jb->dry_ticks <= jb->plc_ticks ? JBUF_LOST : JBUF_EMPTY;
}

/* Known silence before the frame due at `next_ts` (DTX: timestamps jumped, no seq missing).
 * Adapting here costs no audio: excess delay is cut at once (the silence is shortened), and a
 * delay under the target waits (the silence is stretched a tick at a time). */
static enum jbuf_status gap_tick(struct jbuf *jb, int64_t now, int64_t next_ts)
{
    int64_t step = jb->tick_ts;
    jb->dry_ticks = 0;
    if (jb->play_ts >= jb->covered_until) {
        int64_t cur = delay_of(jb, now, jb->play_ts);
        if (cur - jb->tick_us >= jb->target_us)
            step = (1 + (cur - jb->target_us) / jb->tick_us) * jb->tick_ts;
        else if (cur + jb->tick_us <= jb->target_us)
            step = 0;
    }
    jb->play_ts = jb->play_ts + step < next_ts ? jb->play_ts + step : next_ts;
    return JBUF_EMPTY;
}

/* Past excess delay, drop one frame, no more often than JB_SHRINK_EVERY_US: a dropped frame is
 * audible in speech, so the delay comes down in small, spaced steps. */
static bool should_skip(const struct jbuf *jb, int64_t now)
{
    if (jb->count < 2 || now - jb->last_skip_us < JB_SHRINK_EVERY_US)
        return false;
    const struct jb_slot *h = slot_at(jb, 0), *next = slot_at(jb, 1);
    return next->seq == h->seq + 1 && delay_of(jb, now, next->ts) >= jb->target_us;
}

/* Below the target by a frame or more (jitter rose while packets still came in time, or were
 * overtaken and counted lost): conceal one frame and play this one next tick. Faster than the
 * shrink, since the cost of too little delay is a loss every time the jitter peaks. */
static bool should_grow(const struct jbuf *jb, int64_t now, const struct jb_slot *h)
{
    /* A full buffer would push a packet out for each frame inserted: no growth past it. */
    return now - jb->last_grow_us >= JB_GROW_EVERY_US && jb->count + 1 < jb->p.capacity &&
           delay_of(jb, now, h->ts) + jb->tick_us <= jb->target_us;
}

static enum jbuf_status frame_tick(struct jbuf *jb, int64_t now, const uint8_t **d, size_t *n)
{
    if (should_grow(jb, now, head_slot(jb))) {
        jb->last_grow_us = now;
        jb->play_ts = head_slot(jb)->ts;
        return JBUF_LOST;
    }
    if (should_skip(jb, now)) {
        ring_pop(jb);
        pass_received(jb);
        jb->st.skipped++;
        jb->last_skip_us = now;
    }
    struct jb_slot *h = head_slot(jb);
    ring_pop(jb); /* the slot's bytes stay intact until the next put reuses it */
    pass_received(jb);
    jb->st.played++;
    jb->play_ts = h->ts + jb->tick_ts;
    jb->covered_until = h->ts + h->span;
    jb->dry_ticks = 0;
    *d = h->data;
    *n = h->len;
    return JBUF_FRAME;
}

/* The frame due now is missing and `h` is the next packet we hold. */
static enum jbuf_status lost_tick(struct jbuf *jb, struct jb_slot *h, int64_t pts,
                                  const uint8_t **d, size_t *n)
{
    pass_missing(jb, 1);
    jb->play_ts = pts + jb->tick_ts;
    jb->covered_until = pts + h->span;
    jb->dry_ticks = 0;
    if (h->seq != jb->play_seq)
        return JBUF_LOST;
    *d = h->data; /* its in-band FEC carries the frame just lost */
    *n = h->len;
    return JBUF_LOST_FEC;
}

/* Missing packets before `h` whose whole frame lies before the current tick were already
 * covered (by dry ticks): they count as lost without taking a tick each. Each missing packet is
 * assumed to be as long as `h` and to sit right before it. */
static void pass_missed_past(struct jbuf *jb, const struct jb_slot *h)
{
    int64_t missing = h->seq - jb->play_seq;
    int64_t gap = h->ts - jb->play_ts;
    int64_t future = gap <= 0 ? 0 : (gap + h->span - 1) / h->span;
    if (missing > future)
        pass_missing(jb, missing - future);
}

static enum jbuf_status play_tick(struct jbuf *jb, int64_t now, const uint8_t **d, size_t *n)
{
    struct jb_slot *h = head_slot(jb);
    if (!h)
        return dry_tick(jb);
    if (h->seq > jb->play_seq)
        pass_missed_past(jb, h);
    if (h->seq == jb->play_seq) {
        if (h->ts - jb->play_ts >= jb->tick_ts)
            return gap_tick(jb, now, h->ts);
        return frame_tick(jb, now, d, n);
    }
    int64_t pts = h->ts - (h->seq - jb->play_seq) * h->span;
    if (pts - jb->play_ts >= jb->tick_ts)
        return gap_tick(jb, now, pts);
    return lost_tick(jb, h, pts, d, n);
}

/* Start once the oldest packet has waited the target delay; after a burst (or a late first
 * get) older packets go, so that playback starts at the target and not above it. */
static bool try_start(struct jbuf *jb, int64_t now)
{
    while (jb->count >= 2 && delay_of(jb, now, slot_at(jb, 1)->ts) >= jb->target_us) {
        ring_pop(jb);
        jb->st.skipped++;
    }
    const struct jb_slot *h = head_slot(jb);
    if (!h || delay_of(jb, now, h->ts) < jb->target_us)
        return false;
    jb->playing = true;
    jb->play_seq = h->seq;
    jb->play_ts = h->ts;
    jb->covered_until = h->ts;
    jb->seen = 0;
    jb->dry_ticks = 0;
    return true;
}

enum jbuf_status jbuf_get(struct jbuf *jb, uint64_t now_us, const uint8_t **data, size_t *len)
{
    const uint8_t *d = NULL;
    size_t n = 0;
    enum jbuf_status s = JBUF_EMPTY;
    if (jb && jb->have_stream) {
        int64_t now = rel_time(jb, now_us);
        refresh_estimate(jb);
        if (jb->playing && abs64(jb->play_ts) > JB_EXT_LIMIT) {
            /* ~265 days of 48 kHz ticks: start over rather than overflow the arithmetic */
            clear_packets(jb);
            jb->have_stream = false;
            jb->st.reset++;
        } else if (jb->playing || try_start(jb, now)) {
            s = play_tick(jb, now, &d, &n);
        }
    }
    if (data)
        *data = d;
    if (len)
        *len = n;
    return s;
}

/* ---- lifetime ---- */

static int check_params(const struct jbuf_params *p)
{
    if (!p || p->clock_rate < JB_MIN_RATE || p->clock_rate > JB_MAX_RATE || p->frame_ms == 0 ||
        p->frame_ms > JB_MAX_FRAME_MS || (uint64_t)p->clock_rate * p->frame_ms % 1000 != 0)
        return -EINVAL;
    if (p->min_delay_ms > p->max_delay_ms || p->max_delay_ms < p->frame_ms ||
        p->max_delay_ms > JB_MAX_DELAY_MS || p->margin_ms > p->max_delay_ms)
        return -EINVAL;
    if (p->capacity == 0 || p->capacity > JB_MAX_CAPACITY || p->max_payload == 0 ||
        p->max_payload > SIZE_MAX / p->capacity)
        return -EINVAL;
    return 0;
}

static void init_derived(struct jbuf *jb)
{
    const struct jbuf_params *p = &jb->p;
    jb->tick_ts = (int64_t)p->clock_rate * p->frame_ms / 1000;
    jb->tick_us = (int64_t)p->frame_ms * 1000;
    jb->margin_us = (int64_t)(p->margin_ms ? p->margin_ms : p->frame_ms) * 1000;
    jb->min_us = (int64_t)p->min_delay_ms * 1000;
    jb->max_us = (int64_t)p->max_delay_ms * 1000;
    jb->ahead_us = jb->max_us + (int64_t)p->capacity * jb->tick_us + JB_JUMP_SLACK_US;
    jb->behind_us = jb->max_us + JB_JUMP_SLACK_US;
    jb->plc_ticks = (JB_PLC_US + jb->tick_us - 1) / jb->tick_us;
    jb->target_us = clamp64(jb->margin_us, jb->min_us, jb->max_us);
    for (unsigned i = 0; i < p->capacity; i++) {
        jb->slot[i].data = jb->bytes + (size_t)i * p->max_payload;
        jb->free_idx[i] = p->capacity - 1 - i;
    }
    jb->nfree = p->capacity;
}

int jbuf_create(struct jbuf **out, const struct jbuf_params *p)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    int err = check_params(p);
    if (err)
        return err;
    struct jbuf *jb = mcu_calloc(1, sizeof(*jb));
    if (!jb)
        return -ENOMEM;
    jb->p = *p;
    jb->slot = mcu_calloc(p->capacity, sizeof(*jb->slot));
    jb->bytes = mcu_malloc((size_t)p->capacity * p->max_payload);
    jb->free_idx = mcu_calloc(p->capacity, sizeof(*jb->free_idx));
    jb->order = mcu_calloc(p->capacity, sizeof(*jb->order));
    if (!jb->slot || !jb->bytes || !jb->free_idx || !jb->order) {
        jbuf_destroy(&jb);
        return -ENOMEM;
    }
    init_derived(jb);
    *out = jb;
    return 0;
}

void jbuf_destroy(struct jbuf **jbp)
{
    if (!jbp || !*jbp)
        return;
    struct jbuf *jb = *jbp;
    mcu_free(jb->slot);
    mcu_free(jb->bytes);
    mcu_free(jb->free_idx);
    mcu_free(jb->order);
    mcu_free(jb);
    *jbp = NULL;
}

void jbuf_get_stats(const struct jbuf *jb, struct jbuf_stats *st)
{
    if (!jb || !st)
        return;
    *st = jb->st;
    st->target_ms = (uint32_t)((jb->target_us + 500) / 1000);
    st->jitter_ms = (uint32_t)((jb->jitter_us + 500) / 1000);
}
