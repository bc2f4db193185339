import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OutpostProtocol

/// Load generator: N simulated devices against a running server on 127.0.0.1.
/// Each device enrolls, then checks in every --check-in seconds (start times
/// spread evenly over the first interval) and sends a telemetry batch every
/// --telemetry seconds. Bounded by --devices and --duration.
struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Simulate devices checking in and uploading telemetry (bounded in count and time).")

    @Option(help: "Server base URL.") var url = "http://127.0.0.1:8080"
    @Option(help: "Admin token (to create the enrollment token).") var adminToken: String
    @Option(help: "Simulated devices (at most 50000).") var devices = 1000
    @Option(help: "Seconds to run after enrollment (at most 3600).") var duration = 120
    @Option(help: "Check-in interval per device, seconds.") var checkIn = 60
    @Option(help: "Telemetry interval per device, seconds.") var telemetry = 300
    @Option(help: "Records per telemetry batch.") var records = 50

    final class Stats: @unchecked Sendable {
        let lock = NSLock()
        var latencies: [String: [Double]] = [:]
        var errors: [String: Int] = [:]
        var lastError = ""
        func add(_ kind: String, _ seconds: Double, ok: Bool, detail: String = "") {
            lock.lock(); defer { lock.unlock() }
            latencies[kind, default: []].append(seconds)
            if !ok { errors[kind, default: 0] += 1; lastError = detail }
        }
    }

    func validate() throws {
        guard (1...50_000).contains(devices), (1...3600).contains(duration) else {
            throw ValidationError("--devices must be 1...50000 and --duration 1...3600")
        }
    }

    static func post(_ session: URLSession, _ url: String, token: String?, body: String, stats: Stats, kind: String) async -> Data? {
        var r = URLRequest(url: URL(string: url)!)
        r.httpMethod = "POST"
        r.httpBody = Data(body.utf8)
        r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let t = token { r.setValue("Bearer " + t, forHTTPHeaderField: "Authorization") }
        let start = Date()
        do {
            let (data, resp) = try await session.data(for: r)
            let status = (resp as? HTTPURLResponse)?.statusCode ?? 0
            stats.add(kind, Date().timeIntervalSince(start), ok: status < 300, detail: "\(kind) \(status) \(String(decoding: data, as: UTF8.self))")
            return status < 300 ? data : nil
        } catch {
            stats.add(kind, Date().timeIntervalSince(start), ok: false, detail: "\(kind): \(error)")
            return nil
        }
    }

    func run() async throws {
        let config = URLSessionConfiguration.default
        config.httpMaximumConnectionsPerHost = 64
        config.timeoutIntervalForRequest = 30
        let session = URLSession(configuration: config)
        let stats = Stats()
        guard let tokData = await Load.post(session, url + "/v1/enrollment-tokens", token: adminToken,
                                            body: #"{"labels":{"group":"load"},"max_uses":\#(devices),"expires_in_seconds":3600}"#,
                                            stats: stats, kind: "token"),
              let token = try? EnrollResponseToken.parse(tokData) else {
            throw ValidationError("cannot create an enrollment token: \(stats.lastError)")
        }
        // Enroll with bounded concurrency.
        let t0 = Date()
        var creds = [(String, String)]()
        await withTaskGroup(of: (String, String)?.self) { group in
            var next = 0
            func add() {
                let i = next; next += 1
                group.addTask {
                    let body = EnrollRequest(token: token, hardwareID: "load-\(i)", agentVersion: "load").encoded()
                    guard let d = await Load.post(session, url + "/v1/enroll", token: nil, body: body, stats: stats, kind: "enroll"),
                          let e = try? EnrollResponse.decode(String(decoding: d, as: UTF8.self)) else { return nil }
                    return (e.deviceID, e.credential)
                }
            }
            for _ in 0..<min(32, devices) { add() }
            for await c in group {
                if let c { creds.append(c) }
                if next < devices { add() }
            }
        }
        print("enrolled \(creds.count)/\(devices) devices in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s")
        let start = Date()
        let end = start.addingTimeInterval(TimeInterval(duration))
        let checkInBody = CheckInRequest(agentVersion: "load", running: [], buffer: BufferState(pendingRecords: 0, pendingBytes: 0, evictedRecords: 0),
                                         health: Health(status: .ok, uptimeSeconds: 1)).encoded()
        let (ci, tel, recs, base) = (checkIn, telemetry, records, url)
        await withTaskGroup(of: Void.self) { group in
            for (i, c) in creds.enumerated() {
                group.addTask {
                    // Spread first check-ins over one interval; telemetry likewise.
                    let offset = Double(i) / Double(creds.count)
                    var nextCheckIn = start.addingTimeInterval(offset * Double(ci))
                    var nextTelemetry = start.addingTimeInterval(offset * Double(tel))
                    var seq = 0
                    while true {
                        let due = min(nextCheckIn, nextTelemetry)
                        if due >= end { break }
                        let wait = due.timeIntervalSinceNow
                        if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
                        if nextCheckIn <= nextTelemetry {
                            _ = await Load.post(session, "\(base)/v1/devices/\(c.0)/checkin", token: c.1, body: checkInBody, stats: stats, kind: "checkin")
                            nextCheckIn += Double(ci)
                        } else {
                            let now = Int(Date().timeIntervalSince1970)
                            let batch = TelemetryBatch(stream: "inference", records: (1...recs).map {
                                TelemetryRecord(sequence: seq + $0, time: now, model: "tiny", version: "1.0.0", latencyMicros: 800 + $0, status: .ok)
                            })
                            seq += recs
                            _ = await Load.post(session, "\(base)/v1/devices/\(c.0)/telemetry", token: c.1, body: batch.encoded(), stats: stats, kind: "telemetry")
                            nextTelemetry += Double(tel)
                        }
                    }
                }
            }
        }
        print("ran \(duration) s with \(creds.count) devices (check-in every \(checkIn) s, telemetry every \(telemetry) s, \(records) records/batch)")
        for kind in stats.latencies.keys.sorted() {
            let l = stats.latencies[kind]!.sorted()
            func q(_ p: Double) -> Double { l[min(l.count - 1, Int(Double(l.count) * p))] * 1000 }
            print(String(format: "%-10@ n=%-7d errors=%-5d p50=%.1f ms p99=%.1f ms max=%.1f ms", kind as NSString, l.count,
                         stats.errors[kind] ?? 0, q(0.5), q(0.99), l.last! * 1000))
        }
        if !stats.lastError.isEmpty { print("last error: \(stats.lastError.prefix(300))") }
        if stats.errors.values.reduce(0, +) > 0 { throw ExitCode(1) }
    }
}

enum EnrollResponseToken {
    static func parse(_ d: Data) throws -> String {
        guard let o = try JSONSerialization.jsonObject(with: d) as? [String: Any], let t = o["token"] as? String else {
            throw ValidationError("no token in the answer")
        }
        return t
    }
}
