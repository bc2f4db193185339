import Foundation
import OutpostJSON
import OutpostProtocol

extension FleetAPI {
    /// POST /v1/enrollment-tokens {"labels":{…}, "expires_in_seconds":86400, "max_uses":1}
    func createEnrollmentToken(_ req: FleetRequest, _ p: Principal) async throws -> FleetResponse {
        let o = try req.jsonObject()
        let (labels, ttl, uses) = try wire { () throws(WireError) in
            (try wireLabels(o, "labels"), try o.optionalInt("expires_in_seconds", min: 60, max: 365 * 86400) ?? 86400,
             try o.optionalInt("max_uses", min: 1, max: 1_000_000) ?? 1)
        }
        let t = Tokens.make(.enrollment)
        let now = self.now
        try await db.transaction { tx in
            try await tx.query("INSERT INTO enrollment_tokens (id, hash, labels, expires_at, max_uses, uses, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)",
                               [.text(t.id), .text(Tokens.hash(t.token)), .text(labelsText(labels)), .int(now + ttl), .int(uses), .int(now)])
            try await FleetAPI.audit(tx, now: now, actor: p.actor, action: "enrollment_token.create", subject: t.id,
                                     detail: "labels \(labelsText(labels)), \(uses) use(s), expires in \(ttl) s")
        }
        return .json(.object([("id", .string(t.id)), ("token", .string(t.token)), ("labels", wireLabelsValue(labels)),
                              ("expires_at", jint(now + ttl)), ("max_uses", jint(uses))]), status: 201)
    }

    func revokeEnrollmentToken(_ req: FleetRequest, _ p: Principal) async throws -> FleetResponse {
        let id = req.param("id"), now = self.now
        let found = try await db.transaction { tx -> Bool in
            let rows = try await tx.query("UPDATE enrollment_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id", [.int(now), .text(id)])
            if !rows.isEmpty { try await FleetAPI.audit(tx, now: now, actor: p.actor, action: "enrollment_token.revoke", subject: id, detail: "") }
            return !rows.isEmpty
        }
        guard found else { throw APIError.notFound("no active enrollment token '\(id)'") }
        return FleetResponse(status: 204)
    }

    /// POST /v1/enroll: one use of an enrollment token → a new device and its credential.
    func enroll(_ req: FleetRequest) async throws -> FleetResponse {
        let e = try req.decode(EnrollRequest.self)
        guard let tokenID = Tokens.parse(e.token, .enrollment) else { throw APIError.unauthorized("not an enrollment token") }
        let now = self.now
        let cred = Tokens.make(.device)
        let labels = try await db.transaction { tx -> [String: String] in
            // The row lock makes concurrent enrollments with one token count correctly.
            guard let row = try await tx.one("SELECT hash, labels, expires_at, max_uses, uses, revoked_at FROM enrollment_tokens WHERE id = ?" + tx.forUpdate,
                                             [.text(tokenID)]),
                  Tokens.constantTimeEqual(row.text("hash"), Tokens.hash(e.token)) else {
                throw APIError.unauthorized("unknown enrollment token")
            }
            if row["revoked_at"] != .null { throw APIError.unauthorized("this enrollment token was revoked") }
            if row.int("expires_at") <= now { throw APIError.unauthorized("this enrollment token expired") }
            if row.int("uses") >= row.int("max_uses") { throw APIError.unauthorized("this enrollment token has been used up (\(row.int("max_uses")) use(s))") }
            try await tx.query("UPDATE enrollment_tokens SET uses = uses + 1 WHERE id = ?", [.text(tokenID)])
            let labels = labelsFrom(row.text("labels"))
            try await tx.query("""
                INSERT INTO devices (id, hash, hardware_id, labels, enrolled_at, enrolled_with, agent_version, health, running, buffer)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'unknown', '[]', '{}')
                """, [.text(cred.id), .text(Tokens.hash(cred.token)), .text(e.hardwareID), .text(labelsText(labels)), .int(now),
                      .text(tokenID), .text(e.agentVersion)])
            try await FleetAPI.audit(tx, now: now, actor: "enrollment:\(tokenID)", action: "device.enroll", subject: cred.id,
                                     detail: "hardware \(e.hardwareID)")
            return labels
        }
        return .message(EnrollResponse(deviceID: cred.id, credential: cred.token, labels: labels, checkInSeconds: config.checkInSeconds), status: 201)
    }

    static func deviceJSON(_ row: SQLRow) -> JSONValue {
        .object([
            ("id", .string(row.text("id"))), ("hardware_id", .string(row.text("hardware_id"))),
            ("labels", wireLabelsValue(labelsFrom(row.text("labels")))), ("enrolled_at", jint(row.int("enrolled_at"))),
            ("last_seen", row["last_seen"].int.map(jint) ?? .null), ("agent_version", .string(row.text("agent_version"))),
            ("health", .string(row.text("health"))), ("health_message", jopt(row.optionalText("health_message"))),
            ("running", (try? JSONReader.parse(row.text("running"))) ?? .array([])),
            ("buffer", (try? JSONReader.parse(row.text("buffer"))) ?? .object([])),
            ("revoked", .bool(row["revoked_at"] != .null)),
        ])
    }

    func listDevices() async throws -> FleetResponse {
        var items = [JSONValue]()
        for row in try await db.query("SELECT * FROM devices ORDER BY enrolled_at, id") { items.append(FleetAPI.deviceJSON(row)) }
        return .json(.object([("devices", .array(items))]))
    }

    func device(_ req: FleetRequest) async throws -> FleetResponse {
        guard let row = try await db.one("SELECT * FROM devices WHERE id = ?", [.text(req.param("id"))]) else {
            throw APIError.notFound("no device '\(req.param("id"))'")
        }
        return .json(FleetAPI.deviceJSON(row))
    }

    func revokeDevice(_ req: FleetRequest, _ p: Principal) async throws -> FleetResponse {
        let id = req.param("id"), now = self.now
        let found = try await db.transaction { tx -> Bool in
            let rows = try await tx.query("UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id", [.int(now), .text(id)])
            if !rows.isEmpty { try await FleetAPI.audit(tx, now: now, actor: p.actor, action: "device.revoke", subject: id, detail: "") }
            return !rows.isEmpty
        }
        guard found else { throw APIError.notFound("no active device '\(id)'") }
        return FleetResponse(status: 204)
    }

    /// PUT /v1/devices/{id}/assignments/{model} {"version":"1.2.0","mode":"active"}: pins a version on one device.
    func assign(_ req: FleetRequest, _ p: Principal) async throws -> FleetResponse {
        let id = req.param("id"), model = req.param("model")
        let o = try req.jsonObject()
        let (version, mode) = try wire { () throws(WireError) in
            (try o.string("version", maxLength: 64), try o.value("mode") == nil ? "active" : try o.oneOf("mode", AssignmentMode.names))
        }
        let now = self.now
        try await db.transaction { tx in
            guard try await tx.one("SELECT id FROM devices WHERE id = ? AND revoked_at IS NULL", [.text(id)]) != nil else {
                throw APIError.notFound("no active device '\(id)'")
            }
            guard let pkg = try await tx.one("SELECT digest FROM packages WHERE model = ? AND version = ?", [.text(model), .text(version)]) else {
                throw APIError.notFound("no package for \(model) \(version) in the registry")
            }
            try await tx.query("""
                INSERT INTO assignments (device_id, model, digest, mode, rollout_id, assigned_at) VALUES (?, ?, ?, ?, NULL, ?)
                ON CONFLICT (device_id, model) DO UPDATE SET digest = excluded.digest, mode = excluded.mode, rollout_id = NULL,
                  assigned_at = excluded.assigned_at
                """, [.text(id), .text(model), .text(pkg.text("digest")), .text(mode), .int(now)])
            try await FleetAPI.audit(tx, now: now, actor: p.actor, action: "assignment.set", subject: id, detail: "\(model) \(version) \(mode)")
        }
        return try await assignmentsResponse(id)
    }

    func assignments(_ ex: any SQLExecutor, _ deviceID: String) async throws -> [Assignment] {
        var out = [Assignment]()
        for row in try await ex.query("""
            SELECT a.model, a.digest, a.mode, a.rollout_id, p.version, p.size, p.key_id, p.signature
            FROM assignments a JOIN packages p ON p.digest = a.digest WHERE a.device_id = ? ORDER BY a.model
            """, [.text(deviceID)]) {
            out.append(Assignment(model: row.text("model"), version: row.text("version"), digest: row.text("digest"), size: row.int("size"),
                                  keyID: row.text("key_id"), signature: row.text("signature"),
                                  mode: AssignmentMode(rawValue: row.text("mode")) ?? .active, rolloutID: row.optionalText("rollout_id")))
        }
        return out
    }

    func assignmentsResponse(_ deviceID: String) async throws -> FleetResponse {
        guard try await db.one("SELECT id FROM devices WHERE id = ?", [.text(deviceID)]) != nil else { throw APIError.notFound("no device '\(deviceID)'") }
        return .json(.object([("device_id", .string(deviceID)), ("assignments", wireArray(try await assignments(db, deviceID)))]))
    }
}
