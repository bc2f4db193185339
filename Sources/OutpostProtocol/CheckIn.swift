import OutpostJSON

/// Activation mode of a model slot: serving (`active`) or mirrored without
/// affecting results (`shadow`).
public enum AssignmentMode: String, Equatable {
    case active, shadow
    public static let names = ["active", "shadow"]
}

/// A model version the device runs now.
public struct RunningModel: WireMessage, Equatable {
    public var model: String
    public var version: String
    public var digest: String
    public var mode: AssignmentMode

    public init(model: String, version: String, digest: String, mode: AssignmentMode) {
        self.model = model; self.version = version; self.digest = digest; self.mode = mode
    }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        model = try o.string("model", maxLength: 128)
        version = try o.string("version", maxLength: 64)
        digest = try wireDigest(o, "digest")
        mode = AssignmentMode(rawValue: try o.oneOf("mode", AssignmentMode.names))!
    }

    public func jsonValue() -> JSONValue {
        .object([("model", .string(model)), ("version", .string(version)), ("digest", .string(digest)), ("mode", .string(mode.rawValue))])
    }
}

/// How much unsent data the device holds (telemetry buffer).
public struct BufferState: WireMessage, Equatable {
    public var pendingRecords: Int
    public var pendingBytes: Int
    /// Records evicted (budget) since enrollment; never silent.
    public var evictedRecords: Int

    public init(pendingRecords: Int, pendingBytes: Int, evictedRecords: Int) {
        self.pendingRecords = pendingRecords; self.pendingBytes = pendingBytes; self.evictedRecords = evictedRecords
    }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        pendingRecords = try o.int("pending_records")
        pendingBytes = try o.int("pending_bytes")
        evictedRecords = try o.int("evicted_records")
    }

    public func jsonValue() -> JSONValue {
        .object([("pending_records", wireInt(pendingRecords)), ("pending_bytes", wireInt(pendingBytes)),
                 ("evicted_records", wireInt(evictedRecords))])
    }
}

public enum HealthStatus: String, Equatable {
    case ok, degraded, failing
    public static let names = ["ok", "degraded", "failing"]
}

public struct Health: WireMessage, Equatable {
    public var status: HealthStatus
    public var uptimeSeconds: Int
    public var message: String?

    public init(status: HealthStatus, uptimeSeconds: Int, message: String? = nil) {
        self.status = status; self.uptimeSeconds = uptimeSeconds; self.message = message
    }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        status = HealthStatus(rawValue: try o.oneOf("status", HealthStatus.names))!
        uptimeSeconds = try o.int("uptime_seconds")
        message = try o.optionalString("message")
    }

    public func jsonValue() -> JSONValue {
        var m: [(key: String, value: JSONValue)] = [("status", .string(status.rawValue)), ("uptime_seconds", wireInt(uptimeSeconds))]
        wireOptional(&m, "message", message)
        return .object(m)
    }
}

/// POST /v1/device/checkin.
public struct CheckInRequest: WireMessage, Equatable {
    public var agentVersion: String
    public var running: [RunningModel]
    public var buffer: BufferState
    public var health: Health

    public init(agentVersion: String, running: [RunningModel], buffer: BufferState, health: Health) {
        self.agentVersion = agentVersion; self.running = running; self.buffer = buffer; self.health = health
    }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        agentVersion = try o.string("agent_version", maxLength: 64)
        running = try o.messages("running", RunningModel.self, maxCount: 64)
        buffer = try BufferState(json: try o.object("buffer").asValue, path: o.sub("buffer"))
        health = try Health(json: try o.object("health").asValue, path: o.sub("health"))
    }

    public func jsonValue() -> JSONValue {
        .object([("agent_version", .string(agentVersion)), ("running", wireArray(running)),
                 ("buffer", buffer.jsonValue()), ("health", health.jsonValue())])
    }
}

extension WireObject {
    public var asValue: JSONValue { .object(members) }
}

/// A model version the device should run: everything needed to download and
/// verify it before staging (digest and size of the package; the publisher key
/// id and Ed25519 signature as carried in the package itself).
public struct Assignment: WireMessage, Equatable {
    public var model: String
    public var version: String
    public var digest: String
    public var size: Int
    public var keyID: String
    public var signature: String
    public var mode: AssignmentMode
    /// The rollout that produced this assignment (nil: pinned by an admin).
    public var rolloutID: String?

    public init(model: String, version: String, digest: String, size: Int, keyID: String, signature: String,
                mode: AssignmentMode, rolloutID: String?) {
        self.model = model; self.version = version; self.digest = digest; self.size = size
        self.keyID = keyID; self.signature = signature; self.mode = mode; self.rolloutID = rolloutID
    }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        model = try o.string("model", maxLength: 128)
        version = try o.string("version", maxLength: 64)
        digest = try wireDigest(o, "digest")
        size = try o.int("size")
        keyID = try o.string("key_id", maxLength: 64)
        signature = try o.string("signature", maxLength: 256)
        mode = AssignmentMode(rawValue: try o.oneOf("mode", AssignmentMode.names))!
        rolloutID = try o.optionalString("rollout_id")
    }

    public func jsonValue() -> JSONValue {
        var m: [(key: String, value: JSONValue)] = [
            ("model", .string(model)), ("version", .string(version)), ("digest", .string(digest)), ("size", wireInt(size)),
            ("key_id", .string(keyID)), ("signature", .string(signature)), ("mode", .string(mode.rawValue)),
        ]
        wireOptional(&m, "rollout_id", rolloutID)
        return .object(m)
    }

    /// Where the package bytes are (HTTP Range supported).
    public var downloadPath: String { "/v1/packages/" + digest }
}

/// The check-in answer: desired assignments and when to check in next.
public struct CheckInResponse: WireMessage, Equatable {
    public var deviceID: String
    public var assignments: [Assignment]
    public var nextCheckInSeconds: Int
    public var serverTime: Int

    public init(deviceID: String, assignments: [Assignment], nextCheckInSeconds: Int, serverTime: Int) {
        self.deviceID = deviceID; self.assignments = assignments; self.nextCheckInSeconds = nextCheckInSeconds; self.serverTime = serverTime
    }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        deviceID = try o.string("device_id")
        assignments = try o.messages("assignments", Assignment.self, maxCount: 64)
        nextCheckInSeconds = try o.int("next_check_in_seconds", min: 1)
        serverTime = try o.int("server_time")
    }

    public func jsonValue() -> JSONValue {
        .object([("device_id", .string(deviceID)), ("assignments", wireArray(assignments)),
                 ("next_check_in_seconds", wireInt(nextCheckInSeconds)), ("server_time", wireInt(serverTime))])
    }
}

/// "sha256:" + 64 lowercase hex digits.
public func wireDigest(_ o: WireObject, _ key: String) throws(WireError) -> String {
    let s = try o.string(key, maxLength: 80)
    if !isWireDigest(s) { throw WireError(path: o.sub(key), message: "expected sha256:<64 lowercase hex digits>") }
    return s
}

public func isWireDigest(_ s: String) -> Bool {
    let u = Array(s.utf8)
    guard u.count == 71, s.hasPrefix("sha256:") else { return false }
    for c in u[7...] where !((c >= 48 && c <= 57) || (c >= 97 && c <= 102)) { return false }
    return true
}
