/* libFuzzer target for codec/pay_vp8.c: the input is a series of RTP packets for the depacketizer.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pay_vp8.h"

/* Header: max_frame selector, max_packets selector. Record: flags (1), seq step (1), payload
 * length (1), then that many payload bytes. Flags: bit 0 marker, bit 1 next timestamp, bit 2
 * previous timestamp, bit 3 seq step is negative. Small steps keep packets mostly within one
 * frame so reassembly, not just parsing, gets exercised. */
#define HDR_LEN 2
#define REC_LEN 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_frame(const struct pay_vp8_frame *f, int r, size_t max_frame)
{
    check(r == 0 || r == -EAGAIN || r == -EALREADY || r == -ETIME || r == -EBADMSG ||
          r == -EMSGSIZE);
    if (r == -EMSGSIZE)
        check(f->gap == 1);
    if (r != 0) {
        check(f->data == NULL && f->len == 0);
        return;
    }
    check(f->data != NULL && f->len >= 1 && f->len <= max_frame);
    check(f->keyframe == !(f->data[0] & 1));
    if (f->keyframe) {
        check(f->width > 0 && f->height > 0 && f->len >= 10);
        check(f->data[3] == 0x9d && f->data[4] == 0x01 && f->data[5] == 0x2a);
    } else {
        check(f->width == 0 && f->height == 0);
    }
    check(f->desc.s == 1 && f->desc.pid == 0);
}

/* Whatever the input, packetizing it and depacketizing the result must give it back. */
static void round_trip(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4096)
        return;
    uint8_t buf[4096 + PAY_VP8_MAX_PKTS * PAY_VP8_DESC_LEN];
    struct pay_vp8_out out = {.buf = buf, .cap = sizeof(buf)};
    struct pay_vp8_params pp = {.max_payload = PAY_VP8_DESC_LEN + 1 + data[0] % 200};
    int key = !(data[0] & 1);
    int n = pay_vp8_packetize(&pp, data, size, key, (uint16_t)(data[size - 1] << 8 | size), &out);
    if (n == -EMSGSIZE)
        return;
    check(n > 0 && (unsigned)n == out.n);
    /* Sized to the frame: the defaults (1 MiB) would make each run mostly allocation. */
    struct pay_vp8_depay_params dp = {.max_frame = 4096, .max_packets = PAY_VP8_MAX_PKTS};
    struct pay_vp8_depay *d;
    if (pay_vp8_depay_create(&d, &dp) != 0)
        abort();
    struct pay_vp8_frame f;
    int r = -EAGAIN;
    for (int k = 0; k < n; k++) {
        check(out.pkt[k].len <= pp.max_payload);
        check(r == -EAGAIN);
        r = pay_vp8_depay_put(d, (uint16_t)(65500 + k), 1234, out.pkt[k].marker,
                              buf + out.pkt[k].offset, out.pkt[k].len, &f);
    }
    if (r == 0) {
        check(f.len == size && memcmp(f.data, data, size) == 0);
    } else {
        /* Only a keyframe whose header is invalid may fail. */
        check(r == -EBADMSG && key && f.gap);
    }
    pay_vp8_depay_destroy(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HDR_LEN)
        return 0;
    struct pay_vp8_depay_params p = {.max_frame = 1 + (size_t)data[0] * 64,
                                     .max_packets = 1 + data[1] % 64};
    struct pay_vp8_depay *d;
    if (pay_vp8_depay_create(&d, &p) != 0)
        abort();
    uint16_t seq = 0;
    uint32_t ts = 0;
    size_t off = HDR_LEN;
    while (off + REC_LEN <= size) {
        const uint8_t *r = data + off;
        size_t len = r[2];
        off += REC_LEN;
        if (len > size - off)
            len = size - off;
        seq = (uint16_t)(r[0] & 8 ? seq - r[1] : seq + r[1]);
        if (r[0] & 2)
            ts += 3000;
        if (r[0] & 4)
            ts -= 3000;
        struct pay_vp8_desc desc;
        int hl = pay_vp8_parse_desc(data + off, len, &desc);
        check(hl == -EBADMSG || (hl >= 1 && hl <= 6 && (size_t)hl <= len));
        struct pay_vp8_frame f;
        int ret = pay_vp8_depay_put(d, seq, ts, r[0] & 1, data + off, len, &f);
        check_frame(&f, ret, p.max_frame);
        off += len;
    }
    pay_vp8_depay_destroy(&d);
    round_trip(data, size);
    return 0;
}
