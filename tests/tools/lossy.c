/* lossy: a one-way UDP relay that drops a given share of datagrams at random, to stand for a
 * lossy network between a test's sender and the server (loopback only).
 *
 *   lossy LISTEN_PORT DEST_HOST:PORT PERCENT SECONDS [SEED]
 *
 * Relays what arrives on 127.0.0.1:LISTEN_PORT to DEST for SECONDS, then prints
 * "relayed N dropped M" and exits. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "udp.h"

int main(int argc, char **argv)
{
    struct udp_addr local, dst;
    if (argc < 5 || udp_addr_from_ip(&local, "127.0.0.1", (uint16_t)atoi(argv[1])) ||
        udp_addr_parse(&dst, argv[2])) {
        fprintf(stderr, "usage: lossy LISTEN_PORT DEST_HOST:PORT PERCENT SECONDS [SEED]\n");
        return 2;
    }
    int pct = atoi(argv[3]);
    uint64_t secs = (uint64_t)atoi(argv[4]);
    srand(argc > 5 ? (unsigned)atoi(argv[5]) : (unsigned)time(NULL));
    int in, out;
    struct udp_addr any;
    udp_addr_from_ip(&any, "127.0.0.1", 0);
    if (udp_open(&local, &in) || udp_open(&any, &out)) {
        perror("lossy: bind");
        return 1;
    }
    unsigned relayed = 0, dropped = 0;
    uint64_t end = clock_now_us() + secs * 1000000u;
    while (clock_now_us() < end) {
        struct pollfd p = {in, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        uint8_t buf[UDP_BUF];
        ssize_t n;
        while ((n = recv(in, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
            if (rand() % 100 < pct) {
                dropped++;
                continue;
            }
            if (sendto(out, buf, (size_t)n, 0, (const struct sockaddr *)&dst.ss, dst.len) > 0)
                relayed++;
        }
    }
    printf("relayed %u dropped %u\n", relayed, dropped);
    close(in);
    close(out);
    return 0;
}
