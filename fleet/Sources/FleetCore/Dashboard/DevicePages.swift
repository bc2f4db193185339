import Foundation
import OutpostJSON

/// Overview, devices and alerts pages.
extension FleetAPI {
    func healthClass(_ health: String) -> String { ["ok", "degraded", "failing"].contains(health) ? health : "unknown" }

    func overviewPage(_ p: Principal) async throws -> FleetResponse {
        let devices = try await db.query("SELECT health, last_seen, enrolled_at, revoked_at FROM devices")
        var byHealth = ["ok": 0, "degraded": 0, "failing": 0, "unknown": 0]
        var silent = 0, revoked = 0
        for d in devices {
            if d["revoked_at"] != .null { revoked += 1; continue }
            byHealth[healthClass(d.text("health")), default: 0] += 1
            if now - (d["last_seen"].int ?? d.int("enrolled_at")) > config.silentAfterSeconds { silent += 1 }
        }
        let active = devices.count - revoked
        let models = try await db.one("SELECT COUNT(DISTINCT model) AS m, COUNT(*) AS v FROM packages")
        let alerts = try await self.alerts()
        let critical = alerts.filter { $0.severity == .critical }.count
        var rolloutRows: [HTML] = []
        for r in try await db.query("SELECT id FROM rollouts WHERE state IN ('running', 'paused') ORDER BY created_at DESC, id") {
            rolloutRows.append(rolloutRow(try await rolloutJSON(r.text("id"))))
        }
        var auditRows: [HTML] = []
        for a in try await db.query("SELECT time, actor, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT 8") {
            auditRows.append("<tr><td>\(FleetAPI.utc(a.int("time")))</td><td>\(a.text("actor"))</td><td>\(a.text("action"))</td><td>\(a.text("subject"))</td><td>\(a.text("detail"))</td></tr>")
        }
        let alertList: [HTML] = alerts.prefix(5).map { alertItem($0) }
        let latest: HTML = alertList.isEmpty ? "<p class=\"muted\">No alerts.</p>" : "<ul class=\"alerts\">\(alertList)</ul>"
        return page(title: "Fleet overview", nav: "overview", principal: p, body: """
            <section class="cards">
              <div class="card" id="card-devices"><div class="big">\(active)</div>devices<div class="muted">\(silent) silent, \(revoked) revoked</div></div>
              <div class="card" id="card-models"><div class="big">\(models?.int("m") ?? 0)</div>models<div class="muted">\(models?.int("v") ?? 0) versions</div></div>
              <div class="card" id="card-rollouts"><div class="big">\(rolloutRows.count)</div>active rollouts</div>
              <div class="card \(HTML(raw: critical > 0 ? "bad" : ""))" id="card-alerts"><div class="big">\(alerts.count)</div>alerts<div class="muted">\(critical) critical</div></div>
            </section>
            <section class="two">
              <div><h2>Devices by health</h2>\(Charts.bars([("ok", byHealth["ok"] ?? 0, "ok"), ("degraded", byHealth["degraded"] ?? 0, "degraded"),
                                                            ("failing", byHealth["failing"] ?? 0, "failing"), ("unknown", byHealth["unknown"] ?? 0, "unknown"),
                                                            ("silent", silent, "silent")]))</div>
              <div><h2>Latest alerts</h2>\(latest)
                <p><a href="/ui/alerts">All alerts</a></p></div>
            </section>
            <h2>Active rollouts</h2>
            \(rolloutTable(rolloutRows))
            <h2>Recent changes</h2>
            <table class="audit"><thead><tr><th>Time</th><th>Who</th><th>Action</th><th>Subject</th><th>Detail</th></tr></thead><tbody>\(auditRows)</tbody></table>
            <p><a href="/ui/audit">Full audit log</a></p>
            """)
    }

    func devicesPage(_ p: Principal) async throws -> FleetResponse {
        var rows: [HTML] = []
        for row in try await db.query("SELECT * FROM devices ORDER BY enrolled_at, id") {
            let d = FleetAPI.deviceJSON(row)
            let id = row.text("id")
            let health = row.text("health"), seen = row["last_seen"].int
            let silent = row["revoked_at"] == .null && now - (seen ?? row.int("enrolled_at")) > config.silentAfterSeconds
            rows.append("""
                <tr id="device-\(id)"><td><a href="/ui/devices/\(HTML.path(id))">\(id)</a></td><td>\(row.text("hardware_id"))</td><td>\(labelsHTML(d["labels"]))</td>
                <td><span class="badge \(healthClass(health))">\(health)</span>\(" " + (row.optionalText("health_message") ?? ""))</td>
                <td class="\(silent ? "silent" : "")" title="\(FleetAPI.utc(seen))">\(ago(seen))\(silent ? " (silent)" : "")</td>
                <td>\(row.text("agent_version"))</td><td>\(runningHTML(d["running"]))</td>
                <td>\(Fmt.int(d["buffer"]?["pending_records"])) / \(Fmt.int(d["buffer"]?["evicted_records"]))</td>
                <td>\(row["revoked_at"] == .null ? "" : "revoked")</td></tr>
                """)
        }
        return page(title: "Devices", nav: "devices", principal: p, body: """
            <p class="muted">\(rows.count) device(s). Silent: not seen for more than \(config.silentAfterSeconds) s.</p>
            <table id="devices"><thead><tr><th>ID</th><th>Hardware</th><th>Labels</th><th>Health</th><th>Last seen</th><th>Agent</th>
            <th>Running</th><th>Buffered / evicted</th><th></th></tr></thead><tbody>\(rows)</tbody></table>
            """)
    }

    func devicePage(_ id: String, _ p: Principal) async throws -> FleetResponse {
        guard let row = try await db.one("SELECT * FROM devices WHERE id = ?", [.text(id)]) else { throw APIError.notFound("no device '\(id)'") }
        let d = FleetAPI.deviceJSON(row)
        var assigned: [HTML] = []
        for a in try await assignments(db, id) {
            let rollout: HTML = a.rolloutID.map { (r: String) -> HTML in "<a href=\"/ui/rollouts/\(HTML.path(r))\">\(r)</a>" } ?? "pinned"
            assigned.append("<tr><td>\(a.model)</td><td>\(a.version)</td><td>\(a.mode.rawValue)</td><td><code>\(a.digest)</code></td><td>\(rollout)</td></tr>")
        }
        var events: [HTML] = []
        for e in try await db.query("SELECT event_id, model, version, kind, reason, time FROM deployment_events WHERE device_id = ? ORDER BY time DESC, event_id DESC LIMIT 50", [.text(id)]) {
            let kind = e.text("kind")
            let bad = ["self_test_failed", "verify_failed", "rolled_back"].contains(kind)
            events.append("<tr><td>\(FleetAPI.utc(e.int("time")))</td><td>\(e.text("model")) \(e.text("version"))</td><td><span class=\"badge \(bad ? "failing" : "ok")\">\(kind)</span></td><td>\(e.optionalText("reason") ?? "")</td></tr>")
        }
        let tel = try await db.one("SELECT COUNT(*) AS n, SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS e FROM telemetry_records WHERE device_id = ?", [.text(id)])
        let health = row.text("health")
        return page(title: "Device \(id)", nav: "devices", principal: p, body: """
            <dl class="facts">
              <dt>Hardware</dt><dd id="hardware">\(row.text("hardware_id"))</dd>
              <dt>Labels</dt><dd>\(labelsHTML(d["labels"]))</dd>
              <dt>Health</dt><dd><span class="badge \(healthClass(health))">\(health)</span> \(row.optionalText("health_message") ?? "")</dd>
              <dt>Last seen</dt><dd>\(FleetAPI.utc(row["last_seen"].int)) (\(ago(row["last_seen"].int)))</dd>
              <dt>Enrolled</dt><dd>\(FleetAPI.utc(row.int("enrolled_at")))</dd>
              <dt>Agent</dt><dd>\(row.text("agent_version"))</dd>
              <dt>Running</dt><dd>\(runningHTML(d["running"]))</dd>
              <dt>Buffer</dt><dd>\(Fmt.int(d["buffer"]?["pending_records"])) records pending (\(Fmt.int(d["buffer"]?["pending_bytes"])) bytes), \(Fmt.int(d["buffer"]?["evicted_records"])) evicted</dd>
              <dt>Telemetry</dt><dd>\(tel?.int("n") ?? 0) records stored, \(tel?.int("e") ?? 0) errors</dd>
            </dl>
            <h2>Desired assignments</h2>
            <table><thead><tr><th>Model</th><th>Version</th><th>Mode</th><th>Digest</th><th>Rollout</th></tr></thead><tbody>\(assigned)</tbody></table>
            <h2>Deployment events</h2>
            <table id="events"><thead><tr><th>Time</th><th>Model</th><th>Event</th><th>Reason</th></tr></thead><tbody>\(events)</tbody></table>
            """)
    }

    func alertItem(_ a: Alert) -> HTML {
        "<li class=\"alert \(a.severity.rawValue)\"><span class=\"badge \(a.severity.rawValue)\">\(a.severity.rawValue)</span> <a href=\"\(a.link)\">\(a.message)</a></li>"
    }

    func alertsPage(_ p: Principal) async throws -> FleetResponse {
        let alerts = try await self.alerts()
        let rows: [HTML] = alerts.map { (a: Alert) -> HTML in
            "<tr class=\"alert \(a.severity.rawValue)\" data-kind=\"\(a.kind)\"><td><span class=\"badge \(a.severity.rawValue)\">\(a.severity.rawValue)</span></td><td>\(a.kind)</td><td><a href=\"\(a.link)\">\(a.subject)</a></td><td>\(FleetAPI.utc(a.since))</td><td>\(a.message)</td></tr>"
        }
        let table: HTML = rows.isEmpty ? "<p id=\"no-alerts\">No alerts.</p>"
            : "<table id=\"alerts\"><thead><tr><th>Severity</th><th>Kind</th><th>Subject</th><th>Since</th><th>Message</th></tr></thead><tbody>\(rows)</tbody></table>"
        return page(title: "Alerts", nav: "alerts", principal: p, body: """
            <p class="muted">Derived from the stored state on every request (also <code>GET /v1/alerts</code> and <code>outpost-fleet alerts</code>):
            paused or rolled-back rollouts, breached gates, failing or degraded devices, failed deployments of the last day,
            devices silent for more than \(config.silentAfterSeconds) s, drift PSI above \(config.driftAlertPSI, digits: 3).</p>
            \(table)
            \(try await webhookSection())
            """)
    }

    /// Where the alerts were sent: configured webhooks and the deliveries not yet
    /// (or never) accepted, so a receiver that is down is seen here.
    func webhookSection() async throws -> HTML {
        guard !config.alertWebhooks.isEmpty else {
            return "<h2>Webhooks</h2><p class=\"muted\" id=\"webhooks\">No alert webhooks configured (<code>alert_webhooks</code>).</p>"
        }
        var counts = [String: Int]()
        for r in try await db.query("SELECT state, COUNT(*) AS n FROM webhook_deliveries GROUP BY state") { counts[r.text("state")] = r.int("n") }
        var rows: [HTML] = []
        for r in try await db.query("SELECT * FROM webhook_deliveries WHERE state <> 'delivered' ORDER BY id DESC LIMIT 20") {
            rows.append("<tr class=\"delivery \(r.text("state"))\"><td>\(r.int("id"))</td><td>\(r.text("event"))</td><td>\(r.text("alert_key"))</td><td>\(r.text("url"))</td><td>\(r.text("state"))</td><td>\(r.int("attempts"))</td><td>\(r.optionalText("last_error") ?? "")</td></tr>")
        }
        let table: HTML = rows.isEmpty ? "" : "<table id=\"undelivered\"><thead><tr><th>Id</th><th>Event</th><th>Alert</th><th>URL</th><th>State</th><th>Attempts</th><th>Last error</th></tr></thead><tbody>\(rows)</tbody></table>"
        return """
            <h2>Webhooks</h2>
            <p id="webhooks">\(config.alertWebhooks.count) configured; deliveries: \(counts["delivered"] ?? 0) delivered,
            \(counts["pending"] ?? 0) pending, \(counts["failed"] ?? 0) failed (<code>GET /v1/webhook-deliveries</code>).</p>
            \(table)
            """
    }

    func auditPage(_ req: FleetRequest, _ p: Principal) async throws -> FleetResponse {
        let limit = min(max(Int(req.query["limit"] ?? "") ?? 200, 1), 1000)
        var rows: [HTML] = []
        for a in try await db.query("SELECT id, time, actor, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT ?", [.int(limit)]) {
            rows.append("<tr><td>\(a.int("id"))</td><td>\(FleetAPI.utc(a.int("time")))</td><td>\(a.text("actor"))</td><td>\(a.text("action"))</td><td>\(a.text("subject"))</td><td>\(a.text("detail"))</td></tr>")
        }
        return page(title: "Audit log", nav: "audit", principal: p, body: """
            <p class="muted">Newest first; the latest \(limit) entries (<a href="/ui/audit?limit=1000">show 1000</a>).</p>
            <table id="audit"><thead><tr><th>#</th><th>Time</th><th>Who</th><th>Action</th><th>Subject</th><th>Detail</th></tr></thead><tbody>\(rows)</tbody></table>
            """)
    }

    func labelsHTML(_ v: JSONValue?) -> HTML {
        let parts: [HTML] = (v?.objectValue ?? []).map { (m: (key: String, value: JSONValue)) -> HTML in "<span class=\"label\">\(m.key)=\(m.value.stringValue ?? "")</span>" }
        return HTML.join(parts, " ")
    }

    func runningHTML(_ v: JSONValue?) -> HTML {
        let parts: [HTML] = (v?.arrayValue ?? []).map { (r: JSONValue) -> HTML in
            let shadow = r["mode"]?.stringValue == "shadow" ? " (shadow)" : ""
            return "<span class=\"running\">\(r["model"]?.stringValue ?? "") \(r["version"]?.stringValue ?? "")\(shadow)</span>"
        }
        return parts.isEmpty ? "-" : HTML.join(parts, " ")
    }
}

/// Display of JSON numbers.
enum Fmt {
    static func int(_ v: JSONValue?) -> String { v?.intValue.map(String.init) ?? "-" }
    static func num(_ v: JSONValue?, digits: Int = 3) -> String { v?.doubleValue.map { HTML.number($0, digits: digits) } ?? "-" }
}
