import Foundation
import Logging
import NIOCore
import PostgresNIO

/// PostgreSQL backend (postgres-nio's pooled client): several fleet managers may
/// share one database; state changes take row locks (`SELECT … FOR UPDATE`) or
/// transaction-scoped advisory locks (`lock(_:)`).
public final class PostgresDatabase: FleetDatabase, @unchecked Sendable {
    public let dialect = SQLDialect.postgres
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let logger: Logger

    /// `postgres://user[:password]@host[:port]/database`
    public init(url: String, logger: Logger) throws {
        guard let c = URLComponents(string: url), c.scheme == "postgres" || c.scheme == "postgresql",
              let host = c.host, !host.isEmpty else {
            throw DatabaseError("expected a database URL like postgres://user:password@host:5432/database, got '\(url)'")
        }
        let db = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        var config = PostgresClient.Configuration(host: host, port: c.port ?? 5432, username: c.user ?? "postgres",
                                                  password: c.password, database: db.isEmpty ? nil : db, tls: .disable)
        config.options.maximumConnections = 16
        self.logger = logger
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.client = client
        runTask = Task { await client.run() }
    }

    public func close() async { runTask.cancel() }

    static func makeQuery(_ sql: String, _ binds: [SQLValue]) throws -> PostgresQuery {
        // "?" -> "$n" outside quoted literals.
        var out = ""
        var n = 0
        var inString = false
        for ch in sql {
            if ch == "'" { inString.toggle() }
            if ch == "?" && !inString { n += 1; out += "$\(n)" } else { out.append(ch) }
        }
        var b = PostgresBindings(capacity: binds.count)
        for v in binds {
            switch v {
            case .null: b.appendNull()
            case .int(let i): b.append(Int64(i))
            case .double(let d): b.append(d)
            case .text(let t): b.append(t)
            case .blob(let bytes): b.append(ByteBuffer(bytes: bytes))
            }
        }
        return PostgresQuery(unsafeSQL: out, binds: b)
    }

    static func run(_ conn: PostgresConnection, _ sql: String, _ binds: [SQLValue], logger: Logger) async throws -> [SQLRow] {
        do {
            let stream = try await conn.query(try makeQuery(sql, binds), logger: logger)
            var rows = [SQLRow]()
            for try await row in stream {
                var cols = [String](), vals = [SQLValue]()
                for cell in row {
                    cols.append(cell.columnName)
                    vals.append(try value(cell))
                }
                rows.append(SQLRow(columns: cols, values: vals))
            }
            return rows
        } catch let e as PSQLError {
            let code = e.serverInfo?[.sqlState] ?? ""
            let msg = e.serverInfo?[.message] ?? "\(e.code)"
            throw DatabaseError("PostgreSQL: \(msg)", isUniqueViolation: code == "23505")
        }
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .int(Int(try cell.decode(Int64.self)))
        case .float4, .float8, .numeric: return .double(try cell.decode(Double.self))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea:
            var buf = try cell.decode(ByteBuffer.self)
            return .blob(buf.readBytes(length: buf.readableBytes) ?? [])
        default: return .text(try cell.decode(String.self))
        }
    }

    @discardableResult
    public func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let logger = self.logger
        return try await client.withConnection { conn in try await PostgresDatabase.run(conn, sql, binds, logger: logger) }
    }

    private struct OnConnection: SQLExecutor, @unchecked Sendable {
        let conn: PostgresConnection
        let logger: Logger
        var dialect: SQLDialect { .postgres }
        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            try await PostgresDatabase.run(conn, sql, binds, logger: logger)
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await client.withConnection { conn in
            let ex = OnConnection(conn: conn, logger: logger)
            _ = try await ex.query("BEGIN", [])
            do {
                let r = try await body(ex)
                _ = try await ex.query("COMMIT", [])
                return r
            } catch {
                _ = try? await ex.query("ROLLBACK", [])
                throw error
            }
        }
    }
}
