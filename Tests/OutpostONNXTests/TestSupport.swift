import Foundation
import OutpostONNX
import OutpostRuntime

/// Paths and small helpers shared by the ONNX tests.
enum Fixtures {
    static let directory: String = {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        return here.appendingPathComponent("Fixtures").path
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    static func bytes(_ name: String) -> [UInt8] {
        Array(FileManager.default.contents(atPath: path(name)) ?? Data())
    }

    static func load(_ name: String) throws(OutpostError) -> Model {
        try ONNXLoader.load(path: path(name))
    }

    /// The error a load throws, or nil when it succeeds.
    static func loadError(_ name: String) -> OutpostError? {
        do {
            _ = try load(name)
            return nil
        } catch {
            return error
        }
    }
}

/// Loads a model from bytes in memory (no base directory).
func loadBytes(_ bytes: [UInt8]) throws(OutpostError) -> Model {
    let buffer = bytes.isEmpty ? Buffer(zeroedBytes: 0)
        : bytes.withUnsafeBytes { p in Buffer(copying: p.baseAddress!, count: p.count) }
    return try ONNXLoader.load(buffer: buffer, baseDirectory: nil)
}

extension OutpostError {
    var isMalformed: Bool { if case .malformedModel = self { return true } else { return false } }
    var isInvalid: Bool { if case .invalidModel = self { return true } else { return false } }
}

extension Tensor {
    func values<T>(_: T.Type) -> [T] {
        let p = raw.assumingMemoryBound(to: T.self)
        return (0..<count).map { p[$0] }
    }
}
