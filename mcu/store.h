/* The meeting store: SQLite in WAL mode in the data folder. Control thread only.
 * Every write is one transaction, so a killed server never leaves a half-written row. */
#ifndef MCU_STORE_H
#define MCU_STORE_H

struct meeting;
struct store;

/* Open or create the database at `path` (":memory:" for tests) and migrate it to the current
 * schema. 0 or -errno (-EIO for SQLite errors, with the message in store_errmsg). */
int store_open(struct store **out, const char *path);
void store_close(struct store **sp);
const char *store_errmsg(struct store *s);

/* Insert or update the meeting's stored fields (not its live participants). */
int store_meeting_save(struct store *s, const struct meeting *m);
/* Call cb for every stored meeting, oldest first; stops at cb's first non-zero return. */
int store_meeting_load_all(struct store *s, int (*cb)(void *arg, const struct meeting *m),
                           void *arg);
/* Test and operations hooks: cap the database at its current size plus `extra_pages` (as a full
 * disk would), and run SQLite's integrity check (1 when it says ok). */
int store_limit_pages(struct store *s, int extra_pages);
int store_integrity_ok(struct store *s);

/* Append to the join/leave history (the basis for usage accounting). */
int store_history_add(struct store *s, const char *meeting, const char *participant,
                      const char *name, const char *event, long long at_unix);

#endif
