/* Conference: members, forwarding, and the mixing tick. */
#include "conference.h"
#include "conf_priv.h"

#include <errno.h>
#include <event2/event.h>
#include <string.h>

#include "acodec.h"
#include "alloc.h"
#include "amix.h"
#include "astream.h"
#include "clock.h"
#include "preproc.h"
#include "pstats.h"
#include "rtp.h"
#include "session.h"
#include "udp.h"
#include "vstream.h"

#define TICK_US        (ASTREAM_FRAME_MS * 1000u)
#define GOLDEN_STEP_US 12361u   /* TICK_US x 0.618...: conference_tick_phase's step */
#define IDLE_STOP_US   2000000u /* no audio from anybody this long: stop ticking */

static void on_tick(evutil_socket_t fd, short what, void *arg);

static int create_mixer(struct conference *c)
{
    struct amix_params ap = {c->p.max_members, ASTREAM_MIX_SAMPLES,
                             c->p.max_talkers ? c->p.max_talkers : 3, c->p.cpu_flags};
    int err = amix_create(&c->amix, &ap);
    if (err)
        return err;
    c->tick = evtimer_new(c->p.base, on_tick, c);
    if (!c->tick)
        return -ENOMEM;
    const struct acodec *codecs[SHARED_CODECS] = {&acodec_opus, &acodec_pcmu, &acodec_pcma};
    for (unsigned i = 0; i < SHARED_CODECS; i++)
        c->shared[i].codec = codecs[i];
    return 0;
}

int conference_create(struct conference **out, const struct conference_params *p)
{
    struct conference *c = mcu_calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->p = *p;
    c->m = mcu_calloc(p->max_members, sizeof(*c->m));
    c->dirty = mcu_calloc(2 * (size_t)p->max_members, sizeof(*c->dirty)); /* audio + video */
    c->rx = mcu_malloc(sizeof(*c->rx));
    int err = c->m && c->dirty && c->rx ? 0 : -ENOMEM;
    if (!err && p->mode == MEETING_MIX)
        err = create_mixer(c);
    if (!err)
        err = conf_video_create(c);
    if (err) {
        conference_destroy(&c);
        return err;
    }
    *out = c;
    return 0;
}

static void free_member(struct conference *c, struct member *m)
{
    if (c->amix)
        amix_input_remove(c->amix, (unsigned)(m - c->m));
    conf_video_remove(c, m);
    session_destroy(&m->s);
    astream_destroy(&m->as);
    session_destroy(&m->vs);
    vstream_destroy(&m->vin);
    memset(m, 0, sizeof(*m));
}

void conference_destroy(struct conference **cp)
{
    struct conference *c = *cp;
    if (!c)
        return;
    for (unsigned i = 0; c->m && i < c->hi; i++) {
        if (c->m[i].used)
            free_member(c, &c->m[i]);
    }
    if (c->tick)
        event_free(c->tick);
    for (unsigned i = 0; i < SHARED_CODECS; i++) {
        aenc_destroy(&c->shared[i].enc);
        resampler_destroy(&c->shared[i].down);
    }
    amix_destroy(&c->amix);
    conf_video_destroy(c);
    mcu_free(c->m);
    mcu_free(c->dirty);
    mcu_free(c->rx);
    mcu_free(c);
    *cp = NULL;
}

void conf_mark_dirty(struct conference *c, struct session *s, int became_nonempty)
{
    if (became_nonempty == 1 && c->ndirty < 2 * c->p.max_members)
        c->dirty[c->ndirty++] = s;
}

void conf_flush_dirty(struct conference *c)
{
    for (unsigned i = 0; i < c->ndirty; i++)
        session_flush(c->dirty[i]);
    c->ndirty = 0;
}

unsigned conference_tick_phase(unsigned k)
{
    return (unsigned)((uint64_t)k * GOLDEN_STEP_US % TICK_US);
}

/* The first time at or after `after` that falls on the conference's phase. */
static uint64_t on_phase(const struct conference *c, uint64_t after)
{
    uint64_t t = after - after % TICK_US + c->p.tick_phase_us % TICK_US;
    return t < after ? t + TICK_US : t;
}

static void arm_tick(struct conference *c, uint64_t now)
{
    uint64_t wait = c->deadline_us > now ? c->deadline_us - now : 0;
    struct timeval tv = {(time_t)(wait / 1000000u), (suseconds_t)(wait % 1000000u)};
    evtimer_add(c->tick, &tv);
}

static void start_ticking(struct conference *c)
{
    uint64_t now = clock_now_us();
    c->ticking = 1;
    c->deadline_us = on_phase(c, now + TICK_US);
    arm_tick(c, now);
}

static void on_rtp(void *owner, struct session *from, uint8_t *pkt, size_t len,
                   const struct rtp_hdr *h)
{
    struct conference *c = owner;
    struct member *fm = session_user(from);
    if (c->p.mode == MEETING_MIX) {
        astream_put(fm->as, h, session_rx_time_us(from));
        if (!c->ticking)
            start_ticking(c);
        return;
    }
    for (unsigned i = 0; fm && !fm->muted && i < c->hi; i++) {
        struct member *m = &c->m[i];
        if (m->used && m != fm)
            conf_mark_dirty(c, m->s, session_forward_rtp(m->s, pkt, len, h));
    }
}

static void on_burst_end(void *owner)
{
    conf_flush_dirty(owner);
}

static const struct session_ops conference_session_ops = {
    .on_rtp = on_rtp,
    .on_burst_end = on_burst_end,
};

/* Encode the shared mix for `codec` once this tick; later callers get the same packet. */
static int shared_payload(struct conference *c, const struct acodec *codec, const uint8_t **pkt,
                          unsigned *encoders)
{
    struct shared_enc *se = NULL;
    for (unsigned i = 0; i < SHARED_CODECS; i++) {
        if (c->shared[i].codec == codec)
            se = &c->shared[i];
    }
    if (!se)
        return -ENOTSUP;
    if (se->len < 0) {
        const int16_t *mix = amix_shared_output(c->amix);
        int err = 0;
        if (!se->enc) {
            struct acodec_enc_params ep = {0, -1, 1, 5, 0};
            err = aenc_create(&se->enc, codec, &ep);
            if (!err && codec->pcm_rate != ASTREAM_MIX_RATE)
                err = resampler_create(&se->down, ASTREAM_MIX_RATE, codec->pcm_rate, 3);
        }
        int samples = (int)(codec->pcm_rate * ASTREAM_FRAME_MS / 1000);
        if (!err && se->down) {
            err = resampler_process(se->down, mix, ASTREAM_MIX_SAMPLES, se->pcm, samples);
            err = err == samples ? 0 : err < 0 ? err : -EIO;
            mix = se->pcm;
        }
        const unsigned *tk;
        aenc_set_voices(se->enc, amix_talkers(c->amix, &tk));
        se->len = err ? err : aenc_encode(se->enc, mix, samples, se->pkt, sizeof(se->pkt));
        (*encoders)++;
    }
    *pkt = se->pkt;
    return se->len;
}

/* Returns the inputs decoded: with the participants who are not talking left undecoded while
 * their packets say so, the cost follows the talkers, as the encoding does. */
static unsigned pull_inputs(struct conference *c, uint64_t now)
{
    unsigned decoded = 0;
    for (unsigned i = 0; i < c->hi; i++) {
        struct member *m = &c->m[i];
        if (!m->used)
            continue;
        enum astream_want want = amix_is_mixed(c->amix, i)     ? ASTREAM_WANT_AUDIO
                                 : amix_is_talking(c->amix, i) ? ASTREAM_WANT_LEVEL
                                                               : ASTREAM_WANT_ONSET;
        int level;
        int has = astream_pull(m->as, now, want, amix_input_buffer(c->amix, i), &level);
        amix_input_ready(c->amix, i, has, level);
        decoded += (unsigned)has;
    }
    return decoded;
}

static void send_outputs(struct conference *c, unsigned *encoders)
{
    for (unsigned i = 0; i < SHARED_CODECS; i++)
        c->shared[i].len = -1;
    for (unsigned i = 0; i < c->hi; i++) {
        struct member *m = &c->m[i];
        if (!m->used)
            continue;
        const struct acodec *codec = astream_codec(m->as);
        struct pstats *st = session_stats(m->s);
        int mixed = amix_is_mixed(c->amix, i);
        pstat_set(&st->talking, (uint64_t)amix_is_talking(c->amix, i));
        pstat_set(&st->mixed, (uint64_t)mixed);
        pstat_set(&st->active, (uint64_t)(amix_active_speaker(c->amix) == (int)i));
        if (amix_is_talking(c->amix, i))
            conf_video_note_active(c, m, clock_now_us());
        const uint8_t *payload = c->pkt;
        int len;
        if (mixed) {
            const unsigned *tk;
            unsigned others = amix_talkers(c->amix, &tk) - 1; /* a talker does not hear itself */
            len =
                astream_encode_own(m->as, amix_output(c->amix, i), others, c->pkt, sizeof(c->pkt));
            (*encoders)++;
        } else {
            astream_idle_encoder(m->as);
            len = session_has_destination(m->s) ? shared_payload(c, codec, &payload, encoders) : 0;
        }
        if (len > 0 && session_has_destination(m->s)) {
            conf_mark_dirty(
                c, m->s,
                session_send_rtp(m->s, codec->pt, !m->sent_any, m->ts, payload, (size_t)len));
            m->sent_any = 1;
        }
        m->ts += astream_frame_ts(m->as);
    }
}

static int anyone_active(const struct conference *c, uint64_t now)
{
    for (unsigned i = 0; i < c->hi; i++) {
        if (c->m[i].used && now - astream_last_rx_us(c->m[i].as) < IDLE_STOP_US)
            return 1;
    }
    return 0;
}

static void schedule_next(struct conference *c, uint64_t now)
{
    c->deadline_us += TICK_US;
    if (now > c->deadline_us) {
        /* Late by more than a whole frame: skip to the next tick on the phase rather than
         * bursting. */
        pstat_add(&c->p.stats->tick_overruns, 1);
        c->deadline_us = on_phase(c, now);
    }
    arm_tick(c, now);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct conference *c = arg;
    uint64_t start = clock_now_us();
    unsigned encoders = 0, decoders = pull_inputs(c, start);
    amix_run(c->amix);
    send_outputs(c, &encoders);
    conf_flush_dirty(c);
    const unsigned *tk;
    pstat_set(&c->p.stats->talkers, amix_talkers(c->amix, &tk));
    pstat_set(&c->p.stats->encoders_running, encoders);
    pstat_set(&c->p.stats->decoders_running, decoders);
    pstat_add(&c->p.stats->ticks, 1);
    uint64_t now = clock_now_us();
    if (now - start > pstat_get(&c->p.stats->tick_us_max))
        pstat_set(&c->p.stats->tick_us_max, now - start);
    if (!anyone_active(c, now)) {
        c->ticking = 0;
        pstat_set(&c->p.stats->encoders_running, 0);
        pstat_set(&c->p.stats->decoders_running, 0);
        return;
    }
    schedule_next(c, now);
}

static int take_slot(struct conference *c)
{
    if (c->amix)
        return amix_input_add(c->amix);
    for (unsigned i = 0; i < c->p.max_members; i++) {
        if (!c->m[i].used)
            return (int)i;
    }
    return -ENOSPC;
}

static void destroy_media(const struct conference_member *cm)
{
    struct session *s = cm->s, *vs = cm->vs;
    struct astream *as = cm->as;
    struct vstream *vin = cm->vin;
    session_destroy(&s);
    astream_destroy(&as);
    session_destroy(&vs);
    vstream_destroy(&vin);
}

int conference_add(struct conference *c, const struct conference_member *cm)
{
    int bad = (c->p.mode == MEETING_MIX && !cm->as) || (cm->vs != NULL) != (cm->vin != NULL);
    int idx = bad ? -EINVAL : take_slot(c);
    if (idx < 0) {
        destroy_media(cm);
        return idx;
    }
    struct member *m = &c->m[idx];
    memset(m, 0, sizeof(*m));
    for (unsigned k = 0; k < SESSION_MAX_STREAMS; k++)
        m->slot[k].src = -1; /* before anything can run: a half-started member carries nothing */
    m->s = cm->s;
    m->as = cm->as;
    m->vs = cm->vs;
    m->vin = cm->vin;
    m->used = 1;
    m->ts = session_ts_base(m->s);
    if ((unsigned)idx >= c->hi)
        c->hi = (unsigned)idx + 1;
    c->n++;
    session_set_user(m->s, m);
    int err = session_start(m->s, &conference_session_ops, c, c->rx);
    if (!err && m->vs)
        err = conf_video_add(c, m);
    return err;
}

int conference_remove(struct conference *c, struct session *s)
{
    for (unsigned i = 0; i < c->hi; i++) {
        struct member *m = &c->m[i];
        if (!m->used || m->s != s)
            continue;
        /* A pending flush must not touch a destroyed session. */
        for (unsigned d = 0; d < c->ndirty; d++) {
            if (c->dirty[d] == s || (m->vs && c->dirty[d] == m->vs))
                c->dirty[d--] = c->dirty[--c->ndirty];
        }
        free_member(c, m);
        c->n--;
        while (c->hi && !c->m[c->hi - 1].used)
            c->hi--;
        return 0;
    }
    return -ENOENT;
}

int conference_set_mute(struct conference *c, struct session *s, int muted)
{
    struct member *m = session_user(s);
    if (!m || m->s != s)
        return -ENOENT;
    m->muted = muted != 0;
    if (c->amix)
        amix_input_set_mute(c->amix, (unsigned)(m - c->m), muted);
    return 0;
}

int conference_set_gain(struct conference *c, struct session *s, int gain_q14)
{
    struct member *m = session_user(s);
    if (!m || m->s != s)
        return -ENOENT;
    if (c->amix)
        amix_input_set_gain(c->amix, (unsigned)(m - c->m), gain_q14);
    return 0;
}

unsigned conference_size(const struct conference *c)
{
    return c->n;
}
