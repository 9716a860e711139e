/* Non-blocking UDP sockets and batched receive/send (recvmmsg/sendmmsg). */
#ifndef MCU_UDP_H
#define MCU_UDP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define UDP_BATCH    32 /* packets per recvmmsg */
#define UDP_TX_BATCH 16 /* packets queued per socket before a sendmmsg */
#define UDP_MTU      1500
#define UDP_BUF      2048 /* MTU + room for the SRTP trailer added in place */

struct udp_addr {
    struct sockaddr_storage ss;
    socklen_t len;
};

/* "HOST:PORT" or "[V6]:PORT" with a numeric host; 0 or -EINVAL. */
int udp_addr_parse(struct udp_addr *a, const char *hostport);
int udp_addr_from_ip(struct udp_addr *a, const char *ip, uint16_t port);
/* Same IP and port. */
int udp_addr_equal(const struct udp_addr *a, const struct udp_addr *b);
uint16_t udp_addr_port(const struct udp_addr *a);
void udp_addr_set_port(struct udp_addr *a, uint16_t port);
/* "ip:port" into buf. */
const char *udp_addr_str(const struct udp_addr *a, char *buf, size_t cap);

/* A bound, non-blocking, close-on-exec socket that timestamps arrivals; *fd set.
 * -EADDRINUSE when taken. */
int udp_open(const struct udp_addr *local, int *fd);

/* Receive side: UDP_BATCH buffers filled by one recvmmsg. */
struct udp_rx_batch {
    struct mmsghdr msgs[UDP_BATCH];
    struct iovec iov[UDP_BATCH];
    struct udp_addr from[UDP_BATCH];
    /* When each packet reached the socket (the kernel's SO_TIMESTAMPNS), on clock_now_us()'s
     * monotonic clock: a worker busy elsewhere reads packets late, and jitter measured at the
     * read would be the worker's, not the network's. The read time where the kernel gave none. */
    uint64_t at_us[UDP_BATCH];
    union {
        struct cmsghdr align;
        uint8_t buf[CMSG_SPACE(sizeof(struct timespec))];
    } ctl[UDP_BATCH];
    uint8_t buf[UDP_BATCH][UDP_BUF];
};

/* Returns the number received (>0), -EAGAIN when none waits, or -errno. */
int udp_recv_batch(int fd, struct udp_rx_batch *b);

/* Send side: packets to one socket, flushed with sendmmsg. */
struct udp_tx_batch {
    int fd;
    unsigned n;
    struct mmsghdr msgs[UDP_TX_BATCH];
    struct iovec iov[UDP_TX_BATCH];
    uint8_t buf[UDP_TX_BATCH][UDP_BUF];
};

/* The next free buffer, or NULL when full (flush first). */
uint8_t *udp_tx_slot(struct udp_tx_batch *b);
/* Commit the slot udp_tx_slot returned, with its length and destination. */
void udp_tx_commit(struct udp_tx_batch *b, size_t len, const struct udp_addr *to);
/* Send everything queued; returns how many the kernel refused (dropped, not retried). */
unsigned udp_tx_flush(struct udp_tx_batch *b);

#endif
