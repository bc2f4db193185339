import Foundation
import Logging
import OutpostJSON
import OutpostProtocol

/// Who may call a route.
public enum Access: Sendable {
    case anyone
    case admin
    /// A device credential whose device id equals the path's `{id}`.
    case ownDevice
    /// An admin, or the device named by the path's `{id}`.
    case adminOrOwnDevice
    /// An admin or any enrolled device (package downloads by digest).
    case adminOrDevice
}

public struct Route: Sendable {
    public let method: String
    /// `/v1/devices/{id}/checkin`: `{name}` matches one path segment.
    public let pattern: String
    public let access: Access
    /// Body limit: JSON bodies use the JSON limit, uploads the package limit.
    public let largeBody: Bool
    public let handler: @Sendable (FleetAPI, FleetRequest, Principal?) async throws -> FleetResponse

    public var segments: [Substring] { pattern.split(separator: "/") }

    /// Path parameters if `path` matches.
    public func match(_ path: String) -> [String: String]? {
        let want = segments, got = path.split(separator: "/")
        guard want.count == got.count else { return nil }
        var params = [String: String]()
        for (w, g) in zip(want, got) {
            if w.hasPrefix("{") { params[String(w.dropFirst().dropLast())] = g.removingPercentEncoding ?? String(g) }
            else if w != g { return nil }
        }
        return params
    }
}

/// The fleet manager's HTTP API, independent of the server library: a route
/// table, authentication and the mapping of every error to a 4xx/5xx answer.
public final class FleetAPI: @unchecked Sendable {
    public let db: any FleetDatabase
    public let config: FleetConfig
    public let logger: Logger
    public let metrics = Metrics()
    /// Unix seconds; replaceable in tests (token expiry, buckets).
    public var clock: @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }

    public init(db: any FleetDatabase, config: FleetConfig, logger: Logger) {
        self.db = db
        self.config = config
        self.logger = logger
    }

    public var now: Int { clock() }

    /// Applies migrations, adds configured publisher keys, creates the first
    /// admin token if there is none (returned so the caller can write it down).
    public func start() async throws -> String? {
        let applied = try await Migrations.migrate(db, now: now)
        if !applied.isEmpty { logger.info("schema migrated", metadata: ["versions": "\(applied)"]) }
        for k in config.trustedKeys {
            let key = try FleetConfig.parseKey(k)
            try await db.query("INSERT INTO publisher_keys (key_id, public_key, name, added_at) VALUES (?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING",
                               [.text(key.keyID), .text(key.fileText.trimmingCharacters(in: .whitespacesAndNewlines)), .text("config"), .int(now)])
        }
        return try await db.transaction { tx -> String? in
            try await tx.lock("outpost-fleet-bootstrap")
            if try await tx.one("SELECT id FROM admin_tokens LIMIT 1") != nil { return nil }
            let t = Tokens.make(.admin)
            try await tx.query("INSERT INTO admin_tokens (id, name, hash, created_at) VALUES (?, ?, ?, ?)",
                               [.text(t.id), .text("bootstrap"), .text(Tokens.hash(t.token)), .int(self.now)])
            try await FleetAPI.audit(tx, now: self.now, actor: "system", action: "admin_token.create", subject: t.id, detail: "bootstrap admin token")
            return t.token
        }
    }

    public let routes: [Route] = FleetAPI.makeRoutes()

    /// Matches, authenticates and runs a request (tests and the server's fallback).
    public func handle(_ request: FleetRequest) async -> FleetResponse {
        if FleetAPI.isDashboardPath(request.path) { return await dashboard(request) }
        var candidates = [(Route, [String: String])]()
        for r in routes { if let p = r.match(request.path) { candidates.append((r, p)) } }
        guard !candidates.isEmpty else { return .error(.notFound("no route for \(request.path)")) }
        guard let (route, params) = candidates.first(where: { $0.0.method == request.method }) else {
            var allowed = ""
            for c in candidates { allowed += (allowed.isEmpty ? "" : ", ") + c.0.method }
            var r = FleetResponse.error(APIError(405, "method_not_allowed", "\(request.method) is not allowed on \(request.path); allowed: \(allowed)"))
            r.headers.append(("Allow", allowed))
            return r
        }
        var req = request
        req.params = params
        return await run(route, req)
    }

    /// Runs one matched route: body limit, authentication, authorisation, handler.
    public func run(_ route: Route, _ request: FleetRequest) async -> FleetResponse {
        let start = DispatchTime.now().uptimeNanoseconds
        let response: FleetResponse
        do {
            let limit = route.largeBody ? config.maxPackageBytes : config.maxJSONBytes
            if request.body.count > limit { throw APIError.tooLarge(limit) }
            let principal = try await authorize(route, request)
            response = try await route.handler(self, request, principal)
        } catch let e as APIError {
            response = .error(e)
        } catch let e as DatabaseError where e.isUniqueViolation {
            response = .error(.conflict("already exists (\(e.message))"))
        } catch {
            logger.error("internal error", metadata: ["route": "\(route.method) \(route.pattern)", "error": "\(error)"])
            response = .error(APIError(500, "internal", "internal error; see the server log"))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        metrics.record(route: "\(route.method) \(route.pattern)", status: response.status, seconds: seconds)
        logger.debug("request", metadata: ["method": "\(request.method)", "path": "\(request.path)", "status": "\(response.status)"])
        return response
    }

    func authorize(_ route: Route, _ request: FleetRequest) async throws -> Principal? {
        if case .anyone = route.access { return nil }
        guard let header = request.headers["authorization"] else {
            throw APIError.unauthorized("missing 'Authorization: Bearer <token>' header")
        }
        guard header.hasPrefix("Bearer ") else { throw APIError.unauthorized("the Authorization header must be 'Bearer <token>'") }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        let principal = try await authenticate(token)
        switch (route.access, principal) {
        case (.admin, .admin), (.adminOrDevice, _), (.adminOrOwnDevice, .admin): return principal
        case (.admin, .device):
            throw APIError.forbidden("this endpoint needs an admin token; a device credential was presented")
        case (.ownDevice, .admin):
            throw APIError.forbidden("this endpoint needs the device's own credential; an admin token was presented")
        case (.ownDevice, .device(let id)), (.adminOrOwnDevice, .device(let id)):
            if id != request.param("id") { throw APIError.forbidden("a device may only access its own resources") }
            return principal
        case (.anyone, _): return principal
        }
    }

    func authenticate(_ token: String) async throws -> Principal {
        if let id = Tokens.parse(token, .admin) {
            guard let row = try await db.one("SELECT name, hash, revoked_at FROM admin_tokens WHERE id = ?", [.text(id)]),
                  Tokens.constantTimeEqual(row.text("hash"), Tokens.hash(token)) else {
                throw APIError.unauthorized("unknown admin token")
            }
            if row["revoked_at"] != .null { throw APIError.unauthorized("this admin token was revoked") }
            return .admin(tokenID: id, name: row.text("name"))
        }
        if let id = Tokens.parse(token, .device) {
            guard let row = try await db.one("SELECT id, hash, revoked_at FROM devices WHERE id = ?", [.text(id)]),
                  Tokens.constantTimeEqual(row.text("hash"), Tokens.hash(token)) else {
                throw APIError.unauthorized("unknown device credential")
            }
            if row["revoked_at"] != .null { throw APIError.unauthorized("this device's credential was revoked; enroll again") }
            return .device(id: id)
        }
        throw APIError.unauthorized("not an Outpost admin token or device credential")
    }

    static func audit(_ ex: any SQLExecutor, now: Int, actor: String, action: String, subject: String, detail: String) async throws {
        try await ex.query("INSERT INTO audit_log (time, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
                           [.int(now), .text(actor), .text(action), .text(subject), .text(detail)])
    }
}
