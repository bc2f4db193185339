import Foundation

/// Request counters and latency histograms per route, in Prometheus text format.
public final class Metrics: @unchecked Sendable {
    private let lock = NSLock()
    private static let bounds: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
    private var requests: [String: Int] = [:]          // "route|status"
    private var buckets: [String: [Int]] = [:]         // route -> cumulative-ready counts
    private var sums: [String: Double] = [:]
    private var counts: [String: Int] = [:]
    private var gauges: [String: Double] = [:]
    private var counters: [String: Int] = [:]          // "name{label=\"value\"}"
    public let startTime = Date()

    public init() {}

    public func record(route: String, status: Int, seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        requests["\(route)|\(status)", default: 0] += 1
        var b = buckets[route] ?? Array(repeating: 0, count: Metrics.bounds.count)
        for (i, le) in Metrics.bounds.enumerated() where seconds <= le { b[i] += 1 }
        buckets[route] = b
        sums[route, default: 0] += seconds
        counts[route, default: 0] += 1
    }

    public func set(_ name: String, _ value: Double) {
        lock.lock(); defer { lock.unlock() }
        gauges[name] = value
    }

    /// A counter with one label (e.g. webhook deliveries by result).
    public func increment(_ name: String, label: String, _ value: String) {
        lock.lock(); defer { lock.unlock() }
        counters["\(name){\(label)=\"\(Metrics.escape(value))\"}", default: 0] += 1
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    public func prometheus() -> String {
        lock.lock(); defer { lock.unlock() }
        var out = "# HELP outpost_fleet_http_requests_total HTTP requests by route and status.\n# TYPE outpost_fleet_http_requests_total counter\n"
        for key in requests.keys.sorted() {
            let parts = key.split(separator: "|", maxSplits: 1)
            out += "outpost_fleet_http_requests_total{route=\"\(Metrics.escape(String(parts[0])))\",status=\"\(parts[1])\"} \(requests[key]!)\n"
        }
        out += "# HELP outpost_fleet_http_request_seconds Request latency by route.\n# TYPE outpost_fleet_http_request_seconds histogram\n"
        for route in buckets.keys.sorted() {
            let r = Metrics.escape(route)
            for (i, le) in Metrics.bounds.enumerated() {
                out += "outpost_fleet_http_request_seconds_bucket{route=\"\(r)\",le=\"\(le)\"} \(buckets[route]![i])\n"
            }
            out += "outpost_fleet_http_request_seconds_bucket{route=\"\(r)\",le=\"+Inf\"} \(counts[route]!)\n"
            out += "outpost_fleet_http_request_seconds_sum{route=\"\(r)\"} \(sums[route]!)\n"
            out += "outpost_fleet_http_request_seconds_count{route=\"\(r)\"} \(counts[route]!)\n"
        }
        var typed = Set<String>()
        for key in counters.keys.sorted() {
            let name = String(key.prefix { $0 != "{" })
            if typed.insert(name).inserted { out += "# TYPE \(name) counter\n" }
            out += "\(key) \(counters[key]!)\n"
        }
        for name in gauges.keys.sorted() {
            out += "# TYPE \(name) gauge\n\(name) \(gauges[name]!)\n"
        }
        out += "# TYPE outpost_fleet_uptime_seconds gauge\noutpost_fleet_uptime_seconds \(Int(Date().timeIntervalSince(startTime)))\n"
        return out
    }
}
