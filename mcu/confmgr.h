/* The conference manager: meetings by id, participants, media ports, worker placement.
 * Control thread only; it is the one door through which the API changes live media, by posting
 * operations to the meeting's worker, which applies them between packets. */
#ifndef MCU_CONFMGR_H
#define MCU_CONFMGR_H

#include <stdint.h>

#include "meeting.h"

struct confmgr;
struct store;

struct confmgr_params {
    char media_ip[64];
    uint16_t port_lo, port_hi; /* inclusive; pairs start on even ports */
    unsigned workers;
    struct store *store; /* may be NULL (tests): nothing persists */
};

struct meeting_spec {
    const char *title;
    int64_t start_unix, end_unix;
    const char *pin; /* NULL or "" for none */
    unsigned max;
    enum meeting_mode mode;
    unsigned talkers; /* mix: how many talkers are mixed; 0 = 3 */
    int preprocess;   /* default of the participants' SpeexDSP preprocessing */
    enum meeting_repeat repeat;
    int64_t until_unix;
    const char *tz;    /* NULL = "UTC" */
    const char *owner; /* NULL = "" */
    const char *video, *layout;
    int video_w, video_h, video_kbps; /* 0 = defaults (meeting.h) */
    int plain_rtp;                    /* allow joins with plain RTP */
};

struct join_spec {
    const char *name;
    const char *pin;
    int has_recv;
    struct udp_addr recv;
    int rtcp_mux;
    enum rtpsec_suite suite;
    int plain;                  /* plain RTP, no SRTP (suite ignored): needs m->plain_rtp */
    const struct acodec *codec; /* NULL = Opus */
    int preprocess;   /* SpeexDSP denoise + AGC on this participant's audio: 1, 0, or -1 for the
                         meeting's setting */
    int level_ext_id; /* RFC 6464 extension id the client sends, 0 = none */
    int video;        /* the participant sends and receives video with vcodec */
    int vcodec;       /* enum vcodec_id */
    int has_vrecv;    /* where it receives video (forward mode: stream i at port + 2i) */
    struct udp_addr vrecv;
};

int confmgr_create(struct confmgr **out, const struct confmgr_params *p);
/* Stops the workers, then frees every conference, session and record. */
void confmgr_destroy(struct confmgr **cmp);
/* Load stored meetings and start the worker threads. */
int confmgr_start(struct confmgr *cm);

const char *confmgr_media_ip(const struct confmgr *cm);
/* Wall clock in seconds; tests may replace it. */
void confmgr_set_clock(struct confmgr *cm, int64_t (*now)(void));
int64_t confmgr_now(const struct confmgr *cm);

/* -EINVAL for a bad spec, -EIO when the store refused it (nothing created). */
int confmgr_meeting_create(struct confmgr *cm, const struct meeting_spec *spec,
                           struct meeting **out);
struct meeting *confmgr_meeting_find(struct confmgr *cm, const char *id);
struct meeting *confmgr_meetings(struct confmgr *cm); /* list head, follow ->next */
/* Open a meeting whose start has come, end one whose end has passed (its participants get an
 * RTCP BYE). 0 when open, -EAGAIN before the start, -ESHUTDOWN once ended or cancelled. */
int confmgr_meeting_refresh(struct confmgr *cm, struct meeting *m);
/* Called every second by the control loop: the scheduler's heartbeat. */
void confmgr_tick(struct confmgr *cm);
/* Ends the meeting's media (every participant gets an RTCP BYE) and marks it cancelled. */
int confmgr_meeting_cancel(struct confmgr *cm, struct meeting *m);

/* Errors: -EPERM wrong or missing PIN; -EPROTONOSUPPORT plain RTP asked of a meeting that does
 * not allow it; -EAGAIN not open yet (see m->start_unix);
 * -ESHUTDOWN ended or cancelled; -EUSERS full; -EADDRNOTAVAIL no free port pair;
 * -ENOMEDIUM video asked of a meeting whose video is off; -ENOMEM; -EIO socket or SRTP set-up
 * failed. */
int confmgr_join(struct confmgr *cm, struct meeting *m, const struct join_spec *spec,
                 struct participant **out);
struct participant *confmgr_participant_find(struct meeting *m, const char *id);
/* The participant's level in the mix, 0-200 percent. */
int confmgr_set_gain(struct confmgr *cm, struct meeting *m, struct participant *p, int pct);
/* Stop (or resume) mixing the participant's audio; it keeps hearing the others. */
int confmgr_mute(struct confmgr *cm, struct meeting *m, struct participant *p, int muted);

/* Change a meeting. Fields left NULL/negative stay. -ESHUTDOWN for an ended or cancelled
 * meeting, -EBUSY to move the start of an open meeting into the future, -EINVAL for a result
 * that does not hold together, -EIO when the store refused it (nothing changed). */
struct meeting_update {
    const char *title;
    int64_t start_unix; /* -1: keep */
    int duration_min;   /* -1: keep */
    const char *pin;
    int max, talkers, preprocess; /* -1: keep */
    int repeat;                   /* -1: keep, else enum meeting_repeat */
    int64_t until_unix;           /* -1: keep */
};
int confmgr_meeting_update(struct confmgr *cm, struct meeting *m, const struct meeting_update *u);
int confmgr_leave(struct confmgr *cm, struct meeting *m, struct participant *p);

/* Meeting events for observers (the API's event stream): "join", "leave", "talking" and
 * "speaker" with value 1/0. Called on the control thread. */
typedef void (*confmgr_event_fn)(void *arg, const struct meeting *m, const struct participant *p,
                                 const char *type, int value);
void confmgr_set_event_cb(struct confmgr *cm, confmgr_event_fn fn, void *arg);
/* Compare live talking/speaker flags with what was last reported and report changes; the control
 * loop calls it every 100 ms. */
void confmgr_poll_events(struct confmgr *cm);

/* Totals for /metrics. */
unsigned confmgr_worker_count(const struct confmgr *cm);
/* CPU seconds used by media worker i so far, or -1. */
double confmgr_worker_cpu(const struct confmgr *cm, unsigned i);

#endif
