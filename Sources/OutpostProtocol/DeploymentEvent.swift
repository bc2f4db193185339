import OutpostJSON

/// Steps of the device's activation state machine that it reports.
public enum DeploymentEventKind: String, Equatable {
    case downloading, verified, activated
    case selfTestFailed = "self_test_failed"
    case verifyFailed = "verify_failed"
    case rolledBack = "rolled_back"
    public static let names = ["downloading", "verified", "activated", "self_test_failed", "verify_failed", "rolled_back"]

    /// Failures count against a rollout's activation-failure gate.
    public var isFailure: Bool { self == .selfTestFailed || self == .verifyFailed || self == .rolledBack }
}

public struct DeploymentEvent: WireMessage, Equatable {
    /// Device-local event id (unique per device): a re-sent event is not duplicated.
    public var eventID: Int
    public var model: String
    public var version: String
    public var digest: String
    public var kind: DeploymentEventKind
    public var reason: String?
    /// Unix seconds on the device clock.
    public var time: Int

    public init(eventID: Int, model: String, version: String, digest: String, kind: DeploymentEventKind, reason: String?, time: Int) {
        self.eventID = eventID; self.model = model; self.version = version; self.digest = digest
        self.kind = kind; self.reason = reason; self.time = time
    }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        eventID = try o.int("event_id")
        model = try o.string("model", maxLength: 128)
        version = try o.string("version", maxLength: 64)
        digest = try wireDigest(o, "digest")
        kind = DeploymentEventKind(rawValue: try o.oneOf("kind", DeploymentEventKind.names))!
        reason = try o.optionalString("reason", maxLength: 2000)
        time = try o.int("time")
    }

    public func jsonValue() -> JSONValue {
        var m: [(key: String, value: JSONValue)] = [
            ("event_id", wireInt(eventID)), ("model", .string(model)), ("version", .string(version)),
            ("digest", .string(digest)), ("kind", .string(kind.rawValue)),
        ]
        wireOptional(&m, "reason", reason)
        m.append(("time", wireInt(time)))
        return .object(m)
    }
}

/// POST /v1/device/events.
public struct DeploymentEventBatch: WireMessage, Equatable {
    public var events: [DeploymentEvent]

    public init(events: [DeploymentEvent]) { self.events = events }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        events = try o.messages("events", DeploymentEvent.self, maxCount: 1000)
    }

    public func jsonValue() -> JSONValue { .object([("events", wireArray(events))]) }
}

/// Answer to an event batch: how many were new, how many were re-sent duplicates.
public struct EventAck: WireMessage, Equatable {
    public var accepted: Int
    public var duplicates: Int

    public init(accepted: Int, duplicates: Int) { self.accepted = accepted; self.duplicates = duplicates }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        accepted = try o.int("accepted")
        duplicates = try o.int("duplicates")
    }

    public func jsonValue() -> JSONValue { .object([("accepted", wireInt(accepted)), ("duplicates", wireInt(duplicates))]) }
}
