/* The load generator's own pieces, shared between its files: the pre-encoded voices, the
 * latency marker and its detector, the statistics, and what only the mcu backend can read. */
#ifndef LG_LOADGEN_H
#define LG_LOADGEN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LG_RATE        48000
#define LG_FRAME       960 /* 20 ms at 48 kHz */
#define LG_TICK_NS     20000000LL
#define LG_LOOP_FRAMES 500 /* 10 s of audio per stream, looped */
#define LG_CODED_CAP   400
#define LG_VOICES      5

/* Streams: LG_VOICES speech-like voices, room noise for the listeners, and voice 0 with the
 * latency marker (a loud tone burst) at the frames where lg_marker_frame() is true. */
enum { LG_STREAM_NOISE = LG_VOICES, LG_STREAM_MARKER, LG_STREAMS };

#define LG_MARKER_PERIOD 50 /* frames: one marker a second */
#define LG_MARKER_AT     12 /* frame within the period where the burst starts */
#define LG_MARKER_LEN    5  /* frames of tone (100 ms) */
#define LG_MARKER_HZ     2000.0

struct lg_stream {
    uint8_t pkt[LG_LOOP_FRAMES][LG_CODED_CAP];
    int len[LG_LOOP_FRAMES];
    uint8_t dbov[LG_LOOP_FRAMES]; /* RFC 6464 level of each frame: 0 loudest, 127 silence */
};

/* Fills streams[LG_STREAMS] with Opus (32 kbit/s, complexity 5, FEC, no DTX). 0 or -errno. */
int lg_voices_make(struct lg_stream *streams);
/* The frame that starts a marker burst in the marker stream. */
int lg_marker_frame(int frame);

/* Finds the marker's onset in decoded 48 kHz audio: feed every frame of one receiver in order;
 * returns 1 for the frame where a burst starts (after at least 500 ms without one). */
struct lg_detector {
    int on;            /* the tone is present */
    int quiet_frames;  /* frames since it was last present */
    double last_level; /* for diagnostics: the last frame's tone amplitude */
};
void lg_detector_init(struct lg_detector *d);
int lg_detector_feed(struct lg_detector *d, const int16_t *pcm, int n);

/* A histogram of milliseconds in 0.1 ms bins up to LG_HIST_MAX_MS (larger values land in the
 * last bin; the exact maximum is kept aside). */
#define LG_HIST_MAX_MS 2000
#define LG_HIST_BINS   (LG_HIST_MAX_MS * 10 + 1)
struct lg_hist {
    uint64_t *bins;
    uint64_t count;
    double max_ms, sum_ms;
};
int lg_hist_init(struct lg_hist *h);
void lg_hist_free(struct lg_hist *h);
void lg_hist_add(struct lg_hist *h, double ms);
double lg_hist_pct(const struct lg_hist *h, double q); /* q in [0, 1]; 0 when empty */

/* CPU seconds (user + system) of process pid from /proc/PID/stat, or -1. */
double lg_proc_cpu_s(pid_t pid);
/* This process's CPU seconds (user + system, all threads). */
double lg_self_cpu_s(void);

/* What the mcu backend reads from the server's /metrics. */
struct lg_mcu_metrics {
    double tick_overruns, participants, rx_packets, tx_packets, rx_dropped, worker_cpu_s;
};
int lg_mcu_metrics(const char *base_url, const char *token, struct lg_mcu_metrics *out);
/* RFC 6464 client-to-mixer audio level: the header extension id the mcu backend asks the
 * server to read (0: not sent). backend.h has no field for it yet, so it is a setting here. */
extern unsigned lg_audio_level_id;
/* --suite none: meetings that allow plain RTP, participants that use it (mcu backend). */
#define LG_SUITE_PLAIN (-1)
extern int lg_plain_rtp;
/* The suite's name for output: rtpsec's, or "none (plain RTP)". */
const char *lg_suite_name(int suite);
/* The token: explicit, else MCU_TOKEN, else DATA/admin.token. Writes "" when none. */
void lg_mcu_token(const char *explicit_token, const char *data_dir, char *out, size_t cap);

/* ---- One run: M meetings of N, K talkers each, traffic for warmup + seconds ---- */

struct lg_backend_ops;
struct lg_vclip;

struct lg_run_cfg {
    const struct lg_backend_ops *backend;
    const char *server, *token;
    unsigned meetings, size, talkers;
    double seconds, warmup;
    pid_t server_pid;  /* 0: no server CPU */
    int suite;         /* enum rtpsec_suite asked of the backend */
    unsigned senders;  /* sender threads, 1 or 2 */
    unsigned decoders; /* meetings whose marker is looked for (one decoding receiver each) */
    int idle;          /* open the meetings, join nobody, measure the server's CPU */
    unsigned level_id; /* RFC 6464 extension id sent with every packet; 0: none */
    int own_socket;    /* send from each participant's own socket (Janus needs it); else all
                          from one socket per sender thread, in sendmmsg batches */
    int quiet;
    const struct lg_stream *streams;
    /* Composite video (mcu only): every meeting composites VP8 on a vwidth x vheight canvas at
     * vkbps; its first video_senders participants send a clip, all of them receive the canvas. */
    int video;
    int vwidth, vheight, vkbps;
    unsigned video_senders;
    const struct lg_vclip *clips; /* LG_VCLIPS of them */
};

struct lg_run_result {
    unsigned meetings, size, talkers, participants;
    double window_s;
    /* delivery, over the measured window */
    double pps_min, pps_mean, pps_max;
    unsigned below_49, got_nothing; /* got_nothing: over the whole run, warm-up included */
    uint64_t rx_packets, lost, reordered, dup, auth_fail, rtcp;
    double ia_p50, ia_p99, ia_max; /* inter-arrival, ms, all participants */
    double lat_p50, lat_p99, lat_max;
    uint64_t lat_n, markers_sent;
    /* cost */
    double server_cpu_pct; /* % of one core; -1 when not measured */
    double gen_cpu_pct;
    double send_late_max_ms; /* worst lateness of a send slot behind its deadline */
    double send_late_pct;    /* share of send slots 10 ms or more behind their deadline */
    double overruns;         /* new tick overruns over the window; -1 unknown */
    double worker_cpu_pct;   /* from /metrics (media workers only); -1 unknown */
    int srtp;                /* the participants used SRTP (0: plain RTP, e.g. Janus) */
    int pass;                /* the capacity criterion */
    int gen_limited;         /* the generator could not keep up: the figure is not the server's */
    char why[320];           /* why it failed */
    /* composite video, when the run had it; per receiver over the window unless "total" */
    int video;
    unsigned vsenders, vbelow_25, vgot_nothing;        /* vgot_nothing: no complete frame at all */
    double vfps_min, vfps_mean, vkbps_min, vkbps_mean; /* kbit/s of RTP payload */
    double vgap_p50, vgap_p99, vgap_max;               /* between complete frames, ms */
    uint64_t vframes, vincomplete, vkeys, vpackets, vlost, vauth_fail, vrtcp;
    uint64_t vframes_sent;
    double vsend_late_max_ms;
};

/* Set by SIGINT/SIGTERM: a run cuts its traffic short, then leaves and closes as usual. */
extern volatile sig_atomic_t lg_stop;

/* 0 with *r filled, or -errno when the run could not be set up (the backend refused, out of
 * sockets). Leaves and closes everything it made in every case. */
int lg_run(const struct lg_run_cfg *cfg, struct lg_run_result *r);
/* Sets r->pass and r->why from r's figures: the capacity criterion. */
void lg_verdict(const struct lg_run_cfg *cfg, struct lg_run_result *r);

#endif
