/// One dimension of a declared (graph input/output) shape.
public enum Dim: Equatable {
    case fixed(Int)
    /// A named symbolic dimension such as "batch" or "N".
    case symbolic(String)
    case unknown

    public var description: String {
        switch self {
        case let .fixed(n): return String(n)
        case let .symbolic(s): return s
        case .unknown: return "?"
        }
    }
}

/// Declared name, type and shape of a graph value (inputs, outputs, value_info).
public struct ValueInfo {
    public var name: String
    /// nil when the model does not say (or the type is not a tensor).
    public var dtype: DType?
    /// The raw ONNX element type code (kept to name unsupported types in errors).
    public var onnxType: Int
    /// nil when the model declares no shape (any rank).
    public var shape: [Dim]?

    public init(name: String, dtype: DType?, onnxType: Int = 0, shape: [Dim]?) {
        self.name = name
        self.dtype = dtype
        self.onnxType = dtype?.rawValue ?? onnxType
        self.shape = shape
    }

    /// "float32[N, 3, 224, 224]"
    public var typeDescription: String {
        let t = dtype?.name ?? DType.onnxName(onnxType)
        guard let shape else { return String(outlined: "\(t)[*]") }
        var s = t + "["
        for (i, d) in shape.enumerated() {
            if i > 0 { s += ", " }
            s += d.description
        }
        return s + "]"
    }

    /// The declared shape with every dimension fixed, or nil.
    public var staticShape: [Int]? {
        guard let shape else { return nil }
        var out = [Int]()
        for d in shape {
            guard case let .fixed(n) = d else { return nil }
            out.append(n)
        }
        return out
    }
}
