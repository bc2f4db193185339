import CSQLite
import Foundation
import Glibc
import OutpostTelemetry
import Testing

@Suite struct TelemetryStoreTests {
    @Test func sequencesPendingAndWatermark() throws {
        let dir = try TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t.db").path
        let store = try TelemetryStore(path: path)
        #expect(try store.append((0..<10).map { TestSupport.inference($0) }) == 1...10)
        #expect(try store.append(TestSupport.inference(10)) == 11)
        #expect(try store.append([InferenceRecord]()) == nil)
        // Streams number independently.
        #expect(try store.append(DeploymentEvent(timeMs: 1, model: "m", version: "1", kind: "activate")) == 1)

        let first = try store.pending(.inference, after: 0, limit: 4)
        #expect(first.map(\.seq) == [1, 2, 3, 4])
        #expect(first[0] == .inference(seq: 1, TestSupport.inference(0)))
        #expect(try store.pending(.inference, after: 4, limit: 100).map(\.seq) == Array(5...11))

        #expect(try store.acknowledge(.inference, upTo: 4) == 4)
        #expect(try store.acknowledge(.inference, upTo: 3) == 0)  // idempotent retry below the watermark
        #expect(try store.pending(.inference).map(\.seq) == Array(5...11))
        var s = store.stats(.inference)
        #expect(s.lastSeq == 11 && s.ackedSeq == 4 && s.rows == 7 && s.appended == 11 && s.acknowledged == 4 && s.evictedRows == 0)
        #expect(throws: TelemetryError.invalidAcknowledgement(stream: "inference", seq: 12, last: 11)) {
            try store.acknowledge(.inference, upTo: 12)
        }
        // Everything acknowledged: numbering continues, never restarts.
        try store.acknowledge(.inference, upTo: 11)
        #expect(try store.count(.inference) == 0)
        store.close()
        let reopened = try TelemetryStore(path: path)
        #expect(try reopened.append(TestSupport.inference(12)) == 12)
        s = reopened.stats(.inference)
        #expect(s.ackedSeq == 11 && s.rows == 1 && s.acknowledged == 11 && s.appended == 12)
        #expect(reopened.stats(.deploymentEvent).lastSeq == 1)
        #expect(try reopened.integrityCheck() == "ok")
    }

    @Test func everyStreamRoundTrips() throws {
        let dir = try TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try TelemetryStore(path: dir.appendingPathComponent("t.db").path)
        let w = DriftWindowRecord(timeMs: 5, model: "m", version: "2.0.0", verdict: "major", report: "{\"window\":0}")
        let e = DeploymentEvent(timeMs: 6, model: "m", version: "2.0.0", kind: "rollback", detail: "self-test failed: ünïcode")
        let i = SampledInput(timeMs: 7, model: "m", version: "2.0.0", descriptor: "input float32[1,4]", payload: [0, 1, 2, 255, 0])
        let empty = SampledInput(timeMs: 8, model: "m", version: "2.0.0", descriptor: "x", payload: [])
        try store.append(w); try store.append(e); try store.append([i, empty])
        #expect(try store.pending(.driftWindow) == [.driftWindow(seq: 1, w)])
        #expect(try store.pending(.deploymentEvent) == [.deploymentEvent(seq: 1, e)])
        #expect(try store.pending(.sampledInput) == [.sampledInput(seq: 1, i), .sampledInput(seq: 2, empty)])
    }

    @Test func quotasEvictOldestAndCountIt() throws {
        let dir = try TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Inference quota ~100 records (each accounts 48 + 9 + 5 + 32 = 94 bytes).
        let budget = TelemetryBudget(totalBytes: 0, quotas: [9_400, 0, 0, 0])
        let store = try TelemetryStore(path: dir.appendingPathComponent("t.db").path, options: TelemetryOptions(budget: budget))
        for batch in 0..<10 { try store.append((0..<50).map { TestSupport.inference(batch * 50 + $0) }) }
        let s = store.stats(.inference)
        #expect(s.lastSeq == 500)
        #expect(s.bytes <= 9_400)
        #expect(s.evictedRows > 0 && s.evictedRows + s.rows == 500)
        #expect(s.evictedBytes == s.evictedRows * 94)
        #expect(try store.count(.inference) == s.rows)
        // The oldest went: what is left is the newest, contiguous, ending at 500.
        let left = try store.pending(.inference, limit: 1000).map(\.seq)
        #expect(left.last == 500 && left.first == 500 - Int64(left.count) + 1)
    }

    @Test func totalBudgetEvictsSampledInputsFirstThenInference() throws {
        let dir = try TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try TelemetryStore(path: dir.appendingPathComponent("t.db").path,
                                       options: TelemetryOptions(budget: TelemetryBudget(totalBytes: 60_000)))
        let event = DeploymentEvent(timeMs: 1, model: "m", version: "1", kind: "activate")
        let window = DriftWindowRecord(timeMs: 1, model: "m", version: "1", verdict: "stable", report: String(repeating: "x", count: 500))
        try store.append(event)
        try store.append(window)
        let sample = SampledInput(timeMs: 1, model: "m", version: "1", descriptor: "x", payload: [UInt8](repeating: 7, count: 4000))
        for _ in 0..<8 { try store.append(sample) }   // ~32 KB of samples
        #expect(store.stats(.sampledInput).evictedRows == 0)
        // Inference records push the total over: samples go first.
        for b in 0..<4 { try store.append((0..<100).map { TestSupport.inference(b * 100 + $0) }) }
        let st = store.stats()
        #expect(st[TelemetryStream.sampledInput.rawValue].evictedRows > 0)
        #expect(st[TelemetryStream.inference.rawValue].evictedRows == 0)
        // Keep going: samples are gone, then inference records are evicted; events and windows stay.
        for b in 4..<12 { try store.append((0..<100).map { TestSupport.inference(b * 100 + $0) }) }
        let after = store.stats()
        #expect(after[TelemetryStream.sampledInput.rawValue].rows == 0)
        #expect(after[TelemetryStream.inference.rawValue].evictedRows > 0)
        #expect(after[TelemetryStream.deploymentEvent.rawValue].rows == 1 && after[TelemetryStream.deploymentEvent.rawValue].evictedRows == 0)
        #expect(after[TelemetryStream.driftWindow.rawValue].rows == 1 && after[TelemetryStream.driftWindow.rawValue].evictedRows == 0)
        var total: Int64 = 0
        for s in after { total += s.bytes }
        #expect(total <= 60_000)
    }

    @Test func samplingRateIsOptInAndCounted() throws {
        let dir = try TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let off = try TelemetryStore(path: dir.appendingPathComponent("off.db").path)
        #expect((0..<1000).allSatisfy { _ in !off.shouldSampleInput() })
        let path = dir.appendingPathComponent("on.db").path
        let on = try TelemetryStore(path: path, options: TelemetryOptions(sampleRate: 0.25))
        let taken = (0..<10_000).filter { _ in on.shouldSampleInput() }.count
        #expect(taken > 2300 && taken < 2700)
        #expect(on.stats(.sampledInput).skippedSamples == Int64(10_000 - taken))
        try on.append(DeploymentEvent(timeMs: 1, model: "m", version: "1", kind: "x"))  // persists the counter
        on.close()
        #expect(try TelemetryStore(path: path).stats(.sampledInput).skippedSamples == Int64(10_000 - taken))
    }

    @Test func diskFullIsAnErrorAndAcknowledgedRecordsStay() throws {
        let dir = try TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t.db").path
        let store = try TelemetryStore(path: path, options: TelemetryOptions(budget: .unlimited, maxPageCount: 40))
        var stored: Int64 = 0
        var failure: TelemetryError?
        for b in 0..<1000 {
            do {
                let r = try store.append((0..<50).map { TestSupport.inference(b * 50 + $0) })
                stored = r!.upperBound
            } catch {
                failure = error
                break
            }
        }
        #expect(failure == .diskFull(path: path))
        #expect(stored > 0)
        #expect(store.stats(.inference).lastSeq == stored)
        #expect(try store.count(.inference) == stored)
        #expect(try store.integrityCheck() == "ok")
        // The store keeps working once space is freed (an upload acknowledged records).
        try store.acknowledge(.inference, upTo: stored / 2)
        #expect(try store.append(TestSupport.inference(0)) == stored + 1)
        store.close()
        let reopened = try TelemetryStore(path: path)
        #expect(try reopened.count(.inference) == stored - stored / 2 + 1)
    }

    @Test func diskFullOnARealSmallFilesystem() throws {
        guard let mnt = TestSupport.mountTmpfs(bytes: 256 * 1024) else {
            print("diskFullOnARealSmallFilesystem: skipped (cannot mount a tmpfs here)")
            return
        }
        defer { TestSupport.unmount(mnt) }
        let path = mnt.appendingPathComponent("t.db").path
        let store = try TelemetryStore(path: path, options: TelemetryOptions(budget: .unlimited))
        var stored: Int64 = 0
        var failure: TelemetryError?
        for b in 0..<10_000 {
            do { stored = try store.append((0..<50).map { TestSupport.inference(b * 50 + $0) })!.upperBound } catch {
                failure = error
                break
            }
        }
        #expect(failure == .diskFull(path: path), "got \(String(describing: failure))")
        #expect(try store.count(.inference) == stored)
        store.close()
        // Reopening on the full disk still reads everything that was acknowledged.
        if let again = try? TelemetryStore(path: path, options: TelemetryOptions(budget: .unlimited)) {
            #expect(try again.count(.inference) == stored)
            #expect(try again.integrityCheck() == "ok")
        }
    }

    @Test func readOnlyDatabaseIsAClearError() throws {
        let dir = try TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        if getuid() != 0 {
            let path = dir.appendingPathComponent("t.db").path
            try TelemetryStore(path: path).append(TestSupport.inference(1))
            chmod(path, 0o444)
            #expect(throws: TelemetryError.readOnly(path: path)) { try TelemetryStore(path: path) }
            return
        }
        // root ignores permissions: use a read-only mount.
        guard let mnt = TestSupport.mountTmpfs(bytes: 1 << 20) else {
            print("readOnlyDatabaseIsAClearError: skipped (root, and cannot mount a tmpfs)")
            return
        }
        defer { TestSupport.unmount(mnt) }
        let path = mnt.appendingPathComponent("t.db").path
        do {
            let s = try TelemetryStore(path: path)
            try s.append(TestSupport.inference(1))
            s.close()
        }
        #expect(TestSupport.remountReadOnly(mnt))
        #expect(throws: TelemetryError.readOnly(path: path)) { try TelemetryStore(path: path) }
        // A new database in a read-only place cannot even be created.
        let fresh = mnt.appendingPathComponent("new.db").path
        #expect(throws: TelemetryError.self) { try TelemetryStore(path: fresh) }
    }

    @Test func unopenableAndCorruptFilesAreClearErrors() throws {
        let dir = try TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("no/such/dir/t.db").path
        #expect(throws: TelemetryError.self) { try TelemetryStore(path: missing) }
        do { _ = try TelemetryStore(path: missing) } catch {
            guard case .cannotOpen = error else { Issue.record("expected cannotOpen, got \(error)"); return }
        }

        let garbage = dir.appendingPathComponent("garbage.db")
        try Data(repeating: 0x5A, count: 8192).write(to: garbage)
        #expect(throws: TelemetryError.self) { try TelemetryStore(path: garbage.path) }
        do { _ = try TelemetryStore(path: garbage.path) } catch {
            guard case .corrupt = error else { Issue.record("expected corrupt, got \(error)"); return }
        }

        // A real database with a damaged page: quick_check at open reports it.
        let damaged = dir.appendingPathComponent("damaged.db").path
        do {
            let s = try TelemetryStore(path: damaged, options: TelemetryOptions(budget: .unlimited))
            for b in 0..<40 { try s.append((0..<100).map { TestSupport.inference(b * 100 + $0) }) }
            s.close()  // checkpoints the WAL into the file
        }
        let fh = try #require(FileHandle(forUpdatingAtPath: damaged))
        let size = try fh.seekToEnd()
        #expect(size > 16 * 4096)
        try fh.seek(toOffset: 8 * 4096 + 100)
        try fh.write(contentsOf: Data(repeating: 0xFF, count: 3000))
        try fh.close()
        do {
            let s = try TelemetryStore(path: damaged)
            let check = try s.integrityCheck()
            Issue.record("damaged file opened; integrity_check says \(check)")
        } catch {
            guard case .corrupt = error else { Issue.record("expected corrupt, got \(error)"); return }
        }
    }

    @Test func schemaVersionAndMigration() throws {
        let dir = try TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t.db").path
        try TelemetryStore(path: path).close()
        // user_version is the schema version.
        var db: OpaquePointer?
        #expect(op_sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK)
        var stmt: OpaquePointer?
        op_sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nil)
        #expect(op_sqlite3_step(stmt) == SQLITE_ROW)
        #expect(op_sqlite3_column_int64(stmt, 0) == Int64(TelemetryStore.schemaVersion))
        op_sqlite3_finalize(stmt)
        #expect(op_sqlite3_exec(db, "PRAGMA user_version=99", nil, nil, nil) == SQLITE_OK)
        op_sqlite3_close_v2(db)
        #expect(throws: TelemetryError.schemaTooNew(path: path, version: 99, supported: TelemetryStore.schemaVersion)) {
            try TelemetryStore(path: path)
        }
    }
}
