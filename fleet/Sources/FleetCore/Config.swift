import Foundation
import OutpostJSON
import OutpostPackage
import OutpostProtocol

/// Server settings: defaults, then the config file (JSON), then command-line flags.
public struct FleetConfig: Sendable {
    public var port = 8080
    public var host = "127.0.0.1"
    public var dataDir = "fleet-data"
    /// nil: SQLite file `fleet.sqlite` in the data directory.
    public var databaseURL: String?
    /// Publisher keys trusted from the start (`outpost-ed25519-public <hex>` or bare hex).
    public var trustedKeys: [String] = []
    public var checkInSeconds = 60
    /// Limit for JSON bodies; package uploads have their own.
    public var maxJSONBytes = 1 << 20
    public var maxPackageBytes = 256 << 20
    /// Drift windows merge into buckets of this many seconds.
    public var driftBucketSeconds = 3600
    /// The device label whose value names its label group (drift merging).
    public var groupLabel = "group"
    /// Alerts: a device not seen for this long is silent.
    public var silentAfterSeconds = 900
    /// Alerts: drift of a model version in a label group above this PSI (latest bucket) …
    public var driftAlertPSI = 0.25
    /// … judged only on buckets with at least this many samples.
    public var driftAlertMinSamples = 100

    public init() {}

    /// Reads a JSON config file: keys as the property names in snake case.
    public static func load(path: String, base: FleetConfig = FleetConfig()) throws -> FleetConfig {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError("cannot read config file \(path)") }
        var c = base
        do {
            let v = try JSONReader.parse(String(decoding: data, as: UTF8.self))
            let o = try WireObject(v, path: "")
            let known: Set<String> = ["port", "host", "data_dir", "database_url", "trusted_keys", "check_in_seconds",
                                      "max_json_bytes", "max_package_bytes", "drift_bucket_seconds", "group_label",
                                      "silent_after_seconds", "drift_alert_psi", "drift_alert_min_samples"]
            for m in o.members where !known.contains(m.key) { throw ConfigError("\(path): unknown setting '\(m.key)'") }
            if let p = try o.optionalInt("port", min: 0, max: 65535) { c.port = p }
            if let h = try o.optionalString("host") { c.host = h }
            if let d = try o.optionalString("data_dir") { c.dataDir = d }
            if let u = try o.optionalString("database_url") { c.databaseURL = u }
            for (i, k) in try o.array("trusted_keys", required: false).enumerated() {
                c.trustedKeys.append(try WireObject.string(k, path: "trusted_keys[\(i)]", maxLength: 200))
            }
            if let n = try o.optionalInt("check_in_seconds", min: 1) { c.checkInSeconds = n }
            if let n = try o.optionalInt("max_json_bytes", min: 1024) { c.maxJSONBytes = n }
            if let n = try o.optionalInt("max_package_bytes", min: 1024) { c.maxPackageBytes = n }
            if let n = try o.optionalInt("drift_bucket_seconds", min: 60) { c.driftBucketSeconds = n }
            if let g = try o.optionalString("group_label") { c.groupLabel = g }
            if let n = try o.optionalInt("silent_after_seconds", min: 1) { c.silentAfterSeconds = n }
            if let d = try o.optionalDouble("drift_alert_psi") { c.driftAlertPSI = d }
            if let n = try o.optionalInt("drift_alert_min_samples", min: 1) { c.driftAlertMinSamples = n }
        } catch let e as JSONError {
            throw ConfigError("\(path): malformed JSON at byte \(e.offset): \(e.message)")
        } catch let e as WireError {
            throw ConfigError("\(path): \(e.description)")
        }
        return c
    }

    /// Parses a publisher key given as key-file text or 64 hex digits.
    public static func parseKey(_ text: String) throws -> PublicKey {
        var t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.hasPrefix(PublicKey.fileTag + " ") { t = String(t.dropFirst(PublicKey.fileTag.count + 1)) }
        guard let bytes = Hex.decode(t), bytes.count == 32 else {
            throw APIError.badRequest("a publisher key is 64 hex digits, optionally after '\(PublicKey.fileTag) '")
        }
        do { return try PublicKey(bytes: bytes) } catch { throw APIError.badRequest("\(error)") }
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
