import Foundation
import Glibc
import OutpostTelemetry
import Testing

/// Issue 4 item 5: a writer process appends inference records in transactions
/// and prints each batch's last sequence number after its commit returned; we
/// SIGKILL it at random moments (≥ 200 times) and after each kill check that
/// the database opens, passes `PRAGMA integrity_check`, and holds every record
/// the writer reported as committed.
///
/// SIGKILL loses the process, not the OS page cache: this proves crash safety
/// of the commit protocol (WAL + rollback of unfinished transactions). Power
/// loss also needs the fsyncs, which `synchronous=FULL` issues at every commit.
@Suite struct PowerLossTests {
    @Test func sigkillAtRandomMomentsLosesNoAcknowledgedRecord() throws {
        guard let writer = TestSupport.writerBinary else {
            Issue.record("outpost-telemetry-writer not found (build the tests with swift build --build-tests)")
            return
        }
        let dir = try TestSupport.tempDir("powerloss")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t.db").path
        var rng = SystemRandomNumberGenerator()
        let kills = 200
        var acknowledged: Int64 = 0
        var killedMidRun = 0
        let start = Date()
        for round in 0..<kills {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: writer)
            // Alternate small varying batches with big ones (kills land inside long transactions).
            p.arguments = round % 3 == 2 ? [path, "400"] : [path]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32.random(in: 1_000...25_000, using: &rng))
            let alive = p.isRunning
            kill(p.processIdentifier, SIGKILL)
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            if alive && p.terminationReason == .uncaughtSignal { killedMidRun += 1 }
            // Complete lines only (each is one write(2) of < PIPE_BUF bytes, so atomic).
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                if let n = Int64(line), n > acknowledged { acknowledged = n }
            }
            // Opening recovers the WAL; everything acknowledged must be there.
            let store = try TelemetryStore(path: path, options: TelemetryOptions(budget: .unlimited, checkOnOpen: false))
            #expect(try store.integrityCheck() == "ok", "round \(round)")
            let last = store.stats(.inference).lastSeq
            let rows = try store.count(.inference)
            // Nothing is ever deleted here, and sequence numbers are the primary key:
            // rows == last means 1...last are all present.
            #expect(rows == last, "round \(round): \(rows) rows but last sequence \(last)")
            #expect(last >= acknowledged, "round \(round): acknowledged \(acknowledged) but only \(last) survived")
            store.close()
        }
        let seconds = Date().timeIntervalSince(start)
        print("power-loss: \(kills) SIGKILLs (\(killedMidRun) while writing), \(acknowledged) acknowledged records all present, integrity ok, \(String(format: "%.1f", seconds)) s")
        #expect(killedMidRun >= kills / 2)
        #expect(acknowledged > 0)
    }
}
