import Foundation
import Testing

/// Drives the real `outpost` and `outpost-dev` binaries as a user would: exit codes,
/// stdout, stderr, files.
@Suite struct CLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: String {
        if let b = ProcessInfo.processInfo.environment["OUTPOST_BIN"] { return b }
        return root.appendingPathComponent(".build/debug/outpost").path
    }

    /// The developer tools: OUTPOST_DEV_BIN, else `outpost-dev` next to `binary`.
    static var devBinary: String {
        if let b = ProcessInfo.processInfo.environment["OUTPOST_DEV_BIN"] { return b }
        return URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("outpost-dev").path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func outpost(_ args: [String]) throws -> Result {
        try run(CLITests.binary, args)
    }

    func outpostDev(_ args: [String]) throws -> Result {
        try run(CLITests.devBinary, args)
    }

    func run(_ binary: String, _ args: [String], env: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = CLITests.root
        if !env.isEmpty {
            var e = ProcessInfo.processInfo.environment
            for (k, v) in env { e[k] = v }
            p.environment = e
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func helpEverywhere() throws {
        let top = try outpost(["--help"])
        #expect(top.status == 0)
        for sub in ["run", "bench", "inspect", "monitor", "package"] {
            #expect(top.stdout.contains(sub))
            let r = try outpost([sub, "--help"])
            #expect(r.status == 0, "\(sub) --help")
            #expect(r.stdout.contains("USAGE: outpost \(sub)"), "\(sub) --help prints usage")
        }
        let dev = try outpostDev(["--help"])
        #expect(dev.status == 0)
        for sub in ["conformance", "bench-kernels", "bench-telemetry", "keys", "package", "make-baseline"] {
            #expect(dev.stdout.contains(sub))
            let r = try outpostDev([sub, "--help"])
            #expect(r.status == 0, "outpost-dev \(sub) --help")
            #expect(r.stdout.contains("USAGE: outpost-dev \(sub)"), "outpost-dev \(sub) --help prints usage")
        }
        #expect(try outpostDev(["version"]).stdout == (try outpost(["version"])).stdout.replacingOccurrences(of: "outpost", with: "outpost-dev"))
    }

    /// The device binary names the developer tools it does not have, and the other way round.
    @Test func developerToolsAreInOutpostDev() throws {
        for sub in ["conformance", "bench-kernels", "bench-telemetry", "keys", "make-baseline"] {
            let r = try outpost([sub, "--help"])
            #expect(r.status == 2 && r.stderr.contains("use 'outpost-dev \(sub)'"), "outpost \(sub)")
        }
        let build = try outpost(["package", "build", "--help"])
        #expect(build.status == 2 && build.stderr.contains("outpost-dev package build"))
        let baseline = try outpost(["monitor", "models/mlp/model.onnx", "--input-dir", "models/mlp", "--make-baseline", "/tmp/x.json"])
        #expect(baseline.status == 2 && baseline.stderr.contains("unknown option '--make-baseline'"))
        for sub in ["run", "bench", "inspect", "monitor"] {
            let r = try outpostDev([sub, "models/tiny"])
            #expect(r.status == 2 && r.stderr.contains("use 'outpost \(sub)'"), "outpost-dev \(sub)")
        }
        let verify = try outpostDev(["package", "verify", "x.opkg"])
        #expect(verify.status == 2 && verify.stderr.contains("outpost package verify"))
        let unknown = try outpostDev(["frobnicate"])
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown subcommand 'frobnicate'"))
    }

    @Test func usageErrorsGoToStderrWithExitCode2() throws {
        let r = try outpost(["frobnicate"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("unknown subcommand 'frobnicate'"))
        let bad = try outpost(["run", "models/tiny", "--no-such-flag"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("unknown option '--no-such-flag'"))
        let noModel = try outpost(["bench"])
        #expect(noModel.status == 2)
        #expect(noModel.stdout.isEmpty)
    }

    @Test func runWritesOutputsThatMatchTheReference() throws {
        let dir = try tempDir()
        let r = try outpost(["run", "models/tiny", "--input-dir", "models/tiny/test_data_set_0", "--output-dir", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        let written = dir.appendingPathComponent("output_0.pb")
        #expect(FileManager.default.fileExists(atPath: written.path))
        // The written file is a valid test-data folder together with the inputs:
        // conformance on a copy of the model with our outputs as expected values must pass.
        let check = try tempDir()
        let set = check.appendingPathComponent("test_data_set_0")
        try FileManager.default.createDirectory(at: set, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent("models/tiny/model.onnx"), to: check.appendingPathComponent("model.onnx"))
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent("models/tiny/test_data_set_0/input_0.pb"), to: set.appendingPathComponent("input_0.pb"))
        try FileManager.default.copyItem(at: written, to: set.appendingPathComponent("output_0.pb"))
        let c = try outpostDev(["conformance", check.path, "--rtol", "0", "--atol", "0"])
        #expect(c.status == 0, "\(c.stdout)")
        #expect(c.stdout.contains("1 passed, 0 failed, 0 skipped"))
    }

    @Test func runAcceptsNpyInputsByName() throws {
        let r = try outpost(["run", "models/tiny/model.onnx", "--input", "input=models/tiny/input.npy"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("top:"))
        let wrong = try outpost(["run", "models/tiny/model.onnx", "--input", "pixels=models/tiny/input.npy"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("no input named 'pixels'"))
        #expect(wrong.stderr.contains("input"))
    }

    @Test func malformedModelIsAClearError() throws {
        let dir = try tempDir()
        let bad = dir.appendingPathComponent("bad.onnx")
        try Data([0x08, 0x07, 0x3a, 0xff, 0xff, 0x01, 0x02]).write(to: bad)
        let r = try outpost(["inspect", bad.path])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("error: "))
        #expect(r.stderr.contains("malformed"))
        let missing = try outpost(["run", dir.appendingPathComponent("nope.onnx").path, "--input-dir", dir.path])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("No such file"))
    }

    @Test func benchJsonHasTheAgreedFields() throws {
        let r = try outpost(["bench", "models/tiny", "--threads", "1", "--warmup", "1", "--iterations", "3", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let json = try #require(obj)
        for key in ["load_ms", "median_ms", "p90_ms", "min_ms", "peak_rss_kb"] {
            #expect(json[key] is NSNumber, "\(key)")
        }
        let median = try #require(json["median_ms"] as? Double)
        let minimum = try #require(json["min_ms"] as? Double)
        #expect(minimum <= median)
        #expect((json["iterations"] as? Int) == 3)
    }

    @Test func inspectDescribesTheModel() throws {
        let r = try outpost(["inspect", "models/mobilenet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("input: float32[N, 3, 128, 128]"))
        #expect(r.stdout.contains("Conv"))
        #expect(r.stdout.contains("parameters:"))
        #expect(r.stdout.contains("quantization: float"))
    }

    @Test func conformanceOnTheFixtureModels() throws {
        let r = try outpostDev(["conformance", "models"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains(" 0 failed, 0 skipped"))
    }

    @Test func inspectShowsTheQuantizationFormAndInt8Layers() throws {
        let qdq = try outpost(["inspect", "models/int8/kws-qdq-u8s8", "--layers"])
        #expect(qdq.status == 0, "\(qdq.stderr)")
        #expect(qdq.stdout.contains("quantization: QDQ"))
        #expect(qdq.stdout.contains("layers after optimisation: 12 int8"))
        #expect(qdq.stdout.contains("QLinearConv"))
        #expect(qdq.stdout.contains("int8    com.microsoft::QLinearAveragePool"))
        // Softmax has no integer form: listed with the reason.
        #expect(qdq.stdout.contains("Softmax") && qdq.stdout.contains("not folded"))
        let qop = try outpost(["inspect", "models/int8/mobilenet-qop-u8s8-pc"])
        #expect(qop.stdout.contains("quantization: QOperator"))
        let dyn = try outpost(["inspect", "models/int8/mlp-dyn-u8"])
        #expect(dyn.stdout.contains("quantization: dynamic"))
    }

    @Test func benchProfileShowsTimePerOperatorType() throws {
        let r = try outpost(["bench", "models/tiny", "--threads", "1", "--warmup", "1", "--iterations", "2", "--profile"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("time per operator type"))
        #expect(r.stdout.contains("%"))
        let j = try outpost(["bench", "models/tiny", "--threads", "1", "--warmup", "1", "--iterations", "2", "--profile", "--json"])
        let obj = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any]
        let profile = try #require(obj?["profile"] as? [[String: Any]])
        #expect(profile.contains { ($0["op"] as? String) == "Conv" })
    }

    @Test func conformanceUsesTheFolderTolerance() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = CLITests.root.appendingPathComponent("models/tiny")
        let dst = dir.appendingPathComponent("tiny")
        try FileManager.default.copyItem(at: src, to: dst)
        // An impossible element-wise tolerance fails; a relative L2 bound overrides it.
        let strict = try outpostDev(["conformance", dst.path, "--rtol", "0", "--atol", "0", "--filter", "tiny"])
        try "rel_l2 1e-2\nsteps 1\n".write(to: dst.appendingPathComponent("tolerance.txt"), atomically: true, encoding: .utf8)
        let relaxed = try outpostDev(["conformance", dst.path, "--rtol", "0", "--atol", "0"])
        #expect(relaxed.status == 0, "\(relaxed.stdout)")
        _ = strict
        try "bogus 1\n".write(to: dst.appendingPathComponent("tolerance.txt"), atomically: true, encoding: .utf8)
        let bad = try outpostDev(["conformance", dst.path])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("unknown key"))
    }
}
