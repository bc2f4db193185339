import OutpostText

/// Failures of the telemetry store. None of them is fatal to inference: the
/// store reports, the caller logs and keeps inferring.
public indirect enum TelemetryError: Error, Equatable {
    /// The database cannot be opened or created (missing directory, permissions).
    case cannotOpen(path: String, reason: String)
    /// The database (or its directory, for the WAL files) is read-only.
    case readOnly(path: String)
    /// The disk (or the configured page limit) is full: the transaction was rolled
    /// back; records acknowledged before stay.
    case diskFull(path: String)
    /// The file is not a database or its content is corrupt.
    case corrupt(path: String, detail: String)
    /// The database was written by a newer schema than this build knows.
    case schemaTooNew(path: String, version: Int, supported: Int)
    /// An acknowledgement beyond the last sequence number of a stream.
    case invalidAcknowledgement(stream: String, seq: Int64, last: Int64)
    /// The database is locked by another writer for longer than the busy timeout.
    case busy(path: String)
    /// Any other SQLite failure: result code, message, what the store was doing.
    case sqlite(code: Int32, message: String, context: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return String(outlined: "telemetry store \(path): cannot open: \(reason)")
        case let .readOnly(path): return String(outlined: "telemetry store \(path) is read-only (file or directory permissions, read-only mount)")
        case let .diskFull(path): return String(outlined: "telemetry store \(path): disk full (record not stored; earlier records are safe)")
        case let .corrupt(path, detail): return String(outlined: "telemetry store \(path) is corrupt or not a database: \(detail)")
        case let .schemaTooNew(path, version, supported):
            return String(outlined: "telemetry store \(path) has schema version \(version); this build supports up to \(supported)")
        case let .invalidAcknowledgement(stream, seq, last):
            return String(outlined: "acknowledgement of \(stream) up to \(seq), but its last sequence number is \(last)")
        case let .busy(path): return String(outlined: "telemetry store \(path) is locked by another process")
        case let .sqlite(code, message, context): return String(outlined: "telemetry store: \(context): \(message) (SQLite code \(code))")
        }
    }
}
