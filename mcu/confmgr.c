/* Conference manager: control-thread records, port pairs, and ops posted to workers. */
#include "confmgr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "acodec.h"
#include "alloc.h"
#include "astream.h"
#include "cpu.h"
#include "base64.h"
#include "conference.h"
#include "log.h"
#include "loop.h"
#include "session.h"
#include "store.h"
#include "worker.h"

struct confmgr {
    struct confmgr_params p;
    struct worker **workers;
    unsigned *worker_load; /* open conferences per worker */
    struct meeting *meetings, *meetings_tail;
    uint8_t *pair_used;
    unsigned npairs, next_pair;
    uint16_t first_port;
    int64_t (*now)(void);
    confmgr_event_fn event_fn;
    void *event_arg;
};

static void emit(struct confmgr *cm, const struct meeting *m, const struct participant *p,
                 const char *type, int value)
{
    if (cm->event_fn)
        cm->event_fn(cm->event_arg, m, p, type, value);
}

void confmgr_set_event_cb(struct confmgr *cm, confmgr_event_fn fn, void *arg)
{
    cm->event_fn = fn;
    cm->event_arg = arg;
}

void confmgr_poll_events(struct confmgr *cm)
{
    for (struct meeting *m = cm->meetings; m; m = m->next) {
        for (struct participant *p = m->participants; p; p = p->next) {
            uint8_t talking = pstat_get(&p->stats.talking) != 0;
            uint8_t active = pstat_get(&p->stats.active) != 0;
            if (talking != p->seen_talking)
                emit(cm, m, p, "talking", talking);
            if (active != p->seen_active)
                emit(cm, m, p, "speaker", active);
            p->seen_talking = talking;
            p->seen_active = active;
        }
    }
}

static int64_t wall_now(void)
{
    return (int64_t)time(NULL);
}

static int random_id(char *out, char prefix)
{
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyz23456789";
    uint8_t r[8];
    if (getrandom(r, sizeof(r), 0) != sizeof(r))
        return -EIO;
    out[0] = prefix;
    out[1] = '-';
    for (int i = 0; i < 8; i++)
        out[2 + i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
    out[10] = '\0';
    return 0;
}

int confmgr_create(struct confmgr **out, const struct confmgr_params *p)
{
    if (!p->workers || p->port_hi < p->port_lo)
        return -EINVAL;
    struct confmgr *cm = mcu_calloc(1, sizeof(*cm));
    if (!cm)
        return -ENOMEM;
    cm->p = *p;
    cm->now = wall_now;
    cm->first_port = (uint16_t)((p->port_lo + 1) & ~1u);
    cm->npairs = cm->first_port < p->port_hi ? (unsigned)(p->port_hi - cm->first_port + 1) / 2 : 0;
    cm->pair_used = mcu_calloc(cm->npairs ? cm->npairs : 1, 1);
    cm->workers = mcu_calloc(p->workers, sizeof(*cm->workers));
    cm->worker_load = mcu_calloc(p->workers, sizeof(*cm->worker_load));
    int err = cm->pair_used && cm->workers && cm->worker_load ? 0 : -ENOMEM;
    for (unsigned i = 0; !err && i < p->workers; i++)
        err = worker_create(&cm->workers[i], i);
    if (err) {
        confmgr_destroy(&cm);
        return err;
    }
    *out = cm;
    return 0;
}

static void free_participants(struct confmgr *cm, struct meeting *m);
static void close_meeting(struct confmgr *cm, struct meeting *m);

void confmgr_destroy(struct confmgr **cmp)
{
    struct confmgr *cm = *cmp;
    if (!cm)
        return;
    /* Stop every worker first: from then on this thread may touch their objects. */
    for (unsigned i = 0; cm->workers && i < cm->p.workers; i++) {
        if (cm->workers[i])
            worker_stop(cm->workers[i]);
    }
    for (unsigned i = 0; cm->workers && i < cm->p.workers; i++) {
        if (cm->workers[i]) /* run what is still queued: it may free sessions */
            loop_drain(worker_loop(cm->workers[i]));
    }
    struct meeting *m = cm->meetings;
    while (m) {
        struct meeting *next = m->next;
        conference_destroy(&m->conf);
        free_participants(cm, m);
        mcu_free(m);
        m = next;
    }
    for (unsigned i = 0; cm->workers && i < cm->p.workers; i++)
        worker_destroy(&cm->workers[i]);
    mcu_free(cm->workers);
    mcu_free(cm->worker_load);
    mcu_free(cm->pair_used);
    mcu_free(cm);
    *cmp = NULL;
}

const char *confmgr_media_ip(const struct confmgr *cm)
{
    return cm->p.media_ip;
}

void confmgr_set_clock(struct confmgr *cm, int64_t (*now)(void))
{
    cm->now = now;
}

int64_t confmgr_now(const struct confmgr *cm)
{
    return cm->now();
}

unsigned confmgr_worker_count(const struct confmgr *cm)
{
    return cm->p.workers;
}

double confmgr_worker_cpu(const struct confmgr *cm, unsigned i)
{
    return i < cm->p.workers ? worker_cpu_seconds(cm->workers[i]) : -1;
}

struct meeting *confmgr_meetings(struct confmgr *cm)
{
    return cm->meetings;
}

static void link_meeting(struct confmgr *cm, struct meeting *m)
{
    if (cm->meetings_tail)
        cm->meetings_tail->next = m;
    else
        cm->meetings = m;
    cm->meetings_tail = m;
}

static int load_one(void *arg, const struct meeting *stored)
{
    struct confmgr *cm = arg;
    struct meeting *m = mcu_malloc(sizeof(*m));
    if (!m)
        return -ENOMEM;
    *m = *stored;
    m->next = NULL;
    m->worker = NULL;
    m->conf = NULL;
    m->participants = NULL;
    m->nparticipants = 0;
    /* Media did not survive the restart; the meeting reopens at its next join. */
    if (m->state == MEETING_OPEN)
        m->state = MEETING_SCHEDULED;
    link_meeting(cm, m);
    return 0;
}

int confmgr_start(struct confmgr *cm)
{
    if (cm->p.store) {
        int err = store_meeting_load_all(cm->p.store, load_one, cm);
        if (err)
            return err;
    }
    for (unsigned i = 0; i < cm->p.workers; i++) {
        int err = worker_start(cm->workers[i]);
        if (err)
            return err;
    }
    confmgr_tick(cm); /* meetings that should be open are open before the first request */
    return 0;
}

struct meeting *confmgr_meeting_find(struct confmgr *cm, const char *id)
{
    for (struct meeting *m = cm->meetings; m; m = m->next) {
        if (!strcmp(m->id, id))
            return m;
    }
    return NULL;
}

static int validate_spec(const struct meeting_spec *s)
{
    size_t tl = s->title ? strlen(s->title) : 0;
    if (tl == 0 || tl > MEETING_TITLE_MAX)
        return -EINVAL;
    if (s->pin && strlen(s->pin) > MEETING_PIN_MAX)
        return -EINVAL;
    if (s->end_unix <= s->start_unix || s->max < 2 || s->max > MEETING_MAX_PARTICIPANTS)
        return -EINVAL;
    return 0;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

int confmgr_meeting_create(struct confmgr *cm, const struct meeting_spec *spec,
                           struct meeting **out)
{
    int err = validate_spec(spec);
    if (err)
        return err;
    struct meeting *m = mcu_calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    do
        err = random_id(m->id, 'm');
    while (!err && confmgr_meeting_find(cm, m->id));
    copy_str(m->title, sizeof(m->title), spec->title);
    copy_str(m->pin, sizeof(m->pin), spec->pin);
    copy_str(m->video, sizeof(m->video), spec->video ? spec->video : "off");
    copy_str(m->layout, sizeof(m->layout), spec->layout ? spec->layout : "grid");
    m->start_unix = spec->start_unix;
    m->end_unix = spec->end_unix;
    m->max = spec->max;
    m->mode = spec->mode;
    m->talkers = spec->talkers ? spec->talkers : 3;
    m->preprocess = spec->preprocess;
    m->repeat = spec->repeat;
    m->until_unix = spec->until_unix;
    copy_str(m->tz, sizeof(m->tz), spec->tz ? spec->tz : "UTC");
    copy_str(m->owner, sizeof(m->owner), spec->owner);
    m->state = MEETING_SCHEDULED;
    m->created_unix = cm->now();
    /* Stored before it exists in memory: a meeting the disk refused was never created. */
    if (!err && cm->p.store)
        err = store_meeting_save(cm->p.store, m);
    if (err) {
        mcu_free(m);
        return err;
    }
    link_meeting(cm, m);
    confmgr_meeting_refresh(cm, m);
    *out = m;
    return 0;
}

/* ---- Operations run on a worker ---- */

struct op {
    struct confmgr *cm;
    struct conference *conf;
    struct session *session;
    struct astream *astream;
    struct participant *p;
    int value;
};

static void op_add(void *arg)
{
    struct op *op = arg;
    int err = conference_add(op->conf, op->session, op->astream);
    if (err)
        log_ratelimited(LOG_ERR, "adding a session to its conference failed: %s", strerror(-err));
    mcu_free(op);
}

static void op_remove(void *arg)
{
    struct op *op = arg;
    conference_remove(op->conf, op->session);
    /* The worker no longer writes the stats block: the record can go. Freed here rather than
     * posted back because the control thread has already unlinked it. */
    mcu_free(op->p);
    mcu_free(op);
}

static int post(struct worker *w, loop_fn fn, struct op *op)
{
    return loop_post(worker_loop(w), fn, op);
}

static unsigned pick_worker(struct confmgr *cm)
{
    unsigned best = 0;
    for (unsigned i = 1; i < cm->p.workers; i++) {
        if (cm->worker_load[i] < cm->worker_load[best])
            best = i;
    }
    return best;
}

static int open_meeting(struct confmgr *cm, struct meeting *m)
{
    unsigned w = pick_worker(cm);
    memset(&m->cstats, 0, sizeof(m->cstats));
    struct conference_params cp = {
        .max_members = m->max,
        .mode = m->mode,
        .max_talkers = m->talkers,
        .cpu_flags = cpu_flags(),
        .base = loop_base(worker_loop(cm->workers[w])),
        .stats = &m->cstats,
    };
    int err = conference_create(&m->conf, &cp);
    if (err)
        return err;
    m->worker = cm->workers[w];
    cm->worker_load[w]++;
    m->state = MEETING_OPEN;
    if (cm->p.store)
        store_meeting_save(cm->p.store, m);
    log_info("meeting %s \"%s\" open on worker %u", m->id, m->title, w);
    return 0;
}

static void free_record_list(struct participant *p)
{
    while (p) {
        struct participant *next = p->next;
        mcu_free(p);
        p = next;
    }
}

static void op_close(void *arg)
{
    struct op *op = arg;
    conference_destroy(&op->conf);
    /* Only now has the worker written the stats blocks for the last time. */
    free_record_list(op->p);
    mcu_free(op);
}

/* Close the media: the conference (every session sending its BYE) and the participant records
 * go to the worker, which frees them in that order. */
static void close_meeting(struct confmgr *cm, struct meeting *m)
{
    if (!m->conf)
        return;
    for (struct participant *p = m->participants; p; p = p->next)
        cm->pair_used[(p->port - cm->first_port) / 2] = 0;
    struct op *op = mcu_calloc(1, sizeof(*op));
    if (op) {
        op->conf = m->conf;
        op->p = m->participants;
    }
    if (!op || post(m->worker, op_close, op)) {
        /* Without memory for a few bytes the safe course is to leak the conference, not to free
         * it under a running worker. */
        mcu_free(op);
        log_err("meeting %s: out of memory while closing; its media objects are leaked", m->id);
    }
    m->participants = NULL;
    m->nparticipants = 0;
    cm->worker_load[worker_index(m->worker)]--;
    m->conf = NULL;
    m->worker = NULL;
}

static void free_participants(struct confmgr *cm, struct meeting *m)
{
    free_record_list(m->participants);
    m->participants = NULL;
    m->nparticipants = 0;
}

int confmgr_meeting_cancel(struct confmgr *cm, struct meeting *m)
{
    if (m->state == MEETING_CANCELLED)
        return -EALREADY;
    close_meeting(cm, m);
    enum meeting_state old = m->state;
    m->state = MEETING_CANCELLED;
    int err = cm->p.store ? store_meeting_save(cm->p.store, m) : 0;
    if (err) {
        m->state = old;
        return err;
    }
    return 0;
}

/* Bring the meeting's state up to date with the clock. */
int confmgr_meeting_refresh(struct confmgr *cm, struct meeting *m)
{
    int64_t now = cm->now();
    if (m->state == MEETING_CANCELLED || m->state == MEETING_ENDED)
        return -ESHUTDOWN;
    if (now >= m->end_unix) {
        close_meeting(cm, m);
        int again = meeting_next_occurrence(m, now);
        m->state = again ? MEETING_SCHEDULED : MEETING_ENDED;
        if (cm->p.store)
            store_meeting_save(cm->p.store, m);
        if (!again)
            return -ESHUTDOWN;
        log_info("meeting %s \"%s\" ended; next occurrence scheduled", m->id, m->title);
    }
    if (now < m->start_unix)
        return -EAGAIN;
    if (m->state != MEETING_OPEN || !m->conf)
        return open_meeting(cm, m);
    return 0;
}

static int alloc_pair(struct confmgr *cm, const char *ip, int *fd_rtp, int *fd_rtcp, uint16_t *port)
{
    for (unsigned tries = 0; tries < cm->npairs; tries++) {
        unsigned i = cm->next_pair;
        cm->next_pair = (cm->next_pair + 1) % cm->npairs;
        if (cm->pair_used[i])
            continue;
        uint16_t pt = (uint16_t)(cm->first_port + 2 * i);
        struct udp_addr a, b;
        if (udp_addr_from_ip(&a, ip, pt) || udp_addr_from_ip(&b, ip, (uint16_t)(pt + 1)))
            return -EINVAL;
        if (udp_open(&a, fd_rtp))
            continue; /* taken by another process: try the next pair */
        if (udp_open(&b, fd_rtcp)) {
            close(*fd_rtp);
            continue;
        }
        cm->pair_used[i] = 1;
        *port = pt;
        return 0;
    }
    return -EADDRNOTAVAIL;
}

static int make_keys(struct participant *p, uint8_t *rx, uint8_t *tx)
{
    size_t kl = rtpsec_key_len(p->suite);
    int err = rtpsec_keygen(p->suite, rx);
    if (!err)
        err = rtpsec_keygen(p->suite, tx);
    if (!err && base64_encode(p->rx_key_b64, sizeof(p->rx_key_b64), rx, kl) < 0)
        err = -ENOSPC;
    if (!err && base64_encode(p->tx_key_b64, sizeof(p->tx_key_b64), tx, kl) < 0)
        err = -ENOSPC;
    return err;
}

static int check_join(struct confmgr *cm, struct meeting *m, const struct join_spec *spec)
{
    size_t nl = spec->name ? strlen(spec->name) : 0;
    if (nl == 0 || nl > PARTICIPANT_NAME_MAX)
        return -EINVAL;
    if (m->pin[0] && (!spec->pin || strcmp(spec->pin, m->pin)))
        return -EPERM;
    int err = confmgr_meeting_refresh(cm, m);
    if (err)
        return err;
    if (m->nparticipants >= m->max)
        return -EUSERS;
    return 0;
}

/* *fds_taken tells whether the sockets now belong to a session (closed with it, even on
 * failure) or are still the caller's. */
static int start_session(struct confmgr *cm, struct meeting *m, struct participant *p,
                         const struct join_spec *spec, int fd_rtp, int fd_rtcp, int *fds_taken)
{
    struct session_params sp;
    memset(&sp, 0, sizeof(sp));
    sp.fd_rtp = fd_rtp;
    sp.fd_rtcp = fd_rtcp;
    sp.suite = p->suite;
    sp.has_recv = spec->has_recv;
    sp.recv = spec->recv;
    sp.rtcp_mux = spec->rtcp_mux;
    sp.tx_pt = p->codec->pt;
    sp.clock_rate = p->codec->clock_rate;
    sp.stats = &p->stats;
    sp.base = loop_base(worker_loop(m->worker));
    snprintf(sp.cname, sizeof(sp.cname), "%s@mcu", p->id);
    int err = make_keys(p, sp.rx_key, sp.tx_key);
    uint8_t r[4];
    if (!err && getrandom(r, 4, 0) != 4)
        err = -EIO;
    sp.tx_ssrc = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
    if (!err)
        err = session_create(&p->session, &sp);
    *fds_taken = !err;
    memset(sp.rx_key, 0, sizeof(sp.rx_key));
    memset(sp.tx_key, 0, sizeof(sp.tx_key));
    if (err)
        return err;
    struct astream *as = NULL;
    if (m->mode == MEETING_MIX) {
        int pre = spec->preprocess < 0 ? m->preprocess : spec->preprocess;
        struct astream_params ap = {p->codec, pre, spec->level_ext_id};
        err = astream_create(&as, &ap);
    }
    struct op *op = err ? NULL : mcu_calloc(1, sizeof(*op));
    if (!op)
        goto fail;
    op->conf = m->conf;
    op->session = p->session;
    op->astream = as;
    if (post(m->worker, op_add, op))
        goto fail;
    return 0;
fail:
    mcu_free(op);
    astream_destroy(&as);
    /* The session was never handed over: closing it here is safe, and so are its fds. */
    session_destroy(&p->session);
    return err ? err : -ENOMEM;
}

int confmgr_join(struct confmgr *cm, struct meeting *m, const struct join_spec *spec,
                 struct participant **out)
{
    int err = check_join(cm, m, spec);
    if (err)
        return err;
    struct participant *p = mcu_calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    err = random_id(p->id, 'p');
    copy_str(p->name, sizeof(p->name), spec->name);
    p->suite = spec->suite;
    p->codec = spec->codec ? spec->codec : &acodec_opus;
    p->gain_pct = 100;
    p->has_recv = spec->has_recv;
    p->recv = spec->recv;
    p->joined_unix = cm->now();
    int fd_rtp = -1, fd_rtcp = -1;
    if (!err)
        err = alloc_pair(cm, cm->p.media_ip, &fd_rtp, &fd_rtcp, &p->port);
    if (err) {
        mcu_free(p);
        return err;
    }
    int fds_taken = 0;
    err = start_session(cm, m, p, spec, fd_rtp, fd_rtcp, &fds_taken);
    if (err) {
        if (!fds_taken) {
            close(fd_rtp);
            close(fd_rtcp);
        }
        cm->pair_used[(p->port - cm->first_port) / 2] = 0;
        mcu_free(p);
        return err == -ENOMEM ? err : -EIO;
    }
    p->next = m->participants;
    m->participants = p;
    m->nparticipants++;
    if (cm->p.store)
        store_history_add(cm->p.store, m->id, p->id, p->name, "join", p->joined_unix);
    emit(cm, m, p, "join", 1);
    *out = p;
    return 0;
}

struct participant *confmgr_participant_find(struct meeting *m, const char *id)
{
    for (struct participant *p = m->participants; p; p = p->next) {
        if (!strcmp(p->id, id))
            return p;
    }
    return NULL;
}

static void op_gain(void *arg)
{
    struct op *op = arg;
    conference_set_gain(op->conf, op->session, op->value);
    mcu_free(op);
}

static void op_mute(void *arg)
{
    struct op *op = arg;
    conference_set_mute(op->conf, op->session, op->value);
    mcu_free(op);
}

/* Post a change of one participant's media to its worker. */
static int post_member_op(struct meeting *m, struct participant *p, loop_fn fn, int value)
{
    if (!m->conf)
        return -ESHUTDOWN;
    struct op *op = mcu_calloc(1, sizeof(*op));
    if (!op)
        return -ENOMEM;
    op->conf = m->conf;
    op->session = p->session;
    op->value = value;
    if (post(m->worker, fn, op)) {
        mcu_free(op);
        return -ENOMEM;
    }
    return 0;
}

int confmgr_set_gain(struct confmgr *cm, struct meeting *m, struct participant *p, int pct)
{
    if (pct < 0 || pct > 200)
        return -EINVAL;
    int err = post_member_op(m, p, op_gain, pct * 16384 / 100);
    if (!err)
        p->gain_pct = pct;
    return err;
}

int confmgr_mute(struct confmgr *cm, struct meeting *m, struct participant *p, int muted)
{
    int err = post_member_op(m, p, op_mute, muted != 0);
    if (!err)
        p->muted = muted != 0;
    return err;
}

static void apply_update(struct meeting *m, const struct meeting_update *u)
{
    if (u->title)
        copy_str(m->title, sizeof(m->title), u->title);
    if (u->pin)
        copy_str(m->pin, sizeof(m->pin), u->pin);
    int64_t len = m->end_unix - m->start_unix;
    if (u->duration_min >= 0)
        len = (int64_t)u->duration_min * 60;
    if (u->start_unix >= 0)
        m->start_unix = u->start_unix;
    m->end_unix = m->start_unix + len;
    if (u->max >= 0)
        m->max = (unsigned)u->max;
    if (u->talkers >= 0)
        m->talkers = (unsigned)u->talkers;
    if (u->preprocess >= 0)
        m->preprocess = u->preprocess;
    if (u->repeat >= 0)
        m->repeat = (enum meeting_repeat)u->repeat;
    if (u->until_unix >= 0)
        m->until_unix = u->until_unix;
}

int confmgr_meeting_update(struct confmgr *cm, struct meeting *m, const struct meeting_update *u)
{
    if (m->state == MEETING_CANCELLED || m->state == MEETING_ENDED)
        return -ESHUTDOWN;
    if (m->state == MEETING_OPEN && u->start_unix > cm->now())
        return -EBUSY;
    struct meeting old = *m;
    apply_update(m, u);
    if (m->end_unix <= m->start_unix || m->max < 2 || (m->conf && m->max < m->nparticipants)) {
        *m = old;
        return -EINVAL;
    }
    if (m->conf && m->max > old.max) { /* the live conference was sized for the old bound */
        *m = old;
        return -EBUSY;
    }
    int err = cm->p.store ? store_meeting_save(cm->p.store, m) : 0;
    if (err) {
        *m = old;
        return err;
    }
    confmgr_meeting_refresh(cm, m); /* a new end may be in the past, a new start now */
    return 0;
}

int confmgr_leave(struct confmgr *cm, struct meeting *m, struct participant *p)
{
    struct participant **pp = &m->participants;
    while (*pp && *pp != p)
        pp = &(*pp)->next;
    if (!*pp)
        return -ENOENT;
    struct op *op = mcu_calloc(1, sizeof(*op));
    if (!op)
        return -ENOMEM;
    op->conf = m->conf;
    op->session = p->session;
    op->p = p;
    /* Everything read from the record happens before the post: after it, the worker owns it. */
    if (cm->p.store)
        store_history_add(cm->p.store, m->id, p->id, p->name, "leave", cm->now());
    emit(cm, m, p, "leave", 1);
    unsigned pair = (unsigned)(p->port - cm->first_port) / 2;
    *pp = p->next;
    if (post(m->worker, op_remove, op)) {
        p->next = *pp;
        *pp = p;
        mcu_free(op);
        return -ENOMEM;
    }
    m->nparticipants--;
    cm->pair_used[pair] = 0;
    return 0;
}

void confmgr_tick(struct confmgr *cm)
{
    for (struct meeting *m = cm->meetings; m; m = m->next) {
        if (m->state == MEETING_OPEN || m->state == MEETING_SCHEDULED)
            confmgr_meeting_refresh(cm, m);
    }
}
