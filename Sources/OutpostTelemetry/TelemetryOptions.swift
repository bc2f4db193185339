/// The store's byte budget: a total and a quota per stream (0 = no own quota).
/// Sizes are accounted per record (payload bytes + `recordOverhead`), not read
/// from the file, so the budget is deterministic and cheap to keep; the file is
/// larger by SQLite's page slack and the WAL (checkpointed at 1000 pages).
public struct TelemetryBudget: Equatable {
    /// Accounted bytes of all streams together (0 = unlimited).
    public var totalBytes: Int64
    /// Per stream, indexed by `TelemetryStream.rawValue` (0 = only the total applies).
    public var quotas: [Int64]
    /// When a limit is exceeded, eviction frees down to this fraction of it, so
    /// a full store evicts in batches rather than on every append.
    public var evictTo: Double

    /// Per-record overhead added to payload sizes (row header, sequence, times, index entry).
    public static let recordOverhead: Int64 = 48

    public init(totalBytes: Int64, quotas: [Int64] = [0, 0, 0, 0], evictTo: Double = 0.9) {
        self.totalBytes = totalBytes
        self.quotas = quotas.count == 4 ? quotas : [0, 0, 0, 0]
        self.evictTo = evictTo
    }

    /// 64 MiB total; inference 32 MiB, drift windows 8 MiB, deployment events 4 MiB,
    /// sampled inputs 16 MiB.
    public static let standard = TelemetryBudget(totalBytes: 64 << 20, quotas: [32 << 20, 8 << 20, 4 << 20, 16 << 20])
    public static let unlimited = TelemetryBudget(totalBytes: 0)

    public func quota(_ s: TelemetryStream) -> Int64 { quotas[s.rawValue] }
}

public struct TelemetryOptions {
    public var budget: TelemetryBudget
    /// Fraction of inputs kept for retraining (0 = off: sampled inputs are opt-in).
    public var sampleRate: Double
    /// Seed of the sampling decision (deterministic per store).
    public var sampleSeed: UInt64
    /// `PRAGMA synchronous=FULL` (default). In WAL mode NORMAL keeps the database
    /// consistent but may lose the last commits on power loss; the uploader's
    /// contract (a record acknowledged as written is there after a power cut)
    /// needs FULL: the WAL is fsynced at every commit. Batching keeps it cheap.
    public var synchronousFull: Bool
    /// Hard cap on the file (`PRAGMA max_page_count`), nil = none. SQLite then
    /// reports SQLITE_FULL, as on a full disk.
    public var maxPageCount: Int?
    /// How long to wait for another connection's lock.
    public var busyTimeoutMs: Int32
    /// `PRAGMA quick_check` when opening: a corrupt file is reported at open
    /// rather than at the first query that touches the damage.
    public var checkOnOpen: Bool

    public init(budget: TelemetryBudget = .standard, sampleRate: Double = 0, sampleSeed: UInt64 = 0x9E37_79B9_7F4A_7C15,
                synchronousFull: Bool = true, maxPageCount: Int? = nil, busyTimeoutMs: Int32 = 2000, checkOnOpen: Bool = true) {
        self.budget = budget
        self.sampleRate = sampleRate
        self.sampleSeed = sampleSeed
        self.synchronousFull = synchronousFull
        self.maxPageCount = maxPageCount
        self.busyTimeoutMs = busyTimeoutMs
        self.checkOnOpen = checkOnOpen
    }
}
