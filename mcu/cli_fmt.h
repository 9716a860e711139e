/* Human-readable output of mcuctl: help, meeting cards, tables, how to send and receive media. */
#ifndef MCU_CLI_FMT_H
#define MCU_CLI_FMT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#define CLI_MAX_ARGS 2

/* The tables mcuctl is driven by: cli.c fills them and parses with them, help renders them. */
enum cli_opt_type {
    OPT_FLAG,     /* no value */
    OPT_TEXT,     /* any non-empty string */
    OPT_INT,      /* whole number in [min, max] */
    OPT_CHOICE,   /* one of choices */
    OPT_HOSTPORT, /* HOST:PORT or [IPv6]:PORT */
    OPT_TIME,     /* "now", relative "+15m", or ISO-8601 */
    OPT_UNTIL,    /* ISO-8601; a bare date means the end of that day, UTC */
    OPT_URL,      /* http://HOST[:PORT][/PREFIX] */
    OPT_OUTFILE,  /* a file mcuctl writes; its folder must be writable */
    OPT_SIZE,     /* WIDTHxHEIGHT, even */
};

struct cli_opt {
    const char *name; /* "--title" */
    enum cli_opt_type type;
    const char *metavar;  /* shown in help; NULL for a choice lists the choices */
    const char *json_key; /* request body field; NULL when the option stays local */
    const char *const *choices;
    long min, max; /* OPT_INT range */
    bool required;
    const char *help;
};

struct ctx; /* cli.c's parsed command line */

struct cli_command {
    const char *name;
    const char *summary; /* one line in mcuctl --help */
    const char *arg_names[CLI_MAX_ARGS];
    size_t min_args, max_args;
    const char *method; /* NULL: runs locally */
    const char *path;   /* each "{}" takes the next positional argument */
    const struct cli_opt *opts;
    const char *about;
    const char *examples;
    int (*done)(const struct ctx *c, const json_t *reply);
    bool needs_option; /* nothing to do unless at least one option is given */
    bool newer;        /* a route older servers lack: their 404 or 405 is explained */
};

/* The choices of o joined by sep, e.g. "forward|mix". */
void fmt_choices(const struct cli_opt *o, const char *sep, char *buf, size_t n);

/* mcuctl COMMAND --help: usage, what it does, options, examples. */
void fmt_command_help(FILE *out, const struct cli_command *cmd);

/* mcuctl --help: every command in one line, the global options, an example session. */
void fmt_main_help(FILE *out, const struct cli_command *commands, const struct cli_opt *globals);

/* obj[key] as a string, or dflt when it is missing or not a string. */
const char *fmt_get_str(const json_t *obj, const char *key, const char *dflt);

/* Prints text from the server with control characters replaced, so it cannot drive the terminal. */
void fmt_put_clean(FILE *out, const char *s);

/* Prints s so a POSIX shell reads it back as one word (quoted only when it has to be). */
void fmt_shell_word(FILE *out, const char *s);

/* One meeting object as a labelled card; times in the local time zone (TZ) and in UTC. */
void fmt_meeting(FILE *out, const json_t *meeting);

/* {"meetings": [...]} as a table, or a hint to schedule one when it is empty. Only meetings in
 * state are shown when it is not NULL (an older server ignores ?state=). */
void fmt_meeting_list(FILE *out, const json_t *reply, const char *state);

/* {"participants": [...]} of meeting_id as a table with their media stats. */
void fmt_participants(FILE *out, const json_t *reply, const char *meeting_id);

/* Why the server at server could not be reached (rc: httpc_request's negative errno). */
void fmt_unreachable(FILE *out, const char *server, int rc);

/* A refusal: an HTTP 4xx or 5xx answer, and what was asked. */
struct refusal {
    int status;
    const char *error; /* the answer's "error" sentence, or NULL */
    const char *server, *method, *path, *command;
    bool newer_route;       /* a route older servers lack: their 404 or 405 is explained */
    const char *token_from; /* where the token came from, for a 401 */
};

/* The server's own sentence, or why an older server does not know the route. */
void fmt_refusal(FILE *out, const struct refusal *r);

/* What the join command line asked for, which the server's answer does not repeat. */
struct join_asked {
    const char *sdp_path; /* where the SDP was written; NULL: print it */
    const char *audio;    /* --audio, NULL when not given */
    bool has_recv;        /* --recv was given */
};

/* The join answer: where to send, with which key, and ready-to-paste FFmpeg commands. */
void fmt_join(FILE *out, const json_t *reply, const struct join_asked *asked);

/* 0 when v is a good value for option o, else -EINVAL and a sentence for the user in why
 * (cli_value.c). */
int cli_check_value(const struct cli_opt *o, const char *v, char *why, size_t cap);

#endif
