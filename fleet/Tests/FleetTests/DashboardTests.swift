import FleetCore
import Foundation
import OutpostJSON
import OutpostProtocol
import Testing

/// The dashboard in-process: sign-in and its refusals, escaping of device- and
/// upload-supplied text, and the pages showing rollouts, drift and alerts.
/// (fleet/scripts/dashboard-browser-test.py drives the same pages in Chromium.)
@Suite struct DashboardTests {
    func signIn(_ h: Harness) async -> String {
        let r = await h.call("POST", "/ui/login", body: Array("token=\(h.admin)".utf8))
        #expect(r.status == 303 && r.header("Location") == "/ui", "\(r.status) \(r.text)")
        let cookie = r.header("Set-Cookie") ?? ""
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/ui"))
        return String(cookie.split(separator: ";")[0])
    }

    @Test(arguments: Backend.available)
    func signInIsRequiredAndChecked(_ backend: Backend) async throws {
        let h = try await Harness(backend)
        let (dev, cred) = try await h.enroll()
        let anon = await h.call("GET", "/ui/devices")
        #expect(anon.status == 303 && anon.header("Location") == "/ui/login")
        #expect(await h.call("GET", "/").header("Location") == "/ui")
        let form = await h.call("GET", "/ui/login")
        #expect(form.status == 200 && form.text.contains("name=\"token\"") && form.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        let wrong = await h.call("POST", "/ui/login", body: Array("token=opa_aaaaaaaaaaaa_\(String(repeating: "b", count: 40))".utf8))
        #expect(wrong.status == 401 && wrong.text.contains("unknown admin token") && wrong.header("Set-Cookie") == nil)
        let device = await h.call("POST", "/ui/login", body: Array("token=\(cred)".utf8))
        #expect(device.status == 401 && device.text.contains("not an admin token"))
        // A device credential in the cookie does not open pages either.
        #expect(await h.call("GET", "/ui/devices", headers: ["cookie": "outpost_admin=\(cred)"]).status == 303)
        let cookie = await signIn(h)
        let page = await h.call("GET", "/ui/devices", headers: ["cookie": cookie])
        #expect(page.status == 200 && page.text.contains(dev), "\(page.text)")
        #expect(await h.call("POST", "/ui/devices", headers: ["cookie": cookie]).status == 405)
        let out = await h.call("POST", "/ui/logout", headers: ["cookie": cookie])
        #expect(out.status == 303 && out.header("Set-Cookie")?.contains("Max-Age=0") == true)
        // Revoking the admin token ends its dashboard session.
        let audit = h.json(await h.call("GET", "/v1/audit", token: h.admin))["entries"]!.arrayValue!
        #expect(audit.contains { $0["action"]?.stringValue == "dashboard.login" })
        let id = String(h.admin.split(separator: "_")[1])
        #expect(await h.call("DELETE", "/v1/admin-tokens/\(id)", token: h.admin).status == 204)
        #expect(await h.call("GET", "/ui/devices", headers: ["cookie": cookie]).status == 303)
    }

    @Test(arguments: Backend.available)
    func pagesEscapeDeviceTextAndShowState(_ backend: Backend) async throws {
        let h = try await Harness(backend)
        _ = try await h.uploadGood()
        #expect(await h.call("POST", "/v1/packages", token: h.admin, body: Fixture.build(version: "1.3.0", release: 6, parent: "1.2.0")).status == 201)
        let hostile = "<script>alert(1)</script>\"'&"
        let (a, ta) = try await h.enroll(labels: #"{"group":"lab","note":"<img src=x onerror=alert(2)>"}"#, hardware: hostile)
        let (b, tb) = try await h.enroll(hardware: "hw-b")
        let check = CheckInRequest(agentVersion: "0.1<b>", running: [], buffer: BufferState(pendingRecords: 3, pendingBytes: 10, evictedRecords: 1),
                                   health: Health(status: .failing, uptimeSeconds: 5, message: "self-test failed: <i>nan</i>"))
        #expect(await h.call("POST", "/v1/devices/\(a)/checkin", token: ta, json: check.encoded()).status == 200)
        let ok = CheckInRequest(agentVersion: "0.1", running: [], buffer: BufferState(pendingRecords: 0, pendingBytes: 0, evictedRecords: 0),
                                health: Health(status: .ok, uptimeSeconds: 5))
        #expect(await h.call("POST", "/v1/devices/\(b)/checkin", token: tb, json: ok.encoded()).status == 200)

        let r = h.json(await h.call("POST", "/v1/rollouts", token: h.admin, json: """
            {"model":"tiny","version":"1.3.0","selector":{"group":"lab"},"stages":[100],"soak_seconds":0,"gates":{"min_devices":1,"max_psi":0.25}}
            """))
        let rid = try #require(r["id"]?.stringValue)
        // Skewed drift from one device: PSI far above the threshold.
        let baseline = try JSONReader.parse(try #require(try await h.api.db.one("SELECT drift_baseline FROM packages WHERE version = '1.3.0'")?.optionalText("drift_baseline")))
        let feature = try #require(baseline["features"]?.arrayValue?.first?["name"]?.stringValue)
        let bins = baseline["features"]!.arrayValue!.first!["proportions"]!.arrayValue!.count
        var skew = Array(repeating: 0, count: bins)
        skew[0] = 1000
        let w = DriftWindow(model: "tiny", version: "1.3.0", windowStart: h.clock.now, windowSeconds: 600, sampleCount: 1000,
                            features: [FeatureHistogram(feature: feature, counts: skew)])
        #expect(await h.call("POST", "/v1/devices/\(b)/drift", token: tb, json: DriftUpload(windows: [w]).encoded()).status == 200)
        let ev = DeploymentEventBatch(events: [DeploymentEvent(eventID: 1, model: "tiny", version: "1.3.0", digest: r["digest"]!.stringValue!,
                                                               kind: .selfTestFailed, reason: "golden case 2 <differs>", time: h.clock.now)])
        #expect(await h.call("POST", "/v1/devices/\(a)/events", token: ta, json: ev.encoded()).status == 200)

        let cookie = await signIn(h)
        func get(_ path: String) async -> String {
            let p = await h.call("GET", path, headers: ["cookie": cookie])
            #expect(p.status == 200, "\(path): \(p.status) \(p.text)")
            #expect(p.header("Content-Type") == "text/html; charset=utf-8")
            return p.text
        }
        let devices = await get("/ui/devices")
        #expect(devices.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"))
        #expect(devices.contains("&lt;img src=x onerror=alert(2)&gt;"))
        #expect(!devices.contains("<script") && !devices.contains("<img") && !devices.contains("<i>") && !devices.contains("<b>"))
        #expect(devices.contains("self-test failed: &lt;i&gt;nan&lt;/i&gt;"))
        let device = await get("/ui/devices/\(a)")
        #expect(device.contains("golden case 2 &lt;differs&gt;") && device.contains("self_test_failed") && !device.contains("<script"))

        let alerts = try await h.api.alerts()
        #expect(alerts.contains { $0.kind == "device_failing" && $0.subject == a })
        #expect(alerts.contains { $0.kind == "deployment_failed" && $0.subject == a })
        #expect(alerts.contains { $0.kind == "drift" && $0.message.contains(feature) }, "\(alerts.map(\.message))")
        #expect(alerts.contains { $0.kind == "gate_breach" && $0.subject == rid })
        #expect(alerts.first?.severity == .critical)
        #expect(!alerts.contains { $0.kind == "device_silent" })
        let alertPage = await get("/ui/alerts")
        #expect(alertPage.contains("data-kind=\"drift\"") && alertPage.contains("data-kind=\"device_failing\""))

        let rollout = await get("/ui/rollouts/\(rid)")
        #expect(rollout.contains("data-gate=\"drift PSI\"") && rollout.contains("gate-breach") && rollout.contains("1 of 1: 100%"), "\(rollout)")
        _ = await h.call("POST", "/v1/rollouts/\(rid)/evaluate", token: h.admin)
        let paused = await get("/ui/rollouts/\(rid)")
        #expect(paused.contains("state-paused") && paused.contains("rollout.evaluate"))
        #expect(try await h.api.alerts().contains { $0.kind == "rollout_paused" && $0.subject == rid })

        let model = await get("/ui/models/tiny")
        #expect(model.contains("id=\"lineage\"") && model.contains("parent 1.1.0 not registered") && model.contains("<span class=\"node\">1.3.0</span>"))
        let drift = await get("/ui/drift?model=tiny&version=1.3.0")
        #expect(drift.contains("<svg class=\"chart\"") && drift.contains("<polyline") && drift.contains("Feature \(HTML.escape(feature))"))
        let overview = await get("/ui")
        #expect(overview.contains("id=\"card-alerts\"") && overview.contains(rid))
        #expect(await get("/ui/audit").contains("rollout.create"))
        #expect(await h.call("GET", "/ui/rollouts/r-nope", headers: ["cookie": cookie]).status == 404)

        // Silence: past the limit without a check-in.
        h.clock.advance(h.api.config.silentAfterSeconds + 1)
        #expect(try await h.api.alerts().filter { $0.kind == "device_silent" }.count == 2)
    }

    @Test func htmlInterpolationEscapes() {
        let s = "<a href=\"x\">'&'</a>"
        let h: HTML = "<p>\(s)</p>\(HTML(raw: "<br>"))\(3)"
        #expect(h.raw == "<p>&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;</p><br>3")
        #expect(HTML.path("a b/c") == "a%20b%2Fc")
    }
}
