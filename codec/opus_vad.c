/* Opus packet framing (RFC 6716 3.1-3.2) down to the first frame, then just enough of the range
 * decoder (RFC 6716 4.1) to read the SILK layer's header bits. */
#include "opus_vad.h"

#include <errno.h>

#define CELT_ONLY_FIRST 16 /* configs 16-31 have no SILK layer */
#define HYBRID_FIRST    12 /* configs 12-15: SILK + CELT, one 10 or 20 ms SILK frame */
#define MAX_FRAME_BYTES 1275
#define CODE_BOT        (1u << 23) /* the range is renormalised while at or below this */
#define CODE_TOP_MASK   0x7fffffffu

/* The range decoder's state, reading one frame's bytes (zeros past its end, as RFC 6716 4.1.2
 * says the decoder must). */
struct rdec {
    const uint8_t *buf;
    size_t len, pos;
    uint32_t rng, val;
    unsigned rem; /* the byte whose low bit is not yet consumed */
};

static unsigned next_byte(struct rdec *d)
{
    return d->pos < d->len ? d->buf[d->pos++] : 0;
}

static void normalize(struct rdec *d)
{
    while (d->rng <= CODE_BOT) {
        unsigned sym = d->rem;
        d->rem = next_byte(d);
        sym = ((sym << 8) | d->rem) >> 1;
        d->rng <<= 8;
        d->val = ((d->val << 8) + (255u & ~sym)) & CODE_TOP_MASK;
    }
}

static void rdec_init(struct rdec *d, const uint8_t *buf, size_t len)
{
    d->buf = buf;
    d->len = len;
    d->pos = 0;
    d->rem = next_byte(d);
    d->rng = 128;
    d->val = 127 - (d->rem >> 1);
    normalize(d);
}

/* A symbol that is 1 with probability 1/2^logp. */
static int rdec_bit(struct rdec *d, unsigned logp)
{
    uint32_t s = d->rng >> logp;
    int bit = d->val < s;
    if (bit) {
        d->rng = s;
    } else {
        d->val -= s;
        d->rng -= s;
    }
    normalize(d);
    return bit;
}

/* A frame length of code 2 or 3 packets: one byte under 252, else two (RFC 6716 3.2.1). */
static int frame_length(const uint8_t *p, size_t avail, size_t *used)
{
    if (avail < 1)
        return -EBADMSG;
    if (p[0] < 252) {
        *used = 1;
        return p[0];
    }
    if (avail < 2)
        return -EBADMSG;
    *used = 2;
    return p[1] * 4 + p[0];
}

/* Code 3: frame count byte, optional padding, then (VBR) the lengths of all frames but the last
 * or (CBR) equal frames sharing what is left. */
static int code3_first(const uint8_t *pkt, size_t len, const uint8_t **frame, size_t *flen)
{
    if (len < 2)
        return -EBADMSG;
    unsigned count = pkt[1] & 0x3f, vbr = pkt[1] & 0x80, padded = pkt[1] & 0x40;
    if (count == 0)
        return -EBADMSG;
    size_t pos = 2, padding = 0;
    while (padded) {
        if (pos >= len)
            return -EBADMSG;
        unsigned b = pkt[pos++];
        padding += b == 255 ? 254 : b;
        padded = b == 255;
    }
    if (padding > len - pos)
        return -EBADMSG;
    size_t end = len - padding;
    if (vbr && count > 1) {
        size_t used = 0;
        int n = frame_length(pkt + pos, end - pos, &used);
        if (n < 0)
            return n;
        pos += used;
        *flen = (size_t)n;
        /* The other lengths are not needed, but they must fit for the packet to be valid. */
        if (*flen > end - pos)
            return -EBADMSG;
    } else {
        if ((end - pos) % count)
            return -EBADMSG;
        *flen = (end - pos) / count;
    }
    *frame = pkt + pos;
    return 0;
}

static int first_frame(const uint8_t *pkt, size_t len, const uint8_t **frame, size_t *flen)
{
    size_t used = 0;
    int n;
    switch (pkt[0] & 3) {
    case 0:
        *frame = pkt + 1;
        *flen = len - 1;
        break;
    case 1:
        if ((len - 1) % 2)
            return -EBADMSG;
        *frame = pkt + 1;
        *flen = (len - 1) / 2;
        break;
    case 2:
        n = frame_length(pkt + 1, len - 1, &used);
        if (n < 0 || (size_t)n > len - 1 - used)
            return -EBADMSG;
        *frame = pkt + 1 + used;
        *flen = (size_t)n;
        break;
    default:
        return code3_first(pkt, len, frame, flen);
    }
    return *flen > MAX_FRAME_BYTES ? -EBADMSG : 0;
}

int opus_vad(const uint8_t *pkt, size_t len)
{
    if (!pkt || len < 1)
        return -EBADMSG;
    unsigned config = pkt[0] >> 3;
    const uint8_t *frame = NULL;
    size_t flen = 0;
    int err = first_frame(pkt, len, &frame, &flen);
    if (err)
        return err;
    if (config >= CELT_ONLY_FIRST)
        return -ENOTSUP;
    if (flen == 0)
        return 0; /* DTX: the encoder had nothing worth sending */
    /* 10 and 20 ms carry one SILK frame, 40 ms two, 60 ms three; hybrid is always one. */
    unsigned silk_frames = 1;
    if (config < HYBRID_FIRST && (config & 3) >= 2)
        silk_frames = (config & 3);
    struct rdec d;
    rdec_init(&d, frame, flen);
    int active = 0;
    for (unsigned i = 0; i < silk_frames; i++)
        active |= rdec_bit(&d, 1);
    return active;
}
