/* Adaptive audio jitter buffer for one incoming stream (one SSRC at a time).
 *
 * Packets go in as they arrive (any order); one frame comes out per playout tick. It reorders,
 * drops duplicates and packets too late to play, tells the decoder when a frame is missing (so
 * it can conceal it, or decode it from the next packet's in-band FEC), and adapts its target
 * delay: it grows quickly with measured jitter and shrinks slowly back after a spike, so that a
 * delay does not stay high for the rest of a call (a known complaint about other servers).
 *
 * Jitter estimate: each packet's transit (arrival time minus its RTP time) is kept for the last
 * 100 packets (2 s of 20 ms audio; a count, not a time span, so the history survives talker
 * pauses). The fastest transit in that window is the path's base; jitter_ms is the 95th
 * percentile of (transit - base), i.e. the extra delay that covers 95 % of recent packets. It
 * rises as soon as 5 % of the window is late and falls when a spike leaves the window.
 * target_ms = clamp(1 * jitter + margin_ms, min_delay_ms, max_delay_ms): k = 1 because the
 * percentile already is a delay to cover, not a deviation to scale. The margin (a frame unless
 * set) covers what the window has not seen yet; a mixer whose tick already adds up to a frame
 * of waiting can keep it small (a lost frame's successor, whose in-band FEC could rebuild it,
 * is then in hand at the lost frame's tick only when the playout delay happens to exceed a
 * frame; else the loss is concealed).
 *
 * Delay: a frame's current delay is now minus the time it would have arrived by the fastest
 * path. Playback starts once the oldest packet's delay reaches the target. Growth is quick:
 * when nothing is buffered and a packet comes late, it is waited for (concealed meanwhile) and
 * then played, so the delay grows by exactly its lateness; and while the delay is a frame or
 * more below the target (the jitter rose but late packets were overtaken and counted lost, so
 * nothing waited), one concealed frame is inserted (LOST, nothing consumed) at most every 60 ms.
 * Shrinking is slow: one frame is dropped (stats.skipped) when the next frame's delay would
 * still be at least the target, at most once per 500 ms, because a dropped frame is audible in
 * speech (200 ms of excess takes about 5 s once the target has come down). Known silence is
 * free to adapt: in a DTX gap (below, once the packet after it is here) excess delay is cut
 * from the silence at once, and a delay under the target stretches it a tick at a time.
 * A run of 10 packets over max_delay means the path itself got slower: the estimate restarts
 * from them instead of dropping everything until the old samples leave the window.
 *
 * Missing frames and pauses: when the frame due is missing and a later packet is buffered, the
 * frame is lost (LOST, or LOST_FEC when that packet is the very next one). When nothing at all
 * is buffered, we cannot tell a late packet from a loss or a talker pause (DTX): the first
 * 100 ms return LOST (PLC fades out naturally), then EMPTY. The position waits on the missing
 * sequence number, so when packets return: the same number with a later timestamp was a pause
 * (no loss counted; it plays at its normal time, the delay preserved and trimmed toward the
 * target through the silence); the same number on time or late was lateness (played now); later
 * numbers were losses (counted then, without repeating the concealment already given).
 *
 * Restarts: a new SSRC, a sequence number more than 3000 ahead or 100 behind the highest seen
 * (RFC 3550 A.1), or a timestamp outside [play position - max_delay - 2 s, play position +
 * max_delay + capacity frames + 2 s] restarts the buffer (stats.reset): packets held are
 * dropped, the estimate starts over, and playback starts again after the initial fill. Packets
 * of the SSRC just replaced, arriving within max_delay of the switch, are late, not a switch
 * back. Sequence numbers and timestamps are unwrapped, so wraparound is seamless.
 *
 * Contract decisions where the API leaves room:
 *  - clock_rate 1000..384000 Hz; frame_ms 1..1000 and clock_rate * frame_ms a multiple of 1000
 *    (a tick is a whole number of RTP units); min_delay_ms <= max_delay_ms, frame_ms <=
 *    max_delay_ms <= 60000; capacity 1..32768; max_payload >= 1. Else -EINVAL.
 *  - A packet should hold one tick of audio (frame_ts = the tick). A longer one (e.g. 40 ms
 *    Opus) is returned once and the ticks it covers return EMPTY: the caller keeps the rest of
 *    its decoded audio. Shorter packets are not supported (one packet comes out per tick).
 *    frame_ts == 0, or over 8 ticks, is taken as one tick.
 *  - Pure: no clock (times are parameters), no I/O, no threads. Allocates only in create. */
#ifndef MCU_JBUF_H
#define MCU_JBUF_H

#include <stddef.h>
#include <stdint.h>

struct jbuf;

struct jbuf_params {
    uint32_t clock_rate;   /* RTP clock, e.g. 48000 for Opus, 8000 for G.711 */
    uint32_t frame_ms;     /* playout tick, e.g. 20 */
    uint32_t min_delay_ms; /* floor of the target delay, e.g. 20 */
    uint32_t max_delay_ms; /* ceiling of the target; a packet whose transit exceeds the
                              fastest in the window by more than this is dropped, e.g. 500 */
    uint32_t margin_ms;    /* the target's delay over the measured jitter; 0 = frame_ms */
    unsigned capacity;     /* packets held at most, e.g. 64; a full buffer drops its oldest.
                              Delay grows only while it has room: make it > max_delay/frame */
    size_t max_payload;    /* bytes per packet at most, e.g. 1500 */
};

enum jbuf_status {
    JBUF_FRAME = 0, /* *data, *len: the payload to decode for this tick */
    JBUF_LOST,      /* the frame for this tick is missing: conceal it (PLC) */
    JBUF_LOST_FEC,  /* missing, but the next packet is here: *data, *len is THAT packet, whose
                       in-band FEC (Opus) can rebuild this frame */
    JBUF_EMPTY,     /* nothing to play: not started, still filling, the talker paused (DTX), or
                       the tick is still covered by a multi-tick packet already returned */
};

/* put: every jbuf_put call with valid arguments, whatever its result. played: FRAME results.
 * lost: sequence numbers never received by the time they were due (a LOST or LOST_FEC tick, or
 * counted later if they fell inside a stretch of nothing buffered; a missing packet arriving
 * after that is also counted late; a LOST inserted to grow the delay is not a loss).
 * late: packets rejected with -ETIME. duplicate: -EALREADY. overflow: packets pushed out of a
 * full buffer (the oldest) plus payloads over max_payload (-EMSGSIZE; there is no counter of
 * its own). reset: restarts (not the first packet). skipped: frames dropped, never decoded, to
 * bring the delay down to the target. */
struct jbuf_stats {
    uint64_t put, played, lost, late, duplicate, overflow, reset, skipped;
    uint32_t target_ms; /* current target delay */
    uint32_t jitter_ms; /* jitter estimate: 95th percentile of the delay over the fastest */
};

/* 0, -EINVAL for parameters outside the ranges above, -ENOMEM. *out is NULL on failure. */
int jbuf_create(struct jbuf **out, const struct jbuf_params *p);
/* Frees the buffer and sets *jbp to NULL; NULL or *jbp NULL is a no-op. */
void jbuf_destroy(struct jbuf **jbp);

/* Store one packet's payload (copied). `ts` is its RTP timestamp, `frame_ts` the timestamp span
 * of its audio (e.g. 960 for 20 ms of Opus at 48 kHz). A new SSRC, or a timestamp or sequence
 * jump far outside the window, resets the buffer. 0 (stored; a full buffer pushes its oldest
 * packet out, or this one if it is the oldest: stats.overflow), or -EALREADY for a duplicate,
 * -ETIME for a packet too late to play (its tick already passed, its delay over max_delay_ms,
 * or a straggler of the previous SSRC), -EMSGSIZE for a payload over max_payload (all counted
 * in stats), -EINVAL for a NULL jb, or a NULL payload with len > 0 (not counted). */
int jbuf_put(struct jbuf *jb, uint32_t ssrc, uint16_t seq, uint32_t ts, uint32_t frame_ts,
             const uint8_t *payload, size_t len, uint64_t arrival_us);

/* Once per playout tick at `now_us`: what to play. Returned pointers stay valid until the next
 * jbuf_get or jbuf_put call (*data NULL and *len 0 for LOST and EMPTY). data and len may be
 * NULL; a NULL jb is EMPTY. */
enum jbuf_status jbuf_get(struct jbuf *jb, uint64_t now_us, const uint8_t **data, size_t *len);

/* target_ms and jitter_ms are as of the last jbuf_get (the estimate is refreshed once a tick). */
void jbuf_get_stats(const struct jbuf *jb, struct jbuf_stats *st);

#endif
