import Testing
@testable import OutpostRuntime

/// Builds one-node graphs and runs them through `Session`, for the tensor and
/// pooling operator tests.
enum OpKit {
    enum Operand {
        /// A graph input fed at run time.
        case input(Tensor)
        /// An initializer (known at planning).
        case constant(Tensor)
        /// An omitted optional input ("").
        case none
    }

    /// Runs `opType` on the operands; returns heap copies of the outputs.
    static func run(_ opType: String, _ operands: [Operand], _ attributes: [String: Attribute] = [:],
                    outputs: Int = 1, opset: Int = 19) throws(OutpostError) -> [Tensor] {
        let (session, feeds) = try build(opType, operands, attributes, outputs: outputs, opset: opset)
        var result = [Tensor]()
        for t in try session.run(feeds) { result.append(t.copy()) }
        return result
    }

    static func build(_ opType: String, _ operands: [Operand], _ attributes: [String: Attribute] = [:],
                      outputs: Int = 1, opset: Int = 19) throws(OutpostError) -> (Session, [Tensor]) {
        var names = [String]()
        var inputs = [ValueInfo]()
        var initializers = [String: Tensor]()
        var feeds = [Tensor]()
        for (i, operand) in operands.enumerated() {
            switch operand {
            case let .input(t):
                names.append("in\(i)")
                inputs.append(ValueInfo(name: "in\(i)", dtype: t.dtype, shape: t.shape.map { Dim.fixed($0) }))
                feeds.append(t)
            case let .constant(t):
                names.append("in\(i)")
                initializers["in\(i)"] = t
            case .none:
                names.append("")
            }
        }
        var outNames = [String]()
        for i in 0..<outputs { outNames.append("out\(i)") }
        let node = Node(name: "n", opType: opType, inputs: names, outputs: outNames, attributes: attributes)
        let graph = Graph(name: "test", nodes: [node], inputs: inputs,
                          outputs: outNames.map { ValueInfo(name: $0, dtype: nil, shape: nil) },
                          initializers: initializers)
        let session = try Session(model: Model(graph: graph, opsets: ["": opset]), options: SessionOptions(threads: 2))
        return (session, feeds)
    }

    static func floats(_ shape: [Int], _ values: [Float]) -> Tensor { Tensor(shape: shape, floats: values) }
    static func iota(_ shape: [Int]) -> Tensor {
        let n = Tensor.elementCount(shape)
        return Tensor(shape: shape, floats: (0..<n).map { Float($0) })
    }
    static func int64s(_ values: [Int], shape: [Int]? = nil) -> Tensor {
        Tensor(shape: shape ?? [values.count], int64s: values.map { Int64($0) })
    }
    /// A tensor of any dtype holding small integer values.
    static func typed(_ dtype: DType, _ shape: [Int], _ values: [Int]) -> Tensor {
        let t = Tensor(zeros: dtype, shape: shape)
        for (i, v) in values.enumerated() {
            switch dtype {
            case .float32: t.floats[i] = Float(v)
            case .float16: t.pointer(UInt16.self)[i] = Float16Bits.fromFloat(Float(v))
            case .int64: t.pointer(Int64.self)[i] = Int64(v)
            case .int32: t.pointer(Int32.self)[i] = Int32(v)
            case .int8: t.pointer(Int8.self)[i] = Int8(v)
            case .uint8, .bool: t.pointer(UInt8.self)[i] = UInt8(v)
            }
        }
        return t
    }
    static func ints(_ t: Tensor) -> [Int] { t.integerValues() }
    static func close(_ a: [Float], _ b: [Float], tol: Float = 1e-4) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where abs(a[i] - b[i]) > tol * max(1, abs(b[i])) { return false }
        return true
    }
}

@Suite struct TensorTestKitTests {
    @Test func identityRoundTrip() throws {
        let y = try OpKit.run("Identity", [.input(OpKit.iota([2, 3]))])
        #expect(y[0].shape == [2, 3])
        #expect(y[0].floatValues() == [0, 1, 2, 3, 4, 5])
    }
}
