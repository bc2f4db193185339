import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OutpostJSON
import OutpostPackage

/// Sends the queued webhook deliveries and retries the ones that fail.
///
/// Each due row is leased first (`lease_until`), inside a transaction that skips
/// rows another replica holds, so two fleet managers never POST the same
/// delivery at once; a replica that dies mid-send leaves the lease to expire and
/// the row is sent again (receivers get at-least-once delivery and can dedupe on
/// `X-Outpost-Delivery`).
extension FleetAPI {
    /// One pass over the due deliveries. Returns how many were attempted.
    @discardableResult
    public func deliverWebhooks(limit: Int = 20) async throws -> Int {
        let now = self.now
        let lease = config.webhookTimeoutSeconds + 30
        let due = try await db.transaction { tx -> [SQLRow] in
            let skip = tx.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
            let rows = try await tx.query("""
                SELECT id, url, event, payload, attempts FROM webhook_deliveries
                WHERE state = 'pending' AND next_attempt_at <= ? AND lease_until <= ? ORDER BY id LIMIT ?\(skip)
                """, [.int(now), .int(now), .int(limit)])
            for r in rows {
                try await tx.query("UPDATE webhook_deliveries SET lease_until = ? WHERE id = ?", [.int(now + lease), .int(r.int("id"))])
            }
            return rows
        }
        for row in due {
            let outcome = await postWebhook(url: row.text("url"), event: row.text("event"), deliveryID: row.int("id"),
                                            payload: row.text("payload"))
            try await record(outcome, id: row.int("id"), attempts: row.int("attempts") + 1, url: row.text("url"))
        }
        return due.count
    }

    /// What one POST came to.
    struct WebhookOutcome {
        var status: Int?
        var error: String?
        /// 2xx.
        var delivered: Bool { status.map { (200..<300).contains($0) } ?? false }
        /// Network errors, timeouts, 5xx, 408 and 429 are worth another try; any
        /// other answer is the receiver's final word.
        var retryable: Bool {
            guard let s = status else { return true }
            return s >= 500 || s == 408 || s == 429
        }
    }

    func postWebhook(url: String, event: String, deliveryID: Int, payload: String) async -> WebhookOutcome {
        guard let u = URL(string: url) else { return WebhookOutcome(status: nil, error: "not a URL: \(url)") }
        var req = URLRequest(url: u, timeoutInterval: TimeInterval(config.webhookTimeoutSeconds))
        req.httpMethod = "POST"
        let body = Array(payload.utf8)
        req.httpBody = Data(body)
        req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        req.setValue("outpost-fleet", forHTTPHeaderField: "User-Agent")
        req.setValue(event, forHTTPHeaderField: "X-Outpost-Event")
        req.setValue(String(deliveryID), forHTTPHeaderField: "X-Outpost-Delivery")
        if let secret = config.alertWebhookSecret {
            req.setValue("sha256=" + Hex.encode(HMACSHA256.mac(key: Array(secret.utf8), message: body)),
                         forHTTPHeaderField: "X-Outpost-Signature")
        }
        do {
            let (_, response) = try await URLSession.shared.data(for: req)
            guard let http = response as? HTTPURLResponse else { return WebhookOutcome(status: nil, error: "no HTTP response") }
            return WebhookOutcome(status: http.statusCode, error: (200..<300).contains(http.statusCode) ? nil : "HTTP \(http.statusCode)")
        } catch {
            return WebhookOutcome(status: nil, error: (error as NSError).localizedDescription)
        }
    }

    /// Stores the outcome: delivered, another try after a back-off, or failed.
    func record(_ o: WebhookOutcome, id: Int, attempts: Int, url: String) async throws {
        let now = self.now
        let status: SQLValue = o.status.map { .int($0) } ?? .null
        if o.delivered {
            try await db.query("""
                UPDATE webhook_deliveries SET state = 'delivered', attempts = ?, last_status = ?, last_error = NULL,
                  delivered_at = ?, lease_until = 0 WHERE id = ?
                """, [.int(attempts), status, .int(now), .int(id)])
            metrics.increment("outpost_fleet_webhook_deliveries_total", label: "result", "delivered")
            return
        }
        let error = o.error ?? "HTTP \(o.status ?? 0)"
        if o.retryable && attempts < config.webhookMaxAttempts {
            let delay = min(config.webhookRetrySeconds << min(attempts - 1, 20), 3600)
            try await db.query("""
                UPDATE webhook_deliveries SET attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?, lease_until = 0
                WHERE id = ?
                """, [.int(attempts), status, .text(error), .int(now + delay), .int(id)])
            metrics.increment("outpost_fleet_webhook_deliveries_total", label: "result", "retry")
            logger.warning("webhook delivery failed, will retry", metadata: [
                "delivery": "\(id)", "url": "\(url)", "attempt": "\(attempts)", "retry_in_seconds": "\(delay)", "error": "\(error)"])
        } else {
            try await db.query("""
                UPDATE webhook_deliveries SET state = 'failed', attempts = ?, last_status = ?, last_error = ?, lease_until = 0
                WHERE id = ?
                """, [.int(attempts), status, .text(error), .int(id)])
            metrics.increment("outpost_fleet_webhook_deliveries_total", label: "result", "failed")
            logger.error("webhook delivery given up", metadata: [
                "delivery": "\(id)", "url": "\(url)", "attempts": "\(attempts)", "error": "\(error)"])
        }
    }

    /// GET /v1/webhook-deliveries?state=pending|delivered|failed&limit=N
    func webhookDeliveries(_ req: FleetRequest) async throws -> FleetResponse {
        let limit = min(max(Int(req.query["limit"] ?? "") ?? 100, 1), 1000)
        var sql = "SELECT * FROM webhook_deliveries"
        var binds = [SQLValue]()
        if let s = req.query["state"] {
            guard ["pending", "delivered", "failed"].contains(s) else {
                throw APIError.badRequest("state must be pending, delivered or failed, not '\(s)'")
            }
            sql += " WHERE state = ?"
            binds.append(.text(s))
        }
        binds.append(.int(limit))
        var items = [JSONValue]()
        for r in try await db.query(sql + " ORDER BY id DESC LIMIT ?", binds) {
            items.append(.object([
                ("id", jint(r.int("id"))), ("url", .string(r.text("url"))), ("event", .string(r.text("event"))),
                ("alert_key", .string(r.text("alert_key"))), ("state", .string(r.text("state"))),
                ("attempts", jint(r.int("attempts"))), ("created_at", jint(r.int("created_at"))),
                ("next_attempt_at", jint(r.int("next_attempt_at"))),
                ("last_status", r["last_status"].int.map(jint) ?? .null),
                ("last_error", r.optionalText("last_error").map { .string($0) } ?? .null),
                ("delivered_at", r["delivered_at"].int.map(jint) ?? .null),
            ]))
        }
        return .json(.object([("deliveries", .array(items))]))
    }
}

/// HMAC-SHA256 (RFC 2104) over the device package's SHA-256, for webhook signatures.
enum HMACSHA256 {
    static func mac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var k = key.count > 64 ? OutpostPackage.SHA256.digest(key) : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        let inner = OutpostPackage.SHA256.digest(k.map { $0 ^ 0x36 } + message)
        return OutpostPackage.SHA256.digest(k.map { $0 ^ 0x5c } + inner)
    }
}
