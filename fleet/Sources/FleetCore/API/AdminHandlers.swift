import Foundation
import OutpostJSON
import OutpostPackage
import OutpostProtocol

func jint(_ n: Int) -> JSONValue { .number(Double(n)) }
func jopt(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }

extension FleetAPI {
    func health() async throws -> FleetResponse {
        do { try await db.query("SELECT 1") } catch {
            return .error(APIError(503, "database_unavailable", "the database does not answer: \(error)"))
        }
        return .json(.object([("status", .string("ok")), ("backend", .string(db.dialect == .sqlite ? "sqlite" : "postgres"))]))
    }

    func createAdminToken(_ req: FleetRequest, _ p: Principal) async throws -> FleetResponse {
        let o = try req.jsonObject()
        let name = try wire { () throws(WireError) in try o.string("name", maxLength: 100) }
        let t = Tokens.make(.admin)
        let now = self.now
        try await db.transaction { tx in
            try await tx.query("INSERT INTO admin_tokens (id, name, hash, created_at) VALUES (?, ?, ?, ?)",
                               [.text(t.id), .text(name), .text(Tokens.hash(t.token)), .int(now)])
            try await FleetAPI.audit(tx, now: now, actor: p.actor, action: "admin_token.create", subject: t.id, detail: name)
        }
        return .json(.object([("id", .string(t.id)), ("name", .string(name)), ("token", .string(t.token))]), status: 201)
    }

    func revokeAdminToken(_ req: FleetRequest, _ p: Principal) async throws -> FleetResponse {
        let id = req.param("id"), now = self.now
        let found = try await db.transaction { tx -> Bool in
            let rows = try await tx.query("UPDATE admin_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id", [.int(now), .text(id)])
            if !rows.isEmpty { try await FleetAPI.audit(tx, now: now, actor: p.actor, action: "admin_token.revoke", subject: id, detail: "") }
            return !rows.isEmpty
        }
        guard found else { throw APIError.notFound("no active admin token '\(id)'") }
        return FleetResponse(status: 204)
    }

    func listKeys() async throws -> FleetResponse {
        var items = [JSONValue]()
        for row in try await db.query("SELECT key_id, public_key, name, added_at FROM publisher_keys ORDER BY added_at, key_id") {
            items.append(.object([("key_id", .string(row.text("key_id"))), ("public_key", .string(row.text("public_key"))),
                                  ("name", .string(row.text("name"))), ("added_at", jint(row.int("added_at")))]))
        }
        return .json(.object([("keys", .array(items))]))
    }

    func addKey(_ req: FleetRequest, _ p: Principal) async throws -> FleetResponse {
        let o = try req.jsonObject()
        let (name, text) = try wire { () throws(WireError) in (try o.string("name", maxLength: 100), try o.string("public_key", maxLength: 200)) }
        let key = try FleetConfig.parseKey(text)
        let now = self.now
        try await db.transaction { tx in
            try await tx.query("INSERT INTO publisher_keys (key_id, public_key, name, added_at) VALUES (?, ?, ?, ?)",
                               [.text(key.keyID), .text(PublicKey.fileTag + " " + Hex.encode(key.bytes)), .text(name), .int(now)])
            try await FleetAPI.audit(tx, now: now, actor: p.actor, action: "publisher_key.add", subject: key.keyID, detail: name)
        }
        return .json(.object([("key_id", .string(key.keyID)), ("name", .string(name))]), status: 201)
    }

    func auditLog(_ req: FleetRequest) async throws -> FleetResponse {
        let limit = min(max(Int(req.query["limit"] ?? "") ?? 100, 1), 1000)
        var items = [JSONValue]()
        for row in try await db.query("SELECT id, time, actor, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT ?", [.int(limit)]) {
            items.append(.object([("id", jint(row.int("id"))), ("time", jint(row.int("time"))), ("actor", .string(row.text("actor"))),
                                  ("action", .string(row.text("action"))), ("subject", .string(row.text("subject"))),
                                  ("detail", .string(row.text("detail")))]))
        }
        return .json(.object([("entries", .array(items))]))
    }
}

/// Runs typed-throwing wire parsing and turns its error into a 400.
func wire<T>(_ body: () throws(WireError) -> T) throws -> T {
    do { return try body() } catch { throw APIError.invalid(error) }
}

/// Labels as JSON text (stored) and back.
func labelsText(_ labels: [String: String]) -> String { wireLabelsValue(labels).serialized() }
func labelsFrom(_ text: String) -> [String: String] {
    guard let v = try? JSONReader.parse(text), let o = try? WireObject(v, path: ""), let l = try? wireLabels(o.wrapped, "l") else { return [:] }
    return l
}
extension WireObject {
    /// `{"l": self}` so `wireLabels` can read a stored labels object.
    var wrapped: WireObject { try! WireObject(.object([("l", asValue)]), path: "") }
}
