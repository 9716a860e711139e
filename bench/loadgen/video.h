/* Composite-video load for the generator: VP8 clips pre-encoded before any traffic, a thread
 * that sends them paced at 30 fps over SRTP, and per-receiver accounting of the composite the
 * server sends back (packets, frames, gaps, keyframes, completeness), without decoding it so
 * the generator stays cheap. */
#ifndef LG_VIDEO_H
#define LG_VIDEO_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen.h"

#define LG_VCLIPS       4   /* distinct clips: each of a meeting's 4 senders has its own */
#define LG_VCLIP_W      320 /* a camera thumbnail, as a browser sends in a grid call */
#define LG_VCLIP_H      180
#define LG_VFPS         30
#define LG_VCLIP_FRAMES 150 /* 5 s, looped; the only keyframe is frame 0 */
#define LG_VCLIP_KBPS   300
#define LG_VCLOCK_HZ    90000

struct lg_vclip {
    uint8_t *data; /* every frame, back to back */
    size_t off[LG_VCLIP_FRAMES], len[LG_VCLIP_FRAMES];
    uint8_t key[LG_VCLIP_FRAMES];
    size_t max_len; /* the largest frame */
};

/* Encodes clips[LG_VCLIPS] with codec/vcodec.h's VP8 encoder. 0 or -errno; on error the clips
 * made so far are freed. lg_vclips_free is safe on zeroed or freed clips. */
int lg_vclips_make(struct lg_vclip *clips);
void lg_vclips_free(struct lg_vclip *clips);
size_t lg_vclips_bytes(const struct lg_vclip *clips);

/* One participant's outgoing video. Owned by the run; only the sender thread touches it while
 * traffic runs. */
struct lg_vout {
    const struct lg_vclip *clip;
    struct sockaddr_in server;
    uint8_t pt;
    struct rtpsec *tx;
    uint32_t ssrc, ts;
    uint16_t seq, picture_id;
    unsigned pos; /* next frame of the clip */
};

/* One participant's received composite; the receiver thread only. The counters without
 * "total" cover frames that ended inside the measured window. */
struct lg_vin {
    uint64_t pkts, bytes, frames, incomplete, keys, lost;
    uint64_t frames_total, auth_fail, rtcp;
    /* the frame being assembled */
    int in_frame, frame_ok, frame_key;
    uint32_t frame_ts;
    uint16_t next_seq;
    /* the stream */
    int have_seq, have_done;
    uint16_t last_seq;
    uint32_t done_ts; /* timestamp of the last frame that ended */
    int64_t last_frame_at;
};

struct lg_window {
    int64_t lo, hi; /* CLOCK_REALTIME ns, as the kernel's arrival timestamps */
};

void lg_vin_init(struct lg_vin *v);
/* One datagram from the participant's video socket that arrived at `at`: RTCP is counted, RTP
 * unprotected with rx (NULL: plain) and tracked. A frame is complete when its first packet
 * starts VP8 partition 0 and the sequence numbers run without a gap to the one with the
 * marker; each complete frame in the window adds its gap since the previous one to `gaps`. */
void lg_vin_packet(struct lg_vin *v, struct rtpsec *rx, uint8_t *buf, size_t len, int64_t at,
                   const struct lg_window *w, struct lg_hist *gaps);

/* Folds one receiver into the run's video figures; lg_video_finish completes them. */
void lg_video_add(struct lg_run_result *res, const struct lg_vin *v, double window_s);
void lg_video_finish(struct lg_run_result *res, const struct lg_hist *gaps, unsigned receivers);

/* ---- The sender thread ---- */

struct lg_vsend_stats {
    uint64_t frames, late, errors; /* late: 10 ms or more behind its deadline */
    int64_t late_max_ns;
};

struct lg_vsender;

/* Starts a thread that sends outs[0..n) (the array is copied; the objects must live until
 * stop) a frame each every 1/30 s from t0_mono on (CLOCK_MONOTONIC ns), through one socket in
 * sendmmsg bursts. Their frame times are spread evenly over a frame, and their starts (all at
 * a clip's keyframe) over spread_ns, so that the server does not get every keyframe at once.
 * 0 or -errno. */
int lg_vsender_start(struct lg_vsender **out, struct lg_vout *const *outs, unsigned n,
                     int64_t t0_mono, int64_t spread_ns);
/* Stops and joins the thread, frees it and sets *sp NULL; st may be NULL. */
void lg_vsender_stop(struct lg_vsender **sp, struct lg_vsend_stats *st);

#endif
