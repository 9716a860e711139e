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
#include "base64.h"
#include "cpu.h"
#include "conference.h"
#include "log.h"
#include "loop.h"
#include "session.h"
#include "store.h"
#include "vcodec.h"
#include "vstream.h"
#include "worker.h"

struct confmgr {
    struct confmgr_params p;
    struct worker **workers;
    unsigned *worker_load;   /* open conferences per worker */
    unsigned *worker_opened; /* conferences ever placed on each worker: their tick phases */
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
    cm->worker_opened = mcu_calloc(p->workers, sizeof(*cm->worker_opened));
    int err = cm->pair_used && cm->workers && cm->worker_load && cm->worker_opened ? 0 : -ENOMEM;
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
    mcu_free(cm->worker_opened);
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
    enum meeting_video v;
    enum layout_kind lk;
    if ((s->video && meeting_video_parse(s->video, &v)) ||
        (s->layout && layout_parse(s->layout, &lk)))
        return -EINVAL;
    if (s->video_kbps && (s->video_kbps < 50 || s->video_kbps > 20000))
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
    m->video_w = spec->video_w ? spec->video_w : MEETING_VIDEO_W;
    m->video_h = spec->video_h ? spec->video_h : MEETING_VIDEO_H;
    m->video_kbps = spec->video_kbps ? spec->video_kbps : MEETING_VIDEO_KBPS;
    m->plain_rtp = spec->plain_rtp != 0;
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
    struct session *vsession;
    struct vstream *vstream;
    struct participant *p;
    int value;
};

static void op_add(void *arg)
{
    struct op *op = arg;
    struct conference_member mm = {op->session, op->astream, op->vsession, op->vstream};
    int err = conference_add(op->conf, &mm);
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
        .video_w = m->video_w,
        .video_h = m->video_h,
        .video_kbps = m->video_kbps,
        .video_fps = MEETING_VIDEO_FPS,
        .last_n = meeting_video_streams(m),
        .tick_phase_us = conference_tick_phase(cm->worker_opened[w]),
        .cpu_flags = cpu_flags(),
        .base = loop_base(worker_loop(cm->workers[w])),
        .stats = &m->cstats,
    };
    if (meeting_video_parse(m->video, &cp.video))
        cp.video = VIDEO_OFF;
    if (layout_parse(m->layout, &cp.layout))
        cp.layout = LAYOUT_GRID;
    int err = conference_create(&m->conf, &cp);
    if (err)
        return err;
    m->worker = cm->workers[w];
    cm->worker_load[w]++;
    cm->worker_opened[w]++;
    m->state = MEETING_OPEN;
    if (cm->p.store)
        store_meeting_save(cm->p.store, m);
    log_info("meeting %s \"%s\" open on worker %u", m->id, m->title, w);
    return 0;
}

static void release_pairs(struct confmgr *cm, const struct participant *p)
{
    cm->pair_used[(p->port - cm->first_port) / 2] = 0;
    if (p->vport)
        cm->pair_used[(p->vport - cm->first_port) / 2] = 0;
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
        release_pairs(cm, p);
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

static int make_keys(enum rtpsec_suite suite, char *rx_b64, char *tx_b64, uint8_t *rx, uint8_t *tx)
{
    size_t kl = rtpsec_key_len(suite);
    int err = rtpsec_keygen(suite, rx);
    if (!err)
        err = rtpsec_keygen(suite, tx);
    if (!err && base64_encode(rx_b64, 64, rx, kl) < 0)
        err = -ENOSPC;
    if (!err && base64_encode(tx_b64, 64, tx, kl) < 0)
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
    if (spec->plain && !m->plain_rtp)
        return -EPROTONOSUPPORT;
    enum meeting_video v;
    if (spec->video && (meeting_video_parse(m->video, &v) || v == VIDEO_OFF))
        return -ENOMEDIUM;
    int err = confmgr_meeting_refresh(cm, m);
    if (err)
        return err;
    if (m->nparticipants >= m->max)
        return -EUSERS;
    return 0;
}

#define RTX_PER_STREAM 128

/* One media leg of a participant: its port pair's sockets become the session's. */
struct leg {
    int fd_rtp, fd_rtcp;
    int has_recv, rtcp_mux;
    struct udp_addr recv;
    uint8_t pt;
    uint32_t clock_rate;
    unsigned tx_streams, rtx_cache;
    char *rx_b64, *tx_b64;
    struct pstats *stats;
};

/* On success the sockets belong to the session (closed with it); on failure, still the caller's.
 */
static int make_session(struct meeting *m, struct participant *p, const struct leg *l,
                        struct session **out)
{
    struct session_params sp;
    memset(&sp, 0, sizeof(sp));
    sp.fd_rtp = l->fd_rtp;
    sp.fd_rtcp = l->fd_rtcp;
    sp.suite = p->suite;
    sp.plain = p->plain;
    sp.has_recv = l->has_recv;
    sp.recv = l->recv;
    sp.rtcp_mux = l->rtcp_mux;
    sp.tx_pt = l->pt;
    sp.clock_rate = l->clock_rate;
    sp.tx_streams = l->tx_streams;
    sp.rtx_cache = l->rtx_cache;
    sp.stats = l->stats;
    sp.base = loop_base(worker_loop(m->worker));
    snprintf(sp.cname, sizeof(sp.cname), "%s@mcu", p->id);
    /* Plain RTP has no keys: the record's key strings stay empty. */
    int err = p->plain ? 0 : make_keys(p->suite, l->rx_b64, l->tx_b64, sp.rx_key, sp.tx_key);
    uint8_t r[4];
    if (!err && getrandom(r, 4, 0) != 4)
        err = -EIO;
    /* Leaves room for the extra streams' SSRCs (tx_ssrc + i) without wrapping. */
    sp.tx_ssrc = ((uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3]) &
                 ~(uint32_t)(SESSION_MAX_STREAMS - 1);
    if (!err)
        err = session_create(out, &sp);
    memset(sp.rx_key, 0, sizeof(sp.rx_key));
    memset(sp.tx_key, 0, sizeof(sp.tx_key));
    return err;
}

static void close_fds(int *fds, int n)
{
    for (int i = 0; i < n; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}

/* Builds every media object of the participant and posts them to the worker in one op.
 * fds: audio RTP, RTCP, video RTP, RTCP (-1 when no video); any not handed to a session is closed
 * here on failure. */
static int start_media(struct meeting *m, struct participant *p, const struct join_spec *spec,
                       int *fds)
{
    struct astream *as = NULL;
    struct vstream *vin = NULL;
    struct op *op = NULL;
    struct leg la = {fds[0],     fds[1],        spec->has_recv,       spec->rtcp_mux,
                     spec->recv, p->codec->pt,  p->codec->clock_rate, 1,
                     0,          p->rx_key_b64, p->tx_key_b64,        &p->stats};
    int err = make_session(m, p, &la, &p->session);
    if (!err)
        fds[0] = fds[1] = -1;
    if (!err && spec->video) {
        enum meeting_video v = VIDEO_OFF;
        meeting_video_parse(m->video, &v);
        struct leg lv = {fds[2], fds[3], spec->has_vrecv, spec->rtcp_mux, spec->vrecv,
                         p->vcodec == VCODEC_H264 ? VIDEO_PT_H264 : VIDEO_PT_VP8, 90000,
                         meeting_video_streams(m),
                         /* ~0.7 s of each stream at 1.5 Mbit/s, for NACKs */
                         RTX_PER_STREAM * meeting_video_streams(m), p->vrx_key_b64, p->vtx_key_b64,
                         &p->vstats};
        err = make_session(m, p, &lv, &p->vsession);
        if (!err)
            fds[2] = fds[3] = -1;
        struct vstream_params vp = {(enum vcodec_id)p->vcodec, v == VIDEO_COMPOSITE};
        if (!err)
            err = vstream_create(&vin, &vp);
    }
    if (!err && m->mode == MEETING_MIX) {
        int pre = spec->preprocess < 0 ? m->preprocess : spec->preprocess;
        struct astream_params ap = {p->codec, pre, spec->level_ext_id};
        err = astream_create(&as, &ap);
    }
    if (!err && !(op = mcu_calloc(1, sizeof(*op))))
        err = -ENOMEM;
    if (!err) {
        *op = (struct op){.conf = m->conf,
                          .session = p->session,
                          .astream = as,
                          .vsession = p->vsession,
                          .vstream = vin};
        if (post(m->worker, op_add, op))
            err = -ENOMEM;
    }
    if (!err)
        return 0;
    mcu_free(op);
    astream_destroy(&as);
    vstream_destroy(&vin);
    /* Never handed over: closing them here is safe, and so are their sockets. */
    session_destroy(&p->session);
    session_destroy(&p->vsession);
    close_fds(fds, 4);
    return err;
}

static void release_pair(struct confmgr *cm, uint16_t port)
{
    if (port)
        cm->pair_used[(port - cm->first_port) / 2] = 0;
}

static int init_record(struct confmgr *cm, struct participant *p, const struct join_spec *spec)
{
    int err = random_id(p->id, 'p');
    copy_str(p->name, sizeof(p->name), spec->name);
    p->suite = spec->suite;
    p->plain = spec->plain != 0;
    p->codec = spec->codec ? spec->codec : &acodec_opus;
    p->gain_pct = 100;
    p->has_recv = spec->has_recv;
    p->recv = spec->recv;
    p->joined_unix = cm->now();
    p->vcodec = spec->vcodec;
    p->has_vrecv = spec->video && spec->has_vrecv;
    p->vrecv = spec->vrecv;
    return err;
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
    err = init_record(cm, p, spec);
    int fds[4] = {-1, -1, -1, -1};
    if (!err)
        err = alloc_pair(cm, cm->p.media_ip, &fds[0], &fds[1], &p->port);
    if (!err && spec->video) {
        err = alloc_pair(cm, cm->p.media_ip, &fds[2], &fds[3], &p->vport);
        if (err)
            p->vport = 0;
    }
    if (!err)
        err = start_media(m, p, spec, fds);
    if (err) {
        close_fds(fds, 4);
        release_pair(cm, p->port);
        release_pair(cm, p->vport);
        mcu_free(p);
        return err == -ENOMEM || err == -EADDRNOTAVAIL ? err : -EIO;
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
    *pp = p->next;
    release_pairs(cm, p); /* before the post: after it, the worker owns the record */
    if (post(m->worker, op_remove, op)) {
        p->next = *pp;
        *pp = p;
        cm->pair_used[(p->port - cm->first_port) / 2] = 1;
        if (p->vport)
            cm->pair_used[(p->vport - cm->first_port) / 2] = 1;
        mcu_free(op);
        return -ENOMEM;
    }
    m->nparticipants--;
    return 0;
}

void confmgr_tick(struct confmgr *cm)
{
    for (struct meeting *m = cm->meetings; m; m = m->next) {
        if (m->state == MEETING_OPEN || m->state == MEETING_SCHEDULED)
            confmgr_meeting_refresh(cm, m);
    }
}
