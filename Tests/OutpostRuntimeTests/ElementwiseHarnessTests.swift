import Foundation
import Testing
@testable import OutpostRuntime

/// Builds one-node graphs and runs them through `Session` (shared by the
/// element-wise, reduction and normalisation tests).
enum ElementwiseHarness {
    enum Operand {
        case feed(Tensor)
        case constant(Tensor)
        case omitted
    }

    static func run(_ opType: String, _ operands: [Operand], attributes: [String: Attribute] = [:],
                    opset: Int = 17, outputs: Int = 1) throws -> [Tensor] {
        var inputNames = [String]()
        var graphInputs = [ValueInfo]()
        var initializers = [String: Tensor]()
        var feeds = [Tensor]()
        for (i, o) in operands.enumerated() {
            switch o {
            case let .feed(t):
                let name = "in\(i)"
                inputNames.append(name)
                graphInputs.append(ValueInfo(name: name, dtype: t.dtype, shape: t.shape.map { .fixed($0) }))
                feeds.append(t)
            case let .constant(t):
                let name = "c\(i)"
                inputNames.append(name)
                initializers[name] = t
            case .omitted:
                inputNames.append("")
            }
        }
        var outNames = [String]()
        for k in 0..<outputs { outNames.append("out\(k)") }
        let node = Node(name: "n", opType: opType, inputs: inputNames, outputs: outNames, attributes: attributes)
        let graph = Graph(name: "g", nodes: [node], inputs: graphInputs,
                          outputs: outNames.map { ValueInfo(name: $0, dtype: nil, shape: nil) },
                          initializers: initializers)
        let model = Model(graph: graph, opsets: ["": opset])
        let session = try Session(model: model)
        let results = try session.run(feeds)
        return results.map { $0.copy() }
    }

    static func f(_ shape: [Int], _ values: [Float]) -> Tensor { Tensor(shape: shape, floats: values) }

    static func i64(_ shape: [Int], _ values: [Int64]) -> Tensor { Tensor(shape: shape, int64s: values) }

    static func typed<T>(_ dtype: DType, _ shape: [Int], _ values: [T]) -> Tensor {
        let t = Tensor(zeros: dtype, shape: shape)
        let p = t.pointer(T.self)
        for (i, v) in values.enumerated() { p[i] = v }
        return t
    }

    static func i32(_ shape: [Int], _ values: [Int32]) -> Tensor { typed(.int32, shape, values) }
    static func i8(_ shape: [Int], _ values: [Int8]) -> Tensor { typed(.int8, shape, values) }
    static func u8(_ shape: [Int], _ values: [UInt8]) -> Tensor { typed(.uint8, shape, values) }
    static func bool(_ shape: [Int], _ values: [Bool]) -> Tensor { typed(.bool, shape, values.map { UInt8($0 ? 1 : 0) }) }

    static func values<T>(_ t: Tensor, _: T.Type) -> [T] {
        let p = t.pointer(T.self)
        return (0..<t.count).map { p[$0] }
    }

    /// Deterministic pseudo-random floats in [lo, hi).
    static func randoms(_ n: Int, seed: UInt64 = 1, _ lo: Float = -3, _ hi: Float = 3) -> [Float] {
        var s = seed &* 6364136223846793005 &+ 1442695040888963407
        var out = [Float]()
        for _ in 0..<n {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            let u = Float((s >> 40) & 0xFFFFFF) / Float(1 << 24)
            out.append(lo + (hi - lo) * u)
        }
        return out
    }

    /// Naive numpy broadcasting reference over flat arrays.
    static func broadcast<T, R>(_ a: [T], _ sa: [Int], _ b: [T], _ sb: [Int], _ f: (T, T) -> R) -> (shape: [Int], values: [R]) {
        let out = Broadcast.shape(sa, sb)!
        let ta = Broadcast.strides(of: sa, broadcastTo: out), tb = Broadcast.strides(of: sb, broadcastTo: out)
        let n = Tensor.elementCount(out)
        var values = [R]()
        for flat in 0..<n {
            var rem = flat, ia = 0, ib = 0
            for d in stride(from: out.count - 1, through: 0, by: -1) {
                let i = rem % out[d]
                rem /= out[d]
                ia += i * ta[d]
                ib += i * tb[d]
            }
            values.append(f(a[ia], b[ib]))
        }
        return (out, values)
    }

    static func close(_ a: [Float], _ b: [Float], rtol: Float = 1e-5, atol: Float = 1e-6) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count {
            if a[i].isNaN && b[i].isNaN { continue }
            if a[i] == b[i] { continue }
            if abs(a[i] - b[i]) > atol + rtol * abs(b[i]) { return false }
        }
        return true
    }
}

@Suite("Elementwise harness")
struct ElementwiseHarnessTests {
    @Test func broadcastReferenceMatchesNumpyShapes() {
        let r = ElementwiseHarness.broadcast([1, 2, 3] as [Float], [3], [10, 20] as [Float], [2, 1]) { $0 + $1 }
        #expect(r.shape == [2, 3])
        #expect(r.values == [11, 12, 13, 21, 22, 23])
    }
}
