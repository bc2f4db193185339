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
}
