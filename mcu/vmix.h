/* The composite video of one conference: the participants' newest pictures scaled into the
 * layout's cells (aspect kept, letterboxed) on one I420 canvas, encoded ONCE per codec and
 * packetized once; the conference then sends the same payloads to every receiver of that
 * codec under each receiver's own SSRC, sequence numbers and SRTP.
 * Created on the control thread, used on the conference's worker only. */
#ifndef MCU_VMIX_H
#define MCU_VMIX_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "vcodec.h"

struct vframe;
struct vmix;

#define VMIX_MAX_TILES   16 /* grid up to 4x4 */
#define VMIX_MAX_PKTS    256
#define VMIX_MAX_PAYLOAD 1200 /* RTP payload bytes: leaves room for headers, SRTP, a tunnel */

struct vmix_params {
    int width, height; /* canvas, even */
    int fps, kbps;
    enum layout_kind layout;
    unsigned cpu_flags;
};

/* One encoded canvas, packetized. */
struct vmix_pkt {
    size_t off, len; /* payload is buf[off .. off+len) */
    int marker;
};
struct vmix_out {
    const uint8_t *buf;
    unsigned n;
    struct vmix_pkt pkt[VMIX_MAX_PKTS];
    int keyframe;
    uint64_t frame_no; /* the canvas's number on the canvas clock (see vmix_set_frame) */
};

int vmix_create(struct vmix **out, const struct vmix_params *p);
void vmix_destroy(struct vmix **vp);

/* The canvas the next vmix_compose draws is number frame_no on the canvas clock (fps per
 * second): the RTP timestamp and the encoder's clock come from it, so a tick with nothing new
 * to draw is skipped without slowing time down. Ignored unless larger than the last number. */
void vmix_set_frame(struct vmix *v, uint64_t frame_no);

/* Lay out n tiles (n <= VMIX_MAX_TILES; pics[i] NULL = no picture yet, drawn grey) with tile
 * `speaker` (or -1) in focus, and draw the canvas. Only cells whose picture or place changed are
 * touched beyond the scaling itself. */
int vmix_compose(struct vmix *v, const struct vframe *const *pics, unsigned n, int speaker);

/* The canvas composed last, encoded with `codec` and packetized; the first call per codec after
 * a compose encodes (making the encoder on first use), later ones return the same packets.
 * `want_key` asks for a keyframe; it is granted at most every VMIX_KEY_INTERVAL_MS so one lossy
 * receiver cannot make everyone's stream all keyframes, and stays pending until granted.
 * Returns 0 and *out, or -errno. */
#define VMIX_KEY_INTERVAL_MS 300
int vmix_encode(struct vmix *v, enum vcodec_id codec, const struct vmix_out **out);
void vmix_request_key(struct vmix *v, enum vcodec_id codec);
/* Is a keyframe asked for and not yet given, for any codec? */
int vmix_key_pending(const struct vmix *v);
/* Drop the encoder of a codec nobody receives any more. */
void vmix_drop_encoder(struct vmix *v, enum vcodec_id codec);

const struct vframe *vmix_canvas(const struct vmix *v);

#endif
