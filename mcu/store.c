/* SQLite meeting store: schema migrations by PRAGMA user_version, prepared statements. */
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "meeting.h"

struct store {
    sqlite3 *db;
    sqlite3_stmt *save, *load, *hist;
};

/* Each entry moves the schema from version i to i+1; never edit one that has shipped. */
static const char *const migrations[] = {
    "CREATE TABLE meetings("
    " id TEXT PRIMARY KEY, title TEXT NOT NULL,"
    " start_unix INTEGER NOT NULL, end_unix INTEGER NOT NULL,"
    " pin TEXT NOT NULL DEFAULT '', max_participants INTEGER NOT NULL,"
    " mode TEXT NOT NULL, video TEXT NOT NULL, layout TEXT NOT NULL,"
    " state TEXT NOT NULL, created_unix INTEGER NOT NULL, owner TEXT);"
    "CREATE TABLE history("
    " id INTEGER PRIMARY KEY, meeting TEXT NOT NULL, participant TEXT NOT NULL,"
    " name TEXT, event TEXT NOT NULL, at_unix INTEGER NOT NULL);"
    "CREATE INDEX history_meeting ON history(meeting);",
    "ALTER TABLE meetings ADD COLUMN talkers INTEGER NOT NULL DEFAULT 3;",
    "ALTER TABLE meetings ADD COLUMN preprocess INTEGER NOT NULL DEFAULT 0;",
    "ALTER TABLE meetings ADD COLUMN repeat TEXT NOT NULL DEFAULT 'none';"
    "ALTER TABLE meetings ADD COLUMN until_unix INTEGER NOT NULL DEFAULT 0;",
    "ALTER TABLE meetings ADD COLUMN tz TEXT NOT NULL DEFAULT 'UTC';",
    "ALTER TABLE meetings ADD COLUMN video_w INTEGER NOT NULL DEFAULT 1280;"
    "ALTER TABLE meetings ADD COLUMN video_h INTEGER NOT NULL DEFAULT 720;"
    "ALTER TABLE meetings ADD COLUMN video_kbps INTEGER NOT NULL DEFAULT 1500;",
    "ALTER TABLE meetings ADD COLUMN plain_rtp INTEGER NOT NULL DEFAULT 0;",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int user_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

static int migrate(sqlite3 *db)
{
    int v = user_version(db);
    if (v < 0)
        return -EIO;
    if (v > SCHEMA_VERSION)
        return -EPROTONOSUPPORT; /* a newer server wrote this database */
    for (; v < SCHEMA_VERSION; v++) {
        char sql[64];
        snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v + 1);
        /* The schema change and its version number commit together or not at all. */
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return -EIO;
        if (sqlite3_exec(db, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -EIO;
        }
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            return -EIO;
    }
    return 0;
}

static int prepare(struct store *s)
{
    static const char save_sql[] =
        "INSERT INTO meetings(id,title,start_unix,end_unix,pin,max_participants,mode,video,"
        "layout,state,created_unix,talkers,preprocess,repeat,until_unix,tz,owner,video_w,video_h,"
        "video_kbps,plain_rtp) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
        "?18,?19,?20,?21)"
        " ON CONFLICT(id) DO UPDATE SET title=?2,start_unix=?3,end_unix=?4,pin=?5,"
        "max_participants=?6,mode=?7,video=?8,layout=?9,state=?10,talkers=?12,preprocess=?13,"
        "repeat=?14,until_unix=?15,tz=?16,owner=?17,video_w=?18,video_h=?19,video_kbps=?20,"
        "plain_rtp=?21";
    static const char load_sql[] =
        "SELECT id,title,start_unix,end_unix,pin,max_participants,mode,video,layout,state,"
        "created_unix,talkers,preprocess,repeat,until_unix,tz,owner,video_w,video_h,video_kbps,"
        "plain_rtp FROM meetings"
        " ORDER BY created_unix, rowid";
    static const char hist_sql[] =
        "INSERT INTO history(meeting,participant,name,event,at_unix) VALUES(?1,?2,?3,?4,?5)";
    if (sqlite3_prepare_v2(s->db, save_sql, -1, &s->save, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, load_sql, -1, &s->load, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, hist_sql, -1, &s->hist, NULL) != SQLITE_OK)
        return -EIO;
    return 0;
}

int store_open(struct store **out, const char *path)
{
    struct store *s = mcu_calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    int err = 0;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        err = -EIO;
    /* WAL + synchronous=FULL: a commit is on disk when it returns, and readers never block. */
    if (!err && (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
                 sqlite3_exec(s->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK))
        err = -EIO;
    if (!err)
        sqlite3_busy_timeout(s->db, 2000);
    if (!err)
        err = migrate(s->db);
    if (!err)
        err = prepare(s);
    if (err) {
        store_close(&s);
        return err;
    }
    *out = s;
    return 0;
}

void store_close(struct store **sp)
{
    struct store *s = *sp;
    if (!s)
        return;
    sqlite3_finalize(s->save);
    sqlite3_finalize(s->load);
    sqlite3_finalize(s->hist);
    sqlite3_close(s->db);
    mcu_free(s);
    *sp = NULL;
}

const char *store_errmsg(struct store *s)
{
    return s && s->db ? sqlite3_errmsg(s->db) : "cannot open the database";
}

static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : rc == SQLITE_FULL ? -ENOSPC : -EIO;
}

int store_meeting_save(struct store *s, const struct meeting *m)
{
    sqlite3_stmt *st = s->save;
    sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, m->title, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, m->start_unix);
    sqlite3_bind_int64(st, 4, m->end_unix);
    sqlite3_bind_text(st, 5, m->pin, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, (int)m->max);
    sqlite3_bind_text(st, 7, meeting_mode_name(m->mode), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, m->video, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, m->layout, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, meeting_state_name(m->state), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 11, m->created_unix);
    sqlite3_bind_int(st, 12, (int)m->talkers);
    sqlite3_bind_int(st, 13, m->preprocess);
    sqlite3_bind_text(st, 14, meeting_repeat_name(m->repeat), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 15, m->until_unix);
    sqlite3_bind_text(st, 16, m->tz[0] ? m->tz : "UTC", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 17, m->owner, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 18, m->video_w);
    sqlite3_bind_int(st, 19, m->video_h);
    sqlite3_bind_int(st, 20, m->video_kbps);
    sqlite3_bind_int(st, 21, m->plain_rtp != 0);
    return step_done(st);
}

static void col_str(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static int row_to_meeting(sqlite3_stmt *st, struct meeting *m)
{
    char mode[16], state[16];
    memset(m, 0, sizeof(*m));
    col_str(st, 0, m->id, sizeof(m->id));
    col_str(st, 1, m->title, sizeof(m->title));
    m->start_unix = sqlite3_column_int64(st, 2);
    m->end_unix = sqlite3_column_int64(st, 3);
    col_str(st, 4, m->pin, sizeof(m->pin));
    m->max = (unsigned)sqlite3_column_int(st, 5);
    col_str(st, 6, mode, sizeof(mode));
    col_str(st, 7, m->video, sizeof(m->video));
    col_str(st, 8, m->layout, sizeof(m->layout));
    col_str(st, 9, state, sizeof(state));
    m->created_unix = sqlite3_column_int64(st, 10);
    m->talkers = (unsigned)sqlite3_column_int(st, 11);
    m->preprocess = sqlite3_column_int(st, 12);
    char repeat[16];
    col_str(st, 13, repeat, sizeof(repeat));
    m->until_unix = sqlite3_column_int64(st, 14);
    col_str(st, 15, m->tz, sizeof(m->tz));
    col_str(st, 16, m->owner, sizeof(m->owner));
    m->video_w = sqlite3_column_int(st, 17);
    m->video_h = sqlite3_column_int(st, 18);
    m->video_kbps = sqlite3_column_int(st, 19);
    m->plain_rtp = sqlite3_column_int(st, 20) != 0;
    if (meeting_repeat_parse(repeat, &m->repeat))
        return -EBADMSG;
    if (meeting_mode_parse(mode, &m->mode) || meeting_state_parse(state, &m->state))
        return -EBADMSG;
    return 0;
}

int store_meeting_load_all(struct store *s, int (*cb)(void *arg, const struct meeting *m),
                           void *arg)
{
    struct meeting m;
    int rc = SQLITE_DONE, err = 0;
    while (!err && (rc = sqlite3_step(s->load)) == SQLITE_ROW) {
        err = row_to_meeting(s->load, &m);
        if (!err)
            err = cb(arg, &m);
    }
    if (!err && rc != SQLITE_DONE)
        err = -EIO;
    sqlite3_reset(s->load);
    return err;
}

int store_limit_pages(struct store *s, int extra_pages)
{
    sqlite3_stmt *st;
    int pages = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA page_count", -1, &st, NULL) != SQLITE_OK)
        return -EIO;
    if (sqlite3_step(st) == SQLITE_ROW)
        pages = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA max_page_count=%d", pages + extra_pages);
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int store_integrity_ok(struct store *s)
{
    sqlite3_stmt *st;
    int ok = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        ok = !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    return ok;
}

int store_history_add(struct store *s, const char *meeting, const char *participant,
                      const char *name, const char *event, long long at_unix)
{
    sqlite3_stmt *st = s->hist;
    sqlite3_bind_text(st, 1, meeting, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, participant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, event, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, at_unix);
    return step_done(st);
}
