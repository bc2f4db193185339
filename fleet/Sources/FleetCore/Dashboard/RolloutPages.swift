import Foundation
import OutpostJSON

/// Models (with lineage), rollouts (stage progress, gate values) and drift pages.
extension FleetAPI {
    func modelsPage(_ p: Principal) async throws -> FleetResponse {
        var rows: [HTML] = []
        for m in try await db.query("""
            SELECT model, COUNT(*) AS versions, MAX(release) AS latest_release, MAX(uploaded_at) AS last_upload FROM packages
            GROUP BY model ORDER BY model
            """) {
            let model = m.text("model")
            let latest = try await db.one("SELECT version FROM packages WHERE model = ? ORDER BY release DESC LIMIT 1", [.text(model)])?.text("version") ?? ""
            rows.append("<tr><td><a href=\"/ui/models/\(HTML.path(model))\">\(model)</a></td><td>\(m.int("versions"))</td><td>\(latest) (release \(m.int("latest_release")))</td><td>\(FleetAPI.utc(m.int("last_upload")))</td></tr>")
        }
        return page(title: "Models", nav: "models", principal: p, body: """
            <p class="muted">Every version was accepted only after its signature verified against a trusted publisher key and its golden self-test passed on the server.</p>
            <table id="models"><thead><tr><th>Model</th><th>Versions</th><th>Latest</th><th>Last upload</th></tr></thead><tbody>\(rows)</tbody></table>
            """)
    }

    func modelPage(_ model: String, _ p: Principal) async throws -> FleetResponse {
        let rows = try await db.query("""
            SELECT digest, model, version, release, size, key_id, parent_version, lineage, golden_cases, golden_max_diff,
              uploaded_at, uploaded_by FROM packages WHERE model = ? ORDER BY release DESC, version
            """, [.text(model)])
        if rows.isEmpty { throw APIError.notFound("no model named '\(model)'") }
        let versions = Set(rows.map { $0.text("version") })
        var table: [HTML] = []
        for r in rows {
            let lineage = (try? JSONReader.parse(r.text("lineage"))) ?? .object([])
            var pairs = [(String, String)]()
            FleetAPI.flatten("", lineage, &pairs)
            let facts: [HTML] = pairs.filter { $0.0 != "parent_version" }.map { (k, v) -> HTML in "<div><span class=\"muted\">\(k)</span> \(v)</div>" }
            let children = rows.filter { $0.optionalText("parent_version") == r.text("version") }.map { $0.text("version") }
            let version = r.text("version")
            table.append("""
                <tr id="version-\(version)"><td>\(version)</td><td>\(r.int("release"))</td><td>\(r.optionalText("parent_version") ?? "-")</td>
                <td>\(children.isEmpty ? "-" : children.joined(separator: ", "))</td><td>\(HTML.join(facts))</td>
                <td>\(r.int("golden_cases")) case(s), max diff \(r["golden_max_diff"].double ?? 0, digits: 6)</td>
                <td><code title="\(r.text("digest"))">\(String(r.text("digest").prefix(19)))…</code><br>\(r.int("size")) bytes, key \(r.text("key_id"))</td>
                <td>\(FleetAPI.utc(r.int("uploaded_at")))<br>\(r.text("uploaded_by"))</td></tr>
                """)
        }
        // Lineage tree: roots are versions whose parent is not registered.
        func tree(_ parent: String?) -> HTML {
            let kids = rows.filter { r in
                let pv = r.optionalText("parent_version")
                return parent == nil ? (pv == nil || !versions.contains(pv!)) : pv == parent
            }.sorted { $0.int("release") < $1.int("release") }
            guard !kids.isEmpty else { return "" }
            let items: [HTML] = kids.map { (r: SQLRow) -> HTML in
                let orphan: HTML = parent == nil && r.optionalText("parent_version") != nil
                    ? "<span class=\"muted\"> (parent \(r.optionalText("parent_version") ?? "") not registered)</span>" : ""
                return "<li><span class=\"node\">\(r.text("version"))</span>\(orphan)\(tree(r.text("version")))</li>"
            }
            return "<ul>\(items)</ul>"
        }
        return page(title: "Model \(model)", nav: "models", principal: p, body: """
            <h2>Lineage</h2>
            <div class="tree" id="lineage">\(tree(nil))</div>
            <h2>Versions</h2>
            <table id="versions"><thead><tr><th>Version</th><th>Release</th><th>Parent</th><th>Children</th><th>Lineage</th><th>Golden self-test</th>
            <th>Package</th><th>Uploaded</th></tr></thead><tbody>\(table)</tbody></table>
            """)
    }

    /// Lineage as `training_data.ref s3://…` pairs, nulls and empty objects left out.
    static func flatten(_ prefix: String, _ v: JSONValue, _ out: inout [(String, String)]) {
        switch v {
        case .null: break
        case .object(let members): for m in members { flatten(prefix.isEmpty ? m.key : prefix + "." + m.key, m.value, &out) }
        case .string(let s): out.append((prefix, s))
        default: out.append((prefix, v.serialized()))
        }
    }

    func rolloutRow(_ r: JSONValue) -> HTML {
        let id = r["id"]?.stringValue ?? "", state = r["state"]?.stringValue ?? ""
        let stages = (r["stages"]?.arrayValue ?? []).compactMap { $0.intValue }
        let g = r["gate_values"]
        return """
            <tr id="rollout-\(id)"><td><a href="/ui/rollouts/\(HTML.path(id))">\(id)</a></td><td>\(r["model"]?.stringValue ?? "") \(r["version"]?.stringValue ?? "")</td>
            <td><span class="badge state-\(state)">\(state)</span></td>
            <td>\(Charts.stages(stages, index: r["stage_index"]?.intValue ?? 0, state: state))</td>
            <td>\(Fmt.int(g?["reporting_devices"])) / \(Fmt.int(g?["cohort_devices"]))</td><td>\(r["reason"]?.stringValue ?? "")</td></tr>
            """
    }

    func rolloutTable(_ rows: [HTML]) -> HTML {
        if rows.isEmpty { return "<p class=\"muted\">None.</p>" }
        return "<table class=\"rollouts\"><thead><tr><th>ID</th><th>Version</th><th>State</th><th>Stages</th><th>Reporting / in stage</th><th>Reason</th></tr></thead><tbody>\(rows)</tbody></table>"
    }

    func rolloutsPage(_ p: Principal) async throws -> FleetResponse {
        var rows: [HTML] = []
        for r in try await db.query("SELECT id FROM rollouts ORDER BY created_at DESC, id") { rows.append(rolloutRow(try await rolloutJSON(r.text("id")))) }
        return page(title: "Rollouts", nav: "rollouts", principal: p, body: """
            <p class="muted">Newest first. Steer them with <code>outpost-fleet rollouts promote|pause|resume|abort|rollback ID</code>.</p>
            \(rolloutTable(rows))
            """)
    }

    func rolloutPage(_ id: String, _ p: Principal) async throws -> FleetResponse {
        let r = try await rolloutJSON(id)
        let g = r["gate_values"], gates = r["gates"]
        let state = r["state"]?.stringValue ?? "", mode = r["mode"]?.stringValue ?? ""
        let stages = (r["stages"]?.arrayValue ?? []).compactMap { $0.intValue }
        let index = r["stage_index"]?.intValue ?? 0
        let reporting = g?["reporting_devices"]?.intValue ?? 0, minDevices = gates?["min_devices"]?.intValue ?? 1
        let judged = reporting >= minDevices
        func ratio(_ a: Int, _ b: Int) -> Double? { b > 0 ? Double(a) / Double(b) : nil }
        func gateRow(_ name: String, _ measured: String, _ value: Double?, limit: Double?, above: Bool) -> HTML {
            let status: String
            if limit == nil { status = "off" } else if !judged { status = "waiting" } else if let v = value, let l = limit {
                status = (above ? v > l : v < l) ? "breach" : "ok"
            } else { status = "no data" }
            let limitText = limit.map { (above ? "≤ " : "≥ ") + HTML.number($0, digits: 4) } ?? "off"
            return "<tr class=\"gate\" data-gate=\"\(name)\"><td>\(name)</td><td>\(measured)</td><td>\(limitText)</td><td><span class=\"badge gate-\(status.replacingOccurrences(of: " ", with: "-"))\">\(status)</span></td></tr>"
        }
        let activated = g?["activated"]?.intValue ?? 0, failures = g?["activation_failures"]?.intValue ?? 0
        let records = g?["records"]?.intValue ?? 0, errors = g?["errors"]?.intValue ?? 0
        let p95 = g?["p95_latency_us"]?.intValue, prev = g?["previous_p95_latency_us"]?.intValue
        let latencyRatio: Double? = p95.flatMap { a in prev.flatMap { $0 > 0 ? Double(a) / Double($0) : nil } }
        let shadow = g?["shadow_records"]?.intValue ?? 0, agreed = g?["shadow_agreed"]?.intValue ?? 0
        let psi = g?["max_psi"]?.doubleValue, psiAt = g?["max_psi_at"]?.stringValue ?? ""
        var gateRows: [HTML] = [
            gateRow("activation failure rate", "\(failures) of \(activated + failures)", ratio(failures, activated + failures),
                    limit: gates?["max_activation_failure_rate"]?.doubleValue, above: true),
            gateRow("inference error rate", "\(errors) of \(records) records", ratio(errors, records), limit: gates?["max_error_rate"]?.doubleValue, above: true),
            gateRow("p95 latency ratio", "\(p95.map { "\($0) us" } ?? "-") vs previous \(prev.map { "\($0) us" } ?? "-")\(latencyRatio.map { " = " + HTML.number($0, digits: 3) + "x" } ?? "")",
                    latencyRatio, limit: gates?["max_latency_ratio"]?.doubleValue, above: true),
            gateRow("drift PSI", psi.map { HTML.number($0, digits: 4) + (psiAt.isEmpty ? "" : " at " + psiAt) } ?? "-", psi,
                    limit: gates?["max_psi"]?.doubleValue, above: true),
        ]
        if mode == "shadow" {
            gateRows.append(gateRow("shadow agreement", "\(agreed) of \(shadow)", ratio(agreed, shadow), limit: gates?["min_shadow_agreement"]?.doubleValue, above: false))
        }
        let breaches: [HTML] = (g?["breaches"]?.arrayValue ?? []).map { (b: JSONValue) -> HTML in "<li>\(b.stringValue ?? "")</li>" }
        var audit: [HTML] = []
        for a in try await db.query("SELECT time, actor, action, detail FROM audit_log WHERE subject = ? ORDER BY id DESC", [.text(id)]) {
            audit.append("<tr><td>\(FleetAPI.utc(a.int("time")))</td><td>\(a.text("actor"))</td><td>\(a.text("action"))</td><td>\(a.text("detail"))</td></tr>")
        }
        let stageNow = index < stages.count ? stages[index] : 100
        let breachHTML: HTML = breaches.isEmpty ? "<p id=\"breaches\">No gate breached.</p>" : "<ul id=\"breaches\" class=\"error\">\(breaches)</ul>"
        return page(title: "Rollout \(id)", nav: "rollouts", principal: p, body: """
            <dl class="facts">
              <dt>Version</dt><dd>\(r["model"]?.stringValue ?? "") \(r["version"]?.stringValue ?? "") <code>\(r["digest"]?.stringValue ?? "")</code></dd>
              <dt>State</dt><dd><span class="badge state-\(state)" id="state">\(state)</span> — \(r["reason"]?.stringValue ?? "")</dd>
              <dt>Stage</dt><dd id="stage">\(index + 1) of \(stages.count): \(stageNow)% of matching devices</dd>
              <dt>Progress</dt><dd>\(Charts.stages(stages, index: index, state: state))</dd>
              <dt>Selector</dt><dd>\(labelsHTML(r["selector"]))</dd>
              <dt>Mode</dt><dd>\(mode); on a breach: \(r["on_breach"]?.stringValue ?? "")</dd>
              <dt>Soak</dt><dd>\(r["soak_seconds"]?.intValue ?? 0) s per stage; this stage started \(FleetAPI.utc(r["stage_started_at"]?.intValue)) (\(ago(r["stage_started_at"]?.intValue)))</dd>
              <dt>Created by</dt><dd>\(r["created_by"]?.stringValue ?? "")</dd>
            </dl>
            <h2>Gates (current stage)</h2>
            <p id="reporting">\(reporting) of \(g?["cohort_devices"]?.intValue ?? 0) devices in this stage reporting; gates are judged from \(minDevices).</p>
            <table id="gates"><thead><tr><th>Gate</th><th>Measured</th><th>Limit</th><th>Status</th></tr></thead><tbody>\(gateRows)</tbody></table>
            \(breachHTML)
            <h2>History</h2>
            <table id="history"><thead><tr><th>Time</th><th>Who</th><th>Action</th><th>Detail</th></tr></thead><tbody>\(audit)</tbody></table>
            """)
    }

    func driftPage(_ req: FleetRequest, _ p: Principal) async throws -> FleetResponse {
        var choices: [HTML] = []
        for row in try await db.query("SELECT model, version, COUNT(DISTINCT label_group) AS groups, MAX(bucket_start) AS latest FROM drift_merged GROUP BY model, version ORDER BY model, version") {
            let q = "model=\(FleetAPI.queryEscape(row.text("model")))&version=\(FleetAPI.queryEscape(row.text("version")))"
            choices.append("<li><a href=\"/ui/drift?\(q)\">\(row.text("model")) \(row.text("version"))</a> <span class=\"muted\">\(row.int("groups")) group(s), latest bucket \(FleetAPI.utc(row.int("latest")))</span></li>")
        }
        let choiceHTML: HTML = choices.isEmpty ? "<p class=\"muted\">No drift windows received yet.</p>" : "<ul id=\"drift-choices\">\(choices)</ul>"
        guard let model = req.query["model"], let version = req.query["version"] else {
            return page(title: "Drift", nav: "drift", principal: p, body: """
                <p class="muted">Drift windows from devices, merged per model version, label group and time bucket (\(config.driftBucketSeconds) s). Choose a model version:</p>
                \(choiceHTML)
                """)
        }
        let baseline = try await driftBaseline(model: model, version: version)
        let rows = try await db.query("""
            SELECT label_group, bucket_start, feature, counts, sample_count FROM drift_merged WHERE model = ? AND version = ?
            ORDER BY feature, label_group, bucket_start
            """, [.text(model), .text(version)])
        var features = [String]()
        var byFeature = [String: [SQLRow]]()
        for r in rows {
            let f = r.text("feature")
            if byFeature[f] == nil { features.append(f) }
            byFeature[f, default: []].append(r)
        }
        var sections: [HTML] = []
        for (fi, f) in features.enumerated() {
            let fr = byFeature[f] ?? []
            var groups = [String]()
            var points = [String: [(x: Double, y: Double)]]()
            var latest = [String: SQLRow]()
            for r in fr {
                let grp = r.text("label_group")
                if points[grp] == nil { groups.append(grp) }
                let c = FleetAPI.counts(r.text("counts"))
                if let b = baseline, let v = FleetAPI.psi(c, b, feature: f) {
                    points[grp, default: []].append((Double(r.int("bucket_start")), v))
                } else { points[grp, default: []].append((Double(r.int("bucket_start")), Double(r.int("sample_count")))) }
                if r.int("bucket_start") >= latest[grp]?.int("bucket_start") ?? Int.min { latest[grp] = r }
            }
            let series = groups.map { Charts.Series(name: "group \($0)", points: points[$0] ?? []) }
            let spec = baseline?["features"]?.arrayValue?.first(where: { $0["name"]?.stringValue == f })
            let props = spec?["proportions"]?.arrayValue?.compactMap { $0.doubleValue }
            let chart = Charts.lines(series, threshold: baseline == nil ? nil : config.driftAlertPSI, yLabel: baseline == nil ? "samples" : "PSI",
                                     label: { FleetAPI.utc(Int($0)).replacingOccurrences(of: ":00", with: "", options: [.anchored, .backwards]) })
            let hists: [HTML] = groups.map { (grp: String) -> HTML in
                let r = latest[grp]!
                let c = FleetAPI.counts(r.text("counts"))
                let psi = baseline.flatMap { FleetAPI.psi(c, $0, feature: f) }
                return "<figure><figcaption>group \(grp), bucket \(FleetAPI.utc(r.int("bucket_start"))): \(r.int("sample_count")) samples\(psi.map { ", PSI " + HTML.number($0, digits: 4) } ?? "")</figcaption>\(Charts.histogram(observed: c, baseline: props))</figure>"
            }
            sections.append("""
                <section class="feature" id="feature-\(fi)" data-feature="\(f)"><h2>Feature \(f)</h2>
                \(chart)
                <div class="hists">\(hists)</div></section>
                """)
        }
        let note: HTML = baseline == nil
            ? "<p class=\"error\">This version's manifest has no drift baseline: PSI cannot be computed; the charts show sample counts.</p>"
            : "<p class=\"muted\">PSI per time bucket against the drift baseline in the package manifest; the dashed line is the alert threshold \(config.driftAlertPSI, digits: 3).</p>"
        return page(title: "Drift: \(model) \(version)", nav: "drift", principal: p, body: """
            \(note)
            \(sections.isEmpty ? "<p class=\"muted\">No drift windows for this version.</p>" : HTML.join(sections))
            <h2>Other versions</h2>\(choiceHTML)
            """)
    }
}
