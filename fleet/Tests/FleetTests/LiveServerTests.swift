import FleetCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import OutpostProtocol
import Testing

/// The real server over TCP: first start writes the admin token (0600), requests
/// go through Hummingbird, oversized bodies get 413, cancellation shuts down cleanly.
@Suite struct LiveServerTests {
    final class Port: @unchecked Sendable {
        let lock = NSLock()
        var value = 0
        func set(_ v: Int) { lock.lock(); value = v; lock.unlock() }
        func get() -> Int { lock.lock(); defer { lock.unlock() }; return value }
    }

    func send(_ method: String, _ url: String, token: String? = nil, body: Data? = nil) async throws -> (Int, Data) {
        var r = URLRequest(url: URL(string: url)!)
        r.httpMethod = method
        r.httpBody = body
        if let t = token { r.setValue("Bearer " + t, forHTTPHeaderField: "Authorization") }
        let (data, resp) = try await URLSession.shared.data(for: r)
        return ((resp as! HTTPURLResponse).statusCode, data)
    }

    @Test func serveBootstrapAndShutDown() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-live-\(UUID().uuidString)").path
        var config = FleetConfig()
        config.port = 0
        config.dataDir = dir
        config.maxJSONBytes = 2048
        var logger = Logger(label: "live")
        logger.logLevel = .warning
        let port = Port()
        let server = Task { try await FleetServer.serve(config: config, logger: logger) { port.set($0) } }
        for _ in 0..<200 where port.get() == 0 { try await Task.sleep(nanoseconds: 20_000_000) }
        let base = "http://127.0.0.1:\(port.get())"
        #expect(port.get() != 0)

        let tokenPath = dir + "/admin-token"
        let attrs = try FileManager.default.attributesOfItem(atPath: tokenPath)
        #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let admin = try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

        let (s1, b1) = try await send("GET", base + "/v1/health")
        #expect(s1 == 200 && String(decoding: b1, as: UTF8.self).contains("sqlite"))
        let (s2, _) = try await send("GET", base + "/v1/devices", token: admin)
        #expect(s2 == 200)
        let (s3, b3) = try await send("POST", base + "/v1/enrollment-tokens", token: admin, body: Data(repeating: 0x20, count: 10_000))
        #expect(s3 == 413, "\(String(decoding: b3, as: UTF8.self))")
        let (s4, _) = try await send("GET", base + "/v1/devices")
        #expect(s4 == 401)
        let (s5, b5) = try await send("GET", base + "/metrics")
        let metrics = String(decoding: b5, as: UTF8.self)
        #expect(s5 == 200 && metrics.contains("outpost_fleet_http_requests_total{route=\"GET /v1/devices\",status=\"200\"} 1"))

        server.cancel()
        _ = await server.result
        // Second start: the token exists, no new one is written.
        #expect(try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == admin)
    }
}
