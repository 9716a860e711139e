/* Allocation-failure injection on the create paths that have no such loop in their own test:
 * for each, allocation n = 0, 1, 2, ... fails in turn (mcu_alloc_fail_after) until the create
 * succeeds. Every failure must come back as -ENOMEM with the object still NULL, and must free
 * what it had made: run under AddressSanitizer, LeakSanitizer reports anything left behind.
 * The control plane's create paths, a meeting and a participant's join (audio, and video in a
 * composite meeting), go through the same loop against a running worker.
 *
 * Covered elsewhere already: jbuf, pay_vp8/pay_h264 depacketizers, vscaler, the Opus aenc/adec
 * (their own tests). Only allocations through mcu_malloc can be made to fail: libopus, libvpx,
 * libavcodec/libx264, SpeexDSP, libsrtp's own blocks, libevent and SQLite allocate with malloc
 * directly, so for creates that wrap them only our part of the unwinding is exercised. */
#include <errno.h>
#include <event2/event.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "acodec.h"
#include "alloc.h"
#include "amix.h"
#include "astream.h"
#include "conference.h"
#include "confmgr.h"
#include "cpu.h"
#include "events.h"
#include "http.h"
#include "loop.h"
#include "preproc.h"
#include "pstats.h"
#include "rtpsec.h"
#include "session.h"
#include "speaker.h"
#include "store.h"
#include "udp.h"
#include "vcodec.h"
#include "vmix.h"
#include "vstream.h"
#include "worker.h"

#define OOM_MAX_STEPS 200 /* far more allocations than any create makes */

typedef int (*make_fn)(void **obj, const void *arg);
typedef void (*drop_fn)(void **obj);

/* Fails allocation 0, 1, 2, ... of make() in turn until it succeeds; returns how many
 * allocations (through mcu_malloc) the successful create made. */
static long oom_loop(const char *name, make_fn make, drop_fn drop, const void *arg)
{
    for (long n = 0; n < OOM_MAX_STEPS; n++) {
        void *obj = NULL;
        mcu_alloc_fail_after(n);
        int err = make(&obj, arg);
        mcu_alloc_fail_after(-1);
        if (!err) {
            assert_non_null(obj);
            drop(&obj);
            assert_null(obj);
            print_message("%-26s %3ld allocations, each failing in turn unwound\n", name, n);
            return n;
        }
        if (err != -ENOMEM || obj)
            fail_msg("%s: allocation %ld failing gave %d (%s), object %p: want -ENOMEM and NULL",
                     name, n, err, strerror(-err), obj);
    }
    fail_msg("%s: still failing after %d allocations", name, OOM_MAX_STEPS);
    return -1;
}

/* The adapters between oom_loop's untyped object and each module's typed create/destroy. */
#define OOM_ADAPTER(name, type, destroy, call)                                                     \
    static int name##_make(void **o, const void *arg)                                              \
    {                                                                                              \
        type *obj = NULL;                                                                          \
        int err = call;                                                                            \
        *o = obj;                                                                                  \
        return err;                                                                                \
    }                                                                                              \
    static void name##_drop(void **o)                                                              \
    {                                                                                              \
        type *obj = *o;                                                                            \
        destroy(&obj);                                                                             \
        *o = obj;                                                                                  \
    }

/* libsrtp refuses a second srtp_init(), and the sessions and the join need it too. */
static void rtpsec_once(void)
{
    static int done;
    if (!done)
        assert_int_equal(rtpsec_global_init(), 0);
    done = 1;
}

/* ---- mixer/ ---- */

OOM_ADAPTER(amix, struct amix, amix_destroy, amix_create(&obj, arg))
OOM_ADAPTER(speaker, struct speaker, speaker_destroy, speaker_create(&obj, arg))

static void test_mixer(void **state)
{
    const struct amix_params ap = {
        .max_inputs = 50, .frame_samples = 960, .max_talkers = 3, .cpu_flags = cpu_flags()};
    assert_true(oom_loop("amix_create", amix_make, amix_drop, &ap) > 1);
    struct speaker_params sp;
    speaker_params_default(&sp, 50);
    assert_true(oom_loop("speaker_create", speaker_make, speaker_drop, &sp) > 0);
}

/* ---- codec/ ---- */

OOM_ADAPTER(aenc, struct aenc, aenc_destroy, aenc_create(&obj, arg, NULL))
OOM_ADAPTER(adec, struct adec, adec_destroy, adec_create(&obj, arg))
OOM_ADAPTER(resampler, struct resampler, resampler_destroy, resampler_create(&obj, 8000, 48000, 3))
OOM_ADAPTER(preproc, struct preproc, preproc_destroy, preproc_create(&obj, arg))

static const struct venc_params venc_p = {
    .width = 320, .height = 240, .fps = 30, .bitrate_kbps = 300};
OOM_ADAPTER(venc_vp8, struct venc, venc_destroy, venc_create(&obj, VCODEC_VP8, &venc_p))
OOM_ADAPTER(venc_h264, struct venc, venc_destroy, venc_create(&obj, VCODEC_H264, &venc_p))
OOM_ADAPTER(vdec_vp8, struct vdec, vdec_destroy, vdec_create(&obj, VCODEC_VP8))
OOM_ADAPTER(vdec_h264, struct vdec, vdec_destroy, vdec_create(&obj, VCODEC_H264))

static void test_codec(void **state)
{
    /* G.711 through libavcodec; Opus has its own loop in test_acodec. */
    oom_loop("aenc_create(pcmu)", aenc_make, aenc_drop, &acodec_pcmu);
    oom_loop("aenc_create(pcma)", aenc_make, aenc_drop, &acodec_pcma);
    oom_loop("adec_create(pcmu)", adec_make, adec_drop, &acodec_pcmu);
    oom_loop("adec_create(pcma)", adec_make, adec_drop, &acodec_pcma);
    oom_loop("resampler_create", resampler_make, resampler_drop, NULL);
    const struct preproc_params pp = {48000, 960, 1, 1, 24000};
    oom_loop("preproc_create", preproc_make, preproc_drop, &pp);
    oom_loop("venc_create(vp8)", venc_vp8_make, venc_vp8_drop, NULL);
    oom_loop("venc_create(h264)", venc_h264_make, venc_h264_drop, NULL);
    oom_loop("vdec_create(vp8)", vdec_vp8_make, vdec_vp8_drop, NULL);
    oom_loop("vdec_create(h264)", vdec_h264_make, vdec_h264_drop, NULL);
}

/* ---- mcu/: media objects ---- */

OOM_ADAPTER(astream, struct astream, astream_destroy, astream_create(&obj, arg))
OOM_ADAPTER(vstream, struct vstream, vstream_destroy, vstream_create(&obj, arg))
OOM_ADAPTER(vmix, struct vmix, vmix_destroy, vmix_create(&obj, arg))
OOM_ADAPTER(rtpsec, struct rtpsec, rtpsec_destroy,
            rtpsec_create(&obj, *(const enum rtpsec_suite *)arg, (const uint8_t[RTPSEC_MAX_KEY]){1},
                          RTPSEC_INBOUND))

static void test_media(void **state)
{
    /* Opus with preprocessing (jbuf, decoder, SpeexDSP), and G.711 (jbuf, decoder,
     * resampler up to the mix rate). */
    const struct astream_params opus = {.codec = &acodec_opus, .preprocess = 1};
    const struct astream_params pcmu = {.codec = &acodec_pcmu};
    assert_true(oom_loop("astream_create(opus)", astream_make, astream_drop, &opus) > 2);
    assert_true(oom_loop("astream_create(pcmu)", astream_make, astream_drop, &pcmu) > 2);
    static const struct {
        const char *name;
        struct vstream_params p;
    } vs[] = {
        {"vstream_create(vp8)", {VCODEC_VP8, 0}},
        {"vstream_create(vp8,dec)", {VCODEC_VP8, 1}},
        {"vstream_create(h264)", {VCODEC_H264, 0}},
        {"vstream_create(h264,dec)", {VCODEC_H264, 1}},
    };
    for (size_t k = 0; k < sizeof(vs) / sizeof(vs[0]); k++)
        oom_loop(vs[k].name, vstream_make, vstream_drop, &vs[k].p);
    const struct vmix_params mp = {.width = 640,
                                   .height = 360,
                                   .fps = 30,
                                   .kbps = 500,
                                   .layout = LAYOUT_GRID,
                                   .cpu_flags = cpu_flags()};
    oom_loop("vmix_create", vmix_make, vmix_drop, &mp);
    rtpsec_once();
    for (int s = 0; s < RTPSEC_SUITE_COUNT; s++) {
        const enum rtpsec_suite suite = (enum rtpsec_suite)s;
        oom_loop(rtpsec_suite_name(suite), rtpsec_make, rtpsec_drop, &suite);
    }
}

/* ---- mcu/: sessions and conferences, on a loop of this thread ---- */

struct session_arg {
    struct event_base *base;
    struct pstats *stats;
    int plain;
};

/* A session takes its sockets only when it is created; a failed create leaves them to us. */
static int session_make(void **o, const void *varg)
{
    const struct session_arg *a = varg;
    struct udp_addr any;
    assert_int_equal(udp_addr_parse(&any, "127.0.0.1:1"), 0);
    udp_addr_set_port(&any, 0);
    struct session_params p = {.suite = RTPSEC_AES_CM_128_HMAC_SHA1_80,
                               .plain = a->plain,
                               .tx_streams = 4,
                               .rtx_cache = 512,
                               .tx_pt = 96,
                               .clock_rate = 90000,
                               .stats = a->stats,
                               .base = a->base};
    assert_int_equal(udp_open(&any, &p.fd_rtp), 0);
    assert_int_equal(udp_open(&any, &p.fd_rtcp), 0);
    struct session *s = NULL;
    int err = session_create(&s, &p);
    if (err) {
        close(p.fd_rtp);
        close(p.fd_rtcp);
    }
    *o = s;
    return err;
}

static void session_drop(void **o)
{
    struct session *s = *o;
    session_destroy(&s);
    *o = s;
}

OOM_ADAPTER(conference, struct conference, conference_destroy, conference_create(&obj, arg))

static void test_sessions(void **state)
{
    struct loop *l = NULL;
    assert_int_equal(loop_create(&l), 0);
    struct pstats st;
    memset(&st, 0, sizeof(st));
    for (int plain = 0; plain <= 1; plain++) {
        const struct session_arg a = {loop_base(l), &st, plain};
        oom_loop(plain ? "session_create(plain)" : "session_create(srtp)", session_make,
                 session_drop, &a);
    }
    struct cstats cs;
    memset(&cs, 0, sizeof(cs));
    const struct conference_params base = {.max_members = 20,
                                           .max_talkers = 3,
                                           .video_w = 640,
                                           .video_h = 360,
                                           .video_kbps = 500,
                                           .video_fps = 30,
                                           .cpu_flags = cpu_flags(),
                                           .base = loop_base(l),
                                           .stats = &cs};
    static const struct {
        const char *name;
        enum meeting_mode mode;
        enum meeting_video video;
    } kinds[] = {
        {"conference_create(mix)", MEETING_MIX, VIDEO_OFF},
        {"conference_create(fwd)", MEETING_FORWARD, VIDEO_OFF},
        {"conference_create(comp)", MEETING_MIX, VIDEO_COMPOSITE},
        {"conference_create(vfwd)", MEETING_FORWARD, VIDEO_FORWARD},
    };
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        struct conference_params p = base;
        p.mode = kinds[k].mode;
        p.video = kinds[k].video;
        oom_loop(kinds[k].name, conference_make, conference_drop, &p);
    }
    loop_destroy(&l);
}

/* ---- mcu/: the control plane ---- */

OOM_ADAPTER(loop, struct loop, loop_destroy, loop_create(&obj))
OOM_ADAPTER(worker, struct worker, worker_destroy, worker_create(&obj, 3))
OOM_ADAPTER(events, struct events, events_destroy, events_create(&obj))
OOM_ADAPTER(confmgr, struct confmgr, confmgr_destroy, confmgr_create(&obj, arg))
OOM_ADAPTER(store, struct store, store_close, store_open(&obj, ":memory:"))
OOM_ADAPTER(http, struct http, http_destroy,
            http_create(&obj, (struct event_base *)arg, "127.0.0.1", 0, "token", NULL))

static void test_control(void **state)
{
    oom_loop("loop_create", loop_make, loop_drop, NULL);
    oom_loop("worker_create", worker_make, worker_drop, NULL);
    oom_loop("events_create", events_make, events_drop, NULL);
    const struct confmgr_params cp = {
        .media_ip = "127.0.0.1", .port_lo = 47100, .port_hi = 47199, .workers = 3};
    assert_true(oom_loop("confmgr_create", confmgr_make, confmgr_drop, &cp) > 3);
    oom_loop("store_open", store_make, store_drop, NULL);
    struct event_base *base = event_base_new();
    assert_non_null(base);
    oom_loop("http_create", http_make, http_drop, base);
    event_base_free(base);
}

/* ---- mcu/: a meeting and a participant's join, the control plane's create paths ----
 * The join builds the participant's sessions, streams and the op it posts to the worker; a
 * failure at any allocation must release the ports and sockets and leave no participant. The
 * worker thread runs meanwhile; it allocates nothing while its conference is idle, so the
 * count stays this thread's, and each round waits for it to apply what was posted. */

static void wake(void *arg)
{
    *(volatile int *)arg = 1;
}

static void sync_worker(struct meeting *m)
{
    volatile int done = 0;
    assert_int_equal(loop_post(worker_loop(m->worker), wake, (void *)&done), 0);
    while (!done)
        usleep(1000);
}

static void join_loop(struct confmgr *cm, struct meeting *m, const char *name,
                      const struct join_spec *spec)
{
    for (long n = 0; n < OOM_MAX_STEPS; n++) {
        struct participant *p = NULL;
        mcu_alloc_fail_after(n);
        int err = confmgr_join(cm, m, spec, &p);
        mcu_alloc_fail_after(-1);
        sync_worker(m);
        if (!err) {
            assert_non_null(p);
            assert_int_equal(m->nparticipants, 1);
            assert_int_equal(confmgr_leave(cm, m, p), 0);
            sync_worker(m);
            print_message("%-26s %3ld allocations, each failing in turn unwound\n", name, n);
            return;
        }
        if (err != -ENOMEM || p || m->nparticipants)
            fail_msg("%s: allocation %ld failing gave %d (%s), %u participants", name, n, err,
                     strerror(-err), m->nparticipants);
    }
    fail_msg("%s: still failing after %d allocations", name, OOM_MAX_STEPS);
}

static void test_join(void **state)
{
    rtpsec_once();
    const struct confmgr_params cp = {
        .media_ip = "127.0.0.1", .port_lo = 47200, .port_hi = 47299, .workers = 1};
    struct confmgr *cm = NULL;
    assert_int_equal(confmgr_create(&cm, &cp), 0);
    assert_int_equal(confmgr_start(cm), 0);
    int64_t now = confmgr_now(cm);
    struct meeting_spec ms = {.title = "oom",
                              .start_unix = now - 60,
                              .end_unix = now + 3600,
                              .max = 10,
                              .mode = MEETING_MIX,
                              .video = "composite",
                              .video_w = 320,
                              .video_h = 240};
    struct meeting *m = NULL;
    long n;
    for (n = 0; n < OOM_MAX_STEPS; n++) { /* the record; opening it posts to the worker */
        mcu_alloc_fail_after(n);
        int err = confmgr_meeting_create(cm, &ms, &m);
        mcu_alloc_fail_after(-1);
        if (!err)
            break;
        assert_int_equal(err, -ENOMEM);
        assert_null(confmgr_meetings(cm));
    }
    assert_non_null(m);
    print_message("%-26s %3ld allocations, each failing in turn unwound\n",
                  "confmgr_meeting_create", n);
    assert_int_equal(confmgr_meeting_refresh(cm, m), 0);
    sync_worker(m);
    const struct join_spec audio = {
        .name = "ada", .suite = RTPSEC_AES_CM_128_HMAC_SHA1_80, .preprocess = 1};
    join_loop(cm, m, "confmgr_join(audio)", &audio);
    const struct join_spec video = {.name = "bob",
                                    .suite = RTPSEC_AEAD_AES_128_GCM,
                                    .preprocess = -1,
                                    .video = 1,
                                    .vcodec = VCODEC_VP8};
    join_loop(cm, m, "confmgr_join(video)", &video);
    confmgr_destroy(&cm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixer),   cmocka_unit_test(test_codec),
        cmocka_unit_test(test_media),   cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_control), cmocka_unit_test(test_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
