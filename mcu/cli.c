/* mcuctl: the command-line client of the MCU's HTTP API (main, option tables, commands). */
#include "cli_fmt.h"
#include "httpc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define DEFAULT_SERVER "http://127.0.0.1:8080"
#define DEFAULT_DATA   "./var"
#define TOKEN_FILE     "admin.token"
#define TOKEN_MAX      1024
#define MAX_OPTS       20
#define ID_MAX         64
#define EXIT_SERVER    1 /* the server said no, or could not be reached */
#define EXIT_USAGE     2 /* the command line is wrong; nothing was sent */

/* Options every command takes, indexed by enum global. */
enum global { G_SERVER, G_TOKEN, G_DATA, G_JSON, G_COUNT };

struct ctx {
    const struct cli_command *cmd;
    const char *global[G_COUNT];
    const char *value[MAX_OPTS]; /* by index into cmd->opts */
    const char *arg[CLI_MAX_ARGS];
    size_t nargs;
    bool help;
    bool json;
    char error[400]; /* the first bad argument; reported after parsing, so --help still wins */
    const char *server;
    const char *token_from; /* where the token came from, for the 401 hint */
    char token[TOKEN_MAX];
};

static const char *const modes[] = {"forward", "mix", NULL};
static const char *const videos[] = {"composite", "forward", "off", NULL};
static const char *const layouts[] = {"grid", "speaker", NULL};
static const char *const audios[] = {"opus", "pcmu", "pcma", NULL};
static const char *const vcodecs[] = {"vp8", "h264", "none", NULL};
static const char *const suites[] = {"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
                                     "AEAD_AES_128_GCM", "none", NULL};
static const char *const repeats[] = {"none", "daily", "weekly", NULL};
static const char *const states[] = {"scheduled", "open", "ended", "cancelled", NULL};

#define HELP_NL "\n                            " /* help continues under its first line */

/* The help schedule and reschedule share. */
#define TIME_HELP                                                                                  \
    HELP_NL "ISO-8601 in UTC like 2026-11-24T10:00Z, or with an offset like" HELP_NL               \
            "2026-11-24T11:00+01:00 (no Z and no offset: UTC), now, or from" HELP_NL               \
            "now: +90s, +15m, +2h, +1d"
#define UNTIL_HELP                                                                                 \
    "last day of a repeating series: a day like 2026-12-31 (to its" HELP_NL                        \
    "end, local time) or a time like 2026-12-31T18:00Z; none starts after it"
#define TALKERS_HELP "mix: how many of the loudest talkers are mixed (3)"

/* Columns: name, type, metavar, JSON field, choices, min, max, required, help. */
static const struct cli_opt global_opts[G_COUNT + 1] = {
    [G_SERVER] = {"--server", OPT_URL, "URL", NULL, NULL, 0, 0, false,
                  "server base URL (env MCU_SERVER; " DEFAULT_SERVER ")"},
    [G_TOKEN] = {"--token", OPT_TEXT, "TOKEN", NULL, NULL, 0, 0, false,
                 "admin token (env MCU_TOKEN; else DATA/" TOKEN_FILE ")"},
    [G_DATA] = {"--data", OPT_TEXT, "DIR", NULL, NULL, 0, 0, false,
                "server data folder (env MCU_DATA; " DEFAULT_DATA ")"},
    [G_JSON] = {"--json", OPT_FLAG, NULL, NULL, NULL, 0, 0, false,
                "print the server's JSON object as it is, for scripts"},
};

static const struct cli_opt schedule_opts[] = {
    {"--title", OPT_TEXT, "T", "title", NULL, 0, 0, true, "meeting title"},
    {"--start", OPT_TIME, "TIME", "start", NULL, 0, 0, false, "when it starts (now):" TIME_HELP},
    {"--duration", OPT_INT, "MIN", "duration", NULL, 1, 525600, false, "length in minutes"},
    {"--pin", OPT_TEXT, "PIN", "pin", NULL, 0, 0, false, "PIN participants must give to join"},
    {"--max", OPT_INT, "N", "max", NULL, 1, 100000, false, "most participants at once"},
    {"--talkers", OPT_INT, "N", "talkers", NULL, 1, 16, false, TALKERS_HELP},
    {"--preprocess", OPT_FLAG, NULL, "preprocess", NULL, 0, 0, false,
     "denoise and level every participant's audio (SpeexDSP)"},
    {"--mode", OPT_CHOICE, NULL, "mode", modes, 0, 0, false,
     "audio: forward the streams or mix them"},
    {"--video", OPT_CHOICE, NULL, "video", videos, 0, 0, false, "video handling"},
    {"--layout", OPT_CHOICE, NULL, "layout", layouts, 0, 0, false,
     "composite video layout: equal cells, or the speaker large over a strip"},
    {"--resolution", OPT_SIZE, "WxH", "resolution", NULL, 0, 0, false,
     "composite canvas size, even numbers (1280x720)"},
    {"--video-kbps", OPT_INT, "KBPS", "video_kbps", NULL, 50, 20000, false,
     "composite video bitrate (1500)"},
    {"--repeat", OPT_CHOICE, NULL, "repeat", repeats, 0, 0, false,
     "repeat it every day or week (none)"},
    {"--until", OPT_UNTIL, "ISO-8601", "until", NULL, 0, 0, false, UNTIL_HELP},
    {"--tz", OPT_TEXT, "ZONE", "tz", NULL, 0, 0, false,
     "time zone a repeating meeting keeps its local time in (e.g. Europe/Berlin; UTC)"},
    {"--owner", OPT_TEXT, "WHO", "owner", NULL, 0, 0, false, "who the meeting belongs to"},
    {"--plain-rtp", OPT_FLAG, NULL, "plain_rtp", NULL, 0, 0, false,
     "let participants join with plain, unencrypted RTP" HELP_NL
     "(join --srtp-suite none); others still use SRTP"},
    {NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, false, NULL},
};

static const struct cli_opt reschedule_opts[] = {
    {"--start", OPT_TIME, "TIME", "start", NULL, 0, 0, false, "the new start:" TIME_HELP},
    {"--duration", OPT_INT, "MIN", "duration", NULL, 1, 525600, false, "length in minutes"},
    {"--title", OPT_TEXT, "T", "title", NULL, 0, 0, false, "meeting title"},
    {"--pin", OPT_TEXT, "PIN", "pin", NULL, 0, 0, false, "the PIN participants must give to join"},
    {"--max", OPT_INT, "N", "max", NULL, 1, 100000, false, "most participants at once"},
    {"--talkers", OPT_INT, "N", "talkers", NULL, 1, 16, false, TALKERS_HELP},
    {"--repeat", OPT_CHOICE, NULL, "repeat", repeats, 0, 0, false,
     "repeat it every day or week (none)"},
    {"--until", OPT_UNTIL, "ISO-8601", "until", NULL, 0, 0, false, UNTIL_HELP},
    {NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, false, NULL},
};

static const struct cli_opt list_opts[] = {
    {"--state", OPT_CHOICE, NULL, "state", states, 0, 0, false, "only meetings in this state"},
    {NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, false, NULL},
};

static const struct cli_opt join_opts[] = {
    {"--name", OPT_TEXT, "NAME", "name", NULL, 0, 0, true, "participant's display name"},
    {"--pin", OPT_TEXT, "PIN", "pin", NULL, 0, 0, false, "the meeting's PIN, if it has one"},
    {"--recv", OPT_HOSTPORT, "HOST:PORT", "recv", NULL, 0, 0, false,
     "where the server sends your media (your receiver)"},
    {"--audio", OPT_CHOICE, NULL, "audio", audios, 0, 0, false, "audio codec you send and receive"},
    {"--video", OPT_CHOICE, NULL, "video", vcodecs, 0, 0, false,
     "video codec you send and receive (none: audio only)"},
    {"--video-recv", OPT_HOSTPORT, "HOST:PORT", "video_recv", NULL, 0, 0, false,
     "where the server sends your video; forward meetings use PORT, PORT+2, ..."},
    {"--srtp-suite", OPT_CHOICE, "SUITE", "srtp_suite", suites, 0, 0, false,
     "none: plain RTP both ways, where the meeting allows it" HELP_NL
     "(schedule --plain-rtp); else the SRTP suite of your keys," HELP_NL "by default the first of"},
    {"--preprocess", OPT_FLAG, NULL, "preprocess", NULL, 0, 0, false,
     "denoise and level your audio on the server (SpeexDSP)"},
    {"--audio-level-id", OPT_INT, "ID", "audio_level_id", NULL, 1, 14, false,
     "RTP header extension id of the RFC 6464 audio level you send"},
    {"--sdp", OPT_OUTFILE, "FILE", NULL, NULL, 0, 0, false,
     "write the receiver's SDP to FILE (mode 0644)"},
    {NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, false, NULL},
};

/* ctx.value holds one slot per option of the command being run. */
_Static_assert(sizeof(schedule_opts) / sizeof(schedule_opts[0]) <= MAX_OPTS + 1, "MAX_OPTS");
_Static_assert(sizeof(join_opts) / sizeof(join_opts[0]) <= MAX_OPTS + 1, "MAX_OPTS");
_Static_assert(sizeof(reschedule_opts) / sizeof(reschedule_opts[0]) <= MAX_OPTS + 1, "MAX_OPTS");

static const struct cli_opt no_opts[] = {{NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, false, NULL}};

static void fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct ctx *c, const char *fmt, ...)
{
    if (c->error[0])
        return; /* the first mistake is the one worth reading */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->error, sizeof(c->error), fmt, ap);
    va_end(ap);
}

/* Ids go into the request path, so only the characters the server's ids use are let through. */
static void check_id(struct ctx *c, const char *what, const char *v)
{
    size_t n = strlen(v);
    static const char idchars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                  "-_.";
    if (n == 0 || n > ID_MAX || strspn(v, idchars) != n || v[0] == '.')
        fail(c, "'%s' is not a valid %s (ids look like m-1a2b3c4d or p-5e6f7a8b)", v, what);
}

/* ---- what each command does with the answer ---- */

static const char *opt_value(const struct ctx *c, const char *name)
{
    for (size_t i = 0; c->cmd->opts[i].name; i++) {
        if (strcmp(c->cmd->opts[i].name, name) == 0)
            return c->value[i];
    }
    return NULL;
}

/* The join command to run next, with the flags this invocation needed to reach the server. */
static void print_join_hint(const struct ctx *c, const json_t *m)
{
    const char *pin = opt_value(c, "--pin");
    fputs("\nJoin it (pick your own name, and a free even UDP port for your receiver):\n  mcuctl",
          stdout);
    for (size_t g = 0; g < G_COUNT; g++) {
        if (g == G_JSON || !c->global[g])
            continue;
        printf(" %s ", global_opts[g].name);
        fmt_shell_word(stdout, g == G_TOKEN ? "TOKEN" : c->global[g]);
    }
    fputs(" join ", stdout);
    fmt_put_clean(stdout, fmt_get_str(m, "id", "?"));
    fputs(" --name alice", stdout);
    if (json_is_true(json_object_get(m, "has_pin"))) {
        fputs(" --pin ", stdout);
        fmt_shell_word(stdout, pin ? pin : "PIN");
    }
    puts(" --recv 127.0.0.1:5004 --sdp alice.sdp");
}

static int done_schedule(const struct ctx *c, const json_t *m)
{
    if (c->json)
        return 0;
    fmt_meeting(stdout, m);
    const char *state = fmt_get_str(m, "state", "");
    if (strcmp(state, "open") == 0 || strcmp(state, "scheduled") == 0)
        print_join_hint(c, m);
    else /* e.g. a --start and --duration wholly in the past */
        puts("\nNobody can join it: it is not open or scheduled (check --start and --duration).");
    return 0;
}

static int done_show(const struct ctx *c, const json_t *m)
{
    if (!c->json)
        fmt_meeting(stdout, m);
    return 0;
}

static int done_list(const struct ctx *c, const json_t *reply)
{
    if (!c->json)
        fmt_meeting_list(stdout, reply, opt_value(c, "--state"));
    return 0;
}

static int done_cancel(const struct ctx *c, const json_t *m)
{
    if (!c->json) {
        printf("Cancelled %s (state: ", c->arg[0]);
        fmt_put_clean(stdout, fmt_get_str(m, "state", "?"));
        puts(").");
    }
    return 0;
}

static int done_leave(const struct ctx *c, const json_t *reply)
{
    if (!c->json)
        printf("%s left %s.\n", c->arg[1], c->arg[0]);
    return 0;
}

static int done_kick(const struct ctx *c, const json_t *reply)
{
    if (!c->json)
        printf("Removed %s from %s.\n", c->arg[1], c->arg[0]);
    return 0;
}

/* mute and unmute: what the server says the participant is now. */
static int done_mute(const struct ctx *c, const json_t *reply)
{
    const json_t *muted = json_object_get(reply, "muted");
    bool on = json_is_boolean(muted) ? json_is_true(muted) : strcmp(c->cmd->name, "mute") == 0;
    if (!c->json)
        printf("%s is %s in %s.\n", c->arg[1], on ? "muted" : "no longer muted", c->arg[0]);
    return 0;
}

static int done_participants(const struct ctx *c, const json_t *reply)
{
    if (!c->json)
        fmt_participants(stdout, reply, c->arg[0]);
    return 0;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    struct stat st;
    /* The umask may have narrowed 0644, and the receiver may run as another user. A fifo or
     * /dev/stdout is left as it is. */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        (void)fchmod(fd, 0644);
    size_t len = strlen(text), off = 0;
    int rc = 0;
    while (off < len && rc == 0) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno != EINTR)
            rc = -errno;
        off += n > 0 ? (size_t)n : 0;
    }
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

static int done_join(const struct ctx *c, const json_t *reply)
{
    const char *sdp_path = opt_value(c, "--sdp");
    const char *sdp = fmt_get_str(reply, "sdp", NULL);
    int rc = 0;
    if (sdp_path && !sdp)
        rc = -ENODATA;
    else if (sdp_path)
        rc = write_file(sdp_path, sdp);
    if (rc < 0) {
        /* The participant exists now; say how to undo it rather than leave it dangling. */
        fprintf(stderr, "mcuctl: joined, but could not write the SDP to %s: %s\n", sdp_path,
                rc == -ENODATA ? "the server sent no \"sdp\"" : strerror(-rc));
        fprintf(stderr, "mcuctl: leave with: mcuctl leave %s ", c->arg[0]);
        fmt_put_clean(stderr, fmt_get_str(reply, "participant", "PARTICIPANT"));
        fputc('\n', stderr);
        return EXIT_SERVER;
    }
    if (!c->json)
        fmt_join(stdout, reply,
                 &(struct join_asked){.sdp_path = sdp_path,
                                      .audio = opt_value(c, "--audio"),
                                      .has_recv = opt_value(c, "--recv") != NULL});
    return 0;
}

/* The positional arguments of the commands that act on a meeting, or on one participant. */
#define ARGS_MEETING     .arg_names = {"ID"}, .min_args = 1, .max_args = 1
#define ARGS_PARTICIPANT .arg_names = {"ID", "PARTICIPANT"}, .min_args = 2, .max_args = 2

static const struct cli_command commands[] = {
    {
        .name = "schedule",
        .summary = "schedule a meeting; prints its id and the command to join it",
        .method = "POST",
        .path = "/api/v1/meetings",
        .opts = schedule_opts,
        .about = "Schedules a meeting (POST /api/v1/meetings); unset options take the server's\n"
                 "defaults. Prints the meeting and the mcuctl join command to run next; with\n"
                 "--json, the meeting object, whose \"id\" the other commands take.",
        .examples =
            "  mcuctl schedule --title \"Standup\"\n"
            "  mcuctl schedule --title Review --start 2025-06-01T14:30:00Z --duration 45 "
            "--pin 4321\n"
            "  mcuctl schedule --title \"Town hall\" --max 200 --mode mix --video composite "
            "--layout speaker\n"
            "  mcuctl schedule --title Standup --start +15m --repeat daily --until 2026-12-31\n"
            "  mcuctl schedule --title \"Load test\" --plain-rtp   # joins may use --srtp-suite "
            "none\n"
            "  id=$(mcuctl --json schedule --title Test | jq -r .id)\n",
        .done = done_schedule,
    },
    {
        .name = "list",
        .summary = "list meetings with their state and number of participants",
        .method = "GET",
        .path = "/api/v1/meetings",
        .opts = list_opts,
        .about =
            "Lists the meetings the server knows (GET /api/v1/meetings), or with --state only\n"
            "those in that state (GET /api/v1/meetings?state=STATE). Start times are local\n"
            "(TZ); --json prints the server's UTC times.",
        .examples = "  mcuctl list\n"
                    "  mcuctl list --state scheduled\n"
                    "  TZ=America/New_York mcuctl list --state open\n"
                    "  mcuctl --json list --state open | jq -r '.meetings[].id'\n",
        .done = done_list,
    },
    {
        .name = "show",
        .summary = "show one meeting",
        ARGS_MEETING,
        .method = "GET",
        .path = "/api/v1/meetings/{}",
        .opts = no_opts,
        .about = "Shows meeting ID (GET /api/v1/meetings/ID), its times in the local time zone\n"
                 "(TZ) and in UTC.",
        .examples = "  mcuctl show m-1a2b3c4d\n  mcuctl show m-1a2b3c4d --json\n",
        .done = done_show,
    },
    {
        .name = "reschedule",
        .summary = "change a meeting's time, length, title, PIN, limits or repetition",
        ARGS_MEETING,
        .method = "PATCH",
        .path = "/api/v1/meetings/{}",
        .opts = reschedule_opts,
        .about = "Changes meeting ID (PATCH /api/v1/meetings/ID): only the options given change,\n"
                 "and at least one is needed. Prints the meeting as mcuctl show does.",
        .examples = "  mcuctl reschedule m-1a2b3c4d --start +15m\n"
                    "  mcuctl reschedule m-1a2b3c4d --start 2026-11-24T11:00+01:00 --duration 90\n"
                    "  mcuctl reschedule m-1a2b3c4d --repeat weekly --until 2026-12-31\n"
                    "  mcuctl reschedule m-1a2b3c4d --repeat none\n",
        .done = done_show,
        .needs_option = true,
        .newer = true,
    },
    {
        .name = "cancel",
        .summary = "cancel a meeting",
        ARGS_MEETING,
        .method = "DELETE",
        .path = "/api/v1/meetings/{}",
        .opts = no_opts,
        .about = "Cancels meeting ID (DELETE /api/v1/meetings/ID); it stays listed as cancelled.",
        .examples = "  mcuctl cancel m-1a2b3c4d\n",
        .done = done_cancel,
    },
    {
        .name = "join",
        .summary = "add a participant; prints where to send, the SRTP key, ffmpeg commands",
        ARGS_MEETING,
        .method = "POST",
        .path = "/api/v1/meetings/{}/participants",
        .opts = join_opts,
        .about = "Adds participant NAME to meeting ID (POST /api/v1/meetings/ID/participants).\n"
                 "Prints where to send media (HOST:PORT), the SRTP suite and key to send with, "
                 "and\nready-to-paste FFmpeg sender and receiver commands. --recv names where "
                 "YOUR receiver\nlistens; FFmpeg binds that port and the next one. Without "
                 "--recv the server sends to\nthe source of your first authenticated packet. "
                 "--sdp FILE writes the SDP your\nreceiver reads. With --json, prints the "
                 "server's answer unchanged (\"audio\": host,\nport, payload_type, srtp_suite, "
                 "srtp_key; \"sdp\"; with --video also \"video\", its own port\nand key, and "
                 "\"video\".\"sdp\" for a video-only receiver). --srtp-suite none joins with "
                 "plain,\nunencrypted RTP (audio and video) in a meeting scheduled with "
                 "--plain-rtp: no key,\nand an RTP/AVP SDP.",
        .examples = "  mcuctl join m-1a2b3c4d --name alice --recv 127.0.0.1:5004 --sdp alice.sdp\n"
                    "  mcuctl join m-1a2b3c4d --name bob --pin 4321 --audio pcmu --recv "
                    "127.0.0.1:5006\n"
                    "  mcuctl --json join m-1a2b3c4d --name carol --sdp carol.sdp | jq -r "
                    ".audio.srtp_key\n"
                    "  mcuctl join m-1a2b3c4d --name dave --recv 127.0.0.1:5010 --video vp8 "
                    "--video-recv 127.0.0.1:5012 --sdp dave.sdp\n"
                    "  mcuctl join m-1a2b3c4d --name erin --srtp-suite none --recv 127.0.0.1:5014 "
                    "--sdp erin.sdp\n",
        .done = done_join,
    },
    {
        .name = "leave",
        .summary = "remove a participant from a meeting",
        ARGS_PARTICIPANT,
        .method = "DELETE",
        .path = "/api/v1/meetings/{}/participants/{}",
        .opts = no_opts,
        .about = "Removes PARTICIPANT from meeting ID\n"
                 "(DELETE /api/v1/meetings/ID/participants/PARTICIPANT).",
        .examples = "  mcuctl leave m-1a2b3c4d p-5e6f7a8b\n",
        .done = done_leave,
    },
    {
        .name = "kick",
        .summary = "remove a participant from a meeting (as the organiser)",
        ARGS_PARTICIPANT,
        .method = "DELETE",
        .path = "/api/v1/meetings/{}/participants/{}",
        .opts = no_opts,
        .about = "Removes PARTICIPANT from meeting ID, like leave\n"
                 "(DELETE /api/v1/meetings/ID/participants/PARTICIPANT).",
        .examples = "  mcuctl kick m-1a2b3c4d p-5e6f7a8b\n",
        .done = done_kick,
    },
    {
        .name = "mute",
        .summary = "mute a participant: the others stop hearing them",
        ARGS_PARTICIPANT,
        .method = "POST",
        .path = "/api/v1/meetings/{}/participants/{}/mute",
        .opts = no_opts,
        .about = "Mutes PARTICIPANT in meeting ID\n"
                 "(POST /api/v1/meetings/ID/participants/PARTICIPANT/mute); mcuctl participants\n"
                 "shows who is muted. Undo with mcuctl unmute.",
        .examples = "  mcuctl mute m-1a2b3c4d p-5e6f7a8b\n"
                    "  mcuctl --json mute m-1a2b3c4d p-5e6f7a8b | jq .muted\n",
        .done = done_mute,
        .newer = true,
    },
    {
        .name = "unmute",
        .summary = "let a muted participant be heard again",
        ARGS_PARTICIPANT,
        .method = "POST",
        .path = "/api/v1/meetings/{}/participants/{}/unmute",
        .opts = no_opts,
        .about = "Unmutes PARTICIPANT in meeting ID\n"
                 "(POST /api/v1/meetings/ID/participants/PARTICIPANT/unmute).",
        .examples = "  mcuctl unmute m-1a2b3c4d p-5e6f7a8b\n",
        .done = done_mute,
        .newer = true,
    },
    {
        .name = "participants",
        .summary = "list a meeting's participants with live media stats",
        ARGS_MEETING,
        .method = "GET",
        .path = "/api/v1/meetings/{}/participants",
        .opts = no_opts,
        .about = "Lists the participants of meeting ID with their media counters\n"
                 "(GET /api/v1/meetings/ID/participants): packets received, lost (with the share "
                 "of\nwhat was sent), interarrival jitter, packets sent to them, RTCP reports "
                 "sent.\n--json gives every counter.",
        .examples =
            "  mcuctl participants m-1a2b3c4d\n"
            "  watch -n1 mcuctl participants m-1a2b3c4d\n"
            "  mcuctl --json participants m-1a2b3c4d | jq '.participants[].stats.rx_lost'\n",
        .done = done_participants,
    },
    {
        .name = "help",
        .summary = "explain a command: mcuctl help COMMAND",
        .arg_names = {"COMMAND"},
        .max_args = 1,
        .opts = no_opts,
        .about = "Explains COMMAND, like mcuctl COMMAND --help; without one, lists the commands.",
        .examples = "  mcuctl help join\n",
    },
    {.name = NULL},
};

/* ---- parsing ---- */

static const struct cli_command *find_command(const char *name)
{
    for (const struct cli_command *cmd = commands; cmd->name; cmd++) {
        if (strcmp(cmd->name, name) == 0)
            return cmd;
    }
    return NULL;
}

static const struct cli_opt *find_opt(const struct cli_opt *tab, const char *name, size_t len)
{
    for (const struct cli_opt *o = tab; o->name; o++) {
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    }
    return NULL;
}

/* Stores the value of the option at argv[*i]: "--opt=VALUE" or "--opt VALUE". */
static void take_option(struct ctx *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    const struct cli_opt *o = find_opt(global_opts, a, len);
    const char **slot = o ? &c->global[o - global_opts] : NULL;
    if (!o && c->cmd && (o = find_opt(c->cmd->opts, a, len)) != NULL)
        slot = &c->value[o - c->cmd->opts];
    if (!o) {
        fail(c, "unknown option %.*s%s", (int)len, a,
             c->cmd ? "" : " (a command's options go after the command)");
        return;
    }
    if (o->type == OPT_FLAG) {
        if (eq)
            fail(c, "%s takes no value", o->name);
        *slot = "1";
        return;
    }
    /* "--title --pin 1" forgot the title; "--title=--x" is how to mean it. */
    if (!eq && (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0)) {
        fail(c, "%s needs a value: %s %s", o->name, o->name, o->metavar ? o->metavar : "VALUE");
        return;
    }
    *slot = eq ? eq + 1 : argv[++*i];
    char why[400];
    if (cli_check_value(o, *slot, why, sizeof(why)))
        fail(c, "%s", why);
}

static void take_positional(struct ctx *c, const char *a)
{
    if (!c->cmd) {
        c->cmd = find_command(a);
        if (!c->cmd)
            fail(c, "unknown command '%s'; mcuctl --help lists them", a);
    } else if (c->nargs < c->cmd->max_args) {
        c->arg[c->nargs++] = a;
    } else {
        fail(c, "unexpected argument '%s'", a);
    }
}

static void parse(struct ctx *c, int argc, char **argv)
{
    bool options = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options && strcmp(a, "--") == 0)
            options = false;
        else if (options && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0))
            c->help = true;
        else if (options && a[0] == '-' && a[1] != '\0')
            take_option(c, argc, argv, &i);
        else
            take_positional(c, a);
    }
}

static void check_complete(struct ctx *c)
{
    const struct cli_command *cmd = c->cmd;
    if (c->nargs < cmd->min_args)
        fail(c, "missing %s", cmd->arg_names[c->nargs]);
    for (size_t i = 0; cmd->method && i < c->nargs; i++)
        check_id(c, i == 0 ? "meeting id" : "participant id", c->arg[i]);
    char names[200] = "";
    bool any = false;
    for (size_t i = 0; cmd->opts[i].name; i++) {
        if (cmd->opts[i].required && !c->value[i])
            fail(c, "missing %s %s", cmd->opts[i].name, cmd->opts[i].metavar);
        any = any || c->value[i];
        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "",
                 cmd->opts[i].name);
    }
    if (cmd->needs_option && !any)
        fail(c, "nothing to change: give at least one of %s", names);
    const char *repeat = opt_value(c, "--repeat"), *until = opt_value(c, "--until");
    if (until && repeat && strcmp(repeat, "none") == 0)
        fail(c, "--until ends a repeating series: it does not go with --repeat none");
    else if (until && !repeat && strcmp(cmd->name, "schedule") == 0)
        fail(c, "--until needs --repeat daily or --repeat weekly");
}

/* ---- talking to the server ---- */

static int read_token_file(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    size_t len = fread(buf, 1, n - 1, f);
    bool too_long = len == n - 1 && fgetc(f) != EOF;
    int err = ferror(f) ? -EIO : 0;
    fclose(f);
    if (err || too_long)
        return err ? err : -EFBIG;
    buf[len] = '\0';
    while (len > 0 && isspace((unsigned char)buf[len - 1]))
        buf[--len] = '\0'; /* the file ends with a newline */
    return len ? 0 : -ENODATA;
}

static void set_token(struct ctx *c, const char *token, const char *from)
{
    c->token_from = from;
    if (snprintf(c->token, sizeof(c->token), "%s", token) >= (int)sizeof(c->token))
        fail(c, "the admin token from %s is longer than %d bytes", from, TOKEN_MAX - 1);
}

/* --token, then MCU_TOKEN, then DATA/admin.token where the server keeps it. */
static void find_token(struct ctx *c)
{
    static char path[4096 + 16];
    const char *env = getenv("MCU_TOKEN");
    const char *data = c->global[G_DATA] ? c->global[G_DATA] : getenv("MCU_DATA");
    if (c->global[G_TOKEN]) {
        set_token(c, c->global[G_TOKEN], "--token");
        return;
    }
    if (env && *env) {
        set_token(c, env, "MCU_TOKEN");
        return;
    }
    snprintf(path, sizeof(path), "%s/%s", data && *data ? data : DEFAULT_DATA, TOKEN_FILE);
    int rc = read_token_file(path, c->token, sizeof(c->token));
    c->token_from = path;
    if (rc == -ENOENT)
        fail(c,
             "no admin token: pass --token TOKEN, set MCU_TOKEN, or point --data (or MCU_DATA)"
             " at the server's data folder (%s does not exist)",
             path);
    else if (rc < 0)
        fail(c, "cannot read the admin token from %s: %s", path,
             rc == -ENODATA ? "the file is empty" : strerror(-rc));
}

/* The token goes into a header line: a space or a line break in it would corrupt the request. */
static void resolve_token(struct ctx *c)
{
    find_token(c);
    for (const char *s = c->token; !c->error[0] && *s; s++) {
        if (!isgraph((unsigned char)*s))
            fail(c, "the admin token from %s has a space or control character in it",
                 c->token_from);
    }
}

static void resolve_server(struct ctx *c)
{
    const char *env = getenv("MCU_SERVER");
    c->server = c->global[G_SERVER] ? c->global[G_SERVER] : env && *env ? env : DEFAULT_SERVER;
    if (!c->global[G_SERVER] && httpc_check_url(c->server) != 0)
        fail(c, "MCU_SERVER is not an http:// URL like " DEFAULT_SERVER ": '%s'", c->server);
}

/* The request path: each "{}" of the template takes the next positional argument. */
static void build_path(const struct ctx *c, char *buf, size_t n)
{
    size_t used = 0, next = 0;
    for (const char *t = c->cmd->path; *t && used + 1 < n; t++) {
        if (t[0] == '{' && t[1] == '}' && next < c->nargs) {
            used += (size_t)snprintf(buf + used, n - used, "%s", c->arg[next++]);
            t++;
        } else {
            buf[used++] = *t;
        }
    }
    buf[used < n ? used : n - 1] = '\0';
    if (strcmp(c->cmd->method, "GET") != 0)
        return;
    /* A GET's options that name a field go in the query string, percent-encoded. */
    char sep = '?';
    for (size_t i = 0; c->cmd->opts[i].name; i++) {
        if (!c->cmd->opts[i].json_key || !c->value[i])
            continue;
        used = strlen(buf);
        snprintf(buf + used, n - used, "%c%s=", sep, c->cmd->opts[i].json_key);
        sep = '&';
        for (const unsigned char *v = (const unsigned char *)c->value[i]; *v; v++) {
            used = strlen(buf);
            snprintf(buf + used, n - used, isalnum(*v) || strchr("-._~", *v) ? "%c" : "%%%02X", *v);
        }
    }
}

/* The last second of a day (YYYY-MM-DD) in the local time zone, as the server's UTC ISO-8601. */
static void day_end_utc(const char *day, char *buf, size_t n)
{
    struct tm tm = {.tm_year = atoi(day) - 1900,
                    .tm_mon = atoi(day + 5) - 1,
                    .tm_mday = atoi(day + 8),
                    .tm_hour = 23,
                    .tm_min = 59,
                    .tm_sec = 59,
                    .tm_isdst = -1};
    time_t t = mktime(&tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

/* The request body: every set option that names a JSON field, numbers as numbers. */
static char *build_body(const struct ctx *c)
{
    if (strcmp(c->cmd->method, "POST") != 0 && strcmp(c->cmd->method, "PATCH") != 0)
        return NULL;
    if (!c->cmd->opts[0].name)
        return NULL; /* mute, unmute: the path says it all */
    json_t *body = json_object();
    for (size_t i = 0; c->cmd->opts[i].name; i++) {
        const struct cli_opt *o = &c->cmd->opts[i];
        const char *text = c->value[i];
        char day_end[32];
        if (!o->json_key || !text)
            continue;
        if (o->type == OPT_UNTIL && strlen(text) == 10) { /* a bare day: all of it */
            day_end_utc(text, day_end, sizeof(day_end));
            text = day_end;
        }
        json_t *v = o->type == OPT_INT    ? json_integer(strtol(text, NULL, 10))
                    : o->type == OPT_FLAG ? json_true()
                                          : json_string(text);
        json_object_set_new(body, o->json_key, v);
    }
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    return text;
}

static void print_raw(const struct httpc_reply *r)
{
    fwrite(r->body, 1, r->len, stdout);
    if (r->len == 0 || r->body[r->len - 1] != '\n')
        fputc('\n', stdout);
}

/* A 4xx or 5xx: the server's own sentence, which API.md promises a person can act on. */
static int report_refusal(const struct ctx *c, const char *path, const struct httpc_reply *r,
                          const json_t *reply)
{
    if (c->json && reply)
        print_raw(r);
    fmt_refusal(stderr, &(struct refusal){.status = r->status,
                                          .error = fmt_get_str(reply, "error", NULL),
                                          .server = c->server,
                                          .method = c->cmd->method,
                                          .path = path,
                                          .command = c->cmd->name,
                                          .newer_route = c->cmd->newer,
                                          .token_from = c->token_from});
    return EXIT_SERVER;
}

static int call_server(const struct ctx *c)
{
    char path[320 + 3 * ID_MAX];
    char *body = build_body(c);
    struct httpc_reply r;
    build_path(c, path, sizeof(path));
    int rc = httpc_request(c->server, c->cmd->method, path, c->token, body, &r);
    free(body);
    if (rc < 0) {
        fmt_unreachable(stderr, c->server, rc);
        return EXIT_SERVER;
    }
    json_t *reply = json_loadb(r.body, r.len, 0, NULL);
    if (!json_is_object(reply)) {
        json_decref(reply);
        reply = NULL;
    }
    if (r.status < 200 || r.status > 299) {
        rc = report_refusal(c, path, &r, reply);
    } else if (!reply) {
        fprintf(stderr, "mcuctl: %s answered HTTP %d with no JSON object; is it the MCU?\n",
                c->server, r.status);
        rc = EXIT_SERVER;
    } else {
        if (c->json)
            print_raw(&r);
        rc = c->cmd->done(c, reply);
    }
    json_decref(reply);
    httpc_reply_free(&r);
    return rc;
}

static int run_help(const struct ctx *c)
{
    const struct cli_command *cmd = c->nargs ? find_command(c->arg[0]) : NULL;
    if (c->nargs && !cmd) {
        fprintf(stderr, "mcuctl: unknown command '%s'; mcuctl --help lists them\n", c->arg[0]);
        return EXIT_USAGE;
    }
    if (cmd)
        fmt_command_help(stdout, cmd);
    else
        fmt_main_help(stdout, commands, global_opts);
    return 0;
}

static int usage_error(const struct ctx *c)
{
    const char *name = c->cmd ? c->cmd->name : NULL;
    fprintf(stderr, "mcuctl%s%s: %s\n", name ? " " : "", name ? name : "", c->error);
    fprintf(stderr, "Try 'mcuctl %s%s--help'.\n", name ? name : "", name ? " " : "");
    return EXIT_USAGE;
}

static int dispatch(struct ctx *c, int argc, char **argv)
{
    parse(c, argc, argv);
    if (c->help) {
        if (c->cmd && c->cmd->method)
            fmt_command_help(stdout, c->cmd);
        else
            fmt_main_help(stdout, commands, global_opts);
        return 0;
    }
    if (!c->cmd && !c->error[0]) {
        fmt_main_help(stderr, commands, global_opts);
        return EXIT_USAGE;
    }
    if (!c->error[0])
        check_complete(c);
    if (!c->error[0] && !c->cmd->method)
        return run_help(c);
    if (!c->error[0])
        resolve_server(c);
    if (!c->error[0])
        resolve_token(c);
    if (c->error[0])
        return usage_error(c);
    c->json = c->global[G_JSON] != NULL;
    return call_server(c);
}

int main(int argc, char **argv)
{
    /* A server that closes mid-request must not kill us silently: EPIPE is reported instead. */
    signal(SIGPIPE, SIG_IGN);
    tzset(); /* human output shows times in the local time zone: TZ, else the system's */
    static struct ctx c;
    int rc = dispatch(&c, argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (errno != EPIPE) /* "mcuctl list | head -1" closing early is not an error to show */
            perror("mcuctl: writing the output");
        return rc ? rc : EXIT_SERVER;
    }
    return rc;
}
