import OutpostJSON

public enum InferenceStatus: String, Equatable {
    case ok, error
    public static let names = ["ok", "error"]
}

/// One inference record of a telemetry stream.
public struct TelemetryRecord: WireMessage, Equatable {
    public var sequence: Int
    public var time: Int
    public var model: String
    public var version: String
    public var latencyMicros: Int
    public var status: InferenceStatus
    /// Shadow mode: did the candidate agree with the active model's output?
    public var agreed: Bool?

    public init(sequence: Int, time: Int, model: String, version: String, latencyMicros: Int, status: InferenceStatus, agreed: Bool? = nil) {
        self.sequence = sequence; self.time = time; self.model = model; self.version = version
        self.latencyMicros = latencyMicros; self.status = status; self.agreed = agreed
    }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        sequence = try o.int("seq", min: 1)
        time = try o.int("time")
        model = try o.string("model", maxLength: 128)
        version = try o.string("version", maxLength: 64)
        latencyMicros = try o.int("latency_us")
        status = InferenceStatus(rawValue: try o.oneOf("status", InferenceStatus.names))!
        if o.value("agreed") != nil { agreed = try o.bool("agreed", default: false) } else { agreed = nil }
    }

    public func jsonValue() -> JSONValue {
        var m: [(key: String, value: JSONValue)] = [
            ("seq", wireInt(sequence)), ("time", wireInt(time)), ("model", .string(model)), ("version", .string(version)),
            ("latency_us", wireInt(latencyMicros)), ("status", .string(status.rawValue)),
        ]
        if let a = agreed { m.append(("agreed", .bool(a))) }
        return .object(m)
    }
}

/// POST /v1/device/telemetry: records `firstSequence...lastSequence` of one
/// stream, in order. Sequences may skip numbers the device evicted (reported in
/// `BufferState.evictedRecords`), never repeat. A batch re-sent after a lost
/// acknowledgement is acknowledged again and not stored twice.
public struct TelemetryBatch: WireMessage, Equatable {
    public static let maxRecords = 5000
    public var stream: String
    public var firstSequence: Int
    public var lastSequence: Int
    public var records: [TelemetryRecord]

    public init(stream: String, records: [TelemetryRecord]) {
        self.stream = stream
        self.records = records
        firstSequence = records.first?.sequence ?? 0
        lastSequence = records.last?.sequence ?? 0
    }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        stream = try o.string("stream", maxLength: 64)
        firstSequence = try o.int("first_seq", min: 1)
        lastSequence = try o.int("last_seq", min: 1)
        records = try o.messages("records", TelemetryRecord.self, maxCount: TelemetryBatch.maxRecords)
        if lastSequence < firstSequence { throw WireError(path: o.sub("last_seq"), message: "last_seq \(lastSequence) is below first_seq \(firstSequence)") }
        if records.isEmpty { throw WireError(path: o.sub("records"), message: "a batch holds at least one record") }
        if records[0].sequence != firstSequence || records[records.count - 1].sequence != lastSequence {
            throw WireError(path: o.sub("records"), message: "records must start at first_seq and end at last_seq")
        }
        for i in 1..<records.count where records[i].sequence <= records[i - 1].sequence {
            throw WireError(path: o.sub("records") + "[\(i)].seq", message: "sequences must increase")
        }
    }

    public func jsonValue() -> JSONValue {
        .object([("stream", .string(stream)), ("first_seq", wireInt(firstSequence)), ("last_seq", wireInt(lastSequence)),
                 ("records", wireArray(records))])
    }
}

/// The server has durably stored every record of `stream` up to and including
/// `acknowledgedSequence`; the device may delete them.
public struct TelemetryAck: WireMessage, Equatable {
    public var stream: String
    public var acknowledgedSequence: Int
    /// Records of this batch stored now (0 for a re-sent batch).
    public var stored: Int
    public var duplicate: Bool

    public init(stream: String, acknowledgedSequence: Int, stored: Int, duplicate: Bool) {
        self.stream = stream; self.acknowledgedSequence = acknowledgedSequence; self.stored = stored; self.duplicate = duplicate
    }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        stream = try o.string("stream")
        acknowledgedSequence = try o.int("acknowledged_seq")
        stored = try o.int("stored")
        duplicate = try o.bool("duplicate", default: false)
    }

    public func jsonValue() -> JSONValue {
        .object([("stream", .string(stream)), ("acknowledged_seq", wireInt(acknowledgedSequence)),
                 ("stored", wireInt(stored)), ("duplicate", .bool(duplicate))])
    }
}
