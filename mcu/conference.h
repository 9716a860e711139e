/* One live conference on a media worker: its sessions and what flows between them.
 * Created on the control thread; from conference_start on, used only on its worker's thread.
 * Today's media mode forwards each participant's audio to every other participant unchanged
 * (re-addressed and re-protected per receiver); the mixer replaces this per meeting mode. */
#ifndef MCU_CONFERENCE_H
#define MCU_CONFERENCE_H

struct conference;
struct event_base;
struct session;

/* `max_sessions` bounds the room, so adding a session on the worker never allocates. */
int conference_create(struct conference **out, unsigned max_sessions);
/* Worker thread (or any thread once the worker has stopped). Destroys every session. */
void conference_destroy(struct conference **cp);
/* Worker thread: start `s` and take ownership of it, whatever the result. -ENOSPC when the
 * room is full (s destroyed); -EIO when libevent refused it (s kept, silent). The control
 * thread keeps the count below the bound, so neither should happen. */
int conference_add(struct conference *c, struct session *s);
/* Worker thread: detach and destroy `s` (it sends its RTCP BYE). -ENOENT if not a member. */
int conference_remove(struct conference *c, struct session *s);
unsigned conference_size(const struct conference *c);

#endif
