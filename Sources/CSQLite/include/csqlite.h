// CSQLite: the system libsqlite3 for OutpostTelemetry, opened with dlopen on first
// use (only the telemetry store needs it; linking it would map and relocate it in
// every `outpost run`). <sqlite3.h> (libsqlite3-dev) gives the types and constants;
// the functions are called through op_sqlite3_* wrappers over pointers resolved once.
// OUTPOST_LIBSQLITE3 overrides the library name/path.
// Swift cannot import function-like macros such as SQLITE_TRANSIENT, and the
// variadic sqlite3_db_config is unavailable to it; the shims at the end cover those.
#ifndef OUTPOST_CSQLITE_H
#define OUTPOST_CSQLITE_H
#include <sqlite3.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Loads libsqlite3 (once). 0 when available, else -1 and op_sqlite_library_error()
/// says why, naming the library. The op_sqlite3_* functions must not be called
/// before it returned 0.
int op_sqlite_load(void);
const char *op_sqlite_library_error(void);

int op_sqlite3_open_v2(const char *filename, sqlite3 **db, int flags, const char *vfs);
int op_sqlite3_close_v2(sqlite3 *db);
const char *op_sqlite3_errmsg(sqlite3 *db);
int op_sqlite3_db_readonly(sqlite3 *db, const char *name);
int op_sqlite3_get_autocommit(sqlite3 *db);
int op_sqlite3_changes(sqlite3 *db);
int op_sqlite3_busy_timeout(sqlite3 *db, int ms);
int op_sqlite3_exec(sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **), void *arg, char **errmsg);
int op_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int bytes, sqlite3_stmt **stmt, const char **tail);
int op_sqlite3_finalize(sqlite3_stmt *stmt);
int op_sqlite3_reset(sqlite3_stmt *stmt);
int op_sqlite3_step(sqlite3_stmt *stmt);
int op_sqlite3_bind_double(sqlite3_stmt *stmt, int index, double value);
int op_sqlite3_bind_int64(sqlite3_stmt *stmt, int index, sqlite3_int64 value);
const void *op_sqlite3_column_blob(sqlite3_stmt *stmt, int column);
int op_sqlite3_column_bytes(sqlite3_stmt *stmt, int column);
double op_sqlite3_column_double(sqlite3_stmt *stmt, int column);
sqlite3_int64 op_sqlite3_column_int64(sqlite3_stmt *stmt, int column);
const unsigned char *op_sqlite3_column_text(sqlite3_stmt *stmt, int column);

/// sqlite3_bind_text with SQLITE_TRANSIENT (SQLite copies the bytes).
int op_sqlite_bind_text(sqlite3_stmt *stmt, int index, const char *text, int bytes);
/// sqlite3_bind_blob with SQLITE_TRANSIENT; a zero-length blob binds as an empty blob, not NULL.
int op_sqlite_bind_blob(sqlite3_stmt *stmt, int index, const void *data, int bytes);
/// Turns on SQLITE_DBCONFIG_DEFENSIVE (variadic sqlite3_db_config), so
/// a corrupted schema cannot be used to write through shadow tables.
int op_sqlite_set_defensive(sqlite3 *db);
/// Removes a file; 0 or -1 (errno set). Used to delete a database with its -wal/-shm.
int op_sqlite_remove_file(const char *path);
/// The process id (unique temporary database names for benchmarks).
long op_sqlite_process_id(void);

#ifdef __cplusplus
}
#endif
#endif
