/* SDP for receivers. */
#include "sdp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int put(char *buf, size_t cap, size_t *off, int n)
{
    if (n < 0 || (size_t)n >= cap - *off)
        return -ENOSPC;
    *off += (size_t)n;
    return 0;
}

/* RTP/SAVP and the SDES line, or plain RTP/AVP without one. */
static const char *profile(const char *suite)
{
    return suite ? "RTP/SAVP" : "RTP/AVP";
}

static int put_crypto(char *buf, size_t cap, size_t *off, const char *suite, const char *key_b64)
{
    if (!suite)
        return 0;
    return put(buf, cap, off,
               snprintf(buf + *off, cap - *off, "a=crypto:1 %s inline:%s\r\n", suite, key_b64));
}

int sdp_write_audio(char *buf, size_t cap, const struct sdp_audio *a)
{
    const char *fam = strchr(a->conn_ip, ':') ? "IP6" : "IP4";
    size_t off = 0;
    int err =
        put(buf, cap, &off,
            snprintf(buf, cap,
                     "v=0\r\n"
                     "o=- 0 0 IN %s %s\r\n"
                     "s=%s\r\n"
                     "c=IN %s %s\r\n"
                     "t=0 0\r\n"
                     "m=audio %u %s %u\r\n"
                     "a=rtpmap:%u %s/%u/%u\r\n",
                     fam, a->conn_ip, a->session_name, fam, a->conn_ip, a->port, profile(a->suite),
                     a->pt, a->pt, a->encoding, a->clock_rate, a->channels));
    if (!err)
        err = put_crypto(buf, cap, &off, a->suite, a->key_b64);
    if (!err)
        err = put(buf, cap, &off, snprintf(buf + off, cap - off, "a=recvonly\r\n"));
    return err ? err : (int)off;
}

int sdp_write(char *buf, size_t cap, const char *conn_ip, const char *session_name,
              const struct sdp_media *m, unsigned n)
{
    const char *fam = strchr(conn_ip, ':') ? "IP6" : "IP4";
    size_t off = 0;
    int err = put(buf, cap, &off,
                  snprintf(buf, cap, "v=0\r\no=- 0 0 IN %s %s\r\ns=%s\r\nc=IN %s %s\r\nt=0 0\r\n",
                           fam, conn_ip, session_name, fam, conn_ip));
    for (unsigned i = 0; !err && i < n; i++) {
        const struct sdp_media *s = &m[i];
        char *p = buf + off;
        size_t left = cap - off;
        char chans[16] = "";
        if (s->channels)
            snprintf(chans, sizeof(chans), "/%u", s->channels);
        err = put(buf, cap, &off,
                  snprintf(p, left, "m=%s %u %s %u\r\na=rtpmap:%u %s/%u%s\r\n", s->kind, s->port,
                           profile(s->suite), s->pt, s->pt, s->encoding, s->clock_rate, chans));
        if (!err && s->fmtp)
            err = put(buf, cap, &off,
                      snprintf(buf + off, cap - off, "a=fmtp:%u %s\r\n", s->pt, s->fmtp));
        if (!err)
            err = put_crypto(buf, cap, &off, s->suite, s->key_b64);
        if (!err)
            err = put(buf, cap, &off, snprintf(buf + off, cap - off, "a=recvonly\r\n"));
    }
    return err ? err : (int)off;
}
