/* mcu: the conferencing server. Parses options, opens the store, starts the media workers and
 * the HTTP API on the control thread, and shuts everything down in order on SIGTERM/SIGINT. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "confmgr.h"
#include "config.h"
#include "cpu.h"
#include "events.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "rtpsec.h"
#include "store.h"

static const char usage[] =
    "Usage: mcu [options]\n"
    "\n"
    "The conferencing server. With no options it keeps its data in ./var, serves the API on\n"
    "http://127.0.0.1:8080 and media on 127.0.0.1 ports 40000-49999: ready for a call on this\n"
    "machine.\n"
    "\n"
    "Options (each overrides the config file, which overrides the defaults):\n"
    "  --config FILE      read settings from FILE: lines of \"key = value\" with the keys\n"
    "                     data, listen, media-ip, ports, workers, cpu-mask, log-level\n"
    "  --data DIR         data folder: meeting store and admin token (default ./var)\n"
    "  --listen HOST:PORT HTTP API address (default 127.0.0.1:8080)\n"
    "  --media-ip IP      address media sockets bind to and joins advertise (default 127.0.0.1)\n"
    "  --ports LO-HI      UDP port range for media, two ports per participant (40000-49999)\n"
    "  --workers N        media worker threads (default: one per core)\n"
    "  --cpu-mask MASK    SIMD levels allowed: c, sse2, avx2, all (default all)\n"
    "  --log-level LEVEL  error, warn, info (default) or debug\n"
    "  -h, --help         this text\n"
    "\n"
    "The admin token comes from MCU_ADMIN_TOKEN, or is made at first start in DIR/admin.token\n"
    "(mode 0600), where mcuctl finds it. Stop the server with Ctrl-C or SIGTERM.\n"
    "\n"
    "Example:\n"
    "  mcu --data /srv/mcu --listen 0.0.0.0:8080 --media-ip 192.0.2.10 --ports 40000-40999\n";

static int parse_args(int argc, char **argv, struct mcu_config *cfg)
{
    static const char *const keys[] = {"data",    "listen",   "media-ip",  "ports",
                                       "workers", "cpu-mask", "log-level", NULL};
    char err[300];
    /* The config file comes first whatever its position, so flags override it. */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "mcu: --config needs a FILE\n");
                return 2;
            }
            if (config_load(cfg, argv[i + 1], err, sizeof(err))) {
                fprintf(stderr, "mcu: %s\n", err);
                return 2;
            }
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 1;
        }
        if (!strcmp(a, "--config")) {
            i++;
            continue;
        }
        int known = 0;
        for (const char *const *k = keys; *k && !known; k++) {
            if (strncmp(a, "--", 2) || strcmp(a + 2, *k))
                continue;
            known = 1;
            if (i + 1 >= argc) {
                fprintf(stderr, "mcu: %s needs a value (see mcu --help)\n", a);
                return 2;
            }
            if (config_set(cfg, *k, argv[++i], err, sizeof(err))) {
                fprintf(stderr, "mcu: %s\n", err);
                return 2;
            }
        }
        if (!known) {
            fprintf(stderr, "mcu: unknown option \"%s\" (see mcu --help)\n", a);
            return 2;
        }
    }
    return 0;
}

static int write_token_file(const char *path, char *token, size_t cap)
{
    uint8_t r[24];
    if (getrandom(r, sizeof(r), 0) != sizeof(r))
        return -EIO;
    for (size_t i = 0; i < sizeof(r) && 2 * i + 2 < cap; i++)
        snprintf(token + 2 * i, 3, "%02x", r[i]);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    size_t len = strlen(token);
    int ok = write(fd, token, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && !fsync(fd);
    close(fd);
    return ok ? 0 : -EIO;
}

/* The admin token: the environment's, else the data folder's, else a new one stored there. */
static int load_token(const char *dir, char *token, size_t cap, int *created)
{
    const char *env = getenv("MCU_ADMIN_TOKEN");
    *created = 0;
    if (env && *env) {
        snprintf(token, cap, "%s", env);
        return 0;
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/admin.token", dir);
    FILE *f = fopen(path, "r");
    if (f) {
        int ok = fgets(token, (int)cap, f) != NULL;
        fclose(f);
        token[strcspn(token, "\r\n")] = '\0';
        return ok && token[0] ? 0 : -EBADMSG;
    }
    if (errno != ENOENT)
        return -errno;
    *created = 1;
    return write_token_file(path, token, cap);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    log_info("signal %d: shutting down", (int)sig);
    loop_stop(arg);
}

struct server {
    struct mcu_config cfg;
    struct loop *control;
    struct store *store;
    struct confmgr *cm;
    struct api api;
    struct http *http;
    struct event *sigterm, *sigint, *tick, *poll;
    struct events *events;
};

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
    confmgr_poll_events(arg);
}

/* confmgr's events, as JSON on the API's event stream. */
static void on_meeting_event(void *arg, const struct meeting *m, const struct participant *p,
                             const char *type, int value)
{
    json_t *data =
        json_pack("{s:s, s:s, s:s}", "meeting", m->id, "participant", p->id, "name", p->name);
    if (data && (!strcmp(type, "talking") || !strcmp(type, "speaker")))
        json_object_set_new(data, !strcmp(type, "talking") ? "talking" : "active",
                            json_boolean(value));
    events_publish(arg, m->id, type, data);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    confmgr_tick(arg);
}

static void print_ready(const struct server *s, int token_created)
{
    printf("mcu is ready.\n"
           "  API:    http://%s:%u/api/v1/  (health: /healthz)\n"
           "  media:  %s, UDP ports %u-%u, %u worker thread(s)\n"
           "  data:   %s%s\n"
           "\n"
           "Start a meeting and join it from another terminal:\n"
           "  build/bin/mcuctl --data %s schedule --title \"My meeting\" --start now\n"
           "  build/bin/mcuctl --data %s join MEETING_ID --name Ada --recv 127.0.0.1:5004 "
           "--sdp ada.sdp\n"
           "The join prints the address and SRTP key to send to, and ffmpeg commands to send\n"
           "and receive. Stop with Ctrl-C.\n",
           s->cfg.listen_host, s->cfg.listen_port, s->cfg.media_ip, s->cfg.port_lo, s->cfg.port_hi,
           s->cfg.workers, s->cfg.data_dir,
           token_created ? " (new admin token in admin.token)" : "", s->cfg.data_dir,
           s->cfg.data_dir);
    fflush(stdout);
}

static int setup_globals(struct server *s)
{
    unsigned mask;
    if (cpu_mask_parse(s->cfg.cpu_mask, &mask)) {
        fprintf(stderr, "mcu: cpu-mask must be c, sse2, ssse3, sse4.1, avx2, all or a number\n");
        return -EINVAL;
    }
    cpu_set_mask(mask);
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (!strcmp(s->cfg.log_level, levels[i]))
            log_set_level((enum log_level)i);
    }
    if (!s->cfg.workers) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        s->cfg.workers = n > 0 ? (unsigned)n : 1;
    }
    signal(SIGPIPE, SIG_IGN);
    int err = loop_global_init();
    if (!err && (err = rtpsec_global_init()))
        fprintf(stderr, "mcu: cannot initialise SRTP (libsrtp2/NSS): %s\n", strerror(-err));
    return err;
}

static int open_data(struct server *s, int *token_created, char *token, size_t cap)
{
    if (mkdir(s->cfg.data_dir, 0700) && errno != EEXIST) {
        fprintf(stderr, "mcu: cannot create the data folder %s: %s\n", s->cfg.data_dir,
                strerror(errno));
        return -errno;
    }
    int err = load_token(s->cfg.data_dir, token, cap, token_created);
    if (err) {
        fprintf(stderr, "mcu: cannot read or create %s/admin.token: %s\n", s->cfg.data_dir,
                strerror(-err));
        return err;
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/mcu.db", s->cfg.data_dir);
    err = store_open(&s->store, path);
    if (err)
        fprintf(stderr, "mcu: cannot open the meeting store %s: %s\n", path,
                err == -EPROTONOSUPPORT ? "it was written by a newer mcu" : strerror(-err));
    return err;
}

static int start(struct server *s, const char *token)
{
    int err = loop_create(&s->control);
    struct confmgr_params cp = {.port_lo = s->cfg.port_lo,
                                .port_hi = s->cfg.port_hi,
                                .workers = s->cfg.workers,
                                .store = s->store};
    snprintf(cp.media_ip, sizeof(cp.media_ip), "%s", s->cfg.media_ip);
    if (!err)
        err = confmgr_create(&s->cm, &cp);
    if (!err && (err = confmgr_start(s->cm)))
        fprintf(stderr, "mcu: cannot start: %s\n", strerror(-err));
    if (err)
        return err;
    s->api.cm = s->cm;
    if (events_create(&s->events))
        return -ENOMEM;
    s->api.events = s->events;
    confmgr_set_event_cb(s->cm, on_meeting_event, s->events);
    err = http_create(&s->http, loop_base(s->control), s->cfg.listen_host, s->cfg.listen_port,
                      token, &s->api);
    if (err) {
        fprintf(stderr, "mcu: cannot listen on %s:%u: %s%s\n", s->cfg.listen_host,
                s->cfg.listen_port, strerror(-err),
                err == -EADDRINUSE ? " (is another mcu running? try --listen with another port)"
                                   : "");
        return err;
    }
    s->sigterm = evsignal_new(loop_base(s->control), SIGTERM, on_signal, s->control);
    s->sigint = evsignal_new(loop_base(s->control), SIGINT, on_signal, s->control);
    s->tick = event_new(loop_base(s->control), -1, EV_PERSIST, on_tick, s->cm);
    s->poll = event_new(loop_base(s->control), -1, EV_PERSIST, on_poll, s->cm);
    struct timeval second = {1, 0}, tenth = {0, 100000};
    if (!s->sigterm || !s->sigint || !s->tick || !s->poll || evsignal_add(s->sigterm, NULL) ||
        evsignal_add(s->sigint, NULL) || event_add(s->tick, &second) || event_add(s->poll, &tenth))
        return -ENOMEM;
    return 0;
}

static void stop(struct server *s)
{
    if (s->sigterm)
        event_free(s->sigterm);
    if (s->sigint)
        event_free(s->sigint);
    if (s->tick)
        event_free(s->tick);
    if (s->poll)
        event_free(s->poll);
    events_destroy(&s->events); /* ends the open streams while their requests still exist */
    http_destroy(&s->http);
    confmgr_destroy(&s->cm); /* workers stop first; every participant gets its BYE */
    store_close(&s->store);
    loop_destroy(&s->control);
    rtpsec_global_deinit();
}

int main(int argc, char **argv)
{
    struct server s;
    memset(&s, 0, sizeof(s));
    config_defaults(&s.cfg);
    int rc = parse_args(argc, argv, &s.cfg);
    if (rc)
        return rc == 1 ? 0 : rc;
    char token[128];
    int token_created = 0;
    int err = setup_globals(&s);
    if (!err)
        err = open_data(&s, &token_created, token, sizeof(token));
    if (!err)
        err = start(&s, token);
    if (!err) {
        print_ready(&s, token_created);
        log_info("listening on %s:%u", s.cfg.listen_host, s.cfg.listen_port);
        err = loop_run(s.control);
    }
    memset(token, 0, sizeof(token));
    stop(&s);
    log_info("stopped");
    return err ? 1 : 0;
}
