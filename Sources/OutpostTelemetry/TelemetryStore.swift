import CSQLite
import OutpostText

/// The device's telemetry buffer: one SQLite database in WAL mode with four
/// append-only streams (inference records, drift windows, deployment events,
/// sampled inputs). Each stream numbers its records 1, 2, 3, … (never reused,
/// even after every record left); the uploader reads `pending(after:)`, sends,
/// and `acknowledge(upTo:)` deletes what the server confirmed. A byte budget
/// with per-stream quotas evicts the oldest records (sampled inputs first, then
/// inference records; drift windows and deployment events last), and every
/// eviction is counted in the `stats` table.
///
/// Every failure is a thrown `TelemetryError` (disk full, read-only, corrupt…);
/// the store never traps, and a failed append leaves the database as it was.
/// Not thread-safe: one store per thread (one writer per database).
public final class TelemetryStore {
    public static let schemaVersion = 1

    public let path: String
    public let options: TelemetryOptions
    private let db: SQLiteConnection

    /// Cached `stats` rows (the database is the truth; reloaded after a failure).
    private var state: [StreamStats]
    private var inserts: [Statement] = []
    private var updateState: Statement
    private var sampleState: UInt64
    private var skippedSinceFlush: Int64 = 0
    private var batchDepth = 0

    public init(path: String, options: TelemetryOptions = TelemetryOptions()) throws(TelemetryError) {
        self.path = path
        self.options = options
        sampleState = options.sampleSeed == 0 ? 1 : options.sampleSeed
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        db = try SQLiteConnection(path: path, flags: flags)
        if db.isReadOnly { throw .readOnly(path: path) }
        if let h = db.handle {
            op_sqlite3_busy_timeout(h, options.busyTimeoutMs)
            _ = op_sqlite_set_defensive(h)
        }
        // The first read of the file: a non-database or a damaged header fails here.
        let mode = try db.scalarText("PRAGMA journal_mode=WAL")
        if mode != "wal" {
            throw .cannotOpen(path: path, reason: String(outlined: "cannot switch to WAL mode (journal_mode is '\(mode)'; is the directory writable?)"))
        }
        try db.execute(options.synchronousFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        if let pages = options.maxPageCount { _ = try db.scalarInt(String(outlined: "PRAGMA max_page_count=\(pages)")) }
        if options.checkOnOpen {
            let check = try db.scalarText("PRAGMA quick_check")
            if check != "ok" { throw .corrupt(path: path, detail: check) }
        }
        try TelemetryStore.migrate(db)
        updateState = try db.prepare("""
            UPDATE stats SET last_seq=?2, acked_seq=?3, rows=?4, bytes=?5, appended=?6, acknowledged=?7,
              evicted_rows=?8, evicted_bytes=?9, skipped_samples=?10 WHERE stream=?1
            """)
        state = []
        for s in TelemetryStream.allCases {
            state.append(StreamStats(stream: s, lastSeq: 0, ackedSeq: 0, rows: 0, bytes: 0, appended: 0, acknowledged: 0,
                                     evictedRows: 0, evictedBytes: 0, skippedSamples: 0))
        }
        try reloadState()
        inserts = [
            try db.prepare("INSERT INTO inference(seq,time_ms,model,version,latency_us,status,top_class,score,bytes) VALUES(?,?,?,?,?,?,?,?,?)"),
            try db.prepare("INSERT INTO drift_window(seq,time_ms,model,version,verdict,report,bytes) VALUES(?,?,?,?,?,?,?)"),
            try db.prepare("INSERT INTO deployment_event(seq,time_ms,model,version,kind,detail,bytes) VALUES(?,?,?,?,?,?,?)"),
            try db.prepare("INSERT INTO sampled_input(seq,time_ms,model,version,descriptor,payload,bytes) VALUES(?,?,?,?,?,?,?)"),
        ]
    }

    /// Flushes the skipped-sample counter and closes the database (also on deinit).
    public func close() {
        if skippedSinceFlush > 0 { try? transaction { () throws(TelemetryError) in } }
        for s in inserts { s.finalize() }
        inserts = []
        updateState.finalize()
        db.close()
    }

    deinit { close() }

    // MARK: schema

    /// Brings a database to `schemaVersion` (user_version), one step per version,
    /// each in its own transaction. Version 0 is an empty file.
    static func migrate(_ db: SQLiteConnection) throws(TelemetryError) {
        var version = Int(try db.scalarInt("PRAGMA user_version"))
        if version > schemaVersion { throw .schemaTooNew(path: db.path, version: version, supported: schemaVersion) }
        while version < schemaVersion {
            try db.execute("BEGIN IMMEDIATE")
            do throws(TelemetryError) {
                try db.execute(migrationSQL(from: version))
                try db.execute(String(outlined: "PRAGMA user_version=\(version + 1)"))
                try db.execute("COMMIT")
            } catch {
                if db.inTransaction { try? db.execute("ROLLBACK") }
                throw error
            }
            version += 1
        }
    }

    /// The SQL that migrates from `version` to `version + 1`.
    static func migrationSQL(from version: Int) -> String {
        switch version {
        case 0:
            var sql = """
            CREATE TABLE inference(seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, model TEXT NOT NULL,
              version TEXT NOT NULL, latency_us INTEGER NOT NULL, status INTEGER NOT NULL,
              top_class INTEGER NOT NULL, score REAL NOT NULL, bytes INTEGER NOT NULL);
            CREATE TABLE drift_window(seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, model TEXT NOT NULL,
              version TEXT NOT NULL, verdict TEXT NOT NULL, report TEXT NOT NULL, bytes INTEGER NOT NULL);
            CREATE TABLE deployment_event(seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, model TEXT NOT NULL,
              version TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL, bytes INTEGER NOT NULL);
            CREATE TABLE sampled_input(seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, model TEXT NOT NULL,
              version TEXT NOT NULL, descriptor TEXT NOT NULL, payload BLOB NOT NULL, bytes INTEGER NOT NULL);
            CREATE TABLE stats(stream INTEGER PRIMARY KEY, name TEXT NOT NULL, last_seq INTEGER NOT NULL,
              acked_seq INTEGER NOT NULL, rows INTEGER NOT NULL, bytes INTEGER NOT NULL,
              appended INTEGER NOT NULL, acknowledged INTEGER NOT NULL, evicted_rows INTEGER NOT NULL,
              evicted_bytes INTEGER NOT NULL, skipped_samples INTEGER NOT NULL);

            """
            for s in TelemetryStream.allCases {
                sql += String(outlined: "INSERT INTO stats VALUES(\(s.rawValue),'\(s.name)',0,0,0,0,0,0,0,0,0);\n")
            }
            return sql
        default:
            return ""
        }
    }

    private func reloadState() throws(TelemetryError) {
        let s = try db.prepare("""
            SELECT stream,last_seq,acked_seq,rows,bytes,appended,acknowledged,evicted_rows,evicted_bytes,skipped_samples FROM stats
            """)
        defer { s.finalize() }
        while try s.step() {
            let i = Int(s.int64(0))
            guard i >= 0 && i < state.count else { continue }
            state[i].lastSeq = s.int64(1)
            state[i].ackedSeq = s.int64(2)
            state[i].rows = s.int64(3)
            state[i].bytes = s.int64(4)
            state[i].appended = s.int64(5)
            state[i].acknowledged = s.int64(6)
            state[i].evictedRows = s.int64(7)
            state[i].evictedBytes = s.int64(8)
            state[i].skippedSamples = s.int64(9)
        }
    }

    // MARK: transactions

    /// Runs `body` in one IMMEDIATE transaction, then writes the cached stream
    /// state and commits. On any failure: rollback, reload the state from the
    /// database, rethrow. `COMMIT` returning is the durability point.
    private func transaction(_ body: () throws(TelemetryError) -> Void) throws(TelemetryError) {
        if batchDepth > 0 { try body(); return }  // inside batch { }: the outer transaction commits
        do throws(TelemetryError) {
            try db.execute("BEGIN IMMEDIATE")
            try body()
            if skippedSinceFlush > 0 {
                state[TelemetryStream.sampledInput.rawValue].skippedSamples += skippedSinceFlush
            }
            for s in state { try writeState(s) }
            try db.execute("COMMIT")
            skippedSinceFlush = 0
        } catch {
            if db.inTransaction { try? db.execute("ROLLBACK") }
            let pending = skippedSinceFlush
            try? reloadState()
            skippedSinceFlush = pending
            throw error
        }
    }

    private func writeState(_ s: StreamStats) throws(TelemetryError) {
        let u = updateState
        u.bind(1, Int64(s.stream.rawValue))
        u.bind(2, s.lastSeq)
        u.bind(3, s.ackedSeq)
        u.bind(4, s.rows)
        u.bind(5, s.bytes)
        u.bind(6, s.appended)
        u.bind(7, s.acknowledged)
        u.bind(8, s.evictedRows)
        u.bind(9, s.evictedBytes)
        u.bind(10, s.skippedSamples)
        try u.run()
    }

    /// Runs several appends/acknowledgements as ONE transaction (one fsync):
    /// all of them are durable when this returns, or none is (on a throw).
    public func batch(_ body: () throws(TelemetryError) -> Void) throws(TelemetryError) {
        if batchDepth > 0 { try body(); return }
        try transaction { () throws(TelemetryError) in
            batchDepth += 1
            defer { batchDepth -= 1 }
            try body()
        }
    }

    // MARK: append

    /// Appends records in one transaction; returns their sequence numbers
    /// (nil for an empty batch). When this returns, the records are durable.
    @discardableResult
    public func append(_ records: [InferenceRecord]) throws(TelemetryError) -> ClosedRange<Int64>? {
        guard !records.isEmpty else { return nil }
        return try appendBatch(.inference, count: records.count) { (i, seq, ins) throws(TelemetryError) -> Int64 in
            let r = records[i]
            let bytes = TelemetryBudget.recordOverhead + Int64(r.model.utf8.count + r.version.utf8.count) + 32
            ins.bind(1, seq); ins.bind(2, r.timeMs); ins.bind(3, r.model); ins.bind(4, r.version)
            ins.bind(5, r.latencyMicros); ins.bind(6, r.status); ins.bind(7, r.topClass); ins.bind(8, r.score)
            ins.bind(9, bytes)
            return bytes
        }
    }

    @discardableResult
    public func append(_ records: [DriftWindowRecord]) throws(TelemetryError) -> ClosedRange<Int64>? {
        guard !records.isEmpty else { return nil }
        return try appendBatch(.driftWindow, count: records.count) { (i, seq, ins) throws(TelemetryError) -> Int64 in
            let r = records[i]
            let bytes = TelemetryBudget.recordOverhead + Int64(r.model.utf8.count + r.version.utf8.count + r.verdict.utf8.count + r.report.utf8.count)
            ins.bind(1, seq); ins.bind(2, r.timeMs); ins.bind(3, r.model); ins.bind(4, r.version)
            ins.bind(5, r.verdict); ins.bind(6, r.report); ins.bind(7, bytes)
            return bytes
        }
    }

    @discardableResult
    public func append(_ records: [DeploymentEvent]) throws(TelemetryError) -> ClosedRange<Int64>? {
        guard !records.isEmpty else { return nil }
        return try appendBatch(.deploymentEvent, count: records.count) { (i, seq, ins) throws(TelemetryError) -> Int64 in
            let r = records[i]
            let bytes = TelemetryBudget.recordOverhead + Int64(r.model.utf8.count + r.version.utf8.count + r.kind.utf8.count + r.detail.utf8.count)
            ins.bind(1, seq); ins.bind(2, r.timeMs); ins.bind(3, r.model); ins.bind(4, r.version)
            ins.bind(5, r.kind); ins.bind(6, r.detail); ins.bind(7, bytes)
            return bytes
        }
    }

    /// Stores sampled inputs unconditionally (call `shouldSampleInput()` first to
    /// apply the sampling rate).
    @discardableResult
    public func append(_ records: [SampledInput]) throws(TelemetryError) -> ClosedRange<Int64>? {
        guard !records.isEmpty else { return nil }
        return try appendBatch(.sampledInput, count: records.count) { (i, seq, ins) throws(TelemetryError) -> Int64 in
            let r = records[i]
            let bytes = TelemetryBudget.recordOverhead + Int64(r.model.utf8.count + r.version.utf8.count + r.descriptor.utf8.count + r.payload.count)
            ins.bind(1, seq); ins.bind(2, r.timeMs); ins.bind(3, r.model); ins.bind(4, r.version)
            ins.bind(5, r.descriptor); ins.bind(6, bytes: r.payload); ins.bind(7, bytes)
            return bytes
        }
    }

    @discardableResult
    public func append(_ record: InferenceRecord) throws(TelemetryError) -> Int64 { try append([record])!.lowerBound }
    @discardableResult
    public func append(_ record: DriftWindowRecord) throws(TelemetryError) -> Int64 { try append([record])!.lowerBound }
    @discardableResult
    public func append(_ record: DeploymentEvent) throws(TelemetryError) -> Int64 { try append([record])!.lowerBound }
    @discardableResult
    public func append(_ record: SampledInput) throws(TelemetryError) -> Int64 { try append([record])!.lowerBound }

    /// The sampling decision for one input at `options.sampleRate` (0 = never).
    /// Inputs passed over are counted (`skippedSamples`, persisted with the next commit).
    public func shouldSampleInput() -> Bool {
        let rate = options.sampleRate
        if rate <= 0 { return false }
        if rate >= 1 { return true }
        // xorshift64*
        sampleState ^= sampleState >> 12
        sampleState ^= sampleState << 25
        sampleState ^= sampleState >> 27
        let r = sampleState &* 0x2545_F491_4F6C_DD1D
        let take = Double(r >> 11) / Double(UInt64(1) << 53) < rate
        if !take { skippedSinceFlush += 1 }
        return take
    }

    private func appendBatch(_ stream: TelemetryStream, count: Int,
                             _ bind: (Int, Int64, Statement) throws(TelemetryError) -> Int64) throws(TelemetryError) -> ClosedRange<Int64> {
        let k = stream.rawValue
        let first = state[k].lastSeq + 1
        try transaction { () throws(TelemetryError) in
            let ins = inserts[k]
            var seq = first
            var bytes: Int64 = 0
            for i in 0..<count {
                bytes += try bind(i, seq, ins)
                try ins.run()
                seq += 1
            }
            state[k].lastSeq = seq - 1
            state[k].rows += Int64(count)
            state[k].bytes += bytes
            state[k].appended += Int64(count)
            try enforceBudget()
        }
        return first...(first + Int64(count) - 1)
    }

    // MARK: budget

    /// Evicts oldest records: first each stream over its own quota, then, while
    /// the total is over budget, streams in eviction order. Counted in `stats`.
    private func enforceBudget() throws(TelemetryError) {
        let budget = options.budget
        for s in TelemetryStream.allCases {
            let q = budget.quota(s)
            if q > 0 && state[s.rawValue].bytes > q {
                try evict(s, downTo: Int64(Double(q) * budget.evictTo))
            }
        }
        if budget.totalBytes > 0 {
            var total: Int64 = 0
            for s in state { total += s.bytes }
            if total > budget.totalBytes {
                let target = Int64(Double(budget.totalBytes) * budget.evictTo)
                for s in TelemetryStream.evictionOrder where total > target {
                    let before = state[s.rawValue].bytes
                    try evict(s, downTo: max(0, before - (total - target)))
                    total -= before - state[s.rawValue].bytes
                }
            }
        }
    }

    /// Deletes the oldest records of a stream until its bytes are ≤ `target`.
    private func evict(_ s: TelemetryStream, downTo target: Int64) throws(TelemetryError) {
        let k = s.rawValue
        var toFree = state[k].bytes - target
        if toFree <= 0 { return }
        let scan = try db.prepare(String(outlined: "SELECT seq, bytes FROM \(s.table) ORDER BY seq"))
        defer { scan.finalize() }
        var cutoff: Int64 = -1
        var rows: Int64 = 0, freed: Int64 = 0
        while toFree > 0, try scan.step() {
            cutoff = scan.int64(0)
            let b = scan.int64(1)
            freed += b
            toFree -= b
            rows += 1
        }
        scan.finalize()
        if cutoff < 0 { return }
        try db.execute(String(outlined: "DELETE FROM \(s.table) WHERE seq <= \(cutoff)"))
        state[k].rows -= rows
        state[k].bytes -= freed
        state[k].evictedRows += rows
        state[k].evictedBytes += freed
    }

    // MARK: upload

    /// Up to `limit` records of a stream with sequence numbers > `after`, oldest first.
    public func pending(_ stream: TelemetryStream, after: Int64 = 0, limit: Int = 500) throws(TelemetryError) -> [StoredRecord] {
        var out = [StoredRecord]()
        let columns: String
        switch stream {
        case .inference: columns = "seq,time_ms,model,version,latency_us,status,top_class,score"
        case .driftWindow: columns = "seq,time_ms,model,version,verdict,report"
        case .deploymentEvent: columns = "seq,time_ms,model,version,kind,detail"
        case .sampledInput: columns = "seq,time_ms,model,version,descriptor,payload"
        }
        let q = try db.prepare(String(outlined: "SELECT \(columns) FROM \(stream.table) WHERE seq > ? ORDER BY seq LIMIT ?"))
        defer { q.finalize() }
        q.bind(1, after)
        q.bind(2, Int64(max(0, limit)))
        while try q.step() {
            let seq = q.int64(0), time = q.int64(1), model = q.text(2), version = q.text(3)
            switch stream {
            case .inference:
                out.append(.inference(seq: seq, InferenceRecord(timeMs: time, model: model, version: version, latencyMicros: q.int64(4),
                                                                status: Int32(truncatingIfNeeded: q.int64(5)),
                                                                topClass: Int32(truncatingIfNeeded: q.int64(6)), score: q.double(7))))
            case .driftWindow:
                out.append(.driftWindow(seq: seq, DriftWindowRecord(timeMs: time, model: model, version: version, verdict: q.text(4), report: q.text(5))))
            case .deploymentEvent:
                out.append(.deploymentEvent(seq: seq, DeploymentEvent(timeMs: time, model: model, version: version, kind: q.text(4), detail: q.text(5))))
            case .sampledInput:
                out.append(.sampledInput(seq: seq, SampledInput(timeMs: time, model: model, version: version, descriptor: q.text(4), payload: q.blob(5))))
            }
        }
        return out
    }

    /// The server acknowledged every record of `stream` up to `seq`: they leave
    /// the store and the upload watermark moves. Returns the records removed.
    /// Acknowledging below the watermark is a no-op (idempotent retries).
    @discardableResult
    public func acknowledge(_ stream: TelemetryStream, upTo seq: Int64) throws(TelemetryError) -> Int {
        let k = stream.rawValue
        if seq > state[k].lastSeq { throw .invalidAcknowledgement(stream: stream.name, seq: seq, last: state[k].lastSeq) }
        if seq <= state[k].ackedSeq { return 0 }
        var removed = 0
        try transaction { () throws(TelemetryError) in
            let sum = try db.prepare(String(outlined: "SELECT count(*), coalesce(sum(bytes),0) FROM \(stream.table) WHERE seq <= ?"))
            defer { sum.finalize() }
            sum.bind(1, seq)
            _ = try sum.step()
            let rows = sum.int64(0), bytes = sum.int64(1)
            sum.finalize()
            try db.execute(String(outlined: "DELETE FROM \(stream.table) WHERE seq <= \(seq)"))
            state[k].ackedSeq = seq
            state[k].rows -= rows
            state[k].bytes -= bytes
            state[k].acknowledged += rows
            removed = Int(rows)
        }
        return removed
    }

    // MARK: inspection

    /// Per-stream counters: sequence numbers, watermark, rows and bytes held,
    /// appended, acknowledged, evicted (rows and bytes), skipped samples.
    public func stats() -> [StreamStats] {
        var out = state
        out[TelemetryStream.sampledInput.rawValue].skippedSamples += skippedSinceFlush
        return out
    }

    public func stats(_ stream: TelemetryStream) -> StreamStats { stats()[stream.rawValue] }

    /// Records currently held by a stream (from the database).
    public func count(_ stream: TelemetryStream) throws(TelemetryError) -> Int64 {
        try db.scalarInt(String(outlined: "SELECT count(*) FROM \(stream.table)"))
    }

    /// `PRAGMA integrity_check`: "ok" or SQLite's description of the damage.
    public func integrityCheck() throws(TelemetryError) -> String {
        let s = try db.prepare("PRAGMA integrity_check")
        defer { s.finalize() }
        var out = ""
        while try s.step() {
            if !out.isEmpty { out += "; " }
            out += s.text(0)
        }
        return out
    }

    /// Size of the database file in bytes (page_count × page_size; the WAL is extra).
    public func fileBytes() throws(TelemetryError) -> Int64 {
        try db.scalarInt("PRAGMA page_count") * db.scalarInt("PRAGMA page_size")
    }
}

extension TelemetryStore {
    /// Deletes a (closed) database and its WAL and shared-memory files.
    public static func removeDatabase(path: String) {
        for suffix in ["", "-wal", "-shm"] { _ = (path + suffix).withCString { op_sqlite_remove_file($0) } }
    }

    /// A per-process temporary database path under `directory`.
    public static func temporaryPath(directory: String = "/tmp", tag: String = "telemetry") -> String {
        String(outlined: "\(directory)/outpost-\(tag)-\(op_sqlite_process_id()).db")
    }
}
