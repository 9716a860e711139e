/* The SQLite meeting store: schema, save/update/load, history, a database from the future, and
 * one from before a migration. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "meeting.h"
#include "store.h"

static struct meeting sample(const char *id, const char *title)
{
    struct meeting m;
    memset(&m, 0, sizeof(m));
    snprintf(m.id, sizeof(m.id), "%s", id);
    snprintf(m.title, sizeof(m.title), "%s", title);
    m.start_unix = 1000;
    m.end_unix = 4600;
    snprintf(m.pin, sizeof(m.pin), "1234");
    m.max = 50;
    m.mode = MEETING_FORWARD;
    snprintf(m.video, sizeof(m.video), "off");
    snprintf(m.layout, sizeof(m.layout), "grid");
    m.state = MEETING_SCHEDULED;
    m.created_unix = 999;
    return m;
}

struct collected {
    unsigned n;
    struct meeting m[4];
};

static int collect(void *arg, const struct meeting *m)
{
    struct collected *c = arg;
    if (c->n < 4)
        c->m[c->n++] = *m;
    return 0;
}

/* A database file and its WAL companions. */
static void remove_db(const char *path)
{
    char aux[64];
    unlink(path);
    snprintf(aux, sizeof(aux), "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof(aux), "%s-shm", path);
    unlink(aux);
}

static void test_save_load(void **state)
{
    struct store *s;
    assert_int_equal(store_open(&s, ":memory:"), 0);
    struct meeting a = sample("m-aaaaaaaa", "Standup"), b = sample("m-bbbbbbbb", "Review");
    b.created_unix = 1001;
    a.plain_rtp = 1;
    assert_int_equal(store_meeting_save(s, &a), 0);
    assert_int_equal(store_meeting_save(s, &b), 0);
    a.state = MEETING_CANCELLED;
    snprintf(a.title, sizeof(a.title), "Standup (moved)");
    assert_int_equal(store_meeting_save(s, &a), 0); /* update, not a second row */
    struct collected c = {0};
    assert_int_equal(store_meeting_load_all(s, collect, &c), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.m[0].id, "m-aaaaaaaa");
    assert_string_equal(c.m[0].title, "Standup (moved)");
    assert_int_equal(c.m[0].state, MEETING_CANCELLED);
    assert_string_equal(c.m[0].pin, "1234");
    assert_int_equal(c.m[0].max, 50);
    assert_int_equal(c.m[0].end_unix, 4600);
    assert_int_equal(c.m[0].plain_rtp, 1);
    assert_string_equal(c.m[1].title, "Review");
    assert_int_equal(c.m[1].plain_rtp, 0);
    assert_int_equal(store_history_add(s, a.id, "p-1", "Ada", "join", 1200), 0);
    store_close(&s);
    assert_null(s);
}

/* A unique path where no file exists yet (store_open creates it). */
static void fresh_path(char *tmpl)
{
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    close(fd);
    unlink(tmpl);
}

static void test_persists_and_refuses_future(void **state)
{
    char path[] = "/tmp/mcu-store-XXXXXX";
    fresh_path(path);
    struct store *s;
    assert_int_equal(store_open(&s, path), 0);
    struct meeting a = sample("m-cccccccc", "Kept");
    a.plain_rtp = 1;
    assert_int_equal(store_meeting_save(s, &a), 0);
    store_close(&s);
    assert_int_equal(store_open(&s, path), 0);
    struct collected c = {0};
    assert_int_equal(store_meeting_load_all(s, collect, &c), 0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.m[0].title, "Kept");
    assert_int_equal(c.m[0].plain_rtp, 1);
    store_close(&s);

    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(store_open(&s, path), -EPROTONOSUPPORT);
    remove_db(path);
}

/* A full disk (here SQLite's page limit) refuses the write whole: -ENOSPC, and everything saved
 * before is still there and consistent. */
static void test_full_disk(void **state)
{
    struct store *s;
    assert_int_equal(store_open(&s, ":memory:"), 0);
    struct meeting a = sample("m-kept0000", "Kept");
    assert_int_equal(store_meeting_save(s, &a), 0);
    /* Freeze the database at its current size. */
    struct collected c = {0};
    int err = 0, saved = 1;
    char id[16];
    for (int i = 0; i < 20000 && !err; i++) {
        if (i == 0)
            store_limit_pages(s, 0);
        snprintf(id, sizeof(id), "m-%08d", i);
        struct meeting m = sample(id, "filler filler filler filler filler filler filler filler");
        err = store_meeting_save(s, &m);
        saved += !err;
    }
    assert_int_equal(err, -ENOSPC);
    assert_int_equal(store_meeting_load_all(s, collect, &c), 0);
    assert_string_equal(c.m[0].title, "Kept");
    assert_int_equal(store_integrity_ok(s), 1);
    store_close(&s);
}

/* The schema before plain_rtp was version 6. A migration added after it must drop its own
 * columns here too, so that this stays a faithful version-6 database. */
#define VERSION_BEFORE_PLAIN_RTP 6

/* A database of the version before plain_rtp: its rows load with plain_rtp 0 after the
 * migration, everything else as it was, and the new column then saves and loads. */
static void test_migration_adds_plain_rtp(void **state)
{
    char path[] = "/tmp/mcu-store-XXXXXX";
    fresh_path(path);
    struct store *s;
    assert_int_equal(store_open(&s, path), 0);
    struct meeting a = sample("m-oldoldol", "Old");
    a.video_kbps = 700;
    assert_int_equal(store_meeting_save(s, &a), 0);
    store_close(&s);
    sqlite3 *db;
    char sql[160];
    snprintf(sql, sizeof(sql), "ALTER TABLE meetings DROP COLUMN plain_rtp; PRAGMA user_version=%d",
             VERSION_BEFORE_PLAIN_RTP);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(store_open(&s, path), 0);
    struct collected c = {0};
    assert_int_equal(store_meeting_load_all(s, collect, &c), 0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.m[0].title, "Old");
    assert_string_equal(c.m[0].pin, "1234");
    assert_int_equal(c.m[0].video_kbps, 700);
    assert_int_equal(c.m[0].plain_rtp, 0);
    c.m[0].plain_rtp = 1;
    assert_int_equal(store_meeting_save(s, &c.m[0]), 0);
    store_close(&s);
    assert_int_equal(store_open(&s, path), 0);
    memset(&c, 0, sizeof(c));
    assert_int_equal(store_meeting_load_all(s, collect, &c), 0);
    assert_int_equal(c.m[0].plain_rtp, 1);
    store_close(&s);
    remove_db(path);
}

static void test_unopenable(void **state)
{
    struct store *s = NULL;
    assert_int_equal(store_open(&s, "/nonexistent-dir/mcu.db"), -EIO);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_load),  cmocka_unit_test(test_persists_and_refuses_future),
        cmocka_unit_test(test_full_disk),  cmocka_unit_test(test_migration_adds_plain_rtp),
        cmocka_unit_test(test_unopenable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
