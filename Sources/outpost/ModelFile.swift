import OutpostONNX
import OutpostRuntime

/// Opens whatever the user points a command at as a model.
enum ModelFile {
    static func load(_ path: String) throws(OutpostError) -> Model {
        if FileSystem.isDirectory(path) {
            let inner = FileSystem.join(path, "model.onnx")
            if FileSystem.exists(inner) { return try ONNXLoader.load(path: inner) }
            throw .io(path: path, reason: "is a directory without model.onnx")
        }
        return try ONNXLoader.load(path: path)
    }

    /// Class names from `labels.txt` in the model's folder (one per line), if present.
    static func labels(besides path: String) -> [String] {
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
}
