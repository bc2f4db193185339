import Foundation
import OutpostJSON

/// Turns the derived alert list into webhook notifications: an alert is sent
/// once when it appears (`alert.firing`) and once when it disappears
/// (`alert.resolved`). What was notified lives in `alert_notifications`, so a
/// restart or a second replica does not send it again; the deliveries go to
/// the `webhook_deliveries` outbox in the same transaction (WebhookDelivery.swift
/// sends and retries them).
extension FleetAPI {
    /// Identity of an alert across evaluations: `since` is not part of it
    /// (a breached gate's `since` is "now"), the kind and subject are.
    static func alertKey(_ a: Alert) -> String { a.kind + "|" + a.subject }

    /// Compares open alerts with the notified ones and queues a delivery per
    /// configured webhook for each change. Returns (fired, resolved) counts.
    @discardableResult
    public func notifyAlerts() async throws -> (fired: Int, resolved: Int) {
        guard !config.alertWebhooks.isEmpty else { return (0, 0) }
        let current = try await alerts()
        let now = self.now
        let urls = config.alertWebhooks
        return try await db.transaction { tx -> (fired: Int, resolved: Int) in
            // One replica at a time, so two replicas never both see an alert as new.
            try await tx.lock("outpost-fleet-alert-notify")
            var open = [String: SQLRow]()
            for row in try await tx.query("SELECT * FROM alert_notifications WHERE resolved_at IS NULL") {
                open[row.text("alert_key")] = row
            }
            var fired = 0, resolved = 0
            var seen = Set<String>()
            for a in current {
                let key = FleetAPI.alertKey(a)
                guard seen.insert(key).inserted, open[key] == nil else { continue }
                try await tx.query("""
                    INSERT INTO alert_notifications (alert_key, kind, subject, severity, message, link, since, fired_at, resolved_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
                    ON CONFLICT (alert_key) DO UPDATE SET severity = excluded.severity, message = excluded.message,
                      link = excluded.link, since = excluded.since, fired_at = excluded.fired_at, resolved_at = NULL
                    """, [.text(key), .text(a.kind), .text(a.subject), .text(a.severity.rawValue), .text(a.message),
                          .text(a.link), .int(a.since), .int(now)])
                let payload = FleetAPI.webhookPayload(event: "alert.firing", alert: a.json(), firedAt: now, resolvedAt: nil)
                try await FleetAPI.enqueue(tx, urls: urls, event: "alert.firing", key: key, payload: payload, now: now)
                fired += 1
            }
            for (key, row) in open where !seen.contains(key) {
                try await tx.query("UPDATE alert_notifications SET resolved_at = ? WHERE alert_key = ?", [.int(now), .text(key)])
                let alert = JSONValue.object([
                    ("severity", .string(row.text("severity"))), ("kind", .string(row.text("kind"))),
                    ("subject", .string(row.text("subject"))), ("since", jint(row.int("since"))),
                    ("message", .string(row.text("message"))), ("link", .string(row.text("link")))])
                let payload = FleetAPI.webhookPayload(event: "alert.resolved", alert: alert, firedAt: row.int("fired_at"), resolvedAt: now)
                try await FleetAPI.enqueue(tx, urls: urls, event: "alert.resolved", key: key, payload: payload, now: now)
                resolved += 1
            }
            return (fired, resolved)
        }
    }

    /// The body POSTed to a webhook (documented in docs/fleet.md).
    static func webhookPayload(event: String, alert: JSONValue, firedAt: Int, resolvedAt: Int?) -> String {
        JSONValue.object([
            ("event", .string(event)), ("alert", alert), ("fired_at", jint(firedAt)),
            ("resolved_at", resolvedAt.map(jint) ?? .null), ("source", .string("outpost-fleet")),
        ]).serialized()
    }

    static func enqueue(_ tx: any SQLExecutor, urls: [String], event: String, key: String, payload: String, now: Int) async throws {
        for url in urls {
            try await tx.query("""
                INSERT INTO webhook_deliveries (url, event, alert_key, payload, created_at, state, attempts, next_attempt_at, lease_until)
                VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, 0)
                """, [.text(url), .text(event), .text(key), .text(payload), .int(now), .int(now)])
        }
    }
}
