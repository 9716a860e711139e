/* A small blocking HTTP/1.1 client for mcuctl: one request, JSON text in, status and body out. */
#ifndef MCU_HTTPC_H
#define MCU_HTTPC_H

#include <stddef.h>

/* Whole-request budget per phase (connect, send, receive), in seconds. */
#define HTTPC_TIMEOUT_S 10
/* A reply larger than this is refused: the API's objects are small, a huge one is a wrong server.
 */
#define HTTPC_MAX_REPLY (16u << 20)

struct httpc_reply {
    int status; /* HTTP status code, e.g. 201 */
    char *body; /* NUL-terminated, owned by the reply; "" when the server sent none */
    size_t len; /* bytes in body, not counting the NUL */
};

/*
 * Checks that base_url is something httpc_request can use: "http://HOST[:PORT][/PREFIX]".
 * Returns 0, -EINVAL (not a URL, or no host) or -EPROTONOSUPPORT (a scheme other than http).
 */
int httpc_check_url(const char *base_url);

/*
 * Sends METHOD (GET, POST, PUT, PATCH or DELETE) to base_url + path, with "Authorization: Bearer
 * token" when token is not NULL and json (JSON text) as the body when it is not NULL, and waits for
 * the answer. Any HTTP answer, 4xx and 5xx included, returns 0 and fills *reply, which the caller
 * releases with httpc_reply_free. Never prints. On failure returns a negative errno:
 *   -EINVAL, -EPROTONOSUPPORT  bad base_url, method, or a header value with a line break
 *   -ECONNREFUSED              nothing listens at the address: the server is not running
 *   -ENXIO                     the host name did not resolve
 *   -ETIMEDOUT                 no connection or no complete answer within HTTPC_TIMEOUT_S
 *   -EMSGSIZE                  the answer is larger than HTTPC_MAX_REPLY
 *   -EBADMSG                   the answer is not HTTP
 *   -ECONNRESET                the connection closed before a complete answer
 *   -ENOMEM, or another -errno from the socket layer
 */
int httpc_request(const char *base_url, const char *method, const char *path, const char *token,
                  const char *json, struct httpc_reply *reply);

/* Releases the body and zeroes the reply; safe on a zeroed reply. */
void httpc_reply_free(struct httpc_reply *reply);

#endif
