/* UDP sockets and recvmmsg/sendmmsg batches. */
#include "udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

int udp_addr_from_ip(struct udp_addr *a, const char *ip, uint16_t port)
{
    memset(a, 0, sizeof(*a));
    struct sockaddr_in *v4 = (struct sockaddr_in *)&a->ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->ss;
    if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        a->len = sizeof(*v4);
        return 0;
    }
    if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        a->len = sizeof(*v6);
        return 0;
    }
    return -EINVAL;
}

int udp_addr_parse(struct udp_addr *a, const char *hostport)
{
    char host[64];
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport)
        return -EINVAL;
    const char *h = hostport;
    size_t hl = (size_t)(colon - hostport);
    if (h[0] == '[') {
        if (hl < 3 || h[hl - 1] != ']')
            return -EINVAL;
        h++;
        hl -= 2;
    }
    if (hl >= sizeof(host))
        return -EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port < 1 || port > 65535)
        return -EINVAL;
    return udp_addr_from_ip(a, host, (uint16_t)port);
}

int udp_addr_equal(const struct udp_addr *a, const struct udp_addr *b)
{
    if (a->ss.ss_family != b->ss.ss_family)
        return 0;
    if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)&a->ss, *y = (const void *)&b->ss;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)&a->ss, *y = (const void *)&b->ss;
    return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

uint16_t udp_addr_port(const struct udp_addr *a)
{
    if (a->ss.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

void udp_addr_set_port(struct udp_addr *a, uint16_t port)
{
    if (a->ss.ss_family == AF_INET)
        ((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
}

const char *udp_addr_str(const struct udp_addr *a, char *buf, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (a->ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)&a->ss)->sin_addr, ip, sizeof(ip));
        snprintf(buf, cap, "%s:%u", ip, udp_addr_port(a));
    } else {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr, ip, sizeof(ip));
        snprintf(buf, cap, "[%s]:%u", ip, udp_addr_port(a));
    }
    return buf;
}

int udp_open(const struct udp_addr *local, int *fd)
{
    int s = socket(local->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    /* Bigger buffers ride out a worker's scheduling hiccup without dropping a burst. */
    int sz = 1 << 20;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    int on = 1; /* best effort: without it, arrival is the read time */
    setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
    if (bind(s, (const struct sockaddr *)&local->ss, local->len) < 0) {
        int err = -errno;
        close(s);
        return err;
    }
    *fd = s;
    return 0;
}

int udp_recv_batch(int fd, struct udp_rx_batch *b)
{
    for (unsigned i = 0; i < UDP_BATCH; i++) {
        b->iov[i].iov_base = b->buf[i];
        b->iov[i].iov_len = UDP_MTU;
        memset(&b->msgs[i].msg_hdr, 0, sizeof(b->msgs[i].msg_hdr));
        b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
        b->msgs[i].msg_hdr.msg_iovlen = 1;
        b->msgs[i].msg_hdr.msg_name = &b->from[i].ss;
        b->msgs[i].msg_hdr.msg_namelen = sizeof(b->from[i].ss);
        b->msgs[i].msg_hdr.msg_control = b->ctl[i].buf;
        b->msgs[i].msg_hdr.msg_controllen = sizeof(b->ctl[i].buf);
    }
    int n;
    do
        n = recvmmsg(fd, b->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    /* The kernel stamps CLOCK_REALTIME; one reading of both clocks converts a whole batch. */
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    uint64_t mono = clock_now_us();
    uint64_t real = (uint64_t)rt.tv_sec * 1000000u + (uint64_t)rt.tv_nsec / 1000u;
    for (int i = 0; i < n; i++) {
        b->from[i].len = b->msgs[i].msg_hdr.msg_namelen;
        b->at_us[i] = mono;
        struct msghdr *h = &b->msgs[i].msg_hdr;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
                continue;
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof(ts));
            uint64_t k = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
            /* Older than a second is a clock step, not a queue: keep the read time. */
            if (k <= real && real - k < 1000000u)
                b->at_us[i] = mono - (real - k);
        }
    }
    return n ? n : -EAGAIN;
}

uint8_t *udp_tx_slot(struct udp_tx_batch *b)
{
    return b->n < UDP_TX_BATCH ? b->buf[b->n] : NULL;
}

void udp_tx_commit(struct udp_tx_batch *b, size_t len, const struct udp_addr *to)
{
    unsigned i = b->n++;
    b->iov[i].iov_base = b->buf[i];
    b->iov[i].iov_len = len;
    memset(&b->msgs[i].msg_hdr, 0, sizeof(b->msgs[i].msg_hdr));
    b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
    b->msgs[i].msg_hdr.msg_iovlen = 1;
    b->msgs[i].msg_hdr.msg_name = (void *)&to->ss;
    b->msgs[i].msg_hdr.msg_namelen = to->len;
}

unsigned udp_tx_flush(struct udp_tx_batch *b)
{
    unsigned sent = 0, failed = 0;
    while (sent < b->n) {
        int r = sendmmsg(b->fd, b->msgs + sent, b->n - sent, MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            /* Skip the packet the kernel refused (full buffer, unreachable) and go on: real-time
             * media is never worth retrying later. */
            failed++;
            sent++;
            continue;
        }
        sent += (unsigned)r;
    }
    b->n = 0;
    return failed;
}
