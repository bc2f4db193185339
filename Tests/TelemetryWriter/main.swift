// Test-only writer for the power-loss test (Tests/OutpostTelemetryTests):
//   outpost-telemetry-writer DB [BATCH]
// Appends inference records in transactions of BATCH (default 1..8, varying)
// forever and prints the last sequence number of each batch on stdout only
// after the commit returned (unbuffered write), so every printed number is a
// record the store acknowledged as written. The test kills it with SIGKILL.
import Glibc
import OutpostTelemetry

let args = CommandLine.arguments
guard args.count >= 2 else {
    fputs("usage: outpost-telemetry-writer DB [BATCH]\n", stderr)
    exit(2)
}
let fixedBatch = args.count >= 3 ? Int(args[2]) ?? 0 : 0
do {
    let store = try TelemetryStore(path: args[1], options: TelemetryOptions(budget: .unlimited, checkOnOpen: false))
    var n = 0
    while true {
        let batch = fixedBatch > 0 ? fixedBatch : 1 + n % 8
        var records = [InferenceRecord]()
        for i in 0..<batch {
            records.append(InferenceRecord(timeMs: Int64(n + i), model: "writer", version: "1.0.0",
                                           latencyMicros: Int64(1000 + i), status: 0, topClass: Int32(i % 10),
                                           score: 0.5))
        }
        let range = try store.append(records)!
        let line = "\(range.upperBound)\n"
        _ = line.withCString { write(1, $0, strlen($0)) }
        n += batch
    }
} catch {
    let line = "error: \(error.description)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(1)
}
