// CSQLite: the system libsqlite3 (libsqlite3-dev) for OutpostTelemetry.
// Swift cannot import function-like macros such as SQLITE_TRANSIENT, and the
// variadic sqlite3_config/db_config are unavailable to it; these inline shims cover
// what the telemetry store needs.
#ifndef OUTPOST_CSQLITE_H
#define OUTPOST_CSQLITE_H
#include <sqlite3.h>
#include <unistd.h>

/// sqlite3_bind_text with SQLITE_TRANSIENT (SQLite copies the bytes).
static inline int op_sqlite_bind_text(sqlite3_stmt *stmt, int index, const char *text, int bytes) {
    return sqlite3_bind_text(stmt, index, text, bytes, SQLITE_TRANSIENT);
}

/// sqlite3_bind_blob with SQLITE_TRANSIENT; a zero-length blob binds as an empty blob, not NULL.
static inline int op_sqlite_bind_blob(sqlite3_stmt *stmt, int index, const void *data, int bytes) {
    if (bytes == 0) return sqlite3_bind_zeroblob(stmt, index, 0);
    return sqlite3_bind_blob(stmt, index, data, bytes, SQLITE_TRANSIENT);
}

/// Turns on SQLITE_DBCONFIG_DEFENSIVE (variadic sqlite3_db_config), so
/// a corrupted schema cannot be used to write through shadow tables.
static inline int op_sqlite_set_defensive(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
}

/// Removes a file; 0 or -1 (errno set). Used to delete a database with its -wal/-shm.
static inline int op_sqlite_remove_file(const char *path) { return unlink(path); }

/// The process id (unique temporary database names for benchmarks).
static inline long op_sqlite_process_id(void) { return (long)getpid(); }
#endif
