import FleetCore
import Foundation
import OutpostJSON
import OutpostProtocol
import Testing

/// A corpus of bad requests: each must get a 4xx with a JSON error body that
/// says what is wrong — never a 500.
@Suite struct BadRequestTests {
    @Test(arguments: Backend.available)
    func corpusGetsClearClientErrors(_ backend: Backend) async throws {
        let h = try await Harness(backend) { $0.maxJSONBytes = 4096 }
        let d = try await h.enroll()
        let dev = "/v1/devices/\(d.id)"
        let goodRecord = #"{"seq":1,"time":1,"model":"m","version":"1","latency_us":5,"status":"ok"}"#
        let digest = Fixture.goodDigest
        // (method, path, token, body, expected status, text the message must contain)
        let corpus: [(String, String, String?, String, Int, String)] = [
            ("POST", dev + "/checkin", d.token, "{", 400, "malformed JSON"),
            ("POST", dev + "/checkin", d.token, "", 400, "malformed JSON"),
            ("POST", dev + "/checkin", d.token, "[1,2]", 400, "expected an object"),
            ("POST", dev + "/checkin", d.token, #"{"agent_version":7}"#, 400, "agent_version: expected a string"),
            ("POST", dev + "/checkin", d.token, #"{"agent_version":"1"}"#, 400, "running: required array is missing"),
            ("POST", dev + "/checkin", d.token, #"{"agent_version":"1","running":{},"buffer":{},"health":{}}"#, 400, "running: expected an array"),
            ("POST", dev + "/checkin", d.token, #"{"agent_version":"1","running":[],"buffer":{"pending_records":-1,"pending_bytes":0,"evicted_records":0},"health":{"status":"ok","uptime_seconds":1}}"#, 400, "buffer.pending_records"),
            ("POST", dev + "/checkin", d.token, #"{"agent_version":"1","running":[],"buffer":{"pending_records":1.5,"pending_bytes":0,"evicted_records":0},"health":{"status":"ok","uptime_seconds":1}}"#, 400, "fractional"),
            ("POST", dev + "/checkin", d.token, #"{"agent_version":"1","running":[],"buffer":{"pending_records":0,"pending_bytes":0,"evicted_records":0},"health":{"status":"great","uptime_seconds":1}}"#, 400, "health.status"),
            ("POST", dev + "/checkin", d.token, String(repeating: "[", count: 200), 400, "malformed JSON"),
            ("POST", dev + "/checkin", d.token, "{\"a\":\"" + String(repeating: "x", count: 5000) + "\"}", 413, "exceeds 4096 bytes"),
            ("POST", dev + "/telemetry", d.token, #"{"stream":"s","first_seq":1,"last_seq":2,"records":[\#(goodRecord)]}"#, 400, "end at last_seq"),
            ("POST", dev + "/telemetry", d.token, #"{"stream":"s","first_seq":0,"last_seq":1,"records":[]}"#, 400, "first_seq"),
            ("POST", dev + "/telemetry", d.token, #"{"stream":"s","first_seq":"1","last_seq":1,"records":[]}"#, 400, "first_seq: expected an integer"),
            ("POST", dev + "/events", d.token, #"{"events":[{"event_id":1,"model":"m","version":"1","digest":"md5:x","kind":"activated","time":1}]}"#, 400, "events[0].digest"),
            ("POST", dev + "/events", d.token, #"{"events":[{"event_id":1,"model":"m","version":"1","digest":"\#(digest)","kind":"exploded","time":1}]}"#, 400, "events[0].kind"),
            ("POST", dev + "/drift", d.token, #"{"windows":[{"model":"m","version":"1","window_start":0,"window_seconds":0,"sample_count":0,"features":[]}]}"#, 400, "window_seconds"),
            ("POST", dev + "/drift", d.token, #"{"windows":[{"model":"m","version":"1","window_start":0,"window_seconds":60,"sample_count":1,"features":[{"feature":"f","counts":[-1]}]}]}"#, 400, "counts[0]"),
            ("POST", "/v1/enroll", nil, #"{"token":"nope","hardware_id":"x","agent_version":"1"}"#, 401, "not an enrollment token"),
            ("POST", "/v1/enroll", nil, #"{"token":5}"#, 400, "token: expected a string"),
            ("POST", "/v1/devices/unknown00000/checkin", d.token, "{}", 403, "own resources"),
            ("GET", "/v1/devices/unknown00000", h.admin, "", 404, "no device"),
            ("PUT", "/v1/devices/unknown00000/assignments/tiny", h.admin, #"{"version":"1"}"#, 404, "no active device"),
            ("PUT", dev + "/assignments/tiny", h.admin, #"{"version":"9.9.9"}"#, 404, "no package"),
            ("PUT", dev + "/assignments/tiny", h.admin, #"{"version":"1.2.0","mode":"sideways"}"#, 400, "mode"),
            ("POST", "/v1/enrollment-tokens", h.admin, #"{"max_uses":0}"#, 400, "max_uses"),
            ("POST", "/v1/enrollment-tokens", h.admin, #"{"labels":{"group":1}}"#, 400, "labels.group"),
            ("POST", "/v1/enrollment-tokens", h.admin, #"{"labels":[]}"#, 400, "labels: expected an object"),
            ("POST", "/v1/publisher-keys", h.admin, #"{"name":"k","public_key":"abc"}"#, 400, "64 hex digits"),
            ("POST", "/v1/admin-tokens", h.admin, "{}", 400, "name: required string"),
            ("POST", "/v1/packages", h.admin, "", 400, "package file"),
            ("GET", "/v1/packages/sha256:xyz", d.token, "", 400, "expected a digest"),
            ("GET", "/v1/drift", h.admin, "", 400, "'model' and 'version'"),
            ("GET", "/v1/nothing-here", nil, "", 404, "no route"),
            ("DELETE", "/v1/health", nil, "", 405, "allowed: GET"),
            ("POST", dev + "/checkin", "opd_" + d.id + "_" + String(repeating: "0", count: 40), "{}", 401, "unknown device credential"),
            ("POST", dev + "/checkin", "Bearer", "{}", 401, "not an Outpost"),
            ("DELETE", "/v1/enrollment-tokens/none", h.admin, "", 404, "no active enrollment token"),
        ]
        for (method, path, token, body, status, text) in corpus {
            let r = await h.call(method, path, token: token, json: body)
            #expect(r.status == status, "\(method) \(path) \(body.prefix(80)): got \(r.status) \(r.text)")
            let e = try? ErrorBody.decode(r.text)
            #expect(e != nil && e!.message.contains(text), "\(method) \(path) \(body.prefix(80)): message \(r.text)")
        }
        // An expired enrollment token, a revoked device.
        let t = h.json(await h.call("POST", "/v1/enrollment-tokens", token: h.admin, json: #"{"expires_in_seconds":60}"#))["token"]!.stringValue!
        h.clock.advance(120)
        let expired = await h.call("POST", "/v1/enroll", json: EnrollRequest(token: t, hardwareID: "x", agentVersion: "1").encoded())
        #expect(expired.status == 401 && expired.text.contains("expired"))
        _ = await h.call("DELETE", dev, token: h.admin)
        let revoked = await h.call("POST", dev + "/telemetry", token: d.token, json: "{}")
        #expect(revoked.status == 401 && revoked.text.contains("revoked"))
    }
}
