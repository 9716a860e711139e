/* Human-readable output of mcuctl (see cli_fmt.h); scripts use --json instead. */
#include "cli_fmt.h"
#include "httpc.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define COLS_MAX 10
#define CELL_MAX 96

/* A table whose rows come from one JSON array, one row function filling the cells of an item. */
struct table {
    const char *head[COLS_MAX];
    bool right[COLS_MAX]; /* right-aligned: numbers */
    size_t ncols;
    void (*row)(const json_t *item, char cell[][CELL_MAX]);
};

const char *fmt_get_str(const json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : dflt;
}

static double get_num(const json_t *obj, const char *key)
{
    return json_number_value(json_object_get(obj, key)); /* 0 when missing: a blank stat */
}

/* Copies server text for the terminal: control characters (C0, DEL, C1) become '?' so a name
 * cannot carry escape sequences, and truncation never splits a UTF-8 character. */
static void clean(char *dst, size_t n, const char *src)
{
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)src;
    for (; *s && o + 1 < n; s++) {
        if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
            dst[o++] = '?';
            s++;
        } else {
            dst[o++] = (char)(*s < 0x20 || *s == 0x7f ? '?' : *s);
        }
    }
    if ((*s & 0xc0) == 0x80) { /* cut inside a character: drop the part that was copied */
        while (o > 0 && ((unsigned char)dst[o - 1] & 0xc0) == 0x80)
            o--;
        if (o > 0)
            o--;
    }
    dst[o] = '\0';
}

void fmt_put_clean(FILE *out, const char *s)
{
    char buf[512];
    clean(buf, sizeof(buf), s);
    fputs(buf, out);
}

/* Terminal columns of UTF-8 text, counting one per character (good enough for names). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

void fmt_shell_word(FILE *out, const char *s)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                               "_-.,/:=+@%";
    if (*s && strspn(s, safe) == strlen(s)) {
        fputs(s, out);
        return;
    }
    fputc('\'', out);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", out);
        else
            fputc(*s, out);
    }
    fputc('\'', out);
}

static void print_row(FILE *out, const struct table *t, const size_t *w, char cell[][CELL_MAX])
{
    for (size_t i = 0; i < t->ncols; i++) {
        size_t pad = w[i] - width(cell[i]);
        bool last = i + 1 == t->ncols;
        if (t->right[i])
            fprintf(out, "%*s", (int)pad, "");
        fputs(cell[i], out);
        if (!t->right[i] && !last)
            fprintf(out, "%*s", (int)pad, "");
        fputs(last ? "\n" : "  ", out);
    }
}

static void table_print(FILE *out, const struct table *t, const json_t *items)
{
    char cell[COLS_MAX][CELL_MAX];
    size_t w[COLS_MAX];
    size_t idx;
    const json_t *item;
    for (size_t i = 0; i < t->ncols; i++)
        w[i] = width(t->head[i]);
    json_array_foreach(items, idx, item)
    {
        t->row(item, cell);
        for (size_t i = 0; i < t->ncols; i++)
            w[i] = width(cell[i]) > w[i] ? width(cell[i]) : w[i];
    }
    for (size_t i = 0; i < t->ncols; i++)
        snprintf(cell[i], CELL_MAX, "%s", t->head[i]);
    print_row(out, t, w, cell);
    json_array_foreach(items, idx, item)
    {
        t->row(item, cell);
        print_row(out, t, w, cell);
    }
}

/* The server's "YYYY-MM-DDTHH:MM[:SS]Z" as Unix time; false for anything else. */
static bool parse_utc(const char *iso, time_t *t)
{
    struct tm tm = {0};
    int used = 0;
    if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                       &tm.tm_hour, &tm.tm_min, &used) != 5)
        return false;
    int more = 0;
    if (iso[used] == ':' && sscanf(iso + used, ":%2d%n", &tm.tm_sec, &more) == 1)
        used += more;
    if (strcmp(iso + used, "Z") != 0)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *t = timegm(&tm);
    return *t != (time_t)-1;
}

/* A time from the server in the local time zone ("2026-11-24 11:00 CET"), with utc_too followed
 * by the same moment in UTC ("(10:00 UTC)", dated when the day differs). Text the server sent
 * that is not such a time is shown as it came. */
static void local_time(char *buf, size_t n, const char *iso, bool utc_too)
{
    time_t t;
    struct tm loc, utc;
    if (!parse_utc(iso, &t) || !localtime_r(&t, &loc) || !gmtime_r(&t, &utc) ||
        strftime(buf, n, "%Y-%m-%d %H:%M %Z", &loc) == 0) {
        clean(buf, n, iso ? iso : "?");
        return;
    }
    size_t used = strlen(buf);
    bool same_day = loc.tm_year == utc.tm_year && loc.tm_yday == utc.tm_yday;
    if (utc_too)
        strftime(buf + used, n - used, same_day ? " (%H:%M UTC)" : " (%Y-%m-%d %H:%M UTC)", &utc);
}

void fmt_meeting(FILE *out, const json_t *m)
{
    char when[96];
    fputs("Meeting ", out);
    fmt_put_clean(out, fmt_get_str(m, "id", "?"));
    fputs(" \"", out);
    fmt_put_clean(out, fmt_get_str(m, "title", ""));
    fputs("\"\n  state         ", out);
    fmt_put_clean(out, fmt_get_str(m, "state", "?"));
    local_time(when, sizeof(when), fmt_get_str(m, "start", NULL), true);
    fprintf(out, "\n  starts        %s\n", when);
    local_time(when, sizeof(when), fmt_get_str(m, "end", NULL), true);
    fprintf(out, "  ends          %s, %.0f min\n", when, get_num(m, "duration"));
    const char *repeat = fmt_get_str(m, "repeat", NULL); /* an older server sends none */
    if (repeat && strcmp(repeat, "none") == 0) {
        fputs("  repeats       no\n", out);
    } else if (repeat) {
        fputs("  repeats       ", out);
        fmt_put_clean(out, repeat);
        local_time(when, sizeof(when), fmt_get_str(m, "until", NULL), true);
        fprintf(out, json_object_get(m, "until") ? ", until %s\n" : "\n", when);
    }
    fprintf(out, "  participants  %.0f of at most %.0f\n", get_num(m, "participants"),
            get_num(m, "max"));
    fprintf(out, "  PIN           %s\n",
            json_is_true(json_object_get(m, "has_pin")) ? "yes" : "no");
    fputs("  audio         ", out);
    fmt_put_clean(out, fmt_get_str(m, "mode", "?"));
    fputs("\n  video         ", out);
    const char *video = fmt_get_str(m, "video", "?");
    fmt_put_clean(out, video);
    if (strcmp(video, "composite") == 0) {
        fputs(", layout ", out);
        fmt_put_clean(out, fmt_get_str(m, "layout", "?"));
        fputs(", ", out);
        fmt_put_clean(out, fmt_get_str(m, "resolution", "?"));
        fprintf(out, " at %.0f kbit/s", get_num(m, "video_kbps"));
    }
    fputc('\n', out);
    const json_t *plain = json_object_get(m, "plain_rtp"); /* an older server sends none */
    if (plain)
        fputs(json_is_true(plain) ? "  plain RTP     allowed: joins with --srtp-suite none are "
                                    "unencrypted\n"
                                  : "  plain RTP     no (SRTP only)\n",
              out);
}

static void meeting_row(const json_t *m, char cell[][CELL_MAX])
{
    clean(cell[0], CELL_MAX, fmt_get_str(m, "id", "?"));
    clean(cell[1], CELL_MAX, fmt_get_str(m, "state", "?"));
    local_time(cell[2], CELL_MAX, fmt_get_str(m, "start", NULL), false);
    snprintf(cell[3], CELL_MAX, "%.0f", get_num(m, "duration"));
    snprintf(cell[4], CELL_MAX, "%.0f/%.0f", get_num(m, "participants"), get_num(m, "max"));
    snprintf(cell[5], CELL_MAX, "%s", json_is_true(json_object_get(m, "has_pin")) ? "yes" : "no");
    clean(cell[6], CELL_MAX, fmt_get_str(m, "title", ""));
}

void fmt_meeting_list(FILE *out, const json_t *reply, const char *state)
{
    static const struct table t = {
        .head = {"ID", "STATE", "START (LOCAL)", "MIN", "PEOPLE", "PIN", "TITLE"},
        .right = {false, false, false, true, true, false, false},
        .ncols = 7,
        .row = meeting_row,
    };
    json_t *list = json_array();
    size_t idx;
    json_t *m;
    json_array_foreach(json_object_get(reply, "meetings"), idx, m)
    {
        if (!state || strcmp(fmt_get_str(m, "state", ""), state) == 0)
            json_array_append(list, m);
    }
    if (json_array_size(list) == 0 && state)
        fprintf(out, "No %s meetings.\n", state);
    else if (json_array_size(list) == 0)
        fputs("No meetings. Schedule one with: mcuctl schedule --title \"Standup\"\n", out);
    else
        table_print(out, &t, list);
    json_decref(list);
}

static void participant_row(const json_t *p, char cell[][CELL_MAX])
{
    const json_t *st = json_object_get(p, "stats");
    double rx = get_num(st, "rx_packets"), lost = get_num(st, "rx_lost");
    /* Loss as a share of what the sender sent, which is what was received plus what was not. */
    double pct = rx + lost > 0 ? 100.0 * lost / (rx + lost) : 0.0;
    clean(cell[0], CELL_MAX, fmt_get_str(p, "id", "?"));
    clean(cell[1], CELL_MAX, fmt_get_str(p, "name", ""));
    snprintf(cell[2], CELL_MAX, "%.0f", rx);
    snprintf(cell[3], CELL_MAX, "%.0f (%.1f%%)", lost, pct);
    snprintf(cell[4], CELL_MAX, "%.1f ms", get_num(st, "rx_jitter_ms"));
    snprintf(cell[5], CELL_MAX, "%.0f", get_num(st, "tx_packets"));
    snprintf(cell[6], CELL_MAX, "%.0f", get_num(st, "tx_rtcp"));
    const json_t *audio = json_object_get(p, "audio");
    const char *codec = fmt_get_str(audio, "codec", "");
    int talking = json_is_true(json_object_get(audio, "talking"));
    int mixed = json_is_true(json_object_get(audio, "mixed"));
    clean(cell[7], CELL_MAX, codec);
    snprintf(cell[8], CELL_MAX, "%s", mixed ? "yes (mixed)" : talking ? "yes" : "");
    const json_t *muted = json_object_get(audio, "muted"); /* an older server sends none */
    snprintf(cell[9], CELL_MAX, "%s", !muted ? "" : json_is_true(muted) ? "yes" : "no");
}

/* Points at the likely cause when a participant's counters show trouble. */
static void participant_notes(FILE *out, const json_t *list)
{
    size_t idx;
    const json_t *p;
    json_array_foreach(list, idx, p)
    {
        const json_t *st = json_object_get(p, "stats");
        char id[80];
        clean(id, sizeof(id), fmt_get_str(p, "id", "?"));
        if (get_num(st, "rx_auth_fail") > 0)
            fprintf(out, "%s: %.0f packets failed SRTP authentication (sent with another key?)\n",
                    id, get_num(st, "rx_auth_fail"));
        if (get_num(st, "rx_malformed") > 0)
            fprintf(out, "%s: %.0f malformed packets dropped\n", id, get_num(st, "rx_malformed"));
        if (strcmp(fmt_get_str(json_object_get(p, "audio"), "srtp_suite", ""), "none") == 0)
            fprintf(out, "%s: plain RTP, unencrypted\n", id);
        if (get_num(st, "rx_packets") == 0)
            fprintf(out, "%s: nothing received yet; start its sender (mcuctl join printed it)\n",
                    id);
    }
}

void fmt_participants(FILE *out, const json_t *reply, const char *meeting_id)
{
    static const struct table t = {
        .head = {"ID", "NAME", "RX PKTS", "LOSS", "JITTER", "TX PKTS", "RTCP SENT", "CODEC",
                 "TALKING", "MUTED"},
        .right = {false, false, true, true, true, true, true, false, false, false},
        .ncols = 10,
        .row = participant_row,
    };
    const json_t *list = json_object_get(reply, "participants");
    if (json_array_size(list) == 0) {
        fprintf(out, "No participants in %s. Join with: mcuctl join %s --name alice\n", meeting_id,
                meeting_id);
        return;
    }
    table_print(out, &t, list);
    participant_notes(out, list);
}

/* FFmpeg encoder arguments for the audio codec: the answer's "codec" if it names one, else what
 * --audio asked for, else what the static payload types 0 and 8 mean. */
static const char *audio_encoder(const json_t *media, const char *asked)
{
    double pt = get_num(media, "payload_type");
    const char *codec = fmt_get_str(media, "codec", asked);
    if (!codec)
        codec = pt == 0 ? "pcmu" : pt == 8 ? "pcma" : "opus";
    if (strcasecmp(codec, "pcmu") == 0)
        return "-af asetnsamples=n=160 -c:a pcm_mulaw -ar 8000 -ac 1";
    if (strcasecmp(codec, "pcma") == 0)
        return "-af asetnsamples=n=160 -c:a pcm_alaw -ar 8000 -ac 1";
    return "-c:a libopus";
}

static const char *video_encoder(const json_t *media)
{
    if (strcmp(fmt_get_str(media, "codec", ""), "h264") == 0)
        return "-c:v libx264 -preset ultrafast -tune zerolatency -g 30";
    /* A negative cpu-used keeps libvpx real time; a short GOP lets late receivers start. */
    return "-c:v libvpx -deadline realtime -cpu-used -6 -g 30";
}

/* The FFmpeg sender: SRTP with suite and key, or plain RTP when key is NULL. */
static void print_ffmpeg_sender(FILE *out, const char *kind, const json_t *media, const char *asked,
                                const char *suite, const char *key)
{
    char host[80], srtp[256] = "";
    clean(host, sizeof(host), fmt_get_str(media, "host", "?"));
    int port = (int)get_num(media, "port");
    bool v6 = strchr(host, ':') != NULL, audio = strcmp(kind, "audio") == 0;
    if (key)
        snprintf(srtp, sizeof(srtp), "-srtp_out_suite %s -srtp_out_params %s ", suite, key);
    /* The payload type is set because FFmpeg's own default (96/97) need not be the server's;
     * rtcpport keeps the sender's RTCP on the media port instead of port+1. */
    fprintf(out,
            "  ffmpeg -re -f lavfi -i %s %s -f rtp -payload_type %.0f "
            "%s\"%s://%s%s%s:%d?rtcpport=%d\"\n",
            audio ? "sine=frequency=440" : "testsrc=size=640x360:rate=30",
            audio ? audio_encoder(media, asked) : video_encoder(media),
            get_num(media, "payload_type"), srtp, key ? "srtp" : "rtp", v6 ? "[" : "", host,
            v6 ? "]" : "", port, port);
}

static void print_sender(FILE *out, const char *kind, const json_t *media, const char *asked)
{
    char host[80], suite[64], key[128];
    clean(host, sizeof(host), fmt_get_str(media, "host", "?"));
    clean(suite, sizeof(suite), fmt_get_str(media, "srtp_suite", "?"));
    clean(key, sizeof(key), fmt_get_str(media, "srtp_key", "?"));
    bool plain = strcmp(suite, "none") == 0, v6 = strchr(host, ':') != NULL;
    fprintf(out, "Send %s to %s%s%s:%.0f, RTP payload type %.0f, ", kind, v6 ? "[" : "", host,
            v6 ? "]" : "", get_num(media, "port"), get_num(media, "payload_type"));
    if (plain) {
        fputs("plain RTP (unencrypted, no key)\n", out);
        print_ffmpeg_sender(out, kind, media, asked, NULL, NULL);
        return;
    }
    fprintf(out, "SRTP %s\n  key (SDES, base64): %s\n", suite, key);
    if (strncmp(suite, "AES_CM_128_", 11) != 0) {
        fputs("  FFmpeg can only send AES_CM_128 suites; send with GStreamer's srtpenc, or join "
              "again\n  with --srtp-suite AES_CM_128_HMAC_SHA1_80.\n",
              out);
        return;
    }
    print_ffmpeg_sender(out, kind, media, asked, suite, key);
}

static void print_receiver(FILE *out, const json_t *reply, const char *sdp_path, bool has_recv)
{
    const json_t *video = json_object_get(reply, "video");
    fputs("Receive what the server sends you (start this before sending):\n"
          "  ffmpeg -protocol_whitelist file,udp,rtp,srtp -i ",
          out);
    fmt_shell_word(out, sdp_path ? sdp_path : "recv.sdp");
    /* -map 0: every stream of the SDP, not just FFmpeg's pick of one audio and one video. */
    fputs(video ? " -map 0 out.mkv\n" : " out.wav\n", out);
    double streams = get_num(video, "streams");
    if (streams > 1)
        fprintf(out,
                "  Video comes as up to %.0f streams (the most recently active others), one per\n"
                "  port from your --video-recv port up in steps of 2, as the SDP lists them.\n",
                streams);
    if (!has_recv)
        fputs("  Without --recv the server answers to the source of your first packet, but\n"
              "  FFmpeg sends and receives on different sockets: join with --recv HOST:PORT to\n"
              "  receive with FFmpeg.\n",
              out);
    if (sdp_path)
        return;
    /* Printed raw, not indented, so it can be pasted into a file as it is. */
    fputs("  No --sdp FILE given: save the SDP between the lines as recv.sdp.\n-----\n", out);
    const char *sdp = fmt_get_str(reply, "sdp", "");
    for (const char *s = sdp; *s; s++) {
        if (*s != '\r')
            fputc(*s, out);
    }
    if (*sdp && sdp[strlen(sdp) - 1] != '\n')
        fputc('\n', out);
    fputs("-----\n", out);
}

void fmt_join(FILE *out, const json_t *reply, const struct join_asked *asked)
{
    char meeting[80], pid[80], name[160];
    clean(meeting, sizeof(meeting), fmt_get_str(reply, "meeting", "?"));
    clean(pid, sizeof(pid), fmt_get_str(reply, "participant", "?"));
    clean(name, sizeof(name), fmt_get_str(reply, "name", ""));
    fprintf(out, "Joined %s as %s (\"%s\").\n", meeting, pid, name);
    if (asked->sdp_path)
        fprintf(out, "Wrote the receiver's SDP to %s.\n", asked->sdp_path);
    fputc('\n', out);
    print_receiver(out, reply, asked->sdp_path, asked->has_recv);
    static const char *const kinds[] = {"audio", "video"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const json_t *media = json_object_get(reply, kinds[i]);
        if (json_is_object(media))
            print_sender(out, kinds[i], media, asked->audio);
    }
    fprintf(out, "\nLeave with: mcuctl leave %s %s\n", meeting, pid);
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

_Static_assert(HTTPC_TIMEOUT_S == 10, "the messages say 10 s");

void fmt_unreachable(FILE *out, const char *server, int rc)
{
    for (size_t i = 0; i < sizeof(unreachable) / sizeof(unreachable[0]); i++) {
        if (-rc == unreachable[i].err) {
            fprintf(out, "mcuctl: %s%s%s\n", unreachable[i].before, server, unreachable[i].after);
            return;
        }
    }
    fprintf(out, "mcuctl: cannot talk to the server at %s: %s\n", server, strerror(-rc));
}

void fmt_refusal(FILE *out, const struct refusal *r)
{
    const char *msg = r->error;
    /* A route this mcuctl knows but the server does not: 404 no such path, or 405 for a method
     * new on a known path. A 404 naming the meeting or participant is the server's own. */
    bool no_route = r->status == 405 || (r->status == 404 && (!msg || !strncmp(msg, "no such", 7)));
    if (r->newer_route && no_route) {
        fprintf(out,
                "mcuctl: the server at %s is older than this mcuctl: it has no %s %s (HTTP %d).\n"
                "mcuctl: update the server to use mcuctl %s.\n",
                r->server, r->method, r->path, r->status, r->command);
        return;
    }
    if (msg) {
        fputs("mcuctl: ", out);
        fmt_put_clean(out, msg);
        fprintf(out, " (HTTP %d)\n", r->status);
    } else
        fprintf(out, "mcuctl: the server answered HTTP %d without an error message\n", r->status);
    if (r->status == 401)
        fprintf(out, "mcuctl: the token came from %s\n", r->token_from);
    if (r->status == 400 && msg && !strncmp(msg, "unknown field", 13))
        fputs("mcuctl: the server may be older than this mcuctl; leave that option out or update "
              "the server\n",
              out);
}

/* ---- help, rendered from the option and command tables ---- */

void fmt_choices(const struct cli_opt *o, const char *sep, char *buf, size_t n)
{
    buf[0] = '\0';
    for (const char *const *ch = o->choices; *ch; ch++)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", ch == o->choices ? "" : sep, *ch);
}

static void opt_metavar(const struct cli_opt *o, char *buf, size_t n)
{
    if (o->type == OPT_FLAG)
        buf[0] = '\0';
    else if (o->metavar)
        snprintf(buf, n, " %s", o->metavar);
    else {
        buf[0] = ' ';
        fmt_choices(o, "|", buf + 1, n - 1);
    }
}

static void print_opt_lines(FILE *out, const struct cli_opt *tab)
{
    char mv[160], choices[160];
    for (const struct cli_opt *o = tab; o->name; o++) {
        opt_metavar(o, mv, sizeof(mv));
        int w = fprintf(out, "  %s%s", o->name, mv);
        if (w >= 27)
            w = fprintf(out, "\n") - 1; /* a long metavar gets the help on its own line */
        fprintf(out, "%*s%s", 28 - w, "", o->help);
        if (o->choices && o->metavar) {
            fmt_choices(o, ", ", choices, sizeof(choices));
            if (28 + strlen(o->help) + 2 + strlen(choices) > 99)
                fprintf(out, ":\n%28s%s", "", choices); /* keep the help within 100 columns */
            else
                fprintf(out, ": %s", choices);
        }
        fputs(o->required ? " (required)\n" : "\n", out);
    }
}

/* The usage line, wrapped before column 100 with continuation lines indented. */
static void print_usage(FILE *out, const struct cli_command *cmd)
{
    char mv[160], word[200];
    int col = fprintf(out, "Usage: mcuctl %s", cmd->name);
    for (size_t i = 0; i < cmd->max_args; i++) {
        bool optional = i >= cmd->min_args;
        snprintf(word, sizeof(word), optional ? " [%s]" : " %s", cmd->arg_names[i]);
        col += fprintf(out, "%s", word);
    }
    for (const struct cli_opt *o = cmd->opts; o->name; o++) {
        opt_metavar(o, mv, sizeof(mv));
        snprintf(word, sizeof(word), o->required ? " %s%s" : " [%s%s]", o->name, mv);
        if (col + (int)strlen(word) > 99)
            col = fprintf(out, "\n      ") - 1;
        col += fprintf(out, "%s", word);
    }
    fputs(col + 9 > 99 ? "\n       [--json]\n" : " [--json]\n", out);
}

void fmt_command_help(FILE *out, const struct cli_command *cmd)
{
    print_usage(out, cmd);
    fprintf(out, "\n%s\n", cmd->about);
    if (cmd->opts[0].name) {
        fputs("\nOptions:\n", out);
        print_opt_lines(out, cmd->opts);
    }
    fputs("\nGlobal options (before or after the command): --server URL, --token TOKEN, --data "
          "DIR,\n--json; see mcuctl --help.\n",
          out);
    fprintf(out, "\nExamples:\n%s", cmd->examples);
}

void fmt_main_help(FILE *out, const struct cli_command *commands, const struct cli_opt *globals)
{
    fputs("mcuctl: schedule meetings on the MCU conferencing server and join them.\n\n"
          "Usage: mcuctl [GLOBAL OPTIONS] COMMAND [ARGUMENTS] [OPTIONS]\n\nCommands:\n",
          out);
    for (const struct cli_command *cmd = commands; cmd->name; cmd++)
        fprintf(out, "  %-14s%s\n", cmd->name, cmd->summary);
    fputs("\nGlobal options (before or after the command):\n", out);
    print_opt_lines(out, globals);
    fputs("  -h, --help                help; mcuctl COMMAND --help explains one command\n"
          "\nExample session:\n"
          "  build/bin/mcu &                 # or: bash scripts/run.sh\n"
          "  # mcuctl reads the admin token the server wrote to ./var/admin.token\n"
          "  mcuctl schedule --title \"Standup\" --duration 30\n"
          "  mcuctl join m-1a2b3c4d --name alice --recv 127.0.0.1:5004 --sdp alice.sdp\n"
          "  # run the two ffmpeg commands join printed, then watch the packets flow:\n"
          "  mcuctl participants m-1a2b3c4d\n"
          "  mcuctl mute m-1a2b3c4d p-5e6f7a8b\n"
          "  mcuctl reschedule m-1a2b3c4d --start +15m --repeat weekly\n"
          "  mcuctl leave m-1a2b3c4d p-5e6f7a8b\n"
          "  mcuctl cancel m-1a2b3c4d\n"
          "  mcuctl --json list --state open | jq -r '.meetings[].id'\n"
          "\nTimes are shown in the local time zone (set TZ to choose another); --json keeps the\n"
          "server's UTC.\n"
          "\nExit status: 0 done, 1 the server refused or could not be reached, 2 bad arguments.\n",
          out);
}
