/* Server-sent events (text/event-stream) for meeting events: joins, leaves, talking and the
 * active speaker. Control thread only. A subscriber is an evhttp request whose reply stays open;
 * it goes away when its connection closes. */
#ifndef MCU_EVENTS_H
#define MCU_EVENTS_H

#include <jansson.h>

struct evhttp_request;
struct events;

int events_create(struct events **out);
/* Ends every stream. */
void events_destroy(struct events **ep);
/* Start streaming `meeting`'s events to r (the reply headers are sent now). 0 or -ENOMEM. */
int events_subscribe(struct events *ev, struct evhttp_request *r, const char *meeting);
/* Send `type` with `data` (a JSON object, reference stolen) to the meeting's subscribers. */
void events_publish(struct events *ev, const char *meeting, const char *type, json_t *data);
unsigned events_subscribers(const struct events *ev);

#endif
