/* Meetings and participants as the control thread sees them (records, not media objects).
 * Only the control thread reads or writes these; a participant's media lives in a session on
 * the meeting's worker, and its counters in `stats`, written by that worker. */
#ifndef MCU_MEETING_H
#define MCU_MEETING_H

#include <stdint.h>

#include "pstats.h"
#include "rtpsec.h"
#include "udp.h"

#define MEETING_ID_LEN           10 /* "m-" + 8 */
#define MEETING_TITLE_MAX        200
#define MEETING_PIN_MAX          16
#define MEETING_MAX_PARTICIPANTS 10000
#define PARTICIPANT_NAME_MAX     64
#define MEETING_TZ_MAX           64
#define MEETING_OWNER_MAX        64

enum meeting_state { MEETING_SCHEDULED, MEETING_OPEN, MEETING_ENDED, MEETING_CANCELLED };
enum meeting_mode { MEETING_FORWARD, MEETING_MIX };
enum meeting_repeat { REPEAT_NONE, REPEAT_DAILY, REPEAT_WEEKLY };
enum meeting_video { VIDEO_OFF, VIDEO_COMPOSITE, VIDEO_FORWARD };

#define MEETING_VIDEO_W      1280 /* composite canvas defaults */
#define MEETING_VIDEO_H      720
#define MEETING_VIDEO_KBPS   1500
#define MEETING_VIDEO_FPS    30
#define MEETING_VIDEO_LAST_N 4  /* forward: streams each receiver gets at most */
#define VIDEO_PT_VP8         96 /* the RTP payload types we use and expect */
#define VIDEO_PT_H264        97

struct acodec;
struct conference;
struct session;
struct worker;

struct participant {
    struct participant *next;
    char id[MEETING_ID_LEN + 1];
    char name[PARTICIPANT_NAME_MAX + 1];
    int64_t joined_unix;
    uint16_t port; /* even; RTP+RTCP here, RTCP also accepted on port+1 */
    int has_recv;
    struct udp_addr recv;
    enum rtpsec_suite suite;
    int plain; /* plain RTP, no SRTP (suite unused, no keys); only where the meeting allows it */
    const struct acodec *codec;
    char rx_key_b64[64];               /* what the participant sends with */
    char tx_key_b64[64];               /* what the participant's receiver decrypts with */
    struct session *session;           /* handle for the worker; never dereferenced here */
    uint8_t seen_talking, seen_active; /* what the last event said */
    uint8_t muted;
    int gain_pct; /* into the mix, 0-200; 100 = unchanged */
    struct pstats stats;
    /* video: vport 0 = audio only */
    uint16_t vport;
    int has_vrecv;
    struct udp_addr vrecv;
    int vcodec; /* enum vcodec_id */
    char vrx_key_b64[64], vtx_key_b64[64];
    struct session *vsession;
    struct pstats vstats;
};

struct meeting {
    struct meeting *next;
    char id[MEETING_ID_LEN + 1];
    char title[MEETING_TITLE_MAX + 1];
    int64_t start_unix, end_unix;
    char pin[MEETING_PIN_MAX + 1]; /* empty: none */
    unsigned max;
    enum meeting_mode mode;
    unsigned talkers;
    int preprocess; /* SpeexDSP denoise + AGC for every participant unless its join says no */
    enum meeting_repeat repeat;
    int64_t until_unix; /* a repeating series has no occurrence starting after this; 0: none */
    char tz[MEETING_TZ_MAX + 1];       /* IANA zone the series repeats in ("UTC" default) */
    char owner[MEETING_OWNER_MAX + 1]; /* who scheduled it (free text until accounts exist) */
    char video[12];                    /* "off", "composite", "forward" */
    char layout[12];                   /* "grid", "speaker" */
    int video_w, video_h, video_kbps;
    int plain_rtp; /* participants may join with plain RTP ("srtp_suite": "none") */
    enum meeting_state state;
    int64_t created_unix;

    struct worker *worker;   /* set while open */
    struct conference *conf; /* set while open; owned by the worker */
    struct participant *participants;
    unsigned nparticipants;
    struct cstats cstats; /* written by the worker while open */
};

const char *meeting_state_name(enum meeting_state s);
const char *meeting_mode_name(enum meeting_mode m);
int meeting_mode_parse(const char *s, enum meeting_mode *m);
int meeting_state_parse(const char *s, enum meeting_state *st);
const char *meeting_repeat_name(enum meeting_repeat r);
int meeting_repeat_parse(const char *s, enum meeting_repeat *r);
int meeting_video_parse(const char *s, enum meeting_video *v);
/* Video streams the server sends each participant: 0 (video off), 1 (composite), or forward's
 * last-N, which never exceeds the others a meeting can hold. */
unsigned meeting_video_streams(const struct meeting *m);
/* "WxH" with even sizes from 128x96 to 1920x1088: 0 or -EINVAL. */
int meeting_resolution_parse(const char *s, int *w, int *h);
/* An IANA time zone name this machine knows ("Europe/Berlin", "UTC"): 0 or -EINVAL. */
int meeting_tz_valid(const char *tz);
/* The next occurrence of a repeating meeting that has not ended at `now`: 1 and the start/end
 * moved forward, or 0 when the series is over (or does not repeat). Days are counted in the
 * meeting's time zone, so a 09:00 meeting stays at 09:00 local time across a DST change.
 * Control thread only: it switches the process's TZ for the computation. */
int meeting_next_occurrence(struct meeting *m, int64_t now);

#endif
