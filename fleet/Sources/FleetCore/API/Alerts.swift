import Foundation
import OutpostJSON
import OutpostProtocol

/// An alert derived from what the server already stores. Nothing is stored for
/// alerts themselves: each request recomputes them, so an alert clears when its
/// cause does (a device checks in again, a paused rollout is resumed, …).
public struct Alert: Sendable {
    public enum Severity: String, Sendable { case critical, warning }
    public var severity: Severity
    /// rollout_paused | rollout_rolled_back | gate_breach | device_failing | device_degraded |
    /// deployment_failed | device_silent | drift
    public var kind: String
    public var subject: String
    public var since: Int
    public var message: String
    /// Dashboard page about the subject.
    public var link: String

    func json() -> JSONValue {
        .object([("severity", .string(severity.rawValue)), ("kind", .string(kind)), ("subject", .string(subject)),
                 ("since", jint(since)), ("message", .string(message)), ("link", .string(link))])
    }
}

extension FleetAPI {
    /// GET /v1/alerts
    func alertsResponse() async throws -> FleetResponse {
        let all = try await alerts()
        return .json(.object([("alerts", .array(all.map { $0.json() }))]))
    }

    /// Open alerts, critical first, then newest first.
    public func alerts() async throws -> [Alert] {
        var out = [Alert]()
        let now = self.now
        // Rollouts: paused ones, ones rolled back in the last day, and running ones
        // whose gates are breached right now (the next evaluation acts).
        for r in try await db.query("""
            SELECT * FROM rollouts WHERE state IN ('running', 'paused') OR (state = 'rolled_back' AND updated_at >= ?)
            ORDER BY created_at DESC, id
            """, [.int(now - 86400)]) {
            let id = r.text("id"), model = r.text("model")
            let version = try await db.one("SELECT version FROM packages WHERE digest = ?", [.text(r.text("digest"))])?.text("version") ?? "?"
            let what = "\(model) \(version)"
            switch r.text("state") {
            case "paused":
                out.append(Alert(severity: .warning, kind: "rollout_paused", subject: id, since: r.int("updated_at"),
                                 message: "rollout of \(what) paused: \(r.text("reason"))", link: "/ui/rollouts/\(id)"))
            case "rolled_back":
                out.append(Alert(severity: .critical, kind: "rollout_rolled_back", subject: id, since: r.int("updated_at"),
                                 message: "rollout of \(what) rolled back: \(r.text("reason"))", link: "/ui/rollouts/\(id)"))
            case "running":
                let g = try await measure(db, r)
                if !g.breaches.isEmpty {
                    out.append(Alert(severity: .critical, kind: "gate_breach", subject: id, since: now,
                                     message: "rollout of \(what): " + g.breaches.joined(separator: "; "), link: "/ui/rollouts/\(id)"))
                }
            default: break
            }
        }
        // Devices: failing or degraded health, silence past the limit.
        for d in try await db.query("SELECT id, health, health_message, last_seen, enrolled_at FROM devices WHERE revoked_at IS NULL ORDER BY id") {
            let id = d.text("id"), link = "/ui/devices/\(id)"
            let seen = d["last_seen"].int
            let msg = d.optionalText("health_message").map { ": " + $0 } ?? ""
            if d.text("health") == "failing" {
                out.append(Alert(severity: .critical, kind: "device_failing", subject: id, since: seen ?? d.int("enrolled_at"),
                                 message: "device \(id) reports health failing\(msg)", link: link))
            } else if d.text("health") == "degraded" {
                out.append(Alert(severity: .warning, kind: "device_degraded", subject: id, since: seen ?? d.int("enrolled_at"),
                                 message: "device \(id) reports health degraded\(msg)", link: link))
            }
            let last = seen ?? d.int("enrolled_at")
            if now - last > config.silentAfterSeconds {
                out.append(Alert(severity: .warning, kind: "device_silent", subject: id, since: last,
                                 message: seen == nil ? "device \(id) has not checked in since it enrolled \(now - last) s ago"
                                                      : "device \(id) silent for \(now - last) s (limit \(config.silentAfterSeconds) s)", link: link))
            }
        }
        // Deployment failures (self-test, verification, device-side rollback) in the last day,
        // unless the device activated that model version afterwards.
        for e in try await db.query("""
            SELECT e.device_id, e.model, e.version, e.kind, e.reason, e.received_at FROM deployment_events e
            WHERE e.received_at >= ? AND e.kind IN ('self_test_failed', 'verify_failed', 'rolled_back')
              AND NOT EXISTS (SELECT 1 FROM deployment_events a WHERE a.device_id = e.device_id AND a.digest = e.digest
                              AND a.kind = 'activated' AND a.event_id > e.event_id)
            ORDER BY e.received_at DESC
            """, [.int(now - 86400)]) {
            let id = e.text("device_id")
            let reason = e.optionalText("reason").map { ": " + $0 } ?? ""
            out.append(Alert(severity: .critical, kind: "deployment_failed", subject: id, since: e.int("received_at"),
                             message: "device \(id): \(e.text("model")) \(e.text("version")) \(e.text("kind").replacingOccurrences(of: "_", with: " "))\(reason)",
                             link: "/ui/devices/\(id)"))
        }
        out += try await driftAlerts(now: now)
        return out.sorted { a, b in
            a.severity != b.severity ? a.severity == .critical : (a.since != b.since ? a.since > b.since : a.subject < b.subject)
        }
    }

    /// Drift above threshold per model version and label group, on the latest
    /// bucket of the last day (features with enough samples).
    func driftAlerts(now: Int) async throws -> [Alert] {
        var out = [Alert]()
        let rows = try await db.query("""
            SELECT d.model, d.version, d.label_group, d.bucket_start, d.feature, d.counts, d.sample_count FROM drift_merged d
            WHERE d.bucket_start = (SELECT MAX(x.bucket_start) FROM drift_merged x WHERE x.model = d.model AND x.version = d.version
                                    AND x.label_group = d.label_group)
              AND d.bucket_start + ? >= ? AND d.sample_count >= ?
            ORDER BY d.model, d.version, d.label_group, d.feature
            """, [.int(config.driftBucketSeconds), .int(now - 86400), .int(config.driftAlertMinSamples)])
        var baselines = [String: JSONValue?]()
        var worst = [String: (psi: Double, feature: String, row: SQLRow)]()
        var order = [String]()
        for row in rows {
            let mv = row.text("model") + "\u{1}" + row.text("version")
            if baselines[mv] == nil { baselines[mv] = .some(try await driftBaseline(model: row.text("model"), version: row.text("version"))) }
            guard let baseline = baselines[mv] ?? nil,
                  let psi = FleetAPI.psi(FleetAPI.counts(row.text("counts")), baseline, feature: row.text("feature")),
                  psi > config.driftAlertPSI else { continue }
            let key = mv + "\u{1}" + row.text("label_group")
            if worst[key] == nil { order.append(key) }
            if psi > worst[key]?.psi ?? -1 { worst[key] = (psi, row.text("feature"), row) }
        }
        for key in order {
            guard let w = worst[key] else { continue }
            let model = w.row.text("model"), version = w.row.text("version"), group = w.row.text("label_group")
            let q = "model=\(FleetAPI.queryEscape(model))&version=\(FleetAPI.queryEscape(version))"
            out.append(Alert(severity: .warning, kind: "drift", subject: "\(model) \(version) group \(group)", since: w.row.int("bucket_start"),
                             message: "drift PSI \(JSONNumber.format(w.psi, significant: 3)) on feature \(w.feature) above \(config.driftAlertPSI) (\(model) \(version), group \(group), \(w.row.int("sample_count")) samples)",
                             link: "/ui/drift?\(q)"))
        }
        return out
    }

    static func queryEscape(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
