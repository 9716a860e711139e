/* SDP text (RFC 4566, SDES RFC 4568) that a participant's receiver reads to get what the server
 * sends it: where the media arrives, its format, and the key to decrypt it (or, for plain RTP,
 * profile RTP/AVP and no key). Pure. */
#ifndef MCU_SDP_H
#define MCU_SDP_H

#include <stddef.h>
#include <stdint.h>

struct sdp_audio {
    const char *conn_ip; /* the address the media is sent to */
    uint16_t port;
    uint8_t pt;
    const char *encoding; /* "opus" */
    uint32_t clock_rate;
    unsigned channels;
    const char *suite;   /* SDES crypto suite name; NULL: plain RTP (RTP/AVP, no a=crypto) */
    const char *key_b64; /* inline key, nothing after it (FFmpeg rejects "|lifetime") */
    const char *session_name;
};

/* Returns the length written, or -ENOSPC. */
int sdp_write_audio(char *buf, size_t cap, const struct sdp_audio *a);

/* One m= section of a multi-stream SDP. */
struct sdp_media {
    const char *kind; /* "audio", "video" */
    uint16_t port;
    uint8_t pt;
    const char *encoding;
    uint32_t clock_rate;
    unsigned channels; /* 0: not written (video) */
    const char *fmtp;  /* a=fmtp parameters, or NULL */
    const char *suite; /* NULL: plain RTP (RTP/AVP, no a=crypto) */
    const char *key_b64;
};

/* A session with n media sections, all received at conn_ip. Returns the length or -ENOSPC. */
int sdp_write(char *buf, size_t cap, const char *conn_ip, const char *session_name,
              const struct sdp_media *m, unsigned n);

#endif
