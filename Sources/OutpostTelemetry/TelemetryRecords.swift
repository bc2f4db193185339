/// The store's append-only streams. Eviction order under the byte budget:
/// sampled inputs first, then inference records, then drift windows, and
/// deployment events last (they outlive everything else).
public enum TelemetryStream: Int, CaseIterable, Equatable {
    case inference = 0
    case driftWindow = 1
    case deploymentEvent = 2
    case sampledInput = 3

    public var name: String {
        switch self {
        case .inference: return "inference"
        case .driftWindow: return "drift_window"
        case .deploymentEvent: return "deployment_event"
        case .sampledInput: return "sampled_input"
        }
    }

    var table: String { name }

    /// Budget eviction order: lower goes first.
    static let evictionOrder: [TelemetryStream] = [.sampledInput, .inference, .driftWindow, .deploymentEvent]
}

/// One inference: when, which model, how long, how it ended, output summary.
public struct InferenceRecord: Equatable {
    public var timeMs: Int64
    public var model: String
    public var version: String
    public var latencyMicros: Int64
    /// 0 = ok; otherwise an application error code.
    public var status: Int32
    /// Output summary: top class (-1 when not a classifier) and its score.
    public var topClass: Int32
    public var score: Double

    public init(timeMs: Int64, model: String, version: String, latencyMicros: Int64, status: Int32 = 0,
                topClass: Int32 = -1, score: Double = 0) {
        self.timeMs = timeMs
        self.model = model
        self.version = version
        self.latencyMicros = latencyMicros
        self.status = status
        self.topClass = topClass
        self.score = score
    }
}

/// One closed drift window; `report` is the window report's JSON (OutpostDrift).
public struct DriftWindowRecord: Equatable {
    public var timeMs: Int64
    public var model: String
    public var version: String
    public var verdict: String
    public var report: String

    public init(timeMs: Int64, model: String, version: String, verdict: String, report: String) {
        self.timeMs = timeMs
        self.model = model
        self.version = version
        self.verdict = verdict
        self.report = report
    }
}

/// A deployment step (download, verify, stage, self-test, activate, commit, rollback…).
public struct DeploymentEvent: Equatable {
    public var timeMs: Int64
    public var model: String
    public var version: String
    public var kind: String
    public var detail: String

    public init(timeMs: Int64, model: String, version: String, kind: String, detail: String = "") {
        self.timeMs = timeMs
        self.model = model
        self.version = version
        self.kind = kind
        self.detail = detail
    }
}

/// An input kept for retraining (opt-in, sampled): raw tensor bytes and a description.
public struct SampledInput: Equatable {
    public var timeMs: Int64
    public var model: String
    public var version: String
    /// e.g. "input float32[1,3,128,128]".
    public var descriptor: String
    public var payload: [UInt8]

    public init(timeMs: Int64, model: String, version: String, descriptor: String, payload: [UInt8]) {
        self.timeMs = timeMs
        self.model = model
        self.version = version
        self.descriptor = descriptor
        self.payload = payload
    }
}

/// A record read back for upload, with its sequence number.
public enum StoredRecord: Equatable {
    case inference(seq: Int64, InferenceRecord)
    case driftWindow(seq: Int64, DriftWindowRecord)
    case deploymentEvent(seq: Int64, DeploymentEvent)
    case sampledInput(seq: Int64, SampledInput)

    public var seq: Int64 {
        switch self {
        case let .inference(s, _), let .driftWindow(s, _), let .deploymentEvent(s, _), let .sampledInput(s, _): return s
        }
    }
}

/// Per-stream counters (the `stats` table), exposed by `TelemetryStore.stats()`.
public struct StreamStats: Equatable {
    public var stream: TelemetryStream
    /// Highest sequence number assigned so far (0 = none).
    public var lastSeq: Int64
    /// Upload watermark: every record ≤ this was acknowledged by the server.
    public var ackedSeq: Int64
    /// Records and accounted bytes currently held.
    public var rows: Int64
    public var bytes: Int64
    public var appended: Int64
    public var acknowledged: Int64
    /// Records removed by the byte budget before the server acknowledged them.
    public var evictedRows: Int64
    public var evictedBytes: Int64
    /// Inputs the sampling rate passed over (sampled-input stream only).
    public var skippedSamples: Int64
}
