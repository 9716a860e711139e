/* The load generator's view of a conferencing server: how to make a meeting (room) and put a
 * participant in it, so the same traffic and measurements run against this server and against
 * Janus's AudioBridge in one run. Every call is blocking, on the generator's control thread. */
#ifndef LG_BACKEND_H
#define LG_BACKEND_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LG_KEY_MAX 46 /* SRTP master key + salt, the largest suite */

/* One participant as the generator sees it. The generator binds `fd` (a UDP socket on
 * 127.0.0.1, its port in local_port) before join; the backend tells the server to send the
 * participant's mix there and fills in where to send and how. */
struct lg_participant {
    int fd;
    uint16_t local_port;
    /* filled by join: */
    struct sockaddr_in server;  /* where the participant's RTP goes */
    uint8_t pt;                 /* Opus payload type the server expects and sends */
    int srtp;                   /* 0: plain RTP (Janus), 1: SRTP with the keys below */
    int suite;                  /* enum rtpsec_suite when srtp */
    uint8_t tx_key[LG_KEY_MAX]; /* the generator protects with this */
    uint8_t rx_key[LG_KEY_MAX]; /* the generator unprotects what it receives with this */
    char id[64];                /* the backend's participant id, for leave */
    /* Video (composite meetings only). Set before join: `video` 0 none, 1 receives the
     * composite on vfd (bound like fd, its port in vlocal_port), 2 also sends VP8. */
    int video;
    int vfd;
    uint16_t vlocal_port;
    /* filled by join when video: where the participant's VP8 goes and the keys both ways */
    struct sockaddr_in vserver;
    uint8_t vpt;
    uint8_t vtx_key[LG_KEY_MAX];
    uint8_t vrx_key[LG_KEY_MAX];
};

/* A composite-video meeting: the canvas the server lays the senders out on and encodes once. */
struct lg_video_meeting {
    int width, height, kbps;
};

struct lg_backend_ops {
    const char *name; /* "mcu", "janus" */
    /* Connect to a running server at base_url (and, where it has one, with this token), make
     * `meetings` meetings (rooms) able to hold `size` each, mixing Opus at 48 kHz; with
     * `video` (NULL: audio only) also compositing VP8 on that canvas (-ENOTSUP where the
     * server has no video). */
    int (*open)(void **ctx, const char *base_url, const char *token, unsigned meetings,
                unsigned size, const struct lg_video_meeting *video);
    int (*join)(void *ctx, unsigned meeting, unsigned index, struct lg_participant *p);
    int (*leave)(void *ctx, unsigned meeting, struct lg_participant *p);
    /* Remove what open made and free ctx. */
    void (*close)(void *ctx);
};

extern const struct lg_backend_ops lg_backend_mcu;
extern const struct lg_backend_ops lg_backend_janus;

#endif
