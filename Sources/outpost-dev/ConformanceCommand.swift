import OutpostCLICore
import OutpostONNX
import OutpostRuntime

/// `outpost-dev conformance`: runs ONNX backend test folders (model.onnx +
/// test_data_set_*/input_*.pb, output_*.pb) and reports pass / fail / skip.
///
/// A test is skipped only when it needs something Outpost reports as unsupported
/// (an operator, a data type, an attribute value) or a non-tensor type; every
/// other problem — a load error, a wrong shape, a value out of tolerance — fails.
enum ConformanceCommand {
    static let spec = CommandSpec(
        name: "outpost-dev conformance",
        usage: "outpost-dev conformance ROOT [--filter SUBSTR ...] [--exclude SUBSTR ...] [--rtol R] [--atol A] [--known-failures FILE]",
        summary: "Run every ONNX backend test folder under ROOT (or ROOT itself) and print one line per test, then 'N passed, N failed, N skipped'. Exits non-zero on any failure. A test folder's tolerance.txt overrides --rtol/--atol (lines 'rel_l2 R': a float output passes when ||got - want|| / ||want|| <= R; 'steps N': integer outputs may differ by N; the int8 fixtures under models/int8 use rel_l2 1e-2, steps 1).",
        options: [
            ("--filter SUBSTR", "Only tests whose folder name contains SUBSTR (repeatable; commas separate several)."),
            ("--exclude SUBSTR", "Skip tests whose folder name contains SUBSTR (repeatable; commas separate several)."),
            ("--rtol R", "Relative tolerance for floats (default 1e-3)."),
            ("--atol A", "Absolute tolerance for floats (default 1e-5)."),
            ("--known-failures FILE", "Lines 'test_name reason': reported as skipped with the reason instead of failing."),
            ("--threads N", "Kernel threads (default 1)."),
            ("--outputs-from DIR", "Do not run the models: compare the outputs another binary wrote, DIR/<test>/test_data_set_<k>/output_<j>.pb (e.g. 'outpost run T --input-dir T/test_data_set_0 --output-dir DIR/T/test_data_set_0': checks the device binary itself)."),
        ],
        flags: [
            ("--quiet", "Print only failures and the summary."),
        ])

    enum Outcome {
        case pass
        case fail(String)
        case skip(String)
    }

    static func main(_ args: [String]) throws(OutpostError) -> Int {
        let a = try parseArguments(args, spec)
        if a.wantsHelp { Console.out(spec.help); return 0 }
        guard a.positionals.count == 1 else { throw .usage("expected exactly one ROOT argument (see 'outpost-dev conformance --help')") }
        let root = a.positionals[0]
        let rtol = try a.double("--rtol", default: 1e-3)
        let atol = try a.double("--atol", default: 1e-5)
        let threads = try a.int("--threads", default: 1, min: 0)
        let filters = splitList(a.all("--filter"))
        let excludes = splitList(a.all("--exclude"))
        let outputsFrom = a.value("--outputs-from")
        var known = [String: String]()
        if let file = a.value("--known-failures") {
            known = try readKnownFailures(file)
        }

        // Two layouts: folders (model.onnx + test_data_set_*/), and ONNX's "light"
        // model-zoo layout (NAME.onnx + NAME_output_<j>.pb, inputs made by formula).
        // Folders without a model.onnx are searched recursively (models/ holds the
        // float fixtures and models/int8/ the quantized ones), so one command runs all.
        var tests = [(name: String, path: String)]()
        if FileSystem.exists(FileSystem.join(root, "model.onnx")) {
            tests.append((FileSystem.basename(root), root))
        } else {
            guard FileSystem.isDirectory(root) else { throw .io(path: root, reason: "not a directory") }
            try collectTests(root, prefix: "", into: &tests)
        }
        var passed = 0, failed = 0, skipped = 0
        let start = Clock.nowNanos()
        for test in tests {
            if !filters.isEmpty && !filters.contains(where: { test.name.hasSubstring($0) }) { continue }
            if excludes.contains(where: { test.name.hasSubstring($0) }) { continue }
            var outcome = runTest(test.path, rtol: rtol, atol: atol, threads: threads,
                                  outputsFrom: outputsFrom.map { FileSystem.join($0, test.name) })
            if case let .fail(reason) = outcome, let why = known[test.name] {
                outcome = .skip("known failure (\(why)): \(reason)")
            }
            switch outcome {
            case .pass:
                passed += 1
                if !a.has("--quiet") { Console.out("PASS \(test.name)") }
            case let .fail(reason):
                failed += 1
                Console.out("FAIL \(test.name): \(reason)")
            case let .skip(reason):
                skipped += 1
                if !a.has("--quiet") { Console.out("SKIP \(test.name): \(reason)") }
            }
        }
        Console.out("conformance: \(tests.count) test folders under \(root), \(Format.fixed(Clock.millis(since: start) / 1000, 1)) s")
        Console.out("\(passed) passed, \(failed) failed, \(skipped) skipped")
        return failed > 0 ? 1 : 0
    }

    /// Appends the test folders under `dir` (sorted, depth-first); a folder holding
    /// model.onnx is a test, any other folder is searched in turn.
    static func collectTests(_ dir: String, prefix: String, into tests: inout [(name: String, path: String)]) throws(OutpostError) {
        for name in try FileSystem.list(dir) {
            let path = FileSystem.join(dir, name)
            if FileSystem.exists(FileSystem.join(path, "model.onnx")) {
                tests.append((prefix + name, path))
            } else if name.hasSuffix(".onnx") {
                tests.append((prefix + String(name.dropLast(5)), path))
            } else if FileSystem.isDirectory(path) && !name.hasPrefix(".") {
                try collectTests(path, prefix: prefix + name + "/", into: &tests)
            }
        }
    }

    static func splitList(_ values: [String]) -> [String] {
        var out = [String]()
        for v in values {
            for part in v.split(separator: ",") where !part.isEmpty { out.append(String(part)) }
        }
        return out
    }

    static func readKnownFailures(_ path: String) throws(OutpostError) -> [String: String] {
        let buffer = try Buffer(mappingFile: path)
        let text = String(decoding: UnsafeRawBufferPointer(start: buffer.base, count: buffer.byteCount), as: UTF8.self)
        var out = [String: String]()
        for line in text.split(separator: "\n") {
            let trimmed = line.drop(while: { $0 == " " })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let parts = trimmed.split(separator: " ", maxSplits: 1)
            out[String(parts[0])] = parts.count > 1 ? String(parts[1]) : "listed"
        }
        return out
    }

    /// Errors that mean "Outpost does not support this" rather than "Outpost is wrong".
    static func skipReason(_ e: OutpostError) -> String? {
        switch e {
        case .unsupportedOperator, .unsupportedDataType, .unsupportedAttribute: return e.description
        default: return nil
        }
    }

    static func classify(_ e: OutpostError, _ context: String) -> Outcome {
        if let reason = skipReason(e) { return .skip(reason) }
        return .fail("\(context): \(e.description)")
    }

    /// `outputsFrom`: read the outputs from this folder (one subfolder per test data
    /// set) instead of running the model.
    static func runTest(_ dir: String, rtol: Double, atol: Double, threads: Int, outputsFrom: String? = nil) -> Outcome {
        let lightLayout = dir.hasSuffix(".onnx")
        let model: Model
        do {
            model = try ONNXLoader.load(path: lightLayout ? dir : FileSystem.join(dir, "model.onnx"))
        } catch {
            return classify(error, "load")
        }
        for v in model.graph.inputs + model.graph.outputs where v.dtype == nil {
            if v.onnxType == 0 { return .skip("'\(v.name)' is not a tensor (sequence, map or optional types are not supported)") }
            return .skip(OutpostError.unsupportedDataType(tensor: v.name, dtype: DType.onnxName(v.onnxType)).description)
        }
        let session: Session
        do {
            session = try Session(model: model, options: SessionOptions(threads: threads))
        } catch {
            return classify(error, "prepare")
        }
        if lightLayout {
            if outputsFrom != nil { return .skip("--outputs-from takes test folders (model.onnx + test_data_set_*), not the light layout") }
            return runLightTest(dir, session, rtol: rtol, atol: atol)
        }
        let sets: [String]
        do {
            sets = try FileSystem.list(dir).filter { $0.hasPrefix("test_data_set_") }
        } catch {
            return .fail(error.description)
        }
        if sets.isEmpty { return .fail("no test_data_set_* folder") }
        let tolerance: TensorComparison.Tolerance
        do {
            tolerance = try readTolerance(dir, rtol: rtol, atol: atol)
        } catch {
            return .fail(error.description)
        }
        for set in sets {
            let setDir = FileSystem.join(dir, set)
            var inputs = [Tensor]()
            var expected = [Tensor]()
            do {
                var i = 0
                while FileSystem.exists(FileSystem.join(setDir, "input_\(i).pb")) {
                    inputs.append(try TensorProtoFile.read(path: FileSystem.join(setDir, "input_\(i).pb")).tensor)
                    i += 1
                }
                var j = 0
                while FileSystem.exists(FileSystem.join(setDir, "output_\(j).pb")) {
                    expected.append(try TensorProtoFile.read(path: FileSystem.join(setDir, "output_\(j).pb")).tensor)
                    j += 1
                }
            } catch {
                return classify(error, "\(set) data")
            }
            if inputs.count != session.inputs.count {
                return .fail("\(set) has \(inputs.count) input file(s), the model takes \(session.inputs.count)")
            }
            var outputs = [Tensor]()
            if let from = outputsFrom {
                let outDir = FileSystem.join(from, set)
                do {
                    var j = 0
                    while FileSystem.exists(FileSystem.join(outDir, "output_\(j).pb")) {
                        outputs.append(try TensorProtoFile.read(path: FileSystem.join(outDir, "output_\(j).pb")).tensor)
                        j += 1
                    }
                } catch {
                    return classify(error, "\(set) outputs from \(outDir)")
                }
                if outputs.isEmpty { return .fail("no outputs in \(outDir) (output_0.pb …)") }
            } else {
                do {
                    outputs = try session.run(inputs)
                } catch {
                    return classify(error, "\(set) run")
                }
            }
            if expected.count != outputs.count {
                return .fail("\(set) expects \(expected.count) output(s), the model produced \(outputs.count)")
            }
            for (j, e) in expected.enumerated() {
                if let problem = TensorComparison.compare(outputs[j], e, tolerance) {
                    return .fail("\(set) output \(j) '\(session.outputs[j].name)': \(problem)")
                }
            }
        }
        return .pass
    }

    /// A test folder's own tolerance (tolerance.txt), else the command line's.
    static func readTolerance(_ dir: String, rtol: Double, atol: Double) throws(OutpostError) -> TensorComparison.Tolerance {
        var t = TensorComparison.Tolerance(rtol: rtol, atol: atol)
        let path = FileSystem.join(dir, "tolerance.txt")
        guard FileSystem.exists(path) else { return t }
        let buffer = try Buffer(mappingFile: path)
        let text = String(decoding: UnsafeRawBufferPointer(start: buffer.base, count: buffer.byteCount), as: UTF8.self)
        for line in text.split(separator: "\n") {
            let trimmed = line.drop(while: { $0 == " " })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let parts = trimmed.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2 else { throw .io(path: path, reason: "expected 'KEY VALUE' lines, found '\(trimmed)'") }
            switch parts[0] {
            case "rel_l2":
                guard let v = parseDouble(String(parts[1])), v >= 0 else { throw .io(path: path, reason: "rel_l2 needs a number >= 0") }
                t.relL2 = v
            case "steps":
                guard let v = Int(String(parts[1])), v >= 0 else { throw .io(path: path, reason: "steps needs an integer >= 0") }
                t.integerSteps = v
            case "rtol":
                guard let v = parseDouble(String(parts[1])) else { throw .io(path: path, reason: "rtol needs a number") }
                t.rtol = v
            case "atol":
                guard let v = parseDouble(String(parts[1])) else { throw .io(path: path, reason: "atol needs a number") }
                t.atol = v
            default:
                throw .io(path: path, reason: "unknown key '\(parts[0])' (rel_l2, steps, rtol, atol)")
            }
        }
        return t
    }

    /// ONNX's light models: inputs are arange(n).reshape(shape) / n as float32
    /// (symbolic dimensions = 1), as onnx.backend.test.runner generates them;
    /// expected outputs sit beside the model as NAME_output_<j>.pb.
    static func runLightTest(_ path: String, _ session: Session, rtol: Double, atol: Double) -> Outcome {
        let prefix = String(path.dropLast(5))
        var inputs = [Tensor]()
        for input in session.inputs {
            guard input.dtype == .float32, let dims = input.shape else {
                return .skip("light-model input '\(input.name)' is not a float32 tensor with a declared shape")
            }
            var shape = [Int]()
            for d in dims {
                if case let .fixed(n) = d { shape.append(n) } else { shape.append(1) }
            }
            let t = Tensor(zeros: .float32, shape: shape)
            let n = t.count
            for i in 0..<n { t.floats[i] = Float(Double(i) / Double(n)) }
            inputs.append(t)
        }
        var expected = [Tensor]()
        do {
            for j in 0..<session.outputs.count {
                expected.append(try TensorProtoFile.read(path: "\(prefix)_output_\(j).pb").tensor)
            }
        } catch {
            return classify(error, "expected outputs")
        }
        let outputs: [Tensor]
        do {
            outputs = try session.run(inputs)
        } catch {
            return classify(error, "run")
        }
        for (j, e) in expected.enumerated() {
            if let problem = TensorComparison.compare(outputs[j], e, TensorComparison.Tolerance(rtol: rtol, atol: atol)) {
                return .fail("output \(j) '\(session.outputs[j].name)': \(problem)")
            }
        }
        return .pass
    }
}
