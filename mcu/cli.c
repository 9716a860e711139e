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
#include <unistd.h>

#include <jansson.h>

#define DEFAULT_SERVER "http://127.0.0.1:8080"
#define DEFAULT_DATA   "./var"
#define TOKEN_FILE     "admin.token"
#define TOKEN_MAX      1024
#define MAX_OPTS       12
#define ID_MAX         64
#define EXIT_SERVER    1 /* the server said no, or could not be reached */
#define EXIT_USAGE     2 /* the command line is wrong; nothing was sent */

_Static_assert(HTTPC_TIMEOUT_S == 10, "the messages say 10 s");

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
static const char *const suites[] = {"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
                                     "AEAD_AES_128_GCM", NULL};

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
    {"--start", OPT_TIME, "ISO-8601|now", "start", NULL, 0, 0, false,
     "start, e.g. 2025-06-01T14:30:00Z (default now)"},
    {"--duration", OPT_INT, "MIN", "duration", NULL, 1, 525600, false, "length in minutes"},
    {"--pin", OPT_TEXT, "PIN", "pin", NULL, 0, 0, false, "PIN participants must give to join"},
    {"--max", OPT_INT, "N", "max", NULL, 1, 100000, false, "most participants at once"},
    {"--talkers", OPT_INT, "N", "talkers", NULL, 1, 16, false,
     "mix: how many of the loudest talkers are mixed (3)"},
    {"--preprocess", OPT_FLAG, NULL, "preprocess", NULL, 0, 0, false,
     "denoise and level every participant's audio (SpeexDSP)"},
    {"--mode", OPT_CHOICE, NULL, "mode", modes, 0, 0, false,
     "audio: forward the streams or mix them"},
    {"--video", OPT_CHOICE, NULL, "video", videos, 0, 0, false, "video handling"},
    {"--layout", OPT_CHOICE, NULL, "layout", layouts, 0, 0, false, "composite video layout"},
    {NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, false, NULL},
};

static const struct cli_opt join_opts[] = {
    {"--name", OPT_TEXT, "NAME", "name", NULL, 0, 0, true, "participant's display name"},
    {"--pin", OPT_TEXT, "PIN", "pin", NULL, 0, 0, false, "the meeting's PIN, if it has one"},
    {"--recv", OPT_HOSTPORT, "HOST:PORT", "recv", NULL, 0, 0, false,
     "where the server sends your media (your receiver)"},
    {"--audio", OPT_CHOICE, NULL, "audio", audios, 0, 0, false, "audio codec you send and receive"},
    {"--srtp-suite", OPT_CHOICE, "SUITE", "srtp_suite", suites, 0, 0, false,
     "SRTP suite of your keys"},
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

/* ---- values ---- */

/* Whole decimal numbers only: "1e3", " 5", "+5" and "0x10" are typos, not numbers. */
static bool parse_long(const char *s, long min, long max, long *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 9 || strspn(s, "0123456789") != n)
        return false;
    *out = strtol(s, NULL, 10);
    return *out >= min && *out <= max;
}

/* HOST:PORT or [IPv6]:PORT; whether HOST is reachable is the server's business. */
static bool hostport_ok(const char *v)
{
    const char *colon = strrchr(v, ':');
    long port;
    if (!colon || colon == v || !parse_long(colon + 1, 1, 65535, &port))
        return false;
    size_t hlen = (size_t)(colon - v);
    if (v[0] == '[')
        return hlen > 2 && v[hlen - 1] == ']';
    for (size_t i = 0; i < hlen; i++) {
        if (v[i] == ':' || v[i] == '/' || !isgraph((unsigned char)v[i]))
            return false; /* a bare IPv6 address needs brackets to tell the port apart */
    }
    return true;
}

/* "now" or at least YYYY-MM-DDTHH:MM; seconds and zone are checked by the server. */
static bool time_ok(const char *v)
{
    static const char shape[] = "dddd-dd-ddTdd:dd";
    if (strcmp(v, "now") == 0)
        return true;
    for (size_t i = 0; shape[i]; i++) {
        char ch = v[i];
        bool ok = shape[i] == 'd'   ? isdigit((unsigned char)ch) != 0
                  : shape[i] == 'T' ? ch == 'T' || ch == 't' || ch == ' '
                                    : ch == shape[i];
        if (!ok)
            return false;
    }
    return true;
}

static bool choice_ok(const struct cli_opt *o, const char *v)
{
    for (const char *const *ch = o->choices; *ch; ch++) {
        if (strcmp(*ch, v) == 0)
            return true;
    }
    return false;
}

/* Checked before the request: a file that cannot be written after joining leaves a participant
 * behind with nobody to use it. */
static bool outfile_dir_ok(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n >= sizeof(dir))
        return false;
    snprintf(dir, sizeof(dir), "%.*s", (int)n, path);
    return access(slash ? (n ? dir : "/") : ".", W_OK | X_OK) == 0;
}

static void check_value(struct ctx *c, const struct cli_opt *o, const char *v)
{
    char list[160];
    long n;
    if (*v == '\0') {
        fail(c, "%s needs a value that is not empty", o->name);
    } else if (o->type == OPT_INT && !parse_long(v, o->min, o->max, &n)) {
        fail(c, "%s takes a whole number from %ld to %ld, not '%s'", o->name, o->min, o->max, v);
    } else if (o->type == OPT_CHOICE && !choice_ok(o, v)) {
        fmt_choices(o, ", ", list, sizeof(list));
        fail(c, "%s takes one of %s, not '%s'", o->name, list, v);
    } else if (o->type == OPT_HOSTPORT && !hostport_ok(v)) {
        fail(c, "%s takes HOST:PORT (like 127.0.0.1:5004 or [::1]:5004), not '%s'", o->name, v);
    } else if (o->type == OPT_TIME && !time_ok(v)) {
        fail(c, "%s takes 'now' or an ISO-8601 time like 2025-06-01T14:30:00Z, not '%s'", o->name,
             v);
    } else if (o->type == OPT_OUTFILE && !outfile_dir_ok(v)) {
        fail(c, "%s %s: cannot create a file in that folder (%s)", o->name, v, strerror(errno));
    } else if (o->type == OPT_URL && httpc_check_url(v) == -EPROTONOSUPPORT) {
        fail(c, "%s: only http:// URLs are supported, not '%s'", o->name, v);
    } else if (o->type == OPT_URL && httpc_check_url(v) != 0) {
        fail(c, "%s takes a URL like http://127.0.0.1:8080, not '%s'", o->name, v);
    }
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
        fmt_meeting_list(stdout, reply);
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
            "  id=$(mcuctl --json schedule --title Test | jq -r .id)\n",
        .done = done_schedule,
    },
    {
        .name = "list",
        .summary = "list meetings with their state and number of participants",
        .method = "GET",
        .path = "/api/v1/meetings",
        .opts = no_opts,
        .about = "Lists every meeting the server knows (GET /api/v1/meetings).",
        .examples =
            "  mcuctl list\n"
            "  mcuctl --json list | jq -r '.meetings[] | select(.state == \"open\") | .id'\n",
        .done = done_list,
    },
    {
        .name = "show",
        .summary = "show one meeting",
        .arg_names = {"ID"},
        .min_args = 1,
        .max_args = 1,
        .method = "GET",
        .path = "/api/v1/meetings/{}",
        .opts = no_opts,
        .about = "Shows meeting ID (GET /api/v1/meetings/ID).",
        .examples = "  mcuctl show m-1a2b3c4d\n  mcuctl show m-1a2b3c4d --json\n",
        .done = done_show,
    },
    {
        .name = "cancel",
        .summary = "cancel a meeting",
        .arg_names = {"ID"},
        .min_args = 1,
        .max_args = 1,
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
        .arg_names = {"ID"},
        .min_args = 1,
        .max_args = 1,
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
                 "srtp_key; \"sdp\").",
        .examples = "  mcuctl join m-1a2b3c4d --name alice --recv 127.0.0.1:5004 --sdp alice.sdp\n"
                    "  mcuctl join m-1a2b3c4d --name bob --pin 4321 --audio pcmu --recv "
                    "127.0.0.1:5006\n"
                    "  mcuctl --json join m-1a2b3c4d --name carol --sdp carol.sdp | jq -r "
                    ".audio.srtp_key\n",
        .done = done_join,
    },
    {
        .name = "leave",
        .summary = "remove a participant from a meeting",
        .arg_names = {"ID", "PARTICIPANT"},
        .min_args = 2,
        .max_args = 2,
        .method = "DELETE",
        .path = "/api/v1/meetings/{}/participants/{}",
        .opts = no_opts,
        .about = "Removes PARTICIPANT from meeting ID\n"
                 "(DELETE /api/v1/meetings/ID/participants/PARTICIPANT).",
        .examples = "  mcuctl leave m-1a2b3c4d p-5e6f7a8b\n",
        .done = done_leave,
    },
    {
        .name = "participants",
        .summary = "list a meeting's participants with live media stats",
        .arg_names = {"ID"},
        .min_args = 1,
        .max_args = 1,
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
    check_value(c, o, *slot);
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
    for (size_t i = 0; cmd->opts[i].name; i++) {
        if (cmd->opts[i].required && !c->value[i])
            fail(c, "missing %s %s", cmd->opts[i].name, cmd->opts[i].metavar);
    }
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
}

/* The request body: every set option that names a JSON field, numbers as numbers. */
static char *build_body(const struct ctx *c)
{
    if (strcmp(c->cmd->method, "POST") != 0)
        return NULL;
    json_t *body = json_object();
    for (size_t i = 0; c->cmd->opts[i].name; i++) {
        const struct cli_opt *o = &c->cmd->opts[i];
        if (!o->json_key || !c->value[i])
            continue;
        json_t *v = o->type == OPT_INT    ? json_integer(strtol(c->value[i], NULL, 10))
                    : o->type == OPT_FLAG ? json_true()
                                          : json_string(c->value[i]);
        json_object_set_new(body, o->json_key, v);
    }
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    return text;
}

/* What each transport failure means to the person at the terminal: text, server URL, text. */
static const struct {
    int err;
    const char *before, *after;
} unreachable[] = {
    {ECONNREFUSED, "the server is not running at ",
     "; start it with `bash scripts/run.sh` or `build/bin/mcu`\n"
     "(or point --server or MCU_SERVER at the server you mean)"},
    {ETIMEDOUT, "the server at ", " did not answer within 10 s"},
    {ENXIO, "cannot resolve the host name in ", "; check --server or MCU_SERVER"},
    {EBADMSG, "", " did not answer like the MCU's HTTP API; check the port"},
    {EMSGSIZE, "", " did not answer like the MCU's HTTP API; check the port"},
    {ECONNRESET, "the server at ", " closed the connection without answering; see its log"},
};

static void report_unreachable(const struct ctx *c, int rc)
{
    for (size_t i = 0; i < sizeof(unreachable) / sizeof(unreachable[0]); i++) {
        if (-rc == unreachable[i].err) {
            fprintf(stderr, "mcuctl: %s%s%s\n", unreachable[i].before, c->server,
                    unreachable[i].after);
            return;
        }
    }
    fprintf(stderr, "mcuctl: cannot talk to the server at %s: %s\n", c->server, strerror(-rc));
}

static void print_raw(const struct httpc_reply *r)
{
    fwrite(r->body, 1, r->len, stdout);
    if (r->len == 0 || r->body[r->len - 1] != '\n')
        fputc('\n', stdout);
}

/* A 4xx or 5xx: the server's own sentence, which API.md promises a person can act on. */
static int report_refusal(const struct ctx *c, const struct httpc_reply *r, const json_t *reply)
{
    const char *msg = fmt_get_str(reply, "error", NULL);
    if (c->json && reply)
        print_raw(r);
    if (msg) {
        fputs("mcuctl: ", stderr);
        fmt_put_clean(stderr, msg);
        fprintf(stderr, " (HTTP %d)\n", r->status);
    } else
        fprintf(stderr, "mcuctl: the server answered HTTP %d without an error message\n",
                r->status);
    if (r->status == 401)
        fprintf(stderr, "mcuctl: the token came from %s\n", c->token_from);
    return EXIT_SERVER;
}

static int call_server(const struct ctx *c)
{
    char path[64 + 3 * ID_MAX];
    char *body = build_body(c);
    struct httpc_reply r;
    build_path(c, path, sizeof(path));
    int rc = httpc_request(c->server, c->cmd->method, path, c->token, body, &r);
    free(body);
    if (rc < 0) {
        report_unreachable(c, rc);
        return EXIT_SERVER;
    }
    json_t *reply = json_loadb(r.body, r.len, 0, NULL);
    if (!json_is_object(reply)) {
        json_decref(reply);
        reply = NULL;
    }
    if (r.status < 200 || r.status > 299) {
        rc = report_refusal(c, &r, reply);
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
    static struct ctx c;
    int rc = dispatch(&c, argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (errno != EPIPE) /* "mcuctl list | head -1" closing early is not an error to show */
            perror("mcuctl: writing the output");
        return rc ? rc : EXIT_SERVER;
    }
    return rc;
}
