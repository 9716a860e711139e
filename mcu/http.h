/* The HTTP server (libevent evhttp) on the control thread: listens, checks the admin token,
 * limits and parses bodies, routes through api.c's table, and writes JSON errors. */
#ifndef MCU_HTTP_H
#define MCU_HTTP_H

#include <stdint.h>

struct api;
struct event_base;
struct http;

/* -EADDRINUSE when the port is taken, -EINVAL for a bad host. */
int http_create(struct http **out, struct event_base *base, const char *host, uint16_t port,
                const char *token, struct api *api);
void http_destroy(struct http **hp);

/* Connections open at once (the admin API's clients and event streams); more wait in the
 * kernel's listen backlog until one closes. */
#define HTTP_CONNECTIONS_MAX 256

/* Change the limit (tests); connections over a lowered limit stay open. */
void http_set_max_connections(struct http *h, unsigned n);
/* Connections open now. */
unsigned http_connections(struct http *h);

/* Constant-time comparison of a presented token with the expected one. */
int http_token_equal(const char *given, const char *expected);

#endif
