import Foundation
import Testing
import OutpostONNX
import OutpostRuntime

/// Loads every model of onnx's backend node tests (shipped in the onnx 1.22 wheel)
/// and its test_data_set_0 tensors. Skips when the folder is not found; set
/// OUTPOST_ONNX_NODE_TESTS to point at `.../onnx/backend/test/data/node`.
@Suite("ONNXNodeTestData")
struct NodeTestDataTests {
    static func nodeTestDirectory() -> String? {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["OUTPOST_ONNX_NODE_TESTS"], fm.fileExists(atPath: env) {
            return env
        }
        var roots = ["/usr/lib/python3/dist-packages", "/usr/local/lib"]
        let home = fm.homeDirectoryForCurrentUser.path
        for base in [home + "/.pyenv/versions", "/root/.pyenv/versions"] {
            for v in (try? fm.contentsOfDirectory(atPath: base)) ?? [] { roots.append(base + "/" + v + "/lib") }
        }
        roots.append("/usr/lib")
        for root in roots {
            var candidates = [root + "/onnx"]
            for py in (try? fm.contentsOfDirectory(atPath: root)) ?? [] where py.hasPrefix("python3") {
                candidates.append(root + "/" + py + "/site-packages/onnx")
                candidates.append(root + "/" + py + "/dist-packages/onnx")
            }
            for c in candidates {
                let node = c + "/backend/test/data/node"
                if fm.fileExists(atPath: node) { return node }
            }
        }
        return nil
    }

    @Test func loadAllNodeTestModels() throws {
        guard let dir = Self.nodeTestDirectory() else {
            print("ONNX node test data not found: skipped")
            return
        }
        let cases = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        var loaded = 0
        var failures = [String: [String]]()
        var tensorFiles = 0
        var tensorFailures = [String: Int]()
        for c in cases {
            let path = dir + "/" + c + "/model.onnx"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            do {
                _ = try ONNXLoader.load(path: path)
                loaded += 1
            } catch {
                failures[Self.reason(error), default: []].append(c)
            }
            let data = dir + "/" + c + "/test_data_set_0"
            for f in ((try? FileManager.default.contentsOfDirectory(atPath: data)) ?? []) where f.hasSuffix(".pb") {
                tensorFiles += 1
                do {
                    _ = try TensorProtoFile.read(path: data + "/" + f)
                } catch {
                    tensorFailures[Self.reason(error), default: 0] += 1
                    // Sequence/optional tests store SequenceProto/OptionalProto files,
                    // which do not decode as TensorProto: that is expected.
                    let nonTensor = c.contains("seq") || c.contains("optional") || c.hasSuffix("_opt")
                    #expect(!Self.reason(error).hasPrefix("malformed") || nonTensor, "\(c)/\(f): \(error.description)")
                }
            }
        }
        let total = loaded + failures.values.reduce(0) { $0 + $1.count }
        print("ONNX node tests: \(loaded)/\(total) models load")
        for (reason, names) in failures.sorted(by: { $0.value.count > $1.value.count }) {
            print("  \(names.count) × \(reason): \(names.prefix(4).joined(separator: ", "))\(names.count > 4 ? ", ..." : "")")
        }
        print("  tensor files: \(tensorFiles - tensorFailures.values.reduce(0, +))/\(tensorFiles) decode")
        for (reason, n) in tensorFailures.sorted(by: { $0.value > $1.value }) { print("    \(n) × \(reason)") }
        #expect(total > 1000)
        // Every failure must be one of the documented refusals, never a malformed-bytes
        // error (onnx's own files are well-formed).
        for reason in failures.keys { #expect(!reason.hasPrefix("malformed"), "\(reason): \(failures[reason]!)") }
    }

    /// The other backend model sets of the wheel: simple, pytorch-converted,
    /// pytorch-operator (model.onnx per case) and light (model-zoo graphs).
    @Test func loadOtherBackendModels() throws {
        guard let node = Self.nodeTestDirectory() else { return }
        let data = (node as NSString).deletingLastPathComponent
        let fm = FileManager.default
        var paths = [String]()
        for set in ["simple", "pytorch-converted", "pytorch-operator"] {
            for c in ((try? fm.contentsOfDirectory(atPath: data + "/" + set)) ?? []).sorted() {
                let p = data + "/" + set + "/" + c + "/model.onnx"
                if fm.fileExists(atPath: p) { paths.append(p) }
            }
        }
        for f in ((try? fm.contentsOfDirectory(atPath: data + "/light")) ?? []).sorted() where f.hasSuffix(".onnx") {
            paths.append(data + "/light/" + f)
        }
        var loaded = 0
        var failures = [String: [String]]()
        for p in paths {
            do {
                _ = try ONNXLoader.load(path: p)
                loaded += 1
            } catch {
                let short = p.dropFirst(data.count + 1)
                failures[Self.reason(error), default: []].append(String(short))
            }
        }
        print("ONNX backend model sets (simple, pytorch-*, light): \(loaded)/\(paths.count) models load")
        for (reason, names) in failures.sorted(by: { $0.value.count > $1.value.count }) {
            print("  \(names.count) × \(reason): \(names.prefix(4).joined(separator: ", "))")
        }
        for reason in failures.keys { #expect(!reason.hasPrefix("malformed"), "\(reason): \(failures[reason]!)") }
    }

    /// Groups errors: the error kind plus the data type / the problem, without names.
    static func reason(_ e: OutpostError) -> String {
        switch e {
        case let .unsupportedDataType(_, dtype): return "unsupported data type \(dtype)"
        case let .unsupportedAttribute(_, _, attribute, reason): return "unsupported attribute \(attribute): \(reason)"
        case let .unsupportedOperator(op, domain, _, _): return "unsupported operator \(domain)::\(op)"
        case let .malformedModel(m): return "malformed: \(m)"
        case let .invalidModel(m): return "invalid: \(m)"
        default: return e.description
        }
    }
}
