import OutpostRuntime

/// Loads ONNX models into Outpost's graph IR. (Filled in by the ONNX loading work.)
public enum ONNXLoader {}
