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
    /// Alerts are also POSTed to these URLs (http or https) when they fire and
    /// when they clear; deliveries are queued in the database and retried.
    public var alertWebhooks: [String] = []
    /// When set, each delivery carries `X-Outpost-Signature: sha256=<HMAC-SHA256 of the body>`.
    public var alertWebhookSecret: String?
    /// How often open alerts are compared with the ones already notified.
    public var alertCheckSeconds = 30
    /// Retries: attempt n waits retry_seconds * 2^(n-1) (at most an hour) after
    /// a network error, a timeout, a 5xx, 408 or 429; other answers are final.
    public var webhookMaxAttempts = 12
    public var webhookRetrySeconds = 10
    public var webhookTimeoutSeconds = 10

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
                                      "silent_after_seconds", "drift_alert_psi", "drift_alert_min_samples",
                                      "alert_webhooks", "alert_webhook_secret", "alert_check_seconds",
                                      "webhook_max_attempts", "webhook_retry_seconds", "webhook_timeout_seconds"]
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
            for (i, u) in try o.array("alert_webhooks", required: false).enumerated() {
                let url = try WireObject.string(u, path: "alert_webhooks[\(i)]", maxLength: 2000)
                try FleetConfig.checkWebhookURL(url, what: "\(path): alert_webhooks[\(i)]")
                c.alertWebhooks.append(url)
            }
            if let s = try o.optionalString("alert_webhook_secret") { c.alertWebhookSecret = s }
            if let n = try o.optionalInt("alert_check_seconds", min: 1) { c.alertCheckSeconds = n }
            if let n = try o.optionalInt("webhook_max_attempts", min: 1, max: 100) { c.webhookMaxAttempts = n }
            if let n = try o.optionalInt("webhook_retry_seconds", min: 1) { c.webhookRetrySeconds = n }
            if let n = try o.optionalInt("webhook_timeout_seconds", min: 1, max: 300) { c.webhookTimeoutSeconds = n }
        } catch let e as JSONError {
            throw ConfigError("\(path): malformed JSON at byte \(e.offset): \(e.message)")
        } catch let e as WireError {
            throw ConfigError("\(path): \(e.description)")
        }
        return c
    }

    /// A webhook is an absolute http(s) URL with a host; anything else is refused
    /// at start-up rather than failing every delivery later.
    public static func checkWebhookURL(_ url: String, what: String) throws {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = c.host, !host.isEmpty else {
            throw ConfigError("\(what): '\(url)' is not an http:// or https:// URL with a host")
        }
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
