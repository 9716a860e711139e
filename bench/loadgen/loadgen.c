/* loadgen: end-to-end load for a conferencing server (issue #6). Joins participants through the
 * server's API, sends each one's Opus over SRTP every 20 ms from 127.0.0.1, receives and checks
 * what the server sends every participant, and measures delivery, gaps, latency and CPU. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "loadgen.h"
#include "report.h"
#include "rtpsec.h"
#include "video.h"

#define MAX_RUNS 32

struct opts {
    struct lg_run_cfg run;
    const char *token_arg, *data_dir, *json_path;
    char token[256];
    int search;
    enum scenario { BIG, SMALL, VIDEO } scenario;
    unsigned max_size, max_meetings;
};

/* The scenarios whose search grows the meeting count M rather than one meeting's size N. */
static int grows_meetings(const struct opts *o)
{
    return o->scenario != BIG;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: loadgen --server URL [options]\n"
            "\n"
            "Joins participants through the server's API and sends each one's Opus over SRTP\n"
            "every 20 ms from 127.0.0.1, receives what the server sends them, and measures.\n"
            "\n"
            "  --backend mcu|janus   which server's API (default mcu)\n"
            "  --server URL          its HTTP API, e.g. http://127.0.0.1:8080\n"
            "  --token T             admin token (mcu: else MCU_TOKEN, else DATA/admin.token)\n"
            "  --data DIR            the server's data folder, for its token (default ./var)\n"
            "  --meetings M          meetings (default 1)\n"
            "  --size N              participants per meeting (default 10)\n"
            "  --talkers K           talkers per meeting, the rest send room noise (default 3)\n"
            "  --seconds S           measured window (default 10)\n"
            "  --warmup S            traffic before the window (default 3)\n"
            "  --server-pid PID      measure the server's CPU from /proc/PID/stat\n"
            "  --suite aes80|aes32|gcm|none  SRTP suite (default aes80: AES_CM_128_HMAC_SHA1_80);\n"
            "                        none: plain RTP, in meetings made with \"plain_rtp\": true\n"
            "  --senders 1|2         sender threads (default 1)\n"
            "  --decoders D          meetings whose latency marker is decoded (default 64)\n"
            "  --scenario big|small|video\n"
            "                        big: 1 meeting of N, K talkers; small: M meetings of 5, all\n"
            "                        talking (sets --size 5 --talkers 5); video (mcu only: Janus\n"
            "                        AudioBridge has no video): M meetings of 10, 3 talkers,\n"
            "                        composite video, 4 of each 10 send VP8 (320x180, 30 fps,\n"
            "                        %d kbit/s), all 10 receive the canvas\n"
            "  --video-res WxH       video: the composite canvas (default 640x360)\n"
            "  --video-kbps K        video: the canvas's bitrate (default 800)\n"
            "  --search              capacity search: grow N (big) or M (small, video) until the\n"
            "                        server fails: every participant >= 49 pkt/s, p99 gap\n"
            "                        < 30 ms, no new tick overrun, server CPU <= 95 %%; video\n"
            "                        also: every receiver >= 25 complete frames/s, p99 frame\n"
            "                        gap < 100 ms\n"
            "  --max-size N          search: the largest N to try (default 5000)\n"
            "  --max-meetings M      search: the largest M to try (default 1000)\n"
            "  --audio-level ID      send RFC 6464 client-to-mixer levels as header extension\n"
            "                        ID (1-14), as browsers do (default: none, as FFmpeg)\n"
            "  --own-socket          send from each participant's own socket (always with\n"
            "                        janus); default: sendmmsg batches from one socket\n"
            "  --idle                open the meetings, join nobody, measure the server's CPU\n"
            "  --json FILE           write the results as JSON\n"
            "\n"
            "Exit status: 0; 1 when a participant received nothing (in a search: in its first\n"
            "step); 2 on bad usage or when the server refused the set-up.\n",
            LG_VCLIP_KBPS);
}

static unsigned parse_uint(const char *s, unsigned lo, unsigned hi, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s ? s : "", &end, 10);
    if (!s || errno || *end || end == s || v < lo || v > hi) {
        fprintf(stderr, "loadgen: %s must be a number from %u to %u\n", what, lo, hi);
        exit(2);
    }
    return (unsigned)v;
}

static double parse_seconds(const char *s, double lo, const char *what)
{
    char *end;
    double v = strtod(s ? s : "", &end);
    if (!s || end == s || *end || v < lo || v > 3600) {
        fprintf(stderr, "loadgen: %s must be seconds from %g to 3600\n", what, lo);
        exit(2);
    }
    return v;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
    struct lg_run_cfg *c = &o->run;
    c->backend = &lg_backend_mcu;
    c->meetings = 1;
    c->size = 10;
    c->talkers = 3;
    c->seconds = 10;
    c->warmup = 3;
    c->suite = RTPSEC_AES_CM_128_HMAC_SHA1_80;
    c->senders = 1;
    c->decoders = 64;
    o->max_size = 5000;
    o->max_meetings = 1000;
    o->data_dir = "var";
    c->vwidth = 640;
    c->vheight = 360;
    c->vkbps = 800;
    int size_set = 0, talkers_set = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int val = 1;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--search")) {
            o->search = 1, val = 0;
        } else if (!strcmp(a, "--idle")) {
            c->idle = 1, val = 0;
        } else if (!strcmp(a, "--backend")) {
            if (v && !strcmp(v, "mcu"))
                c->backend = &lg_backend_mcu;
#ifdef LG_HAVE_JANUS
            else if (v && !strcmp(v, "janus"))
                c->backend = &lg_backend_janus;
#endif
            else {
                fprintf(stderr, "loadgen: unknown or not built backend \"%s\"\n", v ? v : "");
                exit(2);
            }
        } else if (!strcmp(a, "--server")) {
            c->server = v;
        } else if (!strcmp(a, "--token")) {
            o->token_arg = v;
        } else if (!strcmp(a, "--data")) {
            o->data_dir = v;
        } else if (!strcmp(a, "--json")) {
            o->json_path = v;
        } else if (!strcmp(a, "--meetings")) {
            c->meetings = parse_uint(v, 1, 100000, a);
        } else if (!strcmp(a, "--size")) {
            c->size = parse_uint(v, 1, 10000, a), size_set = 1;
        } else if (!strcmp(a, "--talkers")) {
            c->talkers = parse_uint(v, 0, 10000, a), talkers_set = 1;
        } else if (!strcmp(a, "--seconds")) {
            c->seconds = parse_seconds(v, 1, a);
        } else if (!strcmp(a, "--warmup")) {
            c->warmup = parse_seconds(v, 0, a);
        } else if (!strcmp(a, "--server-pid")) {
            c->server_pid = (pid_t)parse_uint(v, 1, 1u << 30, a);
        } else if (!strcmp(a, "--own-socket")) {
            c->own_socket = 1, val = 0;
        } else if (!strcmp(a, "--audio-level")) {
            c->level_id = parse_uint(v, 1, 14, a);
        } else if (!strcmp(a, "--senders")) {
            c->senders = parse_uint(v, 1, 2, a);
        } else if (!strcmp(a, "--decoders")) {
            c->decoders = parse_uint(v, 0, 100000, a);
        } else if (!strcmp(a, "--max-size")) {
            o->max_size = parse_uint(v, 2, 10000, a);
        } else if (!strcmp(a, "--max-meetings")) {
            o->max_meetings = parse_uint(v, 1, 100000, a);
        } else if (!strcmp(a, "--suite")) {
            if (v && !strcmp(v, "aes80"))
                c->suite = RTPSEC_AES_CM_128_HMAC_SHA1_80;
            else if (v && !strcmp(v, "aes32"))
                c->suite = RTPSEC_AES_CM_128_HMAC_SHA1_32;
            else if (v && !strcmp(v, "gcm"))
                c->suite = RTPSEC_AEAD_AES_128_GCM;
            else if (v && !strcmp(v, "none"))
                c->suite = LG_SUITE_PLAIN;
            else {
                fprintf(stderr, "loadgen: --suite is aes80, aes32, gcm or none\n");
                exit(2);
            }
        } else if (!strcmp(a, "--scenario")) {
            if (v && !strcmp(v, "big"))
                o->scenario = BIG;
            else if (v && !strcmp(v, "small"))
                o->scenario = SMALL;
            else if (v && !strcmp(v, "video"))
                o->scenario = VIDEO;
            else {
                fprintf(stderr, "loadgen: --scenario is big, small or video\n");
                exit(2);
            }
        } else if (!strcmp(a, "--video-res")) {
            char x = 0, end = 0;
            if (!v || sscanf(v, "%d%c%d%c", &c->vwidth, &x, &c->vheight, &end) != 3 || x != 'x' ||
                c->vwidth < 128 || c->vwidth > 1920 || c->vheight < 96 || c->vheight > 1088 ||
                c->vwidth % 2 || c->vheight % 2) {
                fprintf(stderr, "loadgen: --video-res is WxH, even, 128x96 to 1920x1088\n");
                exit(2);
            }
        } else if (!strcmp(a, "--video-kbps")) {
            c->vkbps = (int)parse_uint(v, 50, 20000, a);
        } else {
            fprintf(stderr, "loadgen: unknown option %s (see --help)\n", a);
            exit(2);
        }
        if (val && !v) {
            fprintf(stderr, "loadgen: %s needs a value\n", a);
            exit(2);
        }
        i += val;
    }
    if (!c->server) {
        fprintf(stderr, "loadgen: --server URL is required\n");
        exit(2);
    }
    if (o->scenario == SMALL) {
        c->size = size_set ? c->size : 5;
        c->talkers = talkers_set ? c->talkers : c->size;
    }
    if (o->scenario == VIDEO) {
        if (c->backend != &lg_backend_mcu) {
            fprintf(stderr, "loadgen: --scenario video runs against --backend mcu only: Janus's "
                            "AudioBridge mixes audio and has no video\n");
            exit(2);
        }
        if (c->idle) {
            fprintf(stderr, "loadgen: --scenario video and --idle do not go together\n");
            exit(2);
        }
        c->video = 1;
        c->size = size_set ? c->size : 10;
        c->video_senders = c->size < 4 ? c->size : 4;
    }
    if (c->talkers > c->size)
        c->talkers = c->size;
    if (c->backend == &lg_backend_mcu)
        lg_mcu_token(o->token_arg, o->data_dir, o->token, sizeof(o->token));
    else
        snprintf(o->token, sizeof(o->token), "%s", o->token_arg ? o->token_arg : "");
    c->token = o->token;
    if (c->backend != &lg_backend_mcu)
        c->own_socket = 1;
    lg_audio_level_id = c->level_id;
    lg_plain_rtp = c->suite == LG_SUITE_PLAIN;
}

static const char *const scenario_names[] = {"big", "small", "video"};

/* The size a search grows: meetings (small, video) or one meeting's participants (big). */
static unsigned grown(const struct opts *o, const struct lg_run_result *r)
{
    return grows_meetings(o) ? r->meetings : r->size;
}

static void write_json(const struct opts *o, const struct lg_run_result *runs, unsigned n, int best)
{
    if (!o->json_path)
        return;
    const struct lg_run_cfg *c = &o->run;
    struct utsname u;
    uname(&u);
    char mode[32];
    snprintf(mode, sizeof(mode), "search-%s", scenario_names[o->scenario]);
    json_t *root = json_object();
    json_object_set_new(root, "backend", json_string(c->backend->name));
    json_object_set_new(root, "server", json_string(c->server));
    json_object_set_new(root, "suite", json_string(lg_suite_name(c->suite)));
    json_object_set_new(root, "audio_level_id", json_integer(c->level_id));
    json_object_set_new(root, "scenario", json_string(scenario_names[o->scenario]));
    json_object_set_new(root, "mode", json_string(c->idle ? "idle" : o->search ? mode : "run"));
    if (c->video)
        json_object_set_new(root, "video",
                            json_pack("{s:s, s:i, s:i, s:i, s:i, s:{s:i, s:i, s:i, s:i, s:i, s:i}}",
                                      "layout", "grid", "canvas_w", c->vwidth, "canvas_h",
                                      c->vheight, "canvas_kbps", c->vkbps, "senders_per_meeting",
                                      (int)c->video_senders, "clip", "w", LG_VCLIP_W, "h",
                                      LG_VCLIP_H, "fps", LG_VFPS, "frames", LG_VCLIP_FRAMES, "kbps",
                                      LG_VCLIP_KBPS, "keyframes", 1));
    json_object_set_new(root, "machine",
                        json_pack("{s:s, s:s, s:i}", "kernel", u.release, "arch", u.machine, "cpus",
                                  (int)sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_set_new(root, "time", json_integer((json_int_t)time(NULL)));
    json_t *arr = json_array();
    for (unsigned i = 0; i < n; i++)
        json_array_append_new(arr, lg_report_json(&runs[i]));
    json_object_set_new(root, "runs", arr);
    if (o->search) {
        const struct lg_run_result *b = best >= 0 ? &runs[best] : NULL;
        json_t *s = json_object();
        json_object_set_new(s, "unit",
                            json_string(grows_meetings(o) ? "meetings" : "participants"));
        json_object_set_new(s, "largest_pass", b ? json_integer(grown(o, b)) : json_null());
        json_object_set_new(s, "participants", b ? json_integer(b->participants) : json_null());
        json_object_set_new(s, "server_cpu_pct_per_participant",
                            b && b->server_cpu_pct >= 0
                                ? json_real(b->server_cpu_pct / b->participants)
                                : json_null());
        json_object_set_new(s, "server_cpu_pct_per_meeting",
                            b && b->server_cpu_pct >= 0 ? json_real(b->server_cpu_pct / b->meetings)
                                                        : json_null());
        json_object_set_new(root, "search", s);
    }
    if (json_dump_file(root, o->json_path, JSON_INDENT(2)))
        fprintf(stderr, "loadgen: cannot write %s\n", o->json_path);
    json_decref(root);
}

/* ---- Main ---- */

static void on_signal(int sig)
{
    (void)sig;
    lg_stop = 1;
}

/* The first Ctrl-C or SIGTERM ends the traffic early and still leaves and closes everything;
 * a second one ends the program at once. */
static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static const unsigned big_steps[] = {10, 20, 50, 100, 200, 500, 1000, 2000, 3000, 5000, 10000};
static const unsigned small_steps[] = {1, 2, 5, 10, 20, 50, 100, 200, 400, 1000, 2000, 5000};
/* A composite meeting costs a good share of a core: fine steps, bisected between as the others. */
static const unsigned video_steps[] = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128};

static void set_step(const struct opts *o, struct lg_run_cfg *c, unsigned x)
{
    *c = o->run;
    if (grows_meetings(o))
        c->meetings = x;
    else
        c->meetings = 1, c->size = x, c->talkers = 3;
}

/* 1 (and says so) when a participant received no audio or no complete video frame at all. */
static int starved(const struct lg_run_result *r, const char *when)
{
    if (r->got_nothing)
        fprintf(stderr, "loadgen: %u participant(s) received nothing%s\n", r->got_nothing, when);
    if (r->vgot_nothing)
        fprintf(stderr, "loadgen: %u participant(s) received no complete video frame%s\n",
                r->vgot_nothing, when);
    return r->got_nothing || r->vgot_nothing;
}

static void search_head(const struct opts *o)
{
    const struct lg_run_cfg *c = &o->run;
    if (o->scenario == VIDEO)
        printf("search: M meetings of %u with composite video (%u senders; canvas %dx%d at %d "
               "kbit/s), %u talkers, criterion: every participant >= 49 pkt/s, p99 gap < 30 ms, "
               ">= 25 complete video frames/s, p99 frame gap < 100 ms, no new tick overrun, "
               "server CPU <= 95 %% of its core\n",
               c->size, c->video_senders, c->vwidth, c->vheight, c->vkbps, c->talkers);
    else
        printf("search: %s, criterion: every participant >= 49 pkt/s, p99 gap < 30 ms, no new "
               "tick overrun, server CPU <= 95 %% of its core\n",
               o->scenario == SMALL ? "M meetings of 5, all talking"
                                    : "one meeting of N, 3 talkers");
}

/* Grows the size through the scenario's steps until a step fails twice, then bisects between
 * the last pass and the first failure. Returns the largest passing run's index or -1, or -2
 * when the first step could not be set up; *np is the number of runs. */
static int search(const struct opts *o, struct lg_run_result *runs, unsigned *np, int *status)
{
    int video = o->scenario == VIDEO;
    const unsigned *steps = video ? video_steps : o->scenario == SMALL ? small_steps : big_steps;
    size_t nsteps = video                  ? sizeof(video_steps) / sizeof(video_steps[0])
                    : o->scenario == SMALL ? sizeof(small_steps) / sizeof(small_steps[0])
                                           : sizeof(big_steps) / sizeof(big_steps[0]);
    unsigned limit = grows_meetings(o) ? o->max_meetings : o->max_size, n = 0;
    int best = -1;
    for (size_t s = 0; s < nsteps && n < MAX_RUNS && !lg_stop; s++) {
        unsigned x = steps[s] < limit ? steps[s] : limit;
        if (s > 0 && x <= steps[s - 1])
            break;
        struct lg_run_cfg c;
        set_step(o, &c, x);
        int err = lg_run(&c, &runs[n]);
        if (err) {
            fprintf(stderr, "loadgen: step %u could not be set up: %s\n", x, strerror(-err));
            if (n == 0)
                return -2;
            break;
        }
        lg_report_row(&runs[n], video);
        if (n == 0 && starved(&runs[0], " at the first step"))
            *status = 1;
        n++;
        /* One failure on a shared machine may be a neighbour's burst or a stall of the
         * whole guest (both the server and the generator late): a failing step runs once
         * more, and only a second failure ends the search. */
        if (!runs[n - 1].pass && n < MAX_RUNS && !lg_stop) {
            sleep(1);
            if (lg_run(&c, &runs[n]) == 0) {
                printf("(again) ");
                lg_report_row(&runs[n], video);
                n++;
            }
        }
        if (!runs[n - 1].pass || x == limit)
            break;
        best = (int)(n - 1);
        sleep(1); /* let the server settle after the leaves */
    }
    if (n && runs[n - 1].pass)
        best = (int)(n - 1);
    /* Between the last pass and the first failure: bisect, three steps at most, to within
     * a tenth. A failure the generator caused ends the search instead. */
    for (int k = 0; k < 3 && best >= 0 && n < MAX_RUNS && !lg_stop; k++) {
        unsigned lo = grown(o, &runs[best]), hi = 0;
        int gen = 0;
        for (unsigned i = 0; i < n; i++) {
            unsigned x = grown(o, &runs[i]);
            /* A failure only the generator explains ends the search; one where the
             * server's own CPU ran out too still bounds the bisection. */
            gen |= !runs[i].pass && runs[i].gen_limited && runs[i].server_cpu_pct <= 95;
            if (!runs[i].pass && x > lo && (!hi || x < hi))
                hi = x;
        }
        if (!hi || gen)
            break;
        if (hi - lo <= (lo / 10 > 1 ? lo / 10 : 1))
            break;
        struct lg_run_cfg c;
        set_step(o, &c, lo + (hi - lo) / 2);
        sleep(1);
        if (lg_run(&c, &runs[n]))
            break;
        lg_report_row(&runs[n], video);
        n++;
        if (runs[n - 1].pass)
            best = (int)(n - 1);
        else if (runs[n - 1].gen_limited && runs[n - 1].server_cpu_pct <= 95)
            break;
    }
    *np = n;
    return best;
}

static void search_result(const struct opts *o, const struct lg_run_result *runs, unsigned n,
                          int best)
{
    if (best >= 0) {
        const struct lg_run_result *b = &runs[best];
        char per_meeting[64] = "";
        if (o->scenario == VIDEO && b->server_cpu_pct >= 0)
            snprintf(per_meeting, sizeof(per_meeting), ", %.1f %% per meeting",
                     b->server_cpu_pct / b->meetings);
        printf("largest passing %s: %u (%u participants), server CPU %.1f %% = %.3f %% of a "
               "core per participant%s\n",
               grows_meetings(o) ? "M" : "N", grown(o, b), b->participants, b->server_cpu_pct,
               b->server_cpu_pct >= 0 ? b->server_cpu_pct / b->participants : -1, per_meeting);
    } else {
        printf("largest passing: none\n");
    }
    if (n && !runs[n - 1].pass && runs[n - 1].gen_limited)
        printf("note: the generator could not keep up at the last step (its CPU or its send "
               "timing)%s\n",
               runs[n - 1].server_cpu_pct > 95 ? ", and the server's CPU ran out too"
                                               : ": the server's limit may be higher");
}

/* Everything pre-encoded before any traffic, so no encoder runs while the server is measured. */
static int make_media(struct opts *o, struct lg_stream *streams, struct lg_vclip *clips)
{
    int err = o->run.idle ? 0 : lg_voices_make(streams);
    if (err) {
        fprintf(stderr, "loadgen: pre-encoding the voices: %s\n", strerror(-err));
        return err;
    }
    o->run.streams = streams;
    if (!o->run.video)
        return 0;
    err = lg_vclips_make(clips);
    if (err) {
        fprintf(stderr, "loadgen: pre-encoding the video clips: %s\n", strerror(-err));
        return err;
    }
    o->run.clips = clips;
    printf("video: %d VP8 clips %dx%d at %d fps, %d s loops with one keyframe, %d kbit/s "
           "(%zu KB pre-encoded); %u senders a meeting; composite grid %dx%d at %d kbit/s\n",
           LG_VCLIPS, LG_VCLIP_W, LG_VCLIP_H, LG_VFPS, LG_VCLIP_FRAMES / LG_VFPS, LG_VCLIP_KBPS,
           lg_vclips_bytes(clips) / 1024, o->run.video_senders, o->run.vwidth, o->run.vheight,
           o->run.vkbps);
    return 0;
}

int main(int argc, char **argv)
{
    static struct opts o;
    parse_args(argc, argv, &o);
    raise_fd_limit();
    catch_signals();
    int err = rtpsec_global_init();
    if (err) {
        fprintf(stderr, "loadgen: SRTP init: %s\n", strerror(-err));
        return 2;
    }
    static struct lg_stream streams[LG_STREAMS];
    static struct lg_vclip clips[LG_VCLIPS];
    printf("loadgen: backend %s at %s, %s %s, %s, %g s warm-up + %g s measured%s\n",
           o.run.backend->name, o.run.server,
           o.run.backend == &lg_backend_mcu ? "SRTP" : "SRTP if the backend uses it:",
           lg_suite_name(o.run.suite),
           o.run.level_id ? "RFC 6464 levels sent" : "no audio levels sent", o.run.warmup,
           o.run.seconds, o.run.server_pid ? "" : " (no --server-pid: server CPU not measured)");
    if (make_media(&o, streams, clips))
        return 2;
    static struct lg_run_result runs[MAX_RUNS];
    unsigned n = 0;
    int best = -1, status = 0, video = o.run.video;
    if (!o.search) {
        lg_report_head(video);
        err = lg_run(&o.run, &runs[0]);
        if (err) {
            fprintf(stderr, "loadgen: the run could not be set up: %s\n", strerror(-err));
            lg_vclips_free(clips);
            return 2;
        }
        n = 1;
        lg_report_row(&runs[0], video);
        if (o.run.idle)
            printf("idle: %u meetings with nobody in them: server CPU %.2f %% of a core\n",
                   o.run.meetings, runs[0].server_cpu_pct);
        if (!o.run.idle && starved(&runs[0], ""))
            status = 1;
    } else {
        search_head(&o);
        lg_report_head(video);
        best = search(&o, runs, &n, &status);
        if (best == -2) {
            lg_vclips_free(clips);
            return 2;
        }
        search_result(&o, runs, n, best);
    }
    write_json(&o, runs, n, best);
    lg_vclips_free(clips);
    rtpsec_global_deinit();
    if (lg_stop) {
        fprintf(stderr, "loadgen: interrupted: the last run's window was cut short, so its "
                        "packets per second mean nothing; everything was left and closed\n");
        return 130;
    }
    return status;
}
