/* SDP for receivers. */
#include "sdp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int sdp_write_audio(char *buf, size_t cap, const struct sdp_audio *a)
{
    const char *fam = strchr(a->conn_ip, ':') ? "IP6" : "IP4";
    int n = snprintf(buf, cap,
                     "v=0\r\n"
                     "o=- 0 0 IN %s %s\r\n"
                     "s=%s\r\n"
                     "c=IN %s %s\r\n"
                     "t=0 0\r\n"
                     "m=audio %u RTP/SAVP %u\r\n"
                     "a=rtpmap:%u %s/%u/%u\r\n"
                     "a=crypto:1 %s inline:%s\r\n"
                     "a=recvonly\r\n",
                     fam, a->conn_ip, a->session_name, fam, a->conn_ip, a->port, a->pt, a->pt,
                     a->encoding, a->clock_rate, a->channels, a->suite, a->key_b64);
    if (n < 0 || (size_t)n >= cap)
        return -ENOSPC;
    return n;
}
