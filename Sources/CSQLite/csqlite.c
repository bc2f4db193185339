// libsqlite3 through dlopen: see include/csqlite.h.
#include "csqlite.h"

#include <unistd.h>

#include "outpost_system.h"

#define OPS_FUNCTIONS(X) \
    X(sqlite3_open_v2) X(sqlite3_close_v2) X(sqlite3_errmsg) X(sqlite3_db_readonly) \
    X(sqlite3_get_autocommit) X(sqlite3_changes) X(sqlite3_busy_timeout) X(sqlite3_exec) \
    X(sqlite3_prepare_v2) X(sqlite3_finalize) X(sqlite3_reset) X(sqlite3_step) \
    X(sqlite3_bind_double) X(sqlite3_bind_int64) X(sqlite3_bind_text) X(sqlite3_bind_blob) \
    X(sqlite3_bind_zeroblob) X(sqlite3_column_blob) X(sqlite3_column_bytes) \
    X(sqlite3_column_double) X(sqlite3_column_int64) X(sqlite3_column_text) X(sqlite3_db_config)

OP_SHARED_LIBRARY_TABLE(OPS_FUNCTIONS);
static op_shared_library libsqlite3 = {
    .env_var = "OUTPOST_LIBSQLITE3", .default_name = "libsqlite3.so.0", .title = "SQLite",
    .needed_for = "the telemetry store", OP_SHARED_LIBRARY_SLOTS,
};

int op_sqlite_load(void) { return op_shared_library_load(&libsqlite3); }

const char *op_sqlite_library_error(void) { return op_shared_library_error(&libsqlite3); }

int op_sqlite3_open_v2(const char *f, sqlite3 **db, int flags, const char *vfs) { return lib.sqlite3_open_v2(f, db, flags, vfs); }
int op_sqlite3_close_v2(sqlite3 *db) { return lib.sqlite3_close_v2(db); }
const char *op_sqlite3_errmsg(sqlite3 *db) { return lib.sqlite3_errmsg(db); }
int op_sqlite3_db_readonly(sqlite3 *db, const char *name) { return lib.sqlite3_db_readonly(db, name); }
int op_sqlite3_get_autocommit(sqlite3 *db) { return lib.sqlite3_get_autocommit(db); }
int op_sqlite3_changes(sqlite3 *db) { return lib.sqlite3_changes(db); }
int op_sqlite3_busy_timeout(sqlite3 *db, int ms) { return lib.sqlite3_busy_timeout(db, ms); }
int op_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **), void *arg, char **err) {
    return lib.sqlite3_exec(db, sql, cb, arg, err);
}
int op_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int bytes, sqlite3_stmt **stmt, const char **tail) {
    return lib.sqlite3_prepare_v2(db, sql, bytes, stmt, tail);
}
int op_sqlite3_finalize(sqlite3_stmt *s) { return lib.sqlite3_finalize(s); }
int op_sqlite3_reset(sqlite3_stmt *s) { return lib.sqlite3_reset(s); }
int op_sqlite3_step(sqlite3_stmt *s) { return lib.sqlite3_step(s); }
int op_sqlite3_bind_double(sqlite3_stmt *s, int i, double v) { return lib.sqlite3_bind_double(s, i, v); }
int op_sqlite3_bind_int64(sqlite3_stmt *s, int i, sqlite3_int64 v) { return lib.sqlite3_bind_int64(s, i, v); }
const void *op_sqlite3_column_blob(sqlite3_stmt *s, int c) { return lib.sqlite3_column_blob(s, c); }
int op_sqlite3_column_bytes(sqlite3_stmt *s, int c) { return lib.sqlite3_column_bytes(s, c); }
double op_sqlite3_column_double(sqlite3_stmt *s, int c) { return lib.sqlite3_column_double(s, c); }
sqlite3_int64 op_sqlite3_column_int64(sqlite3_stmt *s, int c) { return lib.sqlite3_column_int64(s, c); }
const unsigned char *op_sqlite3_column_text(sqlite3_stmt *s, int c) { return lib.sqlite3_column_text(s, c); }

int op_sqlite_bind_text(sqlite3_stmt *stmt, int index, const char *text, int bytes) {
    return lib.sqlite3_bind_text(stmt, index, text, bytes, SQLITE_TRANSIENT);
}

int op_sqlite_bind_blob(sqlite3_stmt *stmt, int index, const void *data, int bytes) {
    if (bytes == 0) return lib.sqlite3_bind_zeroblob(stmt, index, 0);
    return lib.sqlite3_bind_blob(stmt, index, data, bytes, SQLITE_TRANSIENT);
}

int op_sqlite_set_defensive(sqlite3 *db) {
    return lib.sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
}

int op_sqlite_remove_file(const char *path) { return unlink(path); }

long op_sqlite_process_id(void) { return (long)getpid(); }
