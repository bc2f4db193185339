import COutpostSystem
import OutpostONNX
import OutpostPackage
import OutpostRuntime

/// Opens whatever the user points a command at as a model: an ONNX file, a
/// folder holding model.onnx, or a signed package (recognised by its magic).
/// A package is verified before use (signature by a trusted key, blob digests,
/// requirements); the keys come from --trusted-key or, if none is given, from
/// OUTPOST_TRUSTED_KEYS (colon-separated .pub paths). The golden self-test is
/// `outpost package verify`'s job, not every run's.
package enum ModelFile {
    package static let trustedKeyOption = (name: "--trusted-key FILE", help: "Public key (.pub) a package must be signed with (repeatable; default: OUTPOST_TRUSTED_KEYS).")

    package static func load(_ path: String, trustedKeys: [String] = []) throws(OutpostError) -> Model {
        if FileSystem.isDirectory(path) {
            let inner = FileSystem.join(path, "model.onnx")
            if FileSystem.exists(inner) { return try ONNXLoader.load(path: inner) }
            throw .io(path: path, reason: "is a directory without model.onnx")
        }
        if ModelPackage.isPackage(path: path) { return try loadPackage(path, trustedKeys: trustedKeys) }
        return try ONNXLoader.load(path: path)
    }

    package static func loadPackage(_ path: String, trustedKeys paths: [String]) throws(OutpostError) -> Model {
        let package = try openPackage(path, trustedKeys: paths)
        do { return try package.loadModel() } catch {
            if case let .runtime(inner) = error { throw inner }
            throw .io(path: path, reason: "package refused: " + error.description)
        }
    }

    package static func openPackage(_ path: String, trustedKeys paths: [String]) throws(OutpostError) -> ModelPackage {
        let keys: [PublicKey]
        do { keys = try trustedKeys(paths) } catch { throw .io(path: path, reason: error.description) }
        if keys.isEmpty {
            throw .usage(String(outlined: "\(path) is a signed package: give the publisher's key with --trusted-key PUB (or set OUTPOST_TRUSTED_KEYS)"))
        }
        do {
            return try ModelPackage.open(path: path, policy: VerificationPolicy(trustedKeys: keys))
        } catch {
            if case let .runtime(inner) = error { throw inner }
            throw .io(path: path, reason: "package refused: " + error.description)
        }
    }

    /// Class names from `labels.txt` in the model's folder (one per line), if present.
    package static func labels(besides path: String) -> [String] {
        var dir = path
        if !FileSystem.isDirectory(path) {
            if let slash = path.lastIndex(of: "/") { dir = String(path[path.startIndex..<slash]) } else { dir = "." }
        }
        let file = FileSystem.join(dir, "labels.txt")
        guard FileSystem.exists(file), let buffer = try? Buffer(mappingFile: file) else { return [] }
        let text = String(decoding: UnsafeRawBufferPointer(start: buffer.base, count: buffer.byteCount), as: UTF8.self)
        var out = [String]()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { out.append(String(line)) }
        while out.last == "" { out.removeLast() }
        return out
    }

    /// Public keys from --trusted-key options, else OUTPOST_TRUSTED_KEYS.
    package static func trustedKeys(_ paths: [String]) throws(PackageError) -> [PublicKey] {
        var list = paths
        if list.isEmpty, let env = Environment.get("OUTPOST_TRUSTED_KEYS") {
            for p in env.split(separator: ":") where !p.isEmpty { list.append(String(p)) }
        }
        var keys = [PublicKey]()
        for p in list { keys.append(try PublicKey.read(path: p)) }
        return keys
    }
}

package enum Environment {
    package static func get(_ name: String) -> String? {
        guard let v = name.withCString({ op_getenv($0) }) else { return nil }
        return String(cString: v)
    }
}
