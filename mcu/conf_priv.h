/* The conference's insides, shared by its audio half (conference.c) and its video half
 * (conf_video.c). Nothing outside those two files includes this. */
#ifndef MCU_CONF_PRIV_H
#define MCU_CONF_PRIV_H

#include <event2/event.h>
#include <stdint.h>

#include "astream.h"
#include "conference.h"
#include "session.h"

#define SHARED_CODECS 3
#define MAX_PAYLOAD   1400

struct acodec;
struct aenc;
struct resampler;
struct vmix;
struct vstream;

/* Forward video: what one of a receiver's outgoing streams carries. */
struct vslot {
    int src;          /* member index, -1 = none */
    uint8_t key_wait; /* switched to a new source: nothing until it sends a keyframe */
};

struct member {
    struct session *s;
    struct astream *as;
    uint32_t ts; /* next RTP timestamp we send it */
    uint8_t used, sent_any, muted;
    /* video; vs NULL = audio only */
    struct session *vs;
    struct vstream *vin;
    uint8_t vkey_wait;       /* composite: no delta frame before its first keyframe */
    uint32_t vts_base;       /* composite: its video timestamp line's origin */
    uint64_t vjoin_us;       /* when its video started */
    uint64_t vkey_sent_us;   /* composite: when its last start-up keyframe was asked for */
    uint64_t last_active_us; /* last heard talking (or sending audio): ranks the last-N */
    struct vslot slot[SESSION_MAX_STREAMS];
};

/* One encode of the shared mix per codec per tick, whatever the number of listeners. */
struct shared_enc {
    const struct acodec *codec;
    struct aenc *enc;
    struct resampler *down;
    int16_t pcm[ASTREAM_MIX_SAMPLES];
    uint8_t pkt[MAX_PAYLOAD];
    int len; /* this tick: -1 not encoded yet */
};

struct conference {
    struct conference_params p;
    unsigned n, hi, ndirty;
    struct member *m;
    struct session **dirty; /* sessions with queued packets, flushed at the end of a burst */
    struct udp_rx_batch *rx;
    /* mix mode */
    struct amix *amix;
    struct event *tick;
    int ticking;
    uint64_t deadline_us;
    struct shared_enc shared[SHARED_CODECS];
    uint8_t pkt[MAX_PAYLOAD];
    /* video */
    struct vmix *vmix;
    struct event *vtick;
    int vticking;
    uint64_t vdeadline_us;
    uint64_t vscene;    /* composite: what the last canvas showed, to skip unchanged ones */
    uint64_t vepoch_us; /* composite: origin of the canvas clock */
};

void conf_mark_dirty(struct conference *c, struct session *s, int became_nonempty);
void conf_flush_dirty(struct conference *c);
/* Video half. */
int conf_video_create(struct conference *c);
void conf_video_destroy(struct conference *c);
/* Start the member's video session (m->vs set). */
int conf_video_add(struct conference *c, struct member *m);
/* Forget the member as a video source and receiver before it is freed. */
void conf_video_remove(struct conference *c, struct member *m);
/* The active speaker moved (mix mode), for the speaker layout and the last-N ranking. */
void conf_video_note_active(struct conference *c, struct member *m, uint64_t now);

#endif
