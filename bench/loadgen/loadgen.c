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
#include "rtpsec.h"

#define MAX_RUNS 32

struct opts {
    struct lg_run_cfg run;
    const char *token_arg, *data_dir, *json_path;
    char token[256];
    int search;
    int small; /* --scenario small: meetings of 5, all talking */
    unsigned max_size, max_meetings;
};

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
            "  --suite aes80|aes32|gcm  SRTP suite (default aes80: AES_CM_128_HMAC_SHA1_80)\n"
            "  --senders 1|2         sender threads (default 1)\n"
            "  --decoders D          meetings whose latency marker is decoded (default 64)\n"
            "  --scenario big|small  big: 1 meeting of N, K talkers; small: M meetings of 5, all\n"
            "                        talking (sets --size 5 --talkers 5)\n"
            "  --search              capacity search: grow N (big) or M (small) until the\n"
            "                        server fails: every participant >= 49 pkt/s, p99 gap\n"
            "                        < 30 ms, no new tick overrun, server CPU <= 95 %%\n"
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
            "step); 2 on bad usage or when the server refused the set-up.\n");
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
            else {
                fprintf(stderr, "loadgen: --suite is aes80, aes32 or gcm\n");
                exit(2);
            }
        } else if (!strcmp(a, "--scenario")) {
            if (v && (!strcmp(v, "big") || !strcmp(v, "small")))
                o->small = !strcmp(v, "small");
            else {
                fprintf(stderr, "loadgen: --scenario is big or small\n");
                exit(2);
            }
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
    if (o->small) {
        c->size = size_set ? c->size : 5;
        c->talkers = talkers_set ? c->talkers : c->size;
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
}

/* ---- Output ---- */

static void print_head(void)
{
    printf("%5s %5s %4s | %7s %7s %5s %6s | %6s %6s %7s | %6s %6s %4s | %7s %8s %6s | %6s "
           "%6s | %s\n",
           "meet", "size", "talk", "pps min", "mean", "<49", "lost", "gap50", "gap99", "gapmax",
           "lat50", "lat99", "n", "srv cpu", "%/part", "overr", "gencpu", "late", "verdict");
}

static void print_row(const struct lg_run_result *r)
{
    char cpu[16] = "-", per[16] = "-", ov[16] = "-";
    if (r->server_cpu_pct >= 0) {
        snprintf(cpu, sizeof(cpu), "%.1f%%", r->server_cpu_pct);
        if (r->participants)
            snprintf(per, sizeof(per), "%.3f", r->server_cpu_pct / r->participants);
    }
    if (r->overruns >= 0)
        snprintf(ov, sizeof(ov), "%.0f", r->overruns);
    printf("%5u %5u %4u | %7.1f %7.2f %5u %6llu | %6.1f %6.1f %7.1f | %6.1f %6.1f %4llu | %7s "
           "%8s %6s | %5.1f%% %6.1f | %s%s\n",
           r->meetings, r->size, r->talkers, r->pps_min, r->pps_mean, r->below_49,
           (unsigned long long)r->lost, r->ia_p50, r->ia_p99, r->ia_max, r->lat_p50, r->lat_p99,
           (unsigned long long)r->lat_n, cpu, per, ov, r->gen_cpu_pct, r->send_late_max_ms,
           r->pass ? "pass" : "FAIL: ", r->why);
    fflush(stdout);
}

static json_t *run_json(const struct lg_run_result *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "meetings", json_integer(r->meetings));
    json_object_set_new(j, "size", json_integer(r->size));
    json_object_set_new(j, "talkers", json_integer(r->talkers));
    json_object_set_new(j, "participants", json_integer(r->participants));
    json_object_set_new(j, "window_s", json_real(r->window_s));
    json_object_set_new(j, "srtp", json_boolean(r->srtp));
    json_object_set_new(j, "delivery",
                        json_pack("{s:f, s:f, s:f, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I}",
                                  "pps_min", r->pps_min, "pps_mean", r->pps_mean, "pps_max",
                                  r->pps_max, "below_49", (int)r->below_49, "got_nothing",
                                  (int)r->got_nothing, "rx_packets", (json_int_t)r->rx_packets,
                                  "lost", (json_int_t)r->lost, "reordered",
                                  (json_int_t)r->reordered, "dup", (json_int_t)r->dup, "auth_fail",
                                  (json_int_t)r->auth_fail, "rtcp", (json_int_t)r->rtcp));
    json_object_set_new(
        j, "interarrival_ms",
        json_pack("{s:f, s:f, s:f}", "p50", r->ia_p50, "p99", r->ia_p99, "max", r->ia_max));
    json_object_set_new(j, "latency_ms",
                        json_pack("{s:f, s:f, s:f, s:I, s:I}", "p50", r->lat_p50, "p99", r->lat_p99,
                                  "max", r->lat_max, "samples", (json_int_t)r->lat_n,
                                  "markers_sent", (json_int_t)r->markers_sent));
    json_object_set_new(j, "server_cpu_pct",
                        r->server_cpu_pct >= 0 ? json_real(r->server_cpu_pct) : json_null());
    json_object_set_new(j, "server_cpu_pct_per_participant",
                        r->server_cpu_pct >= 0 && r->participants
                            ? json_real(r->server_cpu_pct / r->participants)
                            : json_null());
    json_object_set_new(j, "worker_cpu_pct",
                        r->worker_cpu_pct >= 0 ? json_real(r->worker_cpu_pct) : json_null());
    json_object_set_new(j, "tick_overruns",
                        r->overruns >= 0 ? json_real(r->overruns) : json_null());
    json_object_set_new(j, "generator_cpu_pct", json_real(r->gen_cpu_pct));
    json_object_set_new(j, "send_late_max_ms", json_real(r->send_late_max_ms));
    json_object_set_new(j, "send_late_10ms_pct", json_real(r->send_late_pct));
    json_object_set_new(j, "generator_limited", json_boolean(r->gen_limited));
    json_object_set_new(j, "pass", json_boolean(r->pass));
    json_object_set_new(j, "why", json_string(r->why));
    return j;
}

static void write_json(const struct opts *o, const struct lg_run_result *runs, unsigned n, int best)
{
    if (!o->json_path)
        return;
    const struct lg_run_cfg *c = &o->run;
    struct utsname u;
    uname(&u);
    json_t *root = json_object();
    json_object_set_new(root, "backend", json_string(c->backend->name));
    json_object_set_new(root, "server", json_string(c->server));
    json_object_set_new(root, "suite", json_string(rtpsec_suite_name((enum rtpsec_suite)c->suite)));
    json_object_set_new(root, "audio_level_id", json_integer(c->level_id));
    json_object_set_new(root, "mode",
                        json_string(c->idle     ? "idle"
                                    : o->search ? (o->small ? "search-small" : "search-big")
                                                : "run"));
    json_object_set_new(root, "machine",
                        json_pack("{s:s, s:s, s:i}", "kernel", u.release, "arch", u.machine, "cpus",
                                  (int)sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_set_new(root, "time", json_integer((json_int_t)time(NULL)));
    json_t *arr = json_array();
    for (unsigned i = 0; i < n; i++)
        json_array_append_new(arr, run_json(&runs[i]));
    json_object_set_new(root, "runs", arr);
    if (o->search) {
        json_t *s = json_object();
        json_object_set_new(s, "unit", json_string(o->small ? "meetings" : "participants"));
        json_object_set_new(s, "largest_pass",
                            best >= 0
                                ? json_integer(o->small ? runs[best].meetings : runs[best].size)
                                : json_null());
        json_object_set_new(s, "participants",
                            best >= 0 ? json_integer(runs[best].participants) : json_null());
        json_object_set_new(s, "server_cpu_pct_per_participant",
                            best >= 0 && runs[best].server_cpu_pct >= 0
                                ? json_real(runs[best].server_cpu_pct / runs[best].participants)
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
    if (!o.run.idle) {
        err = lg_voices_make(streams);
        if (err) {
            fprintf(stderr, "loadgen: pre-encoding the voices: %s\n", strerror(-err));
            return 2;
        }
    }
    o.run.streams = streams;
    printf("loadgen: backend %s at %s, %s %s, %s, %g s warm-up + %g s measured%s\n",
           o.run.backend->name, o.run.server,
           o.run.backend == &lg_backend_mcu ? "SRTP" : "SRTP if the backend uses it:",
           rtpsec_suite_name((enum rtpsec_suite)o.run.suite),
           o.run.level_id ? "RFC 6464 levels sent" : "no audio levels sent", o.run.warmup,
           o.run.seconds, o.run.server_pid ? "" : " (no --server-pid: server CPU not measured)");
    static struct lg_run_result runs[MAX_RUNS];
    unsigned n = 0;
    int best = -1, status = 0;
    if (!o.search) {
        print_head();
        err = lg_run(&o.run, &runs[0]);
        if (err) {
            fprintf(stderr, "loadgen: the run could not be set up: %s\n", strerror(-err));
            return 2;
        }
        n = 1;
        print_row(&runs[0]);
        if (o.run.idle)
            printf("idle: %u meetings with nobody in them: server CPU %.2f %% of a core\n",
                   o.run.meetings, runs[0].server_cpu_pct);
        if (!o.run.idle && runs[0].got_nothing) {
            fprintf(stderr, "loadgen: %u participant(s) received nothing\n", runs[0].got_nothing);
            status = 1;
        }
    } else {
        const unsigned *steps = o.small ? small_steps : big_steps;
        size_t nsteps = o.small ? sizeof(small_steps) / sizeof(small_steps[0])
                                : sizeof(big_steps) / sizeof(big_steps[0]);
        unsigned limit = o.small ? o.max_meetings : o.max_size;
        printf("search: %s, criterion: every participant >= 49 pkt/s, p99 gap < 30 ms, no new "
               "tick overrun, server CPU <= 95 %% of its core\n",
               o.small ? "M meetings of 5, all talking" : "one meeting of N, 3 talkers");
        print_head();
        for (size_t s = 0; s < nsteps && n < MAX_RUNS && !lg_stop; s++) {
            unsigned x = steps[s] < limit ? steps[s] : limit;
            if (s > 0 && x <= steps[s - 1])
                break;
            struct lg_run_cfg c = o.run;
            if (o.small)
                c.meetings = x;
            else
                c.meetings = 1, c.size = x, c.talkers = 3;
            err = lg_run(&c, &runs[n]);
            if (err) {
                fprintf(stderr, "loadgen: step %u could not be set up: %s\n", x, strerror(-err));
                if (n == 0)
                    return 2;
                break;
            }
            print_row(&runs[n]);
            if (n == 0 && runs[0].got_nothing) {
                fprintf(stderr, "loadgen: %u participant(s) received nothing at the first step\n",
                        runs[0].got_nothing);
                status = 1;
            }
            n++;
            /* One failure on a shared machine may be a neighbour's burst or a stall of the
             * whole guest (both the server and the generator late): a failing step runs once
             * more, and only a second failure ends the search. */
            if (!runs[n - 1].pass && n < MAX_RUNS && !lg_stop) {
                sleep(1);
                if (lg_run(&c, &runs[n]) == 0) {
                    printf("(again) ");
                    print_row(&runs[n]);
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
            unsigned lo = o.small ? runs[best].meetings : runs[best].size, hi = 0;
            int gen = 0;
            for (unsigned i = 0; i < n; i++) {
                unsigned x = o.small ? runs[i].meetings : runs[i].size;
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
            struct lg_run_cfg c = o.run;
            unsigned mid = lo + (hi - lo) / 2;
            if (o.small)
                c.meetings = mid;
            else
                c.meetings = 1, c.size = mid, c.talkers = 3;
            sleep(1);
            if (lg_run(&c, &runs[n]))
                break;
            print_row(&runs[n]);
            n++;
            if (runs[n - 1].pass)
                best = (int)(n - 1);
            else if (runs[n - 1].gen_limited && runs[n - 1].server_cpu_pct <= 95)
                break;
        }
        if (best >= 0) {
            const struct lg_run_result *b = &runs[best];
            printf("largest passing %s: %u (%u participants), server CPU %.1f %% = %.3f %% of a "
                   "core per participant\n",
                   o.small ? "M" : "N", o.small ? b->meetings : b->size, b->participants,
                   b->server_cpu_pct,
                   b->server_cpu_pct >= 0 ? b->server_cpu_pct / b->participants : -1);
        } else {
            printf("largest passing: none\n");
        }
        if (n && !runs[n - 1].pass && runs[n - 1].gen_limited)
            printf("note: the generator could not keep up at the last step (its CPU or its send "
                   "timing)%s\n",
                   runs[n - 1].server_cpu_pct > 95 ? ", and the server's CPU ran out too"
                                                   : ": the server's limit may be higher");
    }
    write_json(&o, runs, n, best);
    rtpsec_global_deinit();
    if (lg_stop) {
        fprintf(stderr, "loadgen: interrupted: the last run's window was cut short, so its "
                        "packets per second mean nothing; everything was left and closed\n");
        return 130;
    }
    return status;
}
