import CFleetSQLite
import Foundation

/// An async mutex: one holder at a time, FIFO, holds across suspension points
/// (a transaction's statements run between awaits).
final class AsyncLock: @unchecked Sendable {
    private let lock = NSLock()
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if !held { held = true; lock.unlock(); c.resume() } else { waiters.append(c); lock.unlock() }
        }
    }

    func release() {
        lock.lock()
        if waiters.isEmpty { held = false; lock.unlock() } else { let c = waiters.removeFirst(); lock.unlock(); c.resume() }
    }
}

private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// The default backend: one SQLite file (WAL) in the data directory, one
/// connection, statements serialised by an async lock.
public final class SQLiteDatabase: FleetDatabase, @unchecked Sendable {
    public let dialect = SQLDialect.sqlite
    private var db: OpaquePointer?
    private let gate = AsyncLock()
    public let path: String

    public init(path: String) throws {
        self.path = path
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil)
        guard rc == SQLITE_OK, let h = handle else {
            let msg = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(rc)"
            sqlite3_close(handle)
            throw DatabaseError("cannot open SQLite database \(path): \(msg)")
        }
        db = h
        sqlite3_busy_timeout(h, 5000)
        _ = try execute("PRAGMA journal_mode=WAL", [])
        _ = try execute("PRAGMA synchronous=NORMAL", [])
        _ = try execute("PRAGMA foreign_keys=ON", [])
    }

    deinit { sqlite3_close(db) }

    public func close() async {
        await gate.acquire()
        sqlite3_close(db)
        db = nil
        gate.release()
    }

    @discardableResult
    public func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        await gate.acquire()
        defer { gate.release() }
        return try execute(sql, binds)
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        await gate.acquire()
        defer { gate.release() }
        _ = try execute("BEGIN IMMEDIATE", [])
        do {
            let result = try await body(Inside(db: self))
            _ = try execute("COMMIT", [])
            return result
        } catch {
            _ = try? execute("ROLLBACK", [])
            throw error
        }
    }

    /// The executor handed to a transaction body: the lock is already held.
    private struct Inside: SQLExecutor {
        let db: SQLiteDatabase
        var dialect: SQLDialect { .sqlite }
        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] { try db.execute(sql, binds) }
    }

    func execute(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        guard let db else { throw DatabaseError("the SQLite database is closed") }
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let s = stmt else {
            throw DatabaseError("SQLite: \(String(cString: sqlite3_errmsg(db))) in: \(sql)")
        }
        defer { sqlite3_finalize(s) }
        for (i, v) in binds.enumerated() {
            let idx = Int32(i + 1)
            switch v {
            case .null: sqlite3_bind_null(s, idx)
            case .int(let n): sqlite3_bind_int64(s, idx, Int64(n))
            case .double(let d): sqlite3_bind_double(s, idx, d)
            case .text(let t): sqlite3_bind_text(s, idx, t, -1, SQLITE_TRANSIENT)
            case .blob(let b):
                b.withUnsafeBytes { p in _ = sqlite3_bind_blob(s, idx, p.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(p.count), SQLITE_TRANSIENT) }
            }
        }
        var rows = [SQLRow]()
        let n = sqlite3_column_count(s)
        var columns = [String]()
        for c in 0..<n { columns.append(String(cString: sqlite3_column_name(s, c))) }
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                let code = sqlite3_extended_errcode(db)
                throw DatabaseError("SQLite: \(String(cString: sqlite3_errmsg(db)))",
                                    isUniqueViolation: code == 2067 /* SQLITE_CONSTRAINT_UNIQUE */ || code == 1555 /* PRIMARYKEY */)
            }
            var values = [SQLValue]()
            for c in 0..<n {
                switch sqlite3_column_type(s, c) {
                case SQLITE_INTEGER: values.append(.int(Int(sqlite3_column_int64(s, c))))
                case SQLITE_FLOAT: values.append(.double(sqlite3_column_double(s, c)))
                case SQLITE_TEXT: values.append(.text(String(cString: sqlite3_column_text(s, c))))
                case SQLITE_BLOB:
                    let count = Int(sqlite3_column_bytes(s, c))
                    if count == 0 { values.append(.blob([])) } else {
                        let p = sqlite3_column_blob(s, c)!
                        values.append(.blob(Array(UnsafeRawBufferPointer(start: p, count: count))))
                    }
                default: values.append(.null)
                }
            }
            rows.append(SQLRow(columns: columns, values: values))
        }
        return rows
    }
}
