/* libFuzzer target for mcu/vstream.c with the real decoders behind it: a series of RTP packets
 * from one sender, through loss tracking, depacketizing (VP8 or H.264) and decoding. Whatever
 * arrives, the stream must not crash, and any picture it reports must be a sane I420 view. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp.h"
#include "vframe.h"
#include "vstream.h"

/* Header: bit 0 of byte 0 selects H.264 (else VP8), bit 1 forwarding (no decode). Record: flags
 * (1: bit 0 marker, bit 1 next timestamp, bit 2 seq jumps ahead by 3), payload length (2, big
 * endian, capped at 1400), then that many payload bytes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct vstream_params p = {data[0] & 1 ? VCODEC_H264 : VCODEC_VP8, !(data[0] & 2)};
    struct vstream *v;
    if (vstream_create(&v, &p))
        return 0;
    static uint8_t pkt[RTP_HDR_MIN + 1400];
    uint16_t seq = 100;
    uint32_t ts = 9000;
    uint64_t now = 1;
    size_t off = 1;
    while (off + 3 <= size) {
        uint8_t flags = data[off];
        size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
        off += 3;
        if (len > 1400)
            len = 1400;
        if (len > size - off)
            len = size - off;
        if (flags & 2)
            ts += 3000;
        seq = (uint16_t)(seq + 1 + (flags & 4 ? 3 : 0));
        rtp_write_header(pkt, flags & 1, p.codec == VCODEC_H264 ? 97 : 96, seq, ts, 0x1234);
        memcpy(pkt + RTP_HDR_MIN, data + off, len);
        off += len;
        struct rtp_hdr h;
        if (rtp_parse(&h, pkt, RTP_HDR_MIN + len))
            continue;
        struct vstream_result r;
        vstream_put(v, &h, now, &r);
        now += 10000;
        check(r.nnack <= VSTREAM_MAX_NACK);
        (void)vstream_is_key_start(v, h.payload, h.payload_len);
        const struct vframe *pic = vstream_picture(v);
        if (pic) {
            check(p.decode && pic->w > 0 && pic->h > 0 && pic->w <= VFRAME_MAX_DIM);
            check(pic->stride[0] >= pic->w && pic->data[0] && pic->data[1] && pic->data[2]);
            /* Touch the corners: a bad view shows up under ASan. */
            volatile uint8_t sink = pic->data[0][(pic->h - 1) * pic->stride[0] + pic->w - 1];
            sink ^= pic->data[2][((pic->h + 1) / 2 - 1) * pic->stride[2] + (pic->w + 1) / 2 - 1];
            (void)sink;
        }
    }
    vstream_destroy(&v);
    return 0;
}
