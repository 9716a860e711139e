/* Unit tests for the video codec wrappers (codec/vcodec.h): VP8 (libvpx) and H.264 (libx264 and
 * libavcodec), alone and through the RTP payload formats. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "pay_h264.h"
#include "pay_vp8.h"
#include "vcodec.h"
#include "vframe.h"

#define FPS     30
#define NFRAMES 30
#define MTU     1200
/* Frames at the start of a stream that get the loose tolerance: libvpx's CBR codes the first
 * delta frames at its top quantizer and walks down (q 56, 52, 48 ... 2 over ~14 frames at 800
 * kbit/s), and on the way chroma DC is off by up to 7 levels even for a solid colour. */
#define STARTUP 10
#define TS_STEP (90000 / FPS)

static const enum vcodec_id both[] = {VCODEC_VP8, VCODEC_H264};
#define NCODECS (sizeof(both) / sizeof(both[0]))

struct colour {
    uint8_t y, u, v;
};

/* How far a decoded solid colour may be from the one encoded: the plane's mean, any pixel. */
struct tol {
    double mean;
    int pixel;
};
static const struct tol strict = {2, 4}, startup = {8, 12};

/* A picture whose planes have odd strides wider than the picture, so the wrappers are seen to
 * honour strides rather than assume packed planes. */
struct pic_buf {
    struct vframe f;
    uint8_t *mem;
};

static void pic_make(struct pic_buf *b, int w, int h)
{
    int cw = vframe_chroma_w(w), ch = vframe_chroma_h(h);
    int ys = w + 13, cs = cw + 7;
    b->mem = malloc((size_t)ys * h + 2 * (size_t)cs * ch);
    assert_non_null(b->mem);
    memset(&b->f, 0, sizeof(b->f));
    b->f.w = w;
    b->f.h = h;
    b->f.data[0] = b->mem;
    b->f.data[1] = b->mem + (size_t)ys * h;
    b->f.data[2] = b->f.data[1] + (size_t)cs * ch;
    b->f.stride[0] = ys;
    b->f.stride[1] = b->f.stride[2] = cs;
}

static void pic_free(struct pic_buf *b)
{
    free(b->mem);
    b->mem = NULL;
}

static struct colour colour_at(int t)
{
    /* A new colour every 10 frames (reds, greens, greys, blues in BT.601 limited range), so a
     * decoder showing a stale or early picture is caught. */
    static const struct colour palette[] = {
        {81, 90, 240}, {145, 54, 34}, {128, 128, 128}, {41, 240, 110}};
    return palette[(t / 10) % (int)(sizeof(palette) / sizeof(palette[0]))];
}

/* A moving picture (a gradient that scrolls, a square that moves) for tests that need the
 * encoder to spend bits: a solid colour costs next to nothing. */
static void paint_moving(struct vframe *f, int t)
{
    for (int y = 0; y < f->h; y++)
        for (int x = 0; x < f->w; x++)
            f->data[0][(size_t)y * f->stride[0] + x] =
                (uint8_t)(((x * 3 + y + 4 * t) & 0xff) / 2 + 40);
    for (int y = 0; y < vframe_chroma_h(f->h); y++) {
        for (int x = 0; x < vframe_chroma_w(f->w); x++) {
            f->data[1][(size_t)y * f->stride[1] + x] = (uint8_t)(100 + ((x + t) & 63));
            f->data[2][(size_t)y * f->stride[2] + x] = (uint8_t)(150 - ((y * x / 7 + t) & 63));
        }
    }
    int sq = f->h / 4, sx = (t * 7) % (f->w - sq), sy = (t * 3) % (f->h - sq);
    vframe_fill_rect(f, sx & ~1, sy & ~1, sq & ~1, sq & ~1, 235, 128, 128);
}

static void check_plane(const uint8_t *p, int stride, int w, int h, int want, struct tol tol)
{
    long sum = 0;
    int worst = 0;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int d = abs(p[(size_t)y * stride + x] - want);
            worst = d > worst ? d : worst;
            sum += p[(size_t)y * stride + x];
        }
    }
    double mean = (double)sum / ((double)w * h);
    if (worst > tol.pixel || mean < want - tol.mean || mean > want + tol.mean)
        print_error("plane: want %d, mean %.2f, worst pixel off by %d\n", want, mean, worst);
    assert_true(worst <= tol.pixel);
    assert_true(mean >= want - tol.mean && mean <= want + tol.mean);
}

static void check_colour_tol(const struct vframe *pic, int w, int h, struct colour c,
                             struct tol tol)
{
    assert_null(pic->mem);
    assert_int_equal(pic->w, w);
    assert_int_equal(pic->h, h);
    int cw = vframe_chroma_w(w), ch = vframe_chroma_h(h);
    check_plane(pic->data[0], pic->stride[0], w, h, c.y, tol);
    check_plane(pic->data[1], pic->stride[1], cw, ch, c.u, tol);
    check_plane(pic->data[2], pic->stride[2], cw, ch, c.v, tol);
}

static void check_colour(const struct vframe *pic, int w, int h, struct colour c)
{
    check_colour_tol(pic, w, h, c, strict);
}

static struct venc_params params(int w, int h, int kbps)
{
    return (struct venc_params){.width = w, .height = h, .fps = FPS, .bitrate_kbps = kbps};
}

/* A recorded stream: every encoded frame kept, so tests can replay any part of it. */
struct stream {
    uint8_t *data[NFRAMES * 2];
    size_t len[NFRAMES * 2];
    int key[NFRAMES * 2];
    int n;
};

static void stream_free(struct stream *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->data[i]);
    s->n = 0;
}

/* Encode n frames of colour_at(t) (or the moving picture) with keyframes forced at force_at
 * (-1: none), each decoded by `dec` (if given) and checked at once. */
static void encode_stream(enum vcodec_id id, int w, int h, int n, int force_at, int moving,
                          struct vdec *dec, struct stream *s)
{
    struct venc *e = NULL;
    struct venc_params p = params(w, h, 800);
    assert_int_equal(venc_create(&e, id, &p), 0);
    assert_int_equal(venc_codec(e), id);
    struct pic_buf b;
    pic_make(&b, w, h);
    s->n = 0;
    for (int t = 0; t < n; t++) {
        struct colour c = colour_at(t);
        if (moving)
            paint_moving(&b.f, t);
        else
            vframe_fill(&b.f, c.y, c.u, c.v);
        struct venc_frame out;
        assert_int_equal(venc_encode(e, &b.f, t, t == force_at, &out), 1);
        assert_non_null(out.data);
        assert_true(out.len > 0);
        if (t == 0 || t == force_at)
            assert_int_equal(out.keyframe, 1);
        else
            assert_int_equal(out.keyframe, 0); /* keyint is 10 s: no other keyframe */
        s->data[t] = malloc(out.len);
        assert_non_null(s->data[t]);
        memcpy(s->data[t], out.data, out.len);
        s->len[t] = out.len;
        s->key[t] = out.keyframe;
        s->n++;
        if (dec) {
            struct vframe pic;
            assert_int_equal(vdec_decode(dec, out.data, out.len, &pic), 1);
            if (!moving)
                check_colour_tol(&pic, w, h, c, t < STARTUP && !out.keyframe ? startup : strict);
        }
    }
    pic_free(&b);
    venc_destroy(&e);
    assert_null(e);
}

static void test_names(void **state)
{
    (void)state;
    enum vcodec_id id;
    assert_int_equal(vcodec_parse("vp8", &id), 0);
    assert_int_equal(id, VCODEC_VP8);
    assert_int_equal(vcodec_parse("VP8", &id), 0);
    assert_int_equal(id, VCODEC_VP8);
    assert_int_equal(vcodec_parse("H264", &id), 0);
    assert_int_equal(id, VCODEC_H264);
    assert_int_equal(vcodec_parse("h264", &id), 0);
    assert_int_equal(id, VCODEC_H264);
    assert_int_equal(vcodec_parse("H.264", &id), -EINVAL);
    assert_int_equal(vcodec_parse("vp9", &id), -EINVAL);
    assert_int_equal(vcodec_parse("", &id), -EINVAL);
    assert_int_equal(vcodec_parse(NULL, &id), -EINVAL);
    assert_string_equal(vcodec_sdp_name(VCODEC_VP8), "VP8");
    assert_string_equal(vcodec_sdp_name(VCODEC_H264), "H264");
    assert_null(vcodec_sdp_name((enum vcodec_id)99));
}

static void test_bad_params(void **state)
{
    (void)state;
    const struct venc_params good = params(320, 240, 500);
    struct venc_params bad[] = {good, good, good, good, good, good, good,
                                good, good, good, good, good, good, good};
    bad[0].width = 321;
    bad[1].height = 239;
    bad[2].width = 14;
    bad[3].height = 4098;
    bad[4].fps = 0;
    bad[5].fps = 61;
    bad[6].bitrate_kbps = 49;
    bad[7].bitrate_kbps = 20001;
    bad[8].keyint = -1;
    bad[9].threads = -1;
    bad[10].threads = 17;
    bad[11].width = 0;
    bad[12].height = -2;
    bad[13].width = 4096 + 2;
    for (size_t k = 0; k < NCODECS; k++) {
        struct venc *e = NULL;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            assert_int_equal(venc_create(&e, both[k], &bad[i]), -EINVAL);
            assert_null(e);
        }
        assert_int_equal(venc_create(&e, both[k], NULL), -EINVAL);
        assert_int_equal(venc_create(NULL, both[k], &good), -EINVAL);
        assert_int_equal(venc_create(&e, (enum vcodec_id)7, &good), -EINVAL);

        assert_int_equal(venc_create(&e, both[k], &good), 0);
        assert_int_equal(venc_set_bitrate(e, 49), -EINVAL);
        assert_int_equal(venc_set_bitrate(e, 20001), -EINVAL);
        assert_int_equal(venc_set_bitrate(e, 300), 0);
        struct vframe f;
        struct venc_frame out;
        assert_int_equal(vframe_alloc(&f, 320, 242), 0);
        assert_int_equal(venc_encode(e, &f, 0, 0, &out), -EINVAL); /* wrong size */
        f.h = 240;
        f.stride[1] = 100; /* narrower than a chroma row */
        assert_int_equal(venc_encode(e, &f, 0, 0, &out), -EINVAL);
        vframe_free(&f);
        assert_int_equal(venc_encode(e, NULL, 0, 0, &out), -EINVAL);
        venc_destroy(&e);
        venc_destroy(&e); /* twice is harmless */

        struct vdec *d = NULL;
        uint8_t byte = 0;
        struct vframe pic;
        assert_int_equal(vdec_create(&d, (enum vcodec_id)7), -EINVAL);
        assert_int_equal(vdec_create(NULL, both[k]), -EINVAL);
        assert_int_equal(vdec_create(&d, both[k]), 0);
        assert_int_equal(vdec_codec(d), both[k]);
        assert_int_equal(vdec_decode(d, NULL, 1, &pic), -EINVAL);
        assert_int_equal(vdec_decode(d, &byte, 1, NULL), -EINVAL);
        assert_int_equal(vdec_decode(d, &byte, 0, &pic), -EBADMSG);
        vdec_destroy(&d);
        assert_null(d);
    }
}

/* Solid colours at a common and an awkward size: the first frame is a keyframe, every frame
 * decodes straight away to its own colour, a forced keyframe comes when asked. */
static void test_round_trip(void **state)
{
    (void)state;
    static const int sizes[][2] = {{640, 360}, {176, 144}, {16, 16}, {322, 242}};
    for (size_t k = 0; k < NCODECS; k++) {
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            struct vdec *d = NULL;
            struct stream st;
            assert_int_equal(vdec_create(&d, both[k]), 0);
            assert_int_equal(vdec_waiting_keyframe(d), 1);
            encode_stream(both[k], sizes[s][0], sizes[s][1], NFRAMES, 17, 0, d, &st);
            assert_int_equal(vdec_waiting_keyframe(d), 0);
            stream_free(&st);
            vdec_destroy(&d);
        }
    }
}

/* NAL types of an Annex B access unit in order, and where each NAL's header byte is; every
 * start code must be 4 bytes long. */
static int nal_types(const uint8_t *p, size_t len, int *types, size_t *at, int max)
{
    int n = 0;
    assert_true(len > 4);
    assert_memory_equal(p, "\0\0\0\1", 4);
    for (size_t i = 0; i + 3 < len; i++) {
        if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1) {
            assert_true(i > 0 && p[i - 1] == 0);
            assert_true(n < max);
            at[n] = i + 3;
            types[n++] = p[i + 3] & 0x1f;
        }
    }
    return n;
}

/* Index of the first NAL of `type`, or -1. */
static int nal_find(const int *types, int n, int type)
{
    for (int i = 0; i < n; i++)
        if (types[i] == type)
            return i;
    return -1;
}

/* Every IDR (the first and a forced one) carries SPS and PPS in front, the SPS says
 * constrained baseline; delta units hold slices only. With two threads x264 cuts slices and
 * writes 3-byte start codes between them, which the wrapper must have made 4-byte. */
static void test_h264_param_sets(void **state)
{
    (void)state;
    for (int threads = 1; threads <= 2; threads++) {
        struct venc *e = NULL;
        struct venc_params p = params(640, 360, 800);
        p.threads = threads;
        assert_int_equal(venc_create(&e, VCODEC_H264, &p), 0);
        struct vframe f;
        assert_int_equal(vframe_alloc(&f, 640, 360), 0);
        int max_slices = 0;
        for (int t = 0; t < 12; t++) {
            paint_moving(&f, t);
            struct venc_frame out;
            assert_int_equal(venc_encode(e, &f, t, t == 7, &out), 1);
            int types[16];
            size_t at[16];
            int n = nal_types(out.data, out.len, types, at, 16);
            int sps = nal_find(types, n, 7), pps = nal_find(types, n, 8);
            int idr = nal_find(types, n, 5), slices = 0;
            for (int i = 0; i < n; i++)
                slices += types[i] == 1 || types[i] == 5;
            max_slices = slices > max_slices ? slices : max_slices;
            assert_int_equal(out.keyframe, t == 0 || t == 7);
            if (out.keyframe) {
                assert_true(sps >= 0 && pps > sps && idr > pps);
                /* profile_idc 66 with constraint_set1: constrained baseline (42 c0 / 42 e0) */
                assert_int_equal(out.data[at[sps] + 1], 66);
                assert_true(out.data[at[sps] + 2] & 0x40);
            } else {
                assert_true(sps < 0 && pps < 0 && idr < 0 && slices >= 1);
            }
        }
        if (threads == 2)
            assert_true(max_slices >= 2);
        vframe_free(&f);
        venc_destroy(&e);
    }
}

/* A receiver that joins mid-stream: delta frames give nothing until the keyframe, which
 * decodes on its own, and every frame after it decodes to its own colour. */
static void test_late_joiner(void **state)
{
    (void)state;
    for (size_t k = 0; k < NCODECS; k++) {
        struct stream st;
        encode_stream(both[k], 320, 240, NFRAMES, 12, 0, NULL, &st);
        struct vdec *d = NULL;
        assert_int_equal(vdec_create(&d, both[k]), 0);
        for (int t = 4; t < st.n; t++) {
            struct vframe pic;
            int r = vdec_decode(d, st.data[t], st.len[t], &pic);
            if (t < 12) {
                assert_int_equal(r, 0);
                assert_int_equal(vdec_waiting_keyframe(d), 1);
            } else {
                assert_int_equal(r, 1);
                check_colour(&pic, 320, 240, colour_at(t));
            }
        }
        vdec_destroy(&d);
        stream_free(&st);
    }
}

/* Some senders put SPS and PPS in an access unit of their own before the IDR: a decoder
 * waiting for a keyframe must take them, then decode the IDR. */
static void test_h264_split_param_sets(void **state)
{
    (void)state;
    struct stream st;
    encode_stream(VCODEC_H264, 320, 240, 12, 8, 0, NULL, &st);
    int types[16];
    size_t at[16];
    int n = nal_types(st.data[8], st.len[8], types, at, 16), idr = nal_find(types, n, 5);
    assert_true(idr > 0);
    size_t split = at[idr] - 4; /* where the IDR's start code begins */
    struct vdec *d = NULL;
    struct vframe pic;
    assert_int_equal(vdec_create(&d, VCODEC_H264), 0);
    assert_int_equal(vdec_decode(d, st.data[7], st.len[7], &pic), 0);
    assert_int_equal(vdec_decode(d, st.data[8], split, &pic), 0);
    assert_int_equal(vdec_waiting_keyframe(d), 1);
    assert_int_equal(vdec_decode(d, st.data[8] + split, st.len[8] - split, &pic), 1);
    check_colour(&pic, 320, 240, colour_at(8));
    for (int t = 9; t < st.n; t++) {
        assert_int_equal(vdec_decode(d, st.data[t], st.len[t], &pic), 1);
        check_colour(&pic, 320, 240, colour_at(t));
    }
    vdec_destroy(&d);
    stream_free(&st);
}

static uint32_t rng(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Decode a keyframe and the two frames after it, expecting their colours. */
static void resync(struct vdec *d, const struct stream *st, int key, int w, int h)
{
    for (int t = key; t < key + 3; t++) {
        struct vframe pic;
        assert_int_equal(vdec_decode(d, st->data[t], st->len[t], &pic), 1);
        check_colour(&pic, w, h, colour_at(t));
    }
}

/* Frames whose framing is broken: the wrapper refuses them before the library sees them. */
static void check_broken_framing(struct vdec *d, enum vcodec_id id, const struct stream *st)
{
    static uint8_t b[4096];
    struct vframe pic;
    memset(b, 0, sizeof(b));
    assert_int_equal(vdec_decode(d, b, sizeof(b), &pic), -EBADMSG); /* all zero */
    assert_int_equal(vdec_waiting_keyframe(d), 1);
    if (id == VCODEC_VP8) {
        memcpy(b, st->data[0], 10);
        b[3] = 0x9c; /* keyframe start code */
        assert_int_equal(vdec_decode(d, b, 100, &pic), -EBADMSG);
        memcpy(b, st->data[0], 10);
        assert_int_equal(vdec_decode(d, b, 9, &pic), -EBADMSG); /* keyframe header cut */
        /* a delta frame whose first partition is 512 KiB */
        b[0] = 0xe1;
        b[1] = 0xff;
        b[2] = 0xff;
        assert_int_equal(vdec_decode(d, b, 100, &pic), -EBADMSG);
        assert_int_equal(vdec_decode(d, b, 2, &pic), -EBADMSG);
    } else {
        memcpy(b + 1, st->data[0], 100);
        b[0] = 0x42; /* junk before the first start code */
        assert_int_equal(vdec_decode(d, b, 101, &pic), -EBADMSG);
        memcpy(b, st->data[0], 100);
        b[4] |= 0x80; /* forbidden bit */
        assert_int_equal(vdec_decode(d, b, 100, &pic), -EBADMSG);
        static const uint8_t empty_nal[] = {0, 0, 0, 1, 0, 0, 0, 1, 0x65};
        assert_int_equal(vdec_decode(d, empty_nal, sizeof(empty_nal), &pic), -EBADMSG);
    }
}

/* Random bytes, truncated frames, frames with flipped bits: never a crash, a picture only of
 * the stream's size, and a keyframe always brings the right picture back. Neither codec has a
 * checksum, so damage after a valid header may decode to a (wrong) picture: VP8 in particular
 * takes any bytes after a keyframe header as a keyframe. */
static void test_garbage(void **state)
{
    (void)state;
    static uint8_t junk[4096];
    for (size_t k = 0; k < NCODECS; k++) {
        struct stream st;
        encode_stream(both[k], 176, 144, NFRAMES, 15, 0, NULL, &st);
        struct vdec *d = NULL;
        struct vframe pic;
        uint32_t seed = 12345;
        assert_int_equal(vdec_create(&d, both[k]), 0);
        resync(d, &st, 0, 176, 144);
        check_broken_framing(d, both[k], &st);
        resync(d, &st, 0, 176, 144);

        /* Random bytes, half of them behind a keyframe's first 12 bytes, with a resync now and
         * then so the decoder is not always waiting for a keyframe. */
        int pictures = 0;
        for (int i = 0; i < 400; i++) {
            size_t len = 1 + rng(&seed) % sizeof(junk);
            for (size_t j = 0; j < len; j++)
                junk[j] = (uint8_t)rng(&seed);
            if (i % 2 && len > 12)
                memcpy(junk, st.data[0], 12);
            int r = vdec_decode(d, junk, len, &pic);
            assert_true(r == 1 || r == 0 || r == -EBADMSG);
            if (r == 1) {
                assert_true(pic.w == 176 && pic.h == 144);
                pictures++;
            }
            if (i % 50 == 0)
                resync(d, &st, 15, 176, 144);
        }
        print_message("  %s: %d of 400 random frames gave a picture\n", vcodec_sdp_name(both[k]),
                      pictures);
        resync(d, &st, 15, 176, 144);

        /* Truncated keyframes give no picture; a truncated delta may (a cut in its last
         * partition), but never crashes. */
        for (int cut = 0; cut < 8; cut++) {
            size_t len = st.len[0] * (size_t)cut / 8;
            assert_true(vdec_decode(d, st.data[0], len, &pic) <= 0);
            int r = vdec_decode(d, st.data[3], st.len[3] * (size_t)cut / 8, &pic);
            assert_true(r == 1 || r == 0 || r == -EBADMSG);
        }
        resync(d, &st, 0, 176, 144);

        /* Bit flips anywhere but the first bytes: the decoder may or may not notice. */
        static uint8_t bent[65536];
        for (int i = 0; i < 300; i++) {
            int t = i % 2 ? 0 : 1 + (int)(rng(&seed) % (uint32_t)(st.n - 1));
            assert_true(st.len[t] <= sizeof(bent));
            memcpy(bent, st.data[t], st.len[t]);
            for (int j = 0; j < 4 && st.len[t] > 12; j++)
                bent[12 + rng(&seed) % (st.len[t] - 12)] ^= (uint8_t)(1u << (rng(&seed) % 8));
            int r = vdec_decode(d, bent, st.len[t], &pic);
            assert_true(r == 1 || r == 0 || r == -EBADMSG);
            if (r == 1)
                assert_true(pic.w == 176 && pic.h == 144);
        }
        resync(d, &st, 15, 176, 144);
        vdec_destroy(&d);
        stream_free(&st);
    }
}

/* One decoder, one stream at 320x240, then a new encoder at 640x480 (as when the layout's
 * canvas changes): the new keyframe decodes at the new size. */
static void test_resolution_change(void **state)
{
    (void)state;
    for (size_t k = 0; k < NCODECS; k++) {
        struct vdec *d = NULL;
        struct stream st;
        assert_int_equal(vdec_create(&d, both[k]), 0);
        encode_stream(both[k], 320, 240, 10, -1, 0, d, &st);
        stream_free(&st);
        encode_stream(both[k], 640, 480, 10, -1, 0, d, &st);
        stream_free(&st);
        encode_stream(both[k], 176, 144, 10, -1, 0, d, &st);
        stream_free(&st);
        vdec_destroy(&d);
    }
}

/* Mean of the decoded luma plane against the one encoded (moving pictures: an average error
 * of a few levels is a healthy decode, garbage is tens). */
static double luma_error(const struct vframe *a, const struct vframe *b)
{
    double e = 0;
    for (int y = 0; y < a->h; y++)
        for (int x = 0; x < a->w; x++)
            e += abs(a->data[0][(size_t)y * a->stride[0] + x] -
                     b->data[0][(size_t)y * b->stride[0] + x]);
    return e / ((double)a->w * a->h);
}

/* Encoded frame -> RTP payloads at MTU -> depacketizer -> decoder, for a moving picture whose
 * keyframes take several packets. */
static void test_packetized(void **state)
{
    (void)state;
    static uint8_t buf[256 * 1024];
    static struct pay_h264_pkt hp[256];
    static struct pay_vp8_out vo;
    for (size_t k = 0; k < NCODECS; k++) {
        struct venc *e = NULL;
        struct vdec *d = NULL;
        struct pay_vp8_depay *vd = NULL;
        struct pay_h264_depay *hd = NULL;
        struct venc_params p = params(640, 360, 1500);
        assert_int_equal(venc_create(&e, both[k], &p), 0);
        assert_int_equal(vdec_create(&d, both[k]), 0);
        assert_int_equal(pay_vp8_depay_create(&vd, NULL), 0);
        assert_int_equal(pay_h264_depay_create(&hd, NULL), 0);
        struct vframe f;
        assert_int_equal(vframe_alloc(&f, 640, 360), 0);
        uint16_t seq = 1000;
        int max_pkts = 0;
        for (int t = 0; t < NFRAMES; t++) {
            paint_moving(&f, t);
            struct venc_frame out;
            assert_int_equal(venc_encode(e, &f, t, t == 20, &out), 1);
            uint32_t ts = (uint32_t)t * TS_STEP;
            const uint8_t *frame = NULL;
            size_t len = 0;
            int n;
            if (both[k] == VCODEC_VP8) {
                const struct pay_vp8_params pp = {.max_payload = MTU};
                vo.buf = buf;
                vo.cap = sizeof(buf);
                n = pay_vp8_packetize(&pp, out.data, out.len, out.keyframe, (uint16_t)t, &vo);
                assert_true(n > 0);
                for (int i = 0; i < n; i++) {
                    struct pay_vp8_frame vf;
                    int r = pay_vp8_depay_put(vd, seq++, ts, vo.pkt[i].marker,
                                              buf + vo.pkt[i].offset, vo.pkt[i].len, &vf);
                    assert_int_equal(r, i == n - 1 ? 0 : -EAGAIN);
                    if (r == 0) {
                        assert_int_equal(vf.keyframe, out.keyframe);
                        frame = vf.data;
                        len = vf.len;
                    }
                }
            } else {
                assert_true(pay_h264_buf_bound(out.len, MTU) <= sizeof(buf));
                n = pay_h264_packetize(out.data, out.len, MTU, buf, sizeof(buf), hp, 256);
                assert_true(n > 0);
                for (int i = 0; i < n; i++) {
                    struct pay_h264_au au;
                    assert_true(hp[i].len <= MTU);
                    int r = pay_h264_depay_put(hd, seq++, ts, hp[i].marker, buf + hp[i].off,
                                               hp[i].len, &au);
                    assert_int_equal(r, i == n - 1 ? PAY_H264_AU_READY : 0);
                    if (r == PAY_H264_AU_READY) {
                        assert_int_equal(!!(au.flags & PAY_H264_IDR), out.keyframe);
                        frame = au.data;
                        len = au.len;
                    }
                }
            }
            max_pkts = n > max_pkts ? n : max_pkts;
            assert_non_null(frame);
            assert_int_equal(len, out.len);
            assert_memory_equal(frame, out.data, len);
            struct vframe pic;
            assert_int_equal(vdec_decode(d, frame, len, &pic), 1);
            assert_int_equal(pic.w, 640);
            assert_int_equal(pic.h, 360);
            assert_true(luma_error(&pic, &f) < 6.0);
        }
        assert_true(max_pkts >= 2); /* the keyframes were split */
        vframe_free(&f);
        pay_vp8_depay_destroy(&vd);
        pay_h264_depay_destroy(&hd);
        vdec_destroy(&d);
        venc_destroy(&e);
    }
}

/* The rate follows the target, and a lower target set live takes effect. */
static void test_bitrate(void **state)
{
    (void)state;
    for (size_t k = 0; k < NCODECS; k++) {
        struct venc *e = NULL;
        struct venc_params p = params(640, 360, 1000);
        assert_int_equal(venc_create(&e, both[k], &p), 0);
        struct vframe f;
        assert_int_equal(vframe_alloc(&f, 640, 360), 0);
        double kbps[2] = {0, 0};
        for (int t = 0; t < 6 * FPS; t++) {
            if (t == 3 * FPS)
                assert_int_equal(venc_set_bitrate(e, 300), 0);
            paint_moving(&f, t);
            struct venc_frame out;
            assert_int_equal(venc_encode(e, &f, t, 0, &out), 1);
            /* second 2 and second 5: each rate after the encoder has settled on it */
            if (t >= FPS * 2 && t < FPS * 3)
                kbps[0] += (double)out.len * 8 / 1000;
            if (t >= FPS * 5)
                kbps[1] += (double)out.len * 8 / 1000;
        }
        print_message("  %s: %.0f kbit/s at 1000, %.0f at 300\n", vcodec_sdp_name(both[k]), kbps[0],
                      kbps[1]);
        assert_true(kbps[0] > 500 && kbps[0] < 1500);
        assert_true(kbps[1] > 150 && kbps[1] < 450);
        vframe_free(&f);
        venc_destroy(&e);
    }
}

/* Creates fail cleanly when our allocation fails (the libraries allocate on their own). */
static void test_oom(void **state)
{
    (void)state;
    const struct venc_params p = params(320, 240, 500);
    for (size_t k = 0; k < NCODECS; k++) {
        struct venc *e = NULL;
        struct vdec *d = NULL;
        mcu_alloc_fail_after(0);
        assert_int_equal(venc_create(&e, both[k], &p), -ENOMEM);
        assert_int_equal(vdec_create(&d, both[k]), -ENOMEM);
        mcu_alloc_fail_after(-1);
        assert_null(e);
        assert_null(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),       cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_round_trip),  cmocka_unit_test(test_h264_param_sets),
        cmocka_unit_test(test_late_joiner), cmocka_unit_test(test_h264_split_param_sets),
        cmocka_unit_test(test_garbage),     cmocka_unit_test(test_resolution_change),
        cmocka_unit_test(test_packetized),  cmocka_unit_test(test_bitrate),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
