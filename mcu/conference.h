/* One live conference on a media worker: its members and what flows between them.
 * Created on the control thread; from the first conference_add on, used only on its worker's
 * thread. Two media modes:
 *   forward  each participant's audio goes to every other one unchanged (re-addressed and
 *            re-protected per receiver);
 *   mix      a 20 ms tick on an absolute deadline decodes every member, mixes the top talkers
 *            once (each talker hears the others, everyone else one shared mix), encodes each
 *            talker's mix and ONE shared mix per codec, and sends each member its stream. The
 *            tick stops when nobody has sent audio for a while, so an idle meeting costs nothing.
 * Video (conf_video.c), independently of the audio mode:
 *   composite  a tick at the meeting's frame rate lays out every sender's newest picture on one
 *              canvas, encodes it once per codec and sends the packets to every receiver;
 *   forward    each receiver gets the last-N active senders' streams, one outgoing stream
 *              each, switched only at keyframes; keyframe requests go back to the sender.
 */
#ifndef MCU_CONFERENCE_H
#define MCU_CONFERENCE_H

#include "layout.h"
#include "meeting.h"

struct astream;
struct conference;
struct vstream;
struct cstats;
struct event_base;
struct session;

struct conference_params {
    unsigned max_members;
    enum meeting_mode mode;
    unsigned max_talkers; /* mix mode: N */
    enum meeting_video video;
    int video_w, video_h, video_kbps, video_fps; /* composite canvas */
    enum layout_kind layout;
    unsigned last_n; /* forward video: streams per receiver, 1..SESSION_MAX_STREAMS */
    /* Mix mode: where in each 20 ms its ticks fall (conference_tick_phase), so that conferences
     * sharing a worker take turns in a fixed order instead of all waking at once. */
    unsigned tick_phase_us;
    unsigned cpu_flags;
    struct event_base *base; /* the worker's */
    struct cstats *stats;    /* owned by the caller, outlives the conference */
};

int conference_create(struct conference **out, const struct conference_params *p);
/* The tick phase of the k-th conference placed on a worker: golden-ratio steps through the
 * 20 ms, so any number of them spread evenly and none shares another's phase. */
unsigned conference_tick_phase(unsigned k);
/* Worker thread (or any thread once the worker has stopped). Destroys every member. */
void conference_destroy(struct conference **cp);
/* A member's media objects, handed over whole. */
struct conference_member {
    struct session *s;   /* audio */
    struct astream *as;  /* its decoding path; NULL in forward mode */
    struct session *vs;  /* video, or NULL; with tx streams for forward mode's last-N */
    struct vstream *vin; /* its incoming video; with vs */
};

/* Worker thread: start the member's sessions and own all its objects, whatever the result.
 * -ENOSPC when full (all destroyed); -EIO when libevent refused a session. */
int conference_add(struct conference *c, const struct conference_member *cm);
/* Worker thread: detach and destroy a member (it sends its RTCP BYE). -ENOENT if unknown. */
int conference_remove(struct conference *c, struct session *s);
/* Worker thread: a muted member is not mixed (or, forwarding, not forwarded); it still hears. */
int conference_set_mute(struct conference *c, struct session *s, int muted);
/* Worker thread: the member's gain into the mix, Q14 (16384 = 1.0; mixing mode only). */
int conference_set_gain(struct conference *c, struct session *s, int gain_q14);
unsigned conference_size(const struct conference *c);

#endif
