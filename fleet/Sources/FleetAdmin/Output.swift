import Foundation
import OutpostJSON

/// Where command output goes: stdout, or a buffer a test installs for the
/// duration of one command (`Output.$capture.withValue`).
public final class OutputBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var storage = ""
    public init() {}
    public func append(_ s: String) { lock.lock(); storage += s; lock.unlock() }
    public var text: String { lock.lock(); defer { lock.unlock() }; return storage }
}

public enum Output {
    @TaskLocal public static var capture: OutputBuffer?

    public static func line(_ s: String = "") {
        if let c = capture { c.append(s + "\n") } else { print(s) }
    }

    /// `--json`: the server's answer as one line of JSON (for jq and scripts).
    public static func json(_ v: JSONValue) { line(v.serialized()) }

    /// Columns padded to the widest cell; the last column is not padded.
    public static func table(_ header: [String], _ rows: [[String]]) {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for r in all { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        for r in all {
            var s = ""
            for (i, c) in r.enumerated() {
                s += i == r.count - 1 ? c : c.padding(toLength: widths[i] + 2, withPad: " ", startingAt: 0)
            }
            line(s)
        }
        if rows.isEmpty { line("(none)") }
    }
}

/// Small formatting helpers for human output.
enum Fmt {
    static func str(_ v: JSONValue?) -> String {
        guard let v else { return "-" }
        switch v {
        case .null: return "-"
        case .string(let s): return s
        case .bool(let b): return b ? "yes" : "no"
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(format: "%.4g", d)
        default: return v.serialized()
        }
    }

    static func labels(_ v: JSONValue?) -> String {
        guard let o = v?.objectValue, !o.isEmpty else { return "-" }
        return o.map { "\($0.key)=\(str($0.value))" }.joined(separator: ",")
    }

    /// Unix seconds as UTC `2026-11-28 12:00:00`.
    static func time(_ v: JSONValue?) -> String {
        guard let t = v?.intValue else { return "never" }
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }

    static func percent(_ v: JSONValue?) -> String {
        guard let d = v?.doubleValue else { return "off" }
        return String(format: "%g%%", d * 100)
    }
}
