/// One operator application in the graph. Input names may be "" for an omitted
/// optional input (ONNX convention).
public struct Node {
    /// The fields live in one copy-on-write box: a Node is copied far more often than
    /// changed (operators keep theirs, passes read nodes out of the graph), and a
    /// copy of the box is one retain where six fields were six (and 72 bytes moved
    /// through memory). Setters copy the box first when it is shared, so a Node
    /// keeps value semantics.
    final class Storage {
        var name: String
        var opType: String
        var domain: String
        var inputs: [String]
        var outputs: [String]
        var attributes: [String: Attribute]

        init(name: String, opType: String, domain: String, inputs: [String], outputs: [String],
             attributes: [String: Attribute]) {
            self.name = name
            self.opType = opType
            self.domain = domain
            self.inputs = inputs
            self.outputs = outputs
            self.attributes = attributes
        }

        @inline(never)
        func copy() -> Storage {
            Storage(name: name, opType: opType, domain: domain, inputs: inputs, outputs: outputs, attributes: attributes)
        }
    }

    private var storage: Storage

    /// Called before every change: a box shared with another Node is copied first.
    private mutating func unique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    public var name: String {
        get { storage.name }
        set { unique(); storage.name = newValue }
    }
    public var opType: String {
        get { storage.opType }
        set { unique(); storage.opType = newValue }
    }
    /// "" for the default ONNX domain (also written "ai.onnx").
    public var domain: String {
        get { storage.domain }
        set { unique(); storage.domain = newValue }
    }
    public var inputs: [String] {
        get { storage.inputs }
        _modify { unique(); yield &storage.inputs }
    }
    public var outputs: [String] {
        get { storage.outputs }
        _modify { unique(); yield &storage.outputs }
    }
    public var attributes: [String: Attribute] {
        get { storage.attributes }
        _modify { unique(); yield &storage.attributes }
    }

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [String: Attribute] = [:]) {
        storage = Storage(name: name, opType: opType, domain: domain == "ai.onnx" ? "" : domain,
                          inputs: inputs, outputs: outputs, attributes: attributes)
    }

    /// A name for messages: the node's name, or its first output when unnamed.
    public var displayName: String {
        if !name.isEmpty { return name }
        return outputs.first ?? opType
    }

    // Typed attribute access with defaults. Wrong kinds are model errors.

    public func int(_ key: String, default value: Int) throws(OutpostError) -> Int {
        guard let a = attributes[key] else { return value }
        if case let .int(v) = a { return v }
        throw wrongKind(key, "int", a)
    }

    public func int(_ key: String) throws(OutpostError) -> Int? {
        guard let a = attributes[key] else { return nil }
        if case let .int(v) = a { return v }
        throw wrongKind(key, "int", a)
    }

    public func float(_ key: String, default value: Float) throws(OutpostError) -> Float {
        guard let a = attributes[key] else { return value }
        if case let .float(v) = a { return v }
        if case let .int(v) = a { return Float(v) }
        throw wrongKind(key, "float", a)
    }

    public func float(_ key: String) throws(OutpostError) -> Float? {
        guard let a = attributes[key] else { return nil }
        if case let .float(v) = a { return v }
        throw wrongKind(key, "float", a)
    }

    public func string(_ key: String, default value: String) throws(OutpostError) -> String {
        guard let a = attributes[key] else { return value }
        if case let .string(v) = a { return v }
        throw wrongKind(key, "string", a)
    }

    public func ints(_ key: String) throws(OutpostError) -> [Int]? {
        guard let a = attributes[key] else { return nil }
        if case let .ints(v) = a { return v }
        throw wrongKind(key, "ints", a)
    }

    public func floats(_ key: String) throws(OutpostError) -> [Float]? {
        guard let a = attributes[key] else { return nil }
        if case let .floats(v) = a { return v }
        throw wrongKind(key, "floats", a)
    }

    public func strings(_ key: String) throws(OutpostError) -> [String]? {
        guard let a = attributes[key] else { return nil }
        if case let .strings(v) = a { return v }
        throw wrongKind(key, "strings", a)
    }

    public func tensor(_ key: String) throws(OutpostError) -> Tensor? {
        guard let a = attributes[key] else { return nil }
        if case let .tensor(v) = a { return v }
        throw wrongKind(key, "tensor", a)
    }

    private func wrongKind(_ key: String, _ expected: String, _ found: Attribute) -> OutpostError {
        .invalidModel(String(outlined: "attribute '\(key)' of \(opType) node '\(displayName)' should be \(expected), found \(found.kindName)"))
    }

    /// Error helpers so operators report problems uniformly.
    public func unsupported(_ attribute: String, _ reason: OutlinedString) -> OutpostError {
        .unsupportedAttribute(node: displayName, op: opType, attribute: attribute, reason: reason.text)
    }

    /// `operand` must be known at planning but is not (see `OutpostError.operandNotConstant`).
    public func notConstant(_ operand: String) -> OutpostError {
        .operandNotConstant(node: displayName, op: opType, operand: operand)
    }

    /// The reasons are `OutlinedString`: written like interpolated strings, built out of line.
    public func shapeError(_ reason: OutlinedString) -> OutpostError {
        .shapeMismatch(node: displayName, op: opType, reason: reason.text)
    }

    public func invalid(_ reason: OutlinedString) -> OutpostError {
        .invalidModel(String(outlined: "\(opType) node '\(displayName)': \(reason.text)"))
    }
}
