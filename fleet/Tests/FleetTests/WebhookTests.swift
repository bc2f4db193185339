@testable import FleetCore
import Foundation
import Hummingbird
import Logging
import OutpostJSON
import OutpostPackage
import OutpostProtocol
import Testing

/// Alert webhooks against a real HTTP receiver on 127.0.0.1: an alert is POSTed
/// once when it fires and once when it clears, signed with HMAC-SHA256; 5xx and
/// network errors are retried with back-off, other answers end the delivery;
/// a second replica sends nothing twice.
@Suite struct WebhookTests {
    /// What the receiver saw, and how many of the next requests to /hook it fails with 503.
    final class Inbox: @unchecked Sendable {
        struct Hit { var path: String; var event: String; var delivery: String; var signature: String; var body: String }
        private let lock = NSLock()
        private var hits = [Hit]()
        private var failures = 0
        func add(_ h: Hit) { lock.lock(); hits.append(h); lock.unlock() }
        var all: [Hit] { lock.lock(); defer { lock.unlock() }; return hits }
        func failNext(_ n: Int) { lock.lock(); failures = n; lock.unlock() }
        func shouldFail() -> Bool { lock.lock(); defer { lock.unlock() }; if failures > 0 { failures -= 1; return true }; return false }
    }

    final class Port: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func set(_ v: Int) { lock.lock(); value = v; lock.unlock() }
        var get: Int { lock.lock(); defer { lock.unlock() }; return value }
    }

    /// Starts the receiver; returns its base URL and the task to cancel.
    static func receiver(_ inbox: Inbox) async throws -> (String, Task<Void, Error>) {
        let router = Router()
        @Sendable func hit(_ req: Request, _ path: String) async throws -> Inbox.Hit {
            let body = try await req.body.collect(upTo: 1 << 20)
            return Inbox.Hit(path: path, event: req.headers[.init("X-Outpost-Event")!] ?? "",
                             delivery: req.headers[.init("X-Outpost-Delivery")!] ?? "",
                             signature: req.headers[.init("X-Outpost-Signature")!] ?? "",
                             body: String(buffer: body))
        }
        router.post("hook") { req, _ -> Response in
            inbox.add(try await hit(req, "hook"))
            return Response(status: inbox.shouldFail() ? .serviceUnavailable : .noContent)
        }
        router.post("gone") { req, _ -> Response in
            inbox.add(try await hit(req, "gone"))
            return Response(status: .gone)
        }
        let port = Port()
        var quiet = Logger(label: "webhook-receiver")
        quiet.logLevel = .critical  // its cancellation at the end of the test is expected
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { port.set($0.localAddress?.port ?? 0) }, logger: quiet)
        let task = Task { try await app.runService() }
        for _ in 0..<250 where port.get == 0 { try await Task.sleep(nanoseconds: 20_000_000) }
        #expect(port.get != 0)
        return ("http://127.0.0.1:\(port.get)", task)
    }

    /// A TCP port nothing listens on (connection refused).
    static func closedPort() -> Int {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        close(s)
        return Int(UInt16(bigEndian: a.sin_port))
    }

    @Test func hmacMatchesRFC4231() {
        // RFC 4231 test case 2.
        let mac = HMACSHA256.mac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // A key longer than the block is hashed first (test case 6).
        let long = HMACSHA256.mac(key: [UInt8](repeating: 0xaa, count: 131),
                                  message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(Hex.encode(long) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func badWebhookURLsAreRefusedAtStart() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-cfg-\(UUID().uuidString).json").path
        try #"{"alert_webhooks": ["ftp://example.com/x"]}"#.write(toFile: dir, atomically: true, encoding: .utf8)
        #expect { _ = try FleetConfig.load(path: dir) } throws: { "\($0)".contains("alert_webhooks[0]: 'ftp://example.com/x' is not an http:// or https:// URL") }
        try #"{"alert_webhooks": "http://x"}"#.write(toFile: dir, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { _ = try FleetConfig.load(path: dir) }
        try #"{"alert_webhooks": ["https://hooks.example.com/outpost"], "webhook_max_attempts": 5}"#.write(toFile: dir, atomically: true, encoding: .utf8)
        let c = try FleetConfig.load(path: dir)
        #expect(c.alertWebhooks == ["https://hooks.example.com/outpost"] && c.webhookMaxAttempts == 5)
    }

    @Test(arguments: Backend.available)
    func alertsFireOnceClearOnceAndRetry(_ backend: Backend) async throws {
        let inbox = Inbox()
        let (base, server) = try await Self.receiver(inbox)
        defer { server.cancel() }
        let refused = "http://127.0.0.1:\(Self.closedPort())/x"
        let h = try await Harness(backend) { c in
            c.alertWebhooks = [base + "/hook", base + "/gone", refused]
            c.alertWebhookSecret = "s3cret"
            c.silentAfterSeconds = 100
            c.webhookRetrySeconds = 10
            c.webhookMaxAttempts = 3
        }
        let device = try await h.enroll()
        #expect(try await h.api.notifyAlerts() == (0, 0))

        // The device stays silent past the limit: one alert, three deliveries queued.
        h.clock.advance(101)
        #expect(try await h.api.notifyAlerts() == (1, 0))
        #expect(try await h.api.notifyAlerts() == (0, 0), "an open alert is not sent again")
        let replica = FleetAPI(db: try h.reopen(), config: h.api.config, logger: h.api.logger)
        replica.clock = h.api.clock
        #expect(try await replica.notifyAlerts() == (0, 0), "a second replica does not send it again")

        // First pass: /hook answers 503 (retry), /gone 410 (final), the closed port refuses (retry).
        inbox.failNext(1)
        #expect(try await h.api.deliverWebhooks() == 3)
        #expect(try await h.api.deliverWebhooks() == 0, "nothing is due before the back-off")
        var list = h.json(await h.call("GET", "/v1/webhook-deliveries", token: h.admin))["deliveries"]?.arrayValue ?? []
        func row(_ url: String) -> JSONValue? { list.first { $0["url"]?.stringValue == url } }
        #expect(row(base + "/gone")?["state"]?.stringValue == "failed" && row(base + "/gone")?["last_status"]?.intValue == 410)
        #expect(row(base + "/hook")?["state"]?.stringValue == "pending" && row(base + "/hook")?["last_error"]?.stringValue == "HTTP 503")
        #expect(row(refused)?["state"]?.stringValue == "pending" && row(refused)?["last_status"] == .null)

        // After the back-off the hook takes it; the refused URL fails again and, with
        // its third attempt (10 s, then 20 s later), is given up.
        h.clock.advance(10)
        #expect(try await h.api.deliverWebhooks() == 2)
        h.clock.advance(20)
        #expect(try await h.api.deliverWebhooks() == 1)
        list = h.json(await h.call("GET", "/v1/webhook-deliveries", token: h.admin))["deliveries"]?.arrayValue ?? []
        #expect(row(base + "/hook")?["state"]?.stringValue == "delivered" && row(base + "/hook")?["attempts"]?.intValue == 2)
        #expect(row(refused)?["state"]?.stringValue == "failed" && row(refused)?["attempts"]?.intValue == 3, "\(list)")
        let failed = h.json(await h.call("GET", "/v1/webhook-deliveries?state=failed", token: h.admin))["deliveries"]?.arrayValue ?? []
        #expect(failed.count == 2)
        #expect(await h.call("GET", "/v1/webhook-deliveries?state=lost", token: h.admin).status == 400)

        let hooks = inbox.all.filter { $0.path == "hook" }
        #expect(hooks.count == 2 && hooks[0].delivery == hooks[1].delivery, "the retry carries the same delivery id")
        let firing = hooks[1]
        let body = try JSONReader.parse(firing.body)
        #expect(firing.event == "alert.firing" && body["event"]?.stringValue == "alert.firing")
        #expect(body["alert"]?["kind"]?.stringValue == "device_silent" && body["alert"]?["subject"]?.stringValue == device.id)
        #expect(firing.signature == "sha256=" + Hex.encode(HMACSHA256.mac(key: Array("s3cret".utf8), message: Array(firing.body.utf8))))

        // The dashboard's alerts page shows the outbox, undelivered rows first.
        let cookie = await DashboardTests().signIn(h)
        let page = await h.call("GET", "/ui/alerts", headers: ["cookie": cookie]).text
        #expect(page.contains("3 configured; deliveries: 1 delivered,\n0 pending, 2 failed"), "\(page)")
        #expect(page.contains("<td>HTTP 410</td>") && page.contains("connect to 127.0.0.1"), "\(page)")

        // The device checks in: the alert clears and is sent as resolved, once.
        #expect(await h.call("POST", "/v1/devices/\(device.id)/checkin", token: device.token, json: AuthTests.checkIn).status == 200)
        #expect(try await h.api.notifyAlerts() == (0, 1))
        #expect(try await h.api.notifyAlerts() == (0, 0))
        #expect(try await h.api.deliverWebhooks() == 3)
        let resolved = inbox.all.filter { $0.path == "hook" }.last!
        let rb = try JSONReader.parse(resolved.body)
        #expect(resolved.event == "alert.resolved" && rb["alert"]?["subject"]?.stringValue == device.id)
        #expect(rb["resolved_at"]?.intValue == h.clock.now && rb["fired_at"]?.intValue == h.clock.now - 30)

        // Silent again later: it fires again (a new episode).
        h.clock.advance(101)
        #expect(try await h.api.notifyAlerts() == (1, 0))
        let metrics = h.api.metrics.prometheus()
        #expect(metrics.contains(#"outpost_fleet_webhook_deliveries_total{result="delivered"} 2"#), "\(metrics)")
        #expect(metrics.contains(#"outpost_fleet_webhook_deliveries_total{result="failed"} 3"#))
    }
}
