/// Every failure Outpost reports. Each case carries what a user needs to fix the
/// problem; `description` is the one-line message the CLI prints.
public indirect enum OutpostError: Error {
    /// A file could not be read or written (path, reason from the OS).
    case io(path: String, reason: String)
    /// The model bytes do not decode (truncated, bad wire type, bad lengths...).
    case malformedModel(String)
    /// The model decodes but is not a valid graph (dangling names, cycles, bad attributes...).
    case invalidModel(String)
    /// An operator (domain, type, opset) that Outpost does not implement.
    case unsupportedOperator(op: String, domain: String, opset: Int, node: String)
    /// A tensor whose element type Outpost does not support.
    case unsupportedDataType(tensor: String, dtype: String)
    /// An attribute value or combination that Outpost does not implement.
    case unsupportedAttribute(node: String, op: String, attribute: String, reason: String)
    /// An operand that decides output shapes (Reshape's shape, Slice's starts,
    /// a reduction's axes...) is not known at planning. The session then plans
    /// again with the values of small model inputs (see `Session`).
    case operandNotConstant(node: String, op: String, operand: String)
    /// Shapes or types that do not fit an operator.
    case shapeMismatch(node: String, op: String, reason: String)
    /// Inputs given to a run do not match the model (names, count, dtypes, shapes).
    case inputMismatch(String)
    /// A run-time failure inside an operator (index out of range, out of memory...).
    case execution(node: String, op: String, reason: String)
    /// Wrong command-line usage.
    case usage(String)

    public var description: String {
        switch self {
        case let .io(path, reason): return String(outlined: "\(path): \(reason)")
        case let .malformedModel(m): return String(outlined: "malformed model: \(m)")
        case let .invalidModel(m): return String(outlined: "invalid model: \(m)")
        case let .unsupportedOperator(op, domain, opset, node):
            let d = domain.isEmpty ? "ai.onnx" : domain
            return String(outlined: "unsupported operator \(d)::\(op) (opset \(opset)) in node '\(node)'")
        case let .unsupportedDataType(tensor, dtype):
            return String(outlined: "unsupported data type \(dtype) of tensor '\(tensor)'")
        case let .unsupportedAttribute(node, op, attribute, reason):
            return String(outlined: "unsupported attribute \(attribute) of \(op) node '\(node)': \(reason)")
        case let .operandNotConstant(node, op, operand):
            return String(outlined: "\(op) node '\(node)': \(operand) must be known before running (a constant, or computed from static shapes)")
        case let .shapeMismatch(node, op, reason):
            return String(outlined: "shape error in \(op) node '\(node)': \(reason)")
        case let .inputMismatch(m): return String(outlined: "input mismatch: \(m)")
        case let .execution(node, op, reason): return String(outlined: "\(op) node '\(node)' failed: \(reason)")
        case let .usage(m): return m
        }
    }
}
