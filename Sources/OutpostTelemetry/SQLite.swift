import CSQLite
import OutpostText

/// A thin typed layer over the SQLite C API: one connection, prepared statements,
/// result codes turned into `TelemetryError`s that name the path and the step.
final class SQLiteConnection {
    let path: String
    private(set) var handle: OpaquePointer?

    init(path: String, flags: Int32) throws(TelemetryError) {
        self.path = path
        // libsqlite3 is opened on first use (CSQLite): say so, naming it, if it is missing.
        if op_sqlite_load() != 0 {
            throw .cannotOpen(path: path, reason: String(cString: op_sqlite_library_error()))
        }
        var db: OpaquePointer?
        let rc = path.withCString { op_sqlite3_open_v2($0, &db, flags, nil) }
        if rc != SQLITE_OK {
            let message = db.map { String(cString: op_sqlite3_errmsg($0)) } ?? "out of memory"
            op_sqlite3_close_v2(db)
            throw SQLiteConnection.classify(rc, path: path, message: message, context: "open")
        }
        handle = db
    }

    deinit { close() }

    func close() {
        if let h = handle { op_sqlite3_close_v2(h) }
        handle = nil
    }

    var isReadOnly: Bool { handle.map { op_sqlite3_db_readonly($0, "main") == 1 } ?? true }
    var inTransaction: Bool { handle.map { op_sqlite3_get_autocommit($0) == 0 } ?? false }
    var changes: Int { handle.map { Int(op_sqlite3_changes($0)) } ?? 0 }

    func error(_ rc: Int32, _ context: String) -> TelemetryError {
        let message = handle.map { String(cString: op_sqlite3_errmsg($0)) } ?? "closed"
        return SQLiteConnection.classify(rc, path: path, message: message, context: context)
    }

    static func classify(_ rc: Int32, path: String, message: String, context: String) -> TelemetryError {
        switch rc & 0xff {
        case SQLITE_FULL: return .diskFull(path: path)
        case SQLITE_READONLY: return .readOnly(path: path)
        case SQLITE_CORRUPT, SQLITE_NOTADB: return .corrupt(path: path, detail: message)
        case SQLITE_BUSY, SQLITE_LOCKED: return .busy(path: path)
        case SQLITE_CANTOPEN: return .cannotOpen(path: path, reason: message)
        case SQLITE_PERM: return .readOnly(path: path)
        default: return .sqlite(code: rc, message: message, context: context)
        }
    }

    /// Runs one or more statements without results.
    func execute(_ sql: String) throws(TelemetryError) {
        guard let h = handle else { throw .sqlite(code: SQLITE_MISUSE, message: "store is closed", context: sql) }
        let rc = sql.withCString { op_sqlite3_exec(h, $0, nil, nil, nil) }
        if rc != SQLITE_OK { throw error(rc, sql) }
    }

    func prepare(_ sql: String) throws(TelemetryError) -> Statement {
        guard let h = handle else { throw .sqlite(code: SQLITE_MISUSE, message: "store is closed", context: sql) }
        var stmt: OpaquePointer?
        let rc = sql.withCString { op_sqlite3_prepare_v2(h, $0, -1, &stmt, nil) }
        if rc != SQLITE_OK || stmt == nil { throw error(rc, String(outlined: "prepare \(sql)")) }
        return Statement(stmt!, connection: self, sql: sql)
    }

    /// First column of the first row as an integer (PRAGMA user_version, counts).
    func scalarInt(_ sql: String) throws(TelemetryError) -> Int64 {
        let s = try prepare(sql)
        defer { s.finalize() }
        guard try s.step() else { return 0 }
        return s.int64(0)
    }

    func scalarText(_ sql: String) throws(TelemetryError) -> String {
        let s = try prepare(sql)
        defer { s.finalize() }
        guard try s.step() else { return "" }
        return s.text(0)
    }
}

/// A prepared statement. Bind indices start at 1, column indices at 0.
final class Statement {
    private var stmt: OpaquePointer?
    let connection: SQLiteConnection  // strong: Embedded Swift has no unowned; no cycle (the connection keeps no statements)
    let sql: String

    init(_ stmt: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.stmt = stmt
        self.connection = connection
        self.sql = sql
    }

    deinit { finalize() }

    func finalize() {
        if let s = stmt { op_sqlite3_finalize(s) }
        stmt = nil
    }

    /// Ready to run again; bindings stay (every caller rebinds every parameter).
    func reset() {
        op_sqlite3_reset(stmt)
    }

    func bind(_ i: Int32, _ v: Int64) { op_sqlite3_bind_int64(stmt, i, v) }
    func bind(_ i: Int32, _ v: Double) { op_sqlite3_bind_double(stmt, i, v) }
    func bind(_ i: Int32, _ v: Int32) { op_sqlite3_bind_int64(stmt, i, Int64(v)) }
    func bind(_ i: Int32, _ v: String) {
        v.withCString { _ = op_sqlite_bind_text(stmt, i, $0, -1) }
    }
    func bind(_ i: Int32, bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = op_sqlite_bind_blob(stmt, i, $0.baseAddress, Int32($0.count)) }
    }

    /// Steps once: true when a row is available, false when done.
    func step() throws(TelemetryError) -> Bool {
        let rc = op_sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let e = connection.error(rc, sql)
        op_sqlite3_reset(stmt)
        throw e
    }

    /// Steps a statement without results to completion and resets it.
    func run() throws(TelemetryError) {
        defer { reset() }
        while try step() {}
    }

    func int64(_ c: Int32) -> Int64 { op_sqlite3_column_int64(stmt, c) }
    func double(_ c: Int32) -> Double { op_sqlite3_column_double(stmt, c) }
    func text(_ c: Int32) -> String {
        guard let p = op_sqlite3_column_text(stmt, c) else { return "" }
        let n = Int(op_sqlite3_column_bytes(stmt, c))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }
    func blob(_ c: Int32) -> [UInt8] {
        let n = Int(op_sqlite3_column_bytes(stmt, c))
        guard n > 0, let p = op_sqlite3_column_blob(stmt, c) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: p, count: n))
    }
}
