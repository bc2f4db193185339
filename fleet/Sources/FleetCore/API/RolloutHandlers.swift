import Foundation
import OutpostJSON
import OutpostPackage
import OutpostProtocol

/// Staged rollouts: a model version to the devices matching a label selector, in
/// stages by percentage with deterministic bucketing (SHA-256 of rollout id and
/// device id), a soak time per stage, and gates judged only once enough devices
/// report. States: running → (paused ↔ running) → completed | aborted | rolled_back.
/// Every transition holds the rollout's lock (row lock + advisory lock on
/// PostgreSQL), so several fleet managers never advance one rollout twice, and
/// writes the audit log.
public struct RolloutGates: Sendable, Equatable {
    public var minDevices = 1
    public var maxActivationFailureRate = 0.05
    public var maxErrorRate = 0.02
    /// Candidate p95 latency may be at most this factor of the previous version's (nil: no gate).
    public var maxLatencyRatio: Double? = 1.5
    /// Shadow stages: minimum fraction of records where the candidate agreed with the active model.
    public var minShadowAgreement: Double? = 0.95
    /// Drift: largest PSI of any feature in any label group (merged since the stage started) (nil: no gate).
    public var maxPSI: Double? = 0.25
    /// Drift is judged only on merged histograms of at least this many samples.
    public var minDriftSamples = 100

    func json() -> JSONValue {
        .object([("min_devices", jint(minDevices)), ("max_activation_failure_rate", .number(maxActivationFailureRate)),
                 ("max_error_rate", .number(maxErrorRate)), ("max_latency_ratio", maxLatencyRatio.map { .number($0) } ?? .null),
                 ("min_shadow_agreement", minShadowAgreement.map { .number($0) } ?? .null),
                 ("max_psi", maxPSI.map { .number($0) } ?? .null), ("min_drift_samples", jint(minDriftSamples))])
    }

    static func parse(_ o: WireObject?) throws(WireError) -> RolloutGates {
        var g = RolloutGates()
        guard let o else { return g }
        if let n = try o.optionalInt("min_devices", min: 1) { g.minDevices = n }
        if let d = try o.optionalDouble("max_activation_failure_rate") { g.maxActivationFailureRate = d }
        if let d = try o.optionalDouble("max_error_rate") { g.maxErrorRate = d }
        if o.members.contains(where: { $0.key == "max_latency_ratio" }) { g.maxLatencyRatio = try o.optionalDouble("max_latency_ratio") }
        if o.members.contains(where: { $0.key == "min_shadow_agreement" }) { g.minShadowAgreement = try o.optionalDouble("min_shadow_agreement") }
        if o.members.contains(where: { $0.key == "max_psi" }) { g.maxPSI = try o.optionalDouble("max_psi") }
        if let n = try o.optionalInt("min_drift_samples", min: 1) { g.minDriftSamples = n }
        return g
    }
}

/// Measured gate values of the current stage.
struct GateReport {
    var cohort = 0
    var reporting = 0
    var activated = 0
    var activationFailures = 0
    var records = 0
    var errors = 0
    var p95: Int?
    var previousP95: Int?
    var shadowRecords = 0
    var agreed = 0
    var maxPSI: Double?
    var maxPSIWhere = ""
    var breaches: [String] = []

    func json() -> JSONValue {
        .object([("cohort_devices", jint(cohort)), ("reporting_devices", jint(reporting)), ("activated", jint(activated)),
                 ("activation_failures", jint(activationFailures)), ("records", jint(records)), ("errors", jint(errors)),
                 ("p95_latency_us", p95.map(jint) ?? .null), ("previous_p95_latency_us", previousP95.map(jint) ?? .null),
                 ("shadow_records", jint(shadowRecords)), ("shadow_agreed", jint(agreed)),
                 ("max_psi", maxPSI.map { .number($0) } ?? .null), ("max_psi_at", .string(maxPSIWhere)),
                 ("breaches", wireStrings(breaches))])
    }
}

extension FleetAPI {
    /// Deterministic bucket in 0..<100 of a device within a rollout.
    public static func bucket(rollout: String, device: String) -> Int {
        let d = OutpostPackage.SHA256.digest(Array((rollout + ":" + device).utf8))
        let n = (UInt32(d[0]) << 24) | (UInt32(d[1]) << 16) | (UInt32(d[2]) << 8) | UInt32(d[3])
        return Int(n % 100)
    }

    /// POST /v1/rollouts
    func createRollout(_ req: FleetRequest, _ p: Principal) async throws -> FleetResponse {
        let o = try req.jsonObject()
        struct Spec { var model = "", version = "", selector = [String: String](), stages = [Int](), soak = 0, gates = RolloutGates(), onBreach = "", mode = "" }
        let s = try wire { () throws(WireError) -> Spec in
            var s = Spec()
            s.model = try o.string("model", maxLength: 128)
            s.version = try o.string("version", maxLength: 64)
            s.selector = try wireLabels(o, "selector")
            let st = try o.array("stages", maxCount: 20, required: false)
            for (i, v) in st.enumerated() { s.stages.append(try WireObject.int(v, path: "stages[\(i)]", min: 1, max: 100)) }
            if s.stages.isEmpty { s.stages = [1, 10, 50, 100] }
            for i in 1..<max(s.stages.count, 1) where s.stages[i] <= s.stages[i - 1] {
                throw WireError(path: "stages[\(i)]", message: "stages must increase")
            }
            if s.stages.last != 100 { throw WireError(path: "stages", message: "the last stage must be 100") }
            s.soak = try o.optionalInt("soak_seconds", min: 0, max: 30 * 86400) ?? 3600
            s.gates = try RolloutGates.parse(o.value("gates") == nil ? nil : try o.object("gates"))
            s.onBreach = o.value("on_breach") == nil ? "pause" : try o.oneOf("on_breach", ["pause", "rollback"])
            s.mode = o.value("mode") == nil ? "active" : try o.oneOf("mode", AssignmentMode.names)
            return s
        }
        let id = "r-" + Tokens.random(10)
        let now = self.now
        try await db.transaction { tx in
            guard let pkg = try await tx.one("SELECT digest, release, parent_version FROM packages WHERE model = ? AND version = ?",
                                             [.text(s.model), .text(s.version)]) else {
                throw APIError.notFound("no package for \(s.model) \(s.version) in the registry")
            }
            try await tx.lock("rollouts|\(s.model)")
            if let other = try await tx.one("SELECT id FROM rollouts WHERE model = ? AND state IN ('running', 'paused')", [.text(s.model)]) {
                throw APIError.conflict("rollout \(other.text("id")) of \(s.model) is still active; finish, abort or roll it back first")
            }
            // The version to return to: the parent if registered, else the latest earlier release.
            var previous = try await tx.one("SELECT digest FROM packages WHERE model = ? AND version = ?",
                                            [.text(s.model), .text(pkg.optionalText("parent_version") ?? "")])
            if previous == nil {
                previous = try await tx.one("SELECT digest FROM packages WHERE model = ? AND release < ? ORDER BY release DESC LIMIT 1",
                                            [.text(s.model), .int(pkg.int("release"))])
            }
            try await tx.query("""
                INSERT INTO rollouts (id, model, digest, previous_digest, selector, stages, stage_index, state, stage_started_at,
                  soak_seconds, gates, on_breach, mode, reason, created_at, created_by, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, 0, 'running', ?, ?, ?, ?, ?, 'created', ?, ?, ?)
                """, [.text(id), .text(s.model), .text(pkg.text("digest")), previous.map { .text($0.text("digest")) } ?? .null,
                      .text(labelsText(s.selector)), .text(FleetAPI.countsText(s.stages)), .int(now), .int(s.soak),
                      .text(s.gates.json().serialized()), .text(s.onBreach), .text(s.mode), .int(now), .text(p.actor), .int(now)])
            try await FleetAPI.audit(tx, now: now, actor: p.actor, action: "rollout.create", subject: id,
                                     detail: "\(s.model) \(s.version) to \(labelsText(s.selector)) stages \(s.stages)")
            try await self.applyStage(tx, id)
        }
        return .json(try await rolloutJSON(id), status: 201)
    }

    /// Assigns the rollout's version to the matching devices whose bucket falls
    /// below the current stage's percentage (new devices join on re-evaluation).
    func applyStage(_ tx: any SQLExecutor, _ id: String) async throws {
        guard let r = try await tx.one("SELECT * FROM rollouts WHERE id = ?", [.text(id)]) else { return }
        let stages = FleetAPI.counts(r.text("stages"))
        let percent = stages[min(r.int("stage_index"), stages.count - 1)]
        let selector = labelsFrom(r.text("selector"))
        for dev in try await tx.query("SELECT id, labels FROM devices WHERE revoked_at IS NULL") {
            let labels = labelsFrom(dev.text("labels"))
            guard selector.allSatisfy({ labels[$0.key] == $0.value }) else { continue }
            guard FleetAPI.bucket(rollout: id, device: dev.text("id")) < percent else { continue }
            try await tx.query("""
                INSERT INTO assignments (device_id, model, digest, mode, rollout_id, assigned_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (device_id, model) DO UPDATE SET digest = excluded.digest, mode = excluded.mode,
                  rollout_id = excluded.rollout_id, assigned_at = excluded.assigned_at
                WHERE assignments.rollout_id IS NULL OR assignments.rollout_id <> excluded.rollout_id OR assignments.digest <> excluded.digest
                """, [.text(dev.text("id")), .text(r.text("model")), .text(r.text("digest")), .text(r.text("mode")), .text(id), .int(now)])
        }
    }

    /// Measures the gates over the current stage (since it started). Devices that
    /// sent nothing are not reporting: they neither pass nor fail a gate.
    func measure(_ tx: any SQLExecutor, _ r: SQLRow) async throws -> GateReport {
        var g = GateReport()
        let id = r.text("id"), digest = r.text("digest"), since = r.int("stage_started_at")
        let gates = RolloutGates.fromJSON(r.text("gates"))
        g.cohort = try await tx.one("SELECT COUNT(*) AS n FROM assignments WHERE rollout_id = ? AND digest = ?", [.text(id), .text(digest)])?.int("n") ?? 0
        guard let pkg = try await tx.one("SELECT version FROM packages WHERE digest = ?", [.text(digest)]) else { return g }
        let version = pkg.text("version"), model = r.text("model")
        for row in try await tx.query("""
            SELECT e.device_id, e.kind FROM deployment_events e JOIN assignments a ON a.device_id = e.device_id AND a.rollout_id = ?
            WHERE e.digest = ? AND e.received_at >= ?
            """, [.text(id), .text(digest), .int(since)]) {
            let k = DeploymentEventKind(rawValue: row.text("kind"))
            if k == .activated { g.activated += 1 } else if k?.isFailure == true { g.activationFailures += 1 }
        }
        var reporting = Set<String>()
        for row in try await tx.query("""
            SELECT DISTINCT e.device_id FROM deployment_events e JOIN assignments a ON a.device_id = e.device_id AND a.rollout_id = ?
            WHERE e.digest = ? AND e.received_at >= ?
            """, [.text(id), .text(digest), .int(since)]) { reporting.insert(row.text("device_id")) }
        var latencies = [Int]()
        for row in try await tx.query("""
            SELECT t.device_id, t.latency_us, t.status, t.agreed FROM telemetry_records t
            JOIN assignments a ON a.device_id = t.device_id AND a.rollout_id = ?
            WHERE t.model = ? AND t.version = ? AND t.time >= ?
            """, [.text(id), .text(model), .text(version), .int(since)]) {
            reporting.insert(row.text("device_id"))
            g.records += 1
            if row.text("status") == "error" { g.errors += 1 }
            latencies.append(row.int("latency_us"))
            if let a = row["agreed"].int { g.shadowRecords += 1; g.agreed += a }
        }
        g.reporting = reporting.count
        g.p95 = FleetAPI.p95(latencies)
        if let prev = r.optionalText("previous_digest"),
           let pv = try await tx.one("SELECT version FROM packages WHERE digest = ?", [.text(prev)]) {
            var prevLat = [Int]()
            for row in try await tx.query("SELECT latency_us FROM telemetry_records WHERE model = ? AND version = ? AND time >= ?",
                                          [.text(model), .text(pv.text("version")), .int(since)]) { prevLat.append(row.int("latency_us")) }
            g.previousP95 = FleetAPI.p95(prevLat)
        }
        if let baseline = try await driftBaseline(tx, model: model, version: version) {
            // Merge the buckets since the stage started, per group and feature.
            var merged = [String: (counts: [Int], samples: Int)]()
            for row in try await tx.query("""
                SELECT label_group, feature, counts, sample_count FROM drift_merged
                WHERE model = ? AND version = ? AND bucket_start + ? > ?
                """, [.text(model), .text(version), .int(config.driftBucketSeconds), .int(since)]) {
                let key = row.text("label_group") + "\u{1}" + row.text("feature")
                let c = FleetAPI.counts(row.text("counts"))
                var m = merged[key] ?? (Array(repeating: 0, count: c.count), 0)
                if m.counts.count == c.count { for i in 0..<c.count { m.counts[i] += c[i] } }
                m.samples += row.int("sample_count")
                merged[key] = m
            }
            for (key, m) in merged where m.samples >= gates.minDriftSamples {
                let parts = key.split(separator: "\u{1}", maxSplits: 1).map(String.init)
                if let psi = FleetAPI.psi(m.counts, baseline, feature: parts[1]), psi > (g.maxPSI ?? -1) {
                    g.maxPSI = psi
                    g.maxPSIWhere = "group \(parts[0]) feature \(parts[1])"
                }
            }
        }
        guard g.reporting >= gates.minDevices else { return g }
        if let limit = gates.maxPSI, let psi = g.maxPSI, psi > limit {
            g.breaches.append("drift PSI \((psi * 1000).rounded() / 1000) at \(g.maxPSIWhere) above \(limit)")
        }
        let attempts = g.activated + g.activationFailures
        if attempts > 0, Double(g.activationFailures) / Double(attempts) > gates.maxActivationFailureRate {
            g.breaches.append("activation failure rate \(g.activationFailures)/\(attempts) above \(gates.maxActivationFailureRate)")
        }
        if g.records > 0, Double(g.errors) / Double(g.records) > gates.maxErrorRate {
            g.breaches.append("inference error rate \(g.errors)/\(g.records) above \(gates.maxErrorRate)")
        }
        if let limit = gates.maxLatencyRatio, let a = g.p95, let b = g.previousP95, b > 0, Double(a) / Double(b) > limit {
            g.breaches.append("p95 latency \(a) us is above \(limit)x the previous version's \(b) us")
        }
        if r.text("mode") == "shadow", let minAgree = gates.minShadowAgreement, g.shadowRecords > 0,
           Double(g.agreed) / Double(g.shadowRecords) < minAgree {
            g.breaches.append("shadow agreement \(g.agreed)/\(g.shadowRecords) below \(minAgree)")
        }
        return g
    }

    static func p95(_ values: [Int]) -> Int? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return s[min(s.count - 1, Int((Double(s.count) * 0.95).rounded(.up)) - 1)]
    }

    /// Rolls the rollout's cohort back: a new assignment of the previous version
    /// (or, with no previous version, the assignment is removed).
    func rollBack(_ tx: any SQLExecutor, _ r: SQLRow) async throws {
        let id = r.text("id")
        if let prev = r.optionalText("previous_digest") {
            try await tx.query("UPDATE assignments SET digest = ?, mode = 'active', assigned_at = ? WHERE rollout_id = ?",
                               [.text(prev), .int(now), .text(id)])
        } else {
            try await tx.query("DELETE FROM assignments WHERE rollout_id = ?", [.text(id)])
        }
    }

    /// POST /v1/rollouts/{id}/{action}: evaluate | promote | pause | resume | abort | rollback.
    func rolloutAction(_ req: FleetRequest, _ p: Principal, _ action: String) async throws -> FleetResponse {
        let id = req.param("id")
        var given = "manual"
        if !req.body.isEmpty, let o = try? req.jsonObject(), let r = try? o.optionalString("reason") { given = r }
        let reason = given
        let now = self.now
        try await db.transaction { tx in
            try await tx.lock("rollout|\(id)")
            guard let r = try await tx.one("SELECT * FROM rollouts WHERE id = ?" + tx.forUpdate, [.text(id)]) else {
                throw APIError.notFound("no rollout '\(id)'")
            }
            let state = r.text("state")
            let stages = FleetAPI.counts(r.text("stages"))
            func set(_ newState: String, stage: Int? = nil, why: String) async throws {
                try await tx.query("UPDATE rollouts SET state = ?, stage_index = ?, stage_started_at = ?, reason = ?, updated_at = ? WHERE id = ?",
                                   [.text(newState), .int(stage ?? r.int("stage_index")), .int(stage == nil ? r.int("stage_started_at") : now),
                                    .text(why), .int(now), .text(id)])
                try await FleetAPI.audit(tx, now: now, actor: p.actor, action: "rollout.\(action)", subject: id,
                                         detail: "\(state) -> \(newState), stage \(stage ?? r.int("stage_index")): \(why)")
            }
            func advance(_ why: String) async throws {
                let next = r.int("stage_index") + 1
                if next >= stages.count { try await set("completed", why: why) } else {
                    try await set("running", stage: next, why: why)
                    try await self.applyStage(tx, id)
                }
            }
            let final = ["completed", "aborted", "rolled_back"].contains(state)
            switch action {
            case "evaluate":
                guard state == "running" else { return }
                try await self.applyStage(tx, id)
                let g = try await self.measure(tx, r)
                let gates = RolloutGates.fromJSON(r.text("gates"))
                if !g.breaches.isEmpty {
                    let why = "gate breached: " + g.breaches.joined(separator: "; ")
                    if r.text("on_breach") == "rollback" {
                        try await self.rollBack(tx, r)
                        try await set("rolled_back", why: why)
                    } else {
                        try await set("paused", why: why)
                    }
                } else if now - r.int("stage_started_at") >= r.int("soak_seconds") && g.reporting >= gates.minDevices {
                    try await advance("soak time passed with \(g.reporting) reporting device(s), gates passed")
                }
            case "promote":
                guard state == "running" || state == "paused" else { throw APIError.conflict("rollout \(id) is \(state)") }
                try await advance("promoted: \(reason)")
            case "pause":
                guard state == "running" else { throw APIError.conflict("rollout \(id) is \(state), not running") }
                try await set("paused", why: reason)
            case "resume":
                guard state == "paused" else { throw APIError.conflict("rollout \(id) is \(state), not paused") }
                try await set("running", stage: r.int("stage_index"), why: reason)
            case "abort":
                guard !final else { throw APIError.conflict("rollout \(id) is already \(state)") }
                try await set("aborted", why: reason)
            case "rollback":
                guard state != "rolled_back" else { throw APIError.conflict("rollout \(id) is already rolled back") }
                try await self.rollBack(tx, r)
                try await set("rolled_back", why: reason)
            default:
                throw APIError.notFound("no rollout action '\(action)'")
            }
        }
        return .json(try await rolloutJSON(id))
    }

    func rolloutJSON(_ id: String) async throws -> JSONValue {
        guard let r = try await db.one("SELECT * FROM rollouts WHERE id = ?", [.text(id)]) else { throw APIError.notFound("no rollout '\(id)'") }
        let g = try await measure(db, r)
        var stages = [JSONValue]()
        for n in FleetAPI.counts(r.text("stages")) { stages.append(jint(n)) }
        let version = try await db.one("SELECT version FROM packages WHERE digest = ?", [.text(r.text("digest"))])?.text("version") ?? ""
        return .object([
            ("id", .string(id)), ("model", .string(r.text("model"))), ("version", .string(version)), ("digest", .string(r.text("digest"))),
            ("previous_digest", jopt(r.optionalText("previous_digest"))), ("selector", wireLabelsValue(labelsFrom(r.text("selector")))),
            ("stages", .array(stages)), ("stage_index", jint(r.int("stage_index"))), ("state", .string(r.text("state"))),
            ("stage_started_at", jint(r.int("stage_started_at"))), ("soak_seconds", jint(r.int("soak_seconds"))),
            ("gates", (try? JSONReader.parse(r.text("gates"))) ?? .null), ("on_breach", .string(r.text("on_breach"))),
            ("mode", .string(r.text("mode"))), ("reason", .string(r.text("reason"))), ("gate_values", g.json()),
            ("created_by", .string(r.text("created_by"))), ("updated_at", jint(r.int("updated_at"))),
        ])
    }

    func listRollouts() async throws -> FleetResponse {
        var items = [JSONValue]()
        for row in try await db.query("SELECT id FROM rollouts ORDER BY created_at DESC, id") { items.append(try await rolloutJSON(row.text("id"))) }
        return .json(.object([("rollouts", .array(items))]))
    }

    /// Evaluates every running rollout (the server's ticker calls this).
    public func evaluateRollouts() async {
        do {
            for row in try await db.query("SELECT id FROM rollouts WHERE state = 'running'") {
                var req = FleetRequest(method: "POST", path: "")
                req.params["id"] = row.text("id")
                _ = try await rolloutAction(req, .admin(tokenID: "-", name: "scheduler"), "evaluate")
            }
        } catch {
            logger.error("rollout evaluation failed", metadata: ["error": "\(error)"])
        }
    }
}

extension RolloutGates {
    static func fromJSON(_ text: String) -> RolloutGates {
        guard let v = try? JSONReader.parse(text), let o = try? WireObject(v, path: ""), let g = try? RolloutGates.parse(o) else { return RolloutGates() }
        return g
    }
}
