/* storewriter: writes to the server's store through the API as fast as it answers, and keeps a
 * journal a crash test can hold the store to after a SIGKILL.
 *
 *   storewriter URL TOKEN JOURNAL ROUND START
 *
 * Creates meetings "wROUND-I v0" starting at START (ISO-8601; in the future, so that every
 * patch is allowed), patches each three times (title "wROUND-I vK", duration 10 + K, max 2 + K:
 * one request changes all three, so a half-applied one shows), and cancels every third. Every
 * request is journalled before it is sent ("try create wR-I", "try patch ID K", "try cancel ID")
 * and again after a 2xx ("ok create ID wR-I", "ok patch ID K", "ok cancel ID"); any other answer
 * is journalled as "error ..." and ends the run. Each line is written with write(2), so it is in
 * the file before the next request leaves.
 * Exit status: 0 when the server went away (the crash the test caused), 1 after an "error",
 * 2 bad arguments. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "httpc.h"

struct writer {
    const char *url, *token;
    int journal;
};

static void note(const struct writer *w, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (write(w->journal, line, (size_t)n) != n)
        perror("storewriter: journal");
}

/* One request: 0 after the expected status, 1 once the server is gone, -1 on another answer
 * (journalled). */
static int call(const struct writer *w, const char *method, const char *path, const char *json,
                int want, struct httpc_reply *r)
{
    int err = httpc_request(w->url, method, path, w->token, json, r);
    if (err)
        return 1; /* refused, reset or timed out: the kill came */
    if (r->status == want)
        return 0;
    note(w, "error %s %s %d %s", method, path, r->status, r->body);
    httpc_reply_free(r);
    return -1;
}

/* Create, patch three times, and cancel when asked: 0 to go on, else call()'s end. */
static int one_meeting(const struct writer *w, const char *name, const char *start, int cancel)
{
    char body[256], path[64], id[32];
    struct httpc_reply r = {0};
    snprintf(body, sizeof(body),
             "{\"title\": \"%s v0\", \"start\": \"%s\", \"duration\": 10, \"max\": 2}", name,
             start);
    note(w, "try create %s", name);
    int rc = call(w, "POST", "/api/v1/meetings", body, 201, &r);
    if (rc)
        return rc;
    json_t *j = json_loads(r.body, 0, NULL);
    const char *s = json_string_value(json_object_get(j, "id"));
    snprintf(id, sizeof(id), "%s", s ? s : "");
    json_decref(j);
    httpc_reply_free(&r);
    if (!id[0]) {
        note(w, "error create: no id in the answer");
        return -1;
    }
    note(w, "ok create %s %s", id, name);
    snprintf(path, sizeof(path), "/api/v1/meetings/%s", id);
    for (int k = 1; k <= 3; k++) {
        snprintf(body, sizeof(body), "{\"title\": \"%s v%d\", \"duration\": %d, \"max\": %d}", name,
                 k, 10 + k, 2 + k);
        note(w, "try patch %s %d", id, k);
        if ((rc = call(w, "PATCH", path, body, 200, &r)))
            return rc;
        httpc_reply_free(&r);
        note(w, "ok patch %s %d", id, k);
    }
    if (!cancel)
        return 0;
    note(w, "try cancel %s", id);
    if ((rc = call(w, "DELETE", path, NULL, 200, &r)))
        return rc;
    httpc_reply_free(&r);
    note(w, "ok cancel %s", id);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 6 || httpc_check_url(argv[1])) {
        fprintf(stderr, "usage: storewriter URL TOKEN JOURNAL ROUND START\n");
        return 2;
    }
    struct writer w = {argv[1], argv[2], -1};
    w.journal = open(argv[3], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (w.journal < 0) {
        fprintf(stderr, "storewriter: %s: %s\n", argv[3], strerror(errno));
        return 2;
    }
    int rc = 0;
    for (unsigned i = 1; !rc; i++) {
        char name[64];
        snprintf(name, sizeof(name), "w%s-%u", argv[4], i);
        rc = one_meeting(&w, name, argv[5], i % 3 == 0);
    }
    close(w.journal);
    return rc > 0 ? 0 : 1;
}
