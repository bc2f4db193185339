import Foundation
import OutpostJSON
import OutpostONNX
@testable import OutpostPackage
import OutpostRuntime

/// A signed package of models/tiny, built once, and helpers to tamper with it.
enum Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var tinyModel: String { root.appendingPathComponent("models/tiny/model.onnx").path }
    static var tinyDir: String { root.appendingPathComponent("models/tiny").path }

    static let keyA = try! PrivateKey(seed: Array(repeating: 0xa1, count: 32))
    static let keyB = try! PrivateKey(seed: Array(repeating: 0xb2, count: 32))

    static let modelBytes: [UInt8] = try! FileIO.read(tinyModel)
    static let reference: [[Tensor]] = try! ReferenceData.load(directory: tinyDir, inputCount: 1)

    static func options(release: Int = 5) -> PackageBuildOptions {
        var o = PackageBuildOptions(name: "tiny", version: "1.2.0", release: release)
        o.createdAt = "2026-11-28T04:00:00Z"
        try! o.lineage.set("parent_version=1.1.0")
        try! o.lineage.set("training_data=s3://data/colours-v3")
        try! o.lineage.set("training_data_sha256=" + String(repeating: "ab", count: 32))
        try! o.lineage.set("code_ref=git:4f2a9c1")
        try! o.lineage.set("quantization=none")
        try! o.lineage.set("metric.accuracy=0.975")
        try! o.lineage.set("owner=vision-team")
        return o
    }

    /// The good package (bytes) and its manifest.
    static let good: (bytes: [UInt8], manifest: Manifest) = try! PackageBuilder.build(
        model: modelBytes, reference: reference, options: options(), key: keyA)

    static func buffer(_ bytes: [UInt8]) -> Buffer {
        bytes.withUnsafeBytes { Buffer(copying: $0.baseAddress!, count: $0.count) }
    }

    static func open(_ bytes: [UInt8], keys: [PublicKey] = [keyA.publicKey], minRelease: Int? = nil) throws -> ModelPackage {
        try ModelPackage.open(buffer: buffer(bytes), policy: VerificationPolicy(trustedKeys: keys, minimumRelease: minRelease))
    }

    /// The error `open` throws (nil if it succeeds).
    static func rejection(_ bytes: [UInt8], keys: [PublicKey] = [keyA.publicKey], minRelease: Int? = nil) -> PackageError? {
        do {
            _ = try open(bytes, keys: keys, minRelease: minRelease)
            return nil
        } catch {
            return error as? PackageError
        }
    }

    static func layout(_ bytes: [UInt8]) -> ContainerLayout {
        try! bytes.withUnsafeBytes { try ContainerLayout.parse($0) }
    }

    /// Data section and blob list of the good package, to re-assemble variants.
    static var goodData: [UInt8] {
        let l = layout(good.bytes)
        return Array(good.bytes[l.dataOffset...])
    }

    /// Re-signs a modified manifest over the good data section.
    static func resigned(_ manifest: Manifest, key: PrivateKey? = keyA, data: [UInt8]? = nil) throws -> [UInt8] {
        try PackageWriter.assemble(manifestBytes: manifest.encoded(), data: data ?? goodData, key: key)
    }
}
