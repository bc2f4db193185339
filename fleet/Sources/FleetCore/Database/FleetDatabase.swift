/// A value bound to or read from SQL. Both backends map to these five.
public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int)
    case double(Double)
    case text(String)
    case blob([UInt8])

    public var int: Int? { if case .int(let v) = self { return v }; return nil }
    public var text: String? { if case .text(let v) = self { return v }; return nil }
    public var blob: [UInt8]? { if case .blob(let v) = self { return v }; return nil }
    public var double: Double? {
        switch self {
        case .double(let v): return v
        case .int(let v): return Double(v)
        default: return nil
        }
    }
}

/// One result row: values by column position and name.
public struct SQLRow: Sendable {
    public var columns: [String]
    public var values: [SQLValue]

    public subscript(_ name: String) -> SQLValue {
        if let i = columns.firstIndex(of: name) { return values[i] }
        return .null
    }
    public func int(_ name: String) -> Int { self[name].int ?? 0 }
    public func text(_ name: String) -> String { self[name].text ?? "" }
    public func optionalText(_ name: String) -> String? { self[name].text }
}

public enum SQLDialect: Sendable {
    case sqlite, postgres
}

/// What a storage backend failed at; mapped to HTTP 503/500 by the API layer.
public struct DatabaseError: Error, CustomStringConvertible {
    public var message: String
    /// A uniqueness violation (the API turns it into 409 Conflict).
    public var isUniqueViolation: Bool
    public init(_ message: String, isUniqueViolation: Bool = false) {
        self.message = message
        self.isUniqueViolation = isUniqueViolation
    }
    public var description: String { message }
}

/// SQL executed inside one transaction or on one connection. Placeholders are
/// written `?` in every statement; the PostgreSQL backend renumbers them `$n`.
public protocol SQLExecutor: Sendable {
    var dialect: SQLDialect { get }
    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
}

/// The storage interface the fleet manager is written against. Two backends:
/// `SQLiteDatabase` (a file, the default) and `PostgresDatabase` (several fleet
/// managers on one database). State changes run in `transaction`; on PostgreSQL
/// `lock(key)` inside a transaction takes a transaction-scoped advisory lock so
/// one replica at a time changes the same state (SQLite serialises writers anyway).
public protocol FleetDatabase: SQLExecutor {
    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    func close() async
}

extension SQLExecutor {
    @discardableResult
    public func query(_ sql: String) async throws -> [SQLRow] { try await query(sql, []) }

    public func one(_ sql: String, _ binds: [SQLValue] = []) async throws -> SQLRow? {
        try await query(sql, binds).first
    }

    /// Serialises a state change across replicas (PostgreSQL advisory lock held
    /// until the transaction ends). Call inside `transaction`.
    public func lock(_ key: String) async throws {
        guard dialect == .postgres else { return }
        var h: UInt64 = 0xcbf29ce484222325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        try await query("SELECT pg_advisory_xact_lock(?)", [.int(Int(Int64(bitPattern: h)))])
    }

    /// SQL text for "this row, locked until commit" reads.
    public var forUpdate: String { dialect == .postgres ? " FOR UPDATE" : "" }
}
