import Foundation
import Testing

/// `outpost monitor`, `outpost-dev make-baseline` and `outpost-dev bench-telemetry`
/// end to end on the mlp fixture,
/// with .npy batches written here (no Python needed).
@Suite struct MonitorCommandTests {
    let cli = CLITests()

    /// A float32 .npy file of shape [rows, cols].
    static func writeNpy(_ url: URL, rows: Int, cols: Int, _ values: [Float]) throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(cols)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93]) + "NUMPY".data(using: .ascii)! + Data([1, 0])
        let n = UInt16(header.utf8.count)
        data += Data([UInt8(n & 0xff), UInt8(n >> 8)])
        data += header.data(using: .ascii)!
        values.withUnsafeBufferPointer { data += Data(buffer: $0) }
        try data.write(to: url)
    }

    /// `files` batches of 64 samples of 32 features from N(shift, 1).
    static func makeInputs(_ dir: URL, files: Int, shift: Float, seed: UInt64) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var state = seed
        func uniform() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) + 0.5) / Float(1 << 24)
        }
        for f in 0..<files {
            var v = [Float]()
            for _ in 0..<(64 * 32) {
                let g = (-2 * log(uniform())).squareRoot() * cos(2 * Float.pi * uniform())
                v.append(g + shift)
            }
            try writeNpy(dir.appendingPathComponent(String(format: "batch_%03d.npy", f)), rows: 64, cols: 32, v)
        }
    }

    @Test func baselineThenMonitorFlagsShiftedInputs() throws {
        let tmp = try cli.tempDir()
        defer { try? FileManager.default.removeItem(at: tmp) }
        try Self.makeInputs(tmp.appendingPathComponent("reference"), files: 40, shift: 0, seed: 1)
        try Self.makeInputs(tmp.appendingPathComponent("same"), files: 10, shift: 0, seed: 2)
        try Self.makeInputs(tmp.appendingPathComponent("shifted"), files: 10, shift: 0.8, seed: 3)
        let baseline = tmp.appendingPathComponent("baseline.json").path
        let made = try cli.outpostDev(["make-baseline", "models/mlp/model.onnx", "--input-dir", tmp.appendingPathComponent("reference").path,
                                       "-o", baseline])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("18 features from 2560 samples"))

        let db = tmp.appendingPathComponent("telemetry.db").path
        let run = try cli.outpost(["monitor", "models/mlp/model.onnx", "--input-dir", tmp.appendingPathComponent("same").path,
                                   "--input-dir", tmp.appendingPathComponent("shifted").path,
                                   "--baseline", baseline, "--window", "640", "--db", db, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let reports = run.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(reports.count == 2)
        guard reports.count == 2 else { return }
        #expect(reports[0]["verdict"] as? String != "major", "reference-like inputs: \(run.stdout.prefix(400))")
        #expect(reports[1]["verdict"] as? String == "major")
        let features = reports[1]["features"] as? [[String: Any]] ?? []
        #expect(features.count == 18)
        #expect(features.filter { ($0["name"] as? String)?.hasPrefix("input[") == true && $0["verdict"] as? String == "major" }.count == 16)

        let table = try cli.outpost(["monitor", "models/mlp/model.onnx", "--input-dir", tmp.appendingPathComponent("shifted").path,
                                     "--baseline", baseline, "--window", "640", "--db", db])
        #expect(table.status == 0)
        #expect(table.stdout.contains("verdict MAJOR DRIFT"))
        #expect(table.stdout.contains("input[0]"))
        // Sampled inputs (opt-in) and time windows.
        let sampled = try cli.outpost(["monitor", "models/mlp/model.onnx", "--input-dir", tmp.appendingPathComponent("same").path,
                                       "--baseline", baseline, "--window-seconds", "3600", "--sample-rate", "0.5",
                                       "--db", tmp.appendingPathComponent("sampled.db").path])
        #expect(sampled.status == 0, "\(sampled.stderr)")
        #expect(sampled.stdout.contains("windows of 3600 s"))
        #expect(sampled.stdout.contains("window 0 (partial)  samples 640"))
        #expect(sampled.stdout.contains("sampled_input"))
        // Second run appends to the same store: 2 + 1 windows, 1280 + 640 inference records.
        #expect(table.stdout.contains("inference 1920") && table.stdout.contains("drift_window 3"), "\(table.stdout.suffix(300))")
    }

    @Test func monitorReadsTheBaselineFromASignedPackage() throws {
        let tmp = try cli.tempDir()
        defer { try? FileManager.default.removeItem(at: tmp) }
        try Self.makeInputs(tmp.appendingPathComponent("reference"), files: 20, shift: 0, seed: 4)
        try Self.makeInputs(tmp.appendingPathComponent("shifted"), files: 10, shift: 1, seed: 5)
        let key = tmp.appendingPathComponent("k").path
        #expect(try cli.outpostDev(["keys", "generate", "--out", key]).status == 0)
        let pkg = tmp.appendingPathComponent("mlp.opkg").path
        let built = try cli.outpostDev(["package", "build", "--model", "models/mlp/model.onnx", "--name", "mlp", "--version", "2.1.0",
                                     "--release", "7", "--reference-data", tmp.appendingPathComponent("reference").path,
                                     "--key", key + ".key", "-o", pkg])
        #expect(built.status == 0, "\(built.stderr)")
        let db = tmp.appendingPathComponent("t.db").path
        let r = try cli.outpost(["monitor", pkg, "--trusted-key", key + ".pub", "--input-dir", tmp.appendingPathComponent("shifted").path,
                                 "--window", "640", "--db", db])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("baseline of 1280 samples"))
        #expect(r.stdout.contains("verdict MAJOR DRIFT"))
        // Without the key the package is refused.
        let refused = try cli.outpost(["monitor", pkg, "--input-dir", tmp.appendingPathComponent("shifted").path])
        #expect(refused.status != 0 && refused.stderr.contains("--trusted-key"))
    }

    @Test func monitorErrorsAndUnwritableStore() throws {
        let noBaseline = try cli.outpost(["monitor", "models/mlp/model.onnx", "--input-dir", "models/mlp/test_data_set_0"])
        #expect(noBaseline.status == 2 && noBaseline.stderr.contains("--baseline"))
        let tmp = try cli.tempDir()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let baseline = tmp.appendingPathComponent("b.json").path
        #expect(try cli.outpostDev(["make-baseline", "models/mlp/model.onnx", "--input-dir", "models/mlp", "-o", baseline]).status == 0)
        // A store that cannot be opened: a warning, and monitoring goes on.
        let r = try cli.outpost(["monitor", "models/mlp/model.onnx", "--input-dir", "models/mlp", "--baseline", baseline,
                                 "--db", tmp.appendingPathComponent("no/such/dir/t.db").path])
        #expect(r.status == 0)
        #expect(r.stderr.contains("continuing without telemetry"))
        #expect(r.stdout.contains("window 0"))
        // libsqlite3 is opened on first use (dlopen): without it the store cannot be
        // opened, with an error naming the library, and monitoring goes on.
        let noLib = try PackageCLITests().outpost(
            ["monitor", "models/mlp/model.onnx", "--input-dir", "models/mlp", "--baseline", baseline,
             "--db", tmp.appendingPathComponent("t.db").path], env: ["OUTPOST_LIBSQLITE3": "/nonexistent/libsqlite3.so.0"])
        #expect(noLib.status == 0 && noLib.stdout.contains("window 0"))
        #expect(noLib.stderr.contains("cannot load the SQLite library /nonexistent/libsqlite3.so.0"), "\(noLib.stderr)")
        #expect(noLib.stderr.contains("continuing without telemetry"))
        // A baseline for another model's features.
        let other = try cli.outpost(["monitor", "models/tiny/model.onnx", "--input-dir", "models/tiny/test_data_set_0", "--baseline", baseline])
        #expect(other.status == 1 && other.stderr.contains("drift feature"))
    }

    @Test func benchTelemetryPrintsFigures() throws {
        let r = try cli.outpostDev(["bench-telemetry", "--records", "5000", "--iterations", "10", "--model", "models/mlp/model.onnx"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("records/s"))
        #expect(r.stdout.contains("% of the median inference"))
    }
}
