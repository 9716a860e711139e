/* A participant's incoming video: real VP8 and H.264 frames, packetized as a client would,
 * through loss detection, reassembly, keyframe tracking and decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pay_h264.h"
#include "pay_vp8.h"
#include "rtp.h"
#include "vframe.h"
#include "vstream.h"

#define W    160
#define H    96
#define MAXP 256

/* One encoded frame as RTP packets. */
struct pkts {
    unsigned n;
    size_t len[MAXP];
    uint8_t buf[MAXP][200];
    int key;
};

static uint16_t seq = 1000;
static int pic_w = W, pic_h = H; /* the size encode() draws at */

static void encode(struct venc *e, enum vcodec_id id, int t, int force_key, struct pkts *out)
{
    struct vframe pic;
    assert_int_equal(vframe_alloc(&pic, pic_w, pic_h), 0);
    vframe_fill(&pic, (uint8_t)(60 + t), 100, 150);
    vframe_fill_rect(&pic, (2 * t) % (pic_w - 16), 8, 16, 16, 200, 128, 128);
    struct venc_frame f;
    assert_int_equal(venc_encode(e, &pic, t, force_key, &f), 1);
    vframe_free(&pic);
    out->key = f.keyframe;
    uint32_t ts = (uint32_t)t * 3000;
    static uint8_t pay[64 * 1024];
    if (id == VCODEC_VP8) {
        struct pay_vp8_out po = {.buf = pay, .cap = sizeof(pay)};
        struct pay_vp8_params pp = {60}; /* small, so frames span several packets */
        int n = pay_vp8_packetize(&pp, f.data, f.len, f.keyframe, (uint16_t)t, &po);
        assert_true(n > 0 && n <= MAXP);
        out->n = (unsigned)n;
        for (int i = 0; i < n; i++) {
            rtp_write_header(out->buf[i], po.pkt[i].marker, 96, seq++, ts, 0xabc);
            memcpy(out->buf[i] + RTP_HDR_MIN, pay + po.pkt[i].offset, po.pkt[i].len);
            out->len[i] = RTP_HDR_MIN + po.pkt[i].len;
        }
        return;
    }
    struct pay_h264_pkt pk[MAXP];
    int n = pay_h264_packetize(f.data, f.len, 60, pay, sizeof(pay), pk, MAXP);
    assert_true(n > 0);
    out->n = (unsigned)n;
    for (int i = 0; i < n; i++) {
        rtp_write_header(out->buf[i], pk[i].marker, 97, seq++, ts, 0xabc);
        memcpy(out->buf[i] + RTP_HDR_MIN, pay + pk[i].off, pk[i].len);
        out->len[i] = RTP_HDR_MIN + pk[i].len;
    }
}

/* Put packets (all but `skip`, -1 = none); returns the results OR-ed together. */
static struct vstream_result put(struct vstream *v, struct pkts *p, int skip, uint64_t *now)
{
    struct vstream_result all;
    memset(&all, 0, sizeof(all));
    for (unsigned i = 0; i < p->n; i++) {
        if ((int)i == skip)
            continue;
        struct rtp_hdr h;
        assert_int_equal(rtp_parse(&h, p->buf[i], p->len[i]), 0);
        struct vstream_result r;
        vstream_put(v, &h, *now, &r);
        all.frame |= r.frame;
        all.keyframe |= r.keyframe;
        all.need_key |= r.need_key;
        for (unsigned k = 0; k < r.nnack && all.nnack < VSTREAM_MAX_NACK; k++)
            all.nack[all.nnack++] = r.nack[k];
    }
    *now += 33333;
    return all;
}

static void run_codec(enum vcodec_id id)
{
    struct venc *e;
    struct venc_params ep = {W, H, 30, 300, 300, 1};
    assert_int_equal(venc_create(&e, id, &ep), 0);
    struct vstream *v;
    struct vstream_params vp = {id, 1};
    assert_int_equal(vstream_create(&v, &vp), 0);
    assert_null(vstream_picture(v));
    uint64_t now = 1000000;
    struct pkts p;

    /* Frames before any keyframe cannot be decoded: the stream asks for one, rate-limited. */
    encode(e, id, 0, 1, &p); /* the keyframe is "lost" entirely */
    encode(e, id, 1, 0, &p);
    struct vstream_result r = put(v, &p, -1, &now);
    assert_false(r.frame);
    assert_true(r.need_key);
    r = put(v, &p, -1, &now);
    assert_false(r.need_key); /* asked 33 ms ago */

    /* A keyframe starts the picture; the deltas after it decode. */
    encode(e, id, 2, 1, &p);
    assert_true(p.key);
    assert_true(vstream_is_key_start(v, p.buf[0] + RTP_HDR_MIN, p.len[0] - RTP_HDR_MIN));
    r = put(v, &p, -1, &now);
    assert_true(r.frame && r.keyframe);
    const struct vframe *pic = vstream_picture(v);
    assert_non_null(pic);
    assert_int_equal(pic->w, W);
    assert_int_equal(pic->h, H);
    for (int t = 3; t < 8; t++) {
        encode(e, id, t, 0, &p);
        assert_false(vstream_is_key_start(v, p.buf[0] + RTP_HDR_MIN, p.len[0] - RTP_HDR_MIN));
        r = put(v, &p, -1, &now);
        assert_true(r.frame);
        assert_false(r.keyframe);
        assert_int_equal(r.nnack, 0);
    }

    /* A packet lost inside a frame: NACKed at once; the frame cannot complete, so the next
     * frame asks for a keyframe and deltas are not decoded until it comes. */
    now += 1000000;          /* past the request interval */
    encode(e, id, 8, 1, &p); /* a keyframe: big enough to span several packets */
    assert_true(p.n >= 3);
    uint16_t lost = (uint16_t)(seq - p.n + 1);
    r = put(v, &p, 1, &now);
    assert_int_equal(r.nnack, 1);
    assert_int_equal(r.nack[0], lost);
    encode(e, id, 9, 0, &p);
    r = put(v, &p, -1, &now);
    assert_true(r.need_key);
    assert_false(r.frame);
    encode(e, id, 10, 1, &p);
    r = put(v, &p, -1, &now);
    assert_true(r.frame && r.keyframe);

    /* A keyframe of another size whose data is corrupt: the decoder resizes its buffers (freeing
     * the ones the last picture lived in) and then fails; the last good picture must stay
     * readable (under ASan this reads every byte of it). */
    struct venc *big;
    struct venc_params bp = {2 * W, 2 * H, 30, 300, 300, 1};
    assert_int_equal(venc_create(&big, id, &bp), 0);
    pic_w = 2 * W;
    pic_h = 2 * H;
    for (int round = 0; round < 2; round++) {
        encode(big, id, 20 + round, 1, &p);
        for (unsigned i = 0; i < p.n; i++)
            for (size_t b = RTP_HDR_MIN + (i ? 2 : 40); b < p.len[i]; b++)
                p.buf[i][b] ^= 0x5a;
        put(v, &p, -1, &now);
        pic = vstream_picture(v);
        assert_non_null(pic);
        unsigned sum = 0;
        for (int y = 0; y < pic->h; y++)
            for (int x = 0; x < pic->w; x++)
                sum += pic->data[0][y * pic->stride[0] + x];
        assert_true(sum > 0);
    }
    venc_destroy(&big);
    pic_w = W;
    pic_h = H;

    struct vstream_stats st;
    vstream_get_stats(v, &st);
    assert_true(st.frames >= 7);
    assert_true(st.frames_lost >= 2);
    assert_true(vstream_last_rx_us(v) > 0);
    vstream_destroy(&v);
    assert_null(v);
    venc_destroy(&e);
}

static void test_vp8(void **state)
{
    run_codec(VCODEC_VP8);
}

static void test_h264(void **state)
{
    run_codec(VCODEC_H264);
}

/* Forwarding reassembles only: no decoder, no picture, frames still counted. */
static void test_no_decode(void **state)
{
    struct venc *e;
    struct venc_params ep = {W, H, 30, 300, 300, 1};
    assert_int_equal(venc_create(&e, VCODEC_VP8, &ep), 0);
    struct vstream *v;
    struct vstream_params vp = {VCODEC_VP8, 0};
    assert_int_equal(vstream_create(&v, &vp), 0);
    uint64_t now = 5;
    struct pkts p;
    encode(e, VCODEC_VP8, 0, 1, &p);
    struct vstream_result r = put(v, &p, -1, &now);
    assert_true(r.frame && r.keyframe);
    assert_null(vstream_picture(v));
    /* Keyframe requests: at most one per interval, and a delta frame does not reopen it. */
    assert_int_equal(vstream_want_key(v, now), 1);
    encode(e, VCODEC_VP8, 1, 0, &p);
    r = put(v, &p, -1, &now);
    assert_true(r.frame && !r.keyframe);
    assert_int_equal(vstream_want_key(v, now), 0);
    now += 600000;
    assert_int_equal(vstream_want_key(v, now), 1);
    /* Garbage payloads are refused without harm. */
    uint8_t junk[40];
    memset(junk, 0xff, sizeof(junk));
    rtp_write_header(junk, 1, 96, seq++, 99999, 0xabc);
    struct rtp_hdr h;
    assert_int_equal(rtp_parse(&h, junk, sizeof(junk)), 0);
    vstream_put(v, &h, now, &r);
    assert_false(r.frame);
    assert_false(vstream_is_key_start(v, junk + RTP_HDR_MIN, 0));
    vstream_destroy(&v);
    venc_destroy(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vp8),
        cmocka_unit_test(test_h264),
        cmocka_unit_test(test_no_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
