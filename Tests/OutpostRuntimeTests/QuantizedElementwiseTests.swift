import Foundation
import Testing
@testable import OutpostRuntime

/// Builds and runs one-node graphs for the quantized operator tests (any domain).
enum QKit {
    enum Operand {
        case input(Tensor)
        case constant(Tensor)
        case none
    }

    static func run(_ opType: String, domain: String = "", _ operands: [Operand], _ attributes: [String: Attribute] = [:],
                    outputs: Int = 1, opset: Int = 21, threads: Int = 1) throws(OutpostError) -> [Tensor] {
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
        let outNames = (0..<outputs).map { "out\($0)" }
        let node = Node(name: "n", opType: opType, domain: domain, inputs: names, outputs: outNames, attributes: attributes)
        let graph = Graph(name: "test", nodes: [node], inputs: inputs,
                          outputs: outNames.map { ValueInfo(name: $0, dtype: nil, shape: nil) }, initializers: initializers)
        var opsets = ["": opset]
        if !domain.isEmpty { opsets[domain] = 1 }
        let session = try Session(model: Model(graph: graph, opsets: opsets),
                                  options: SessionOptions(threads: threads, optimize: false))
        var result = [Tensor]()
        for t in try session.run(feeds) { result.append(t.copy()) }
        return result
    }

    static func u8(_ v: [Int], _ shape: [Int]? = nil) -> Tensor { typed(.uint8, shape ?? [v.count], v) }
    static func s8(_ v: [Int], _ shape: [Int]? = nil) -> Tensor { typed(.int8, shape ?? [v.count], v) }
    static func i32(_ v: [Int], _ shape: [Int]? = nil) -> Tensor { typed(.int32, shape ?? [v.count], v) }
    static func f(_ v: [Float], _ shape: [Int]? = nil) -> Tensor { Tensor(shape: shape ?? [v.count], floats: v) }
    /// A scalar (shape []) scale.
    static func scale(_ v: Float) -> Tensor { Tensor(shape: [], floats: [v]) }
    static func zpU8(_ v: Int) -> Tensor { typed(.uint8, [], [v]) }
    static func zpS8(_ v: Int) -> Tensor { typed(.int8, [], [v]) }

    static func typed(_ dtype: DType, _ shape: [Int], _ values: [Int]) -> Tensor {
        let t = Tensor(zeros: dtype, shape: shape)
        for (i, v) in values.enumerated() {
            switch dtype {
            case .int32: t.pointer(Int32.self)[i] = Int32(v)
            case .int8: t.pointer(Int8.self)[i] = Int8(v)
            case .uint8: t.pointer(UInt8.self)[i] = UInt8(v)
            case .int64: t.pointer(Int64.self)[i] = Int64(v)
            default: t.floats[i] = Float(v)
            }
        }
        return t
    }
}

@Suite struct QuantizeLinearTests {
    @Test func perTensorUInt8() throws {
        let y = try QKit.run("QuantizeLinear", [.input(QKit.f([0, 1, 1.5, 2.5, -1, 1000, -3.25])), .constant(QKit.scale(0.5)),
                                                .constant(QKit.zpU8(128))])[0]
        #expect(y.dtype == .uint8)
        // x / 0.5 = 0, 2, 3, 5, -2, 2000, -6.5 -> +128, round half even (-6.5 -> -6), saturate
        #expect(y.integerValues() == [128, 130, 131, 133, 126, 255, 122])
    }

    @Test func perTensorInt8AndDefaultType() throws {
        let y = try QKit.run("QuantizeLinear", [.input(QKit.f([-300, -0.75, 0.75, 300])), .constant(QKit.scale(1)),
                                                .constant(QKit.zpS8(-1))])[0]
        #expect(y.dtype == .int8)
        #expect(y.integerValues() == [-128, -2, 0, 127])   // -0.75 -> -1 - 1; 0.75 -> 1 - 1
        // No zero point: uint8, zero point 0
        let z = try QKit.run("QuantizeLinear", [.input(QKit.f([-1, 0.5, 1.5, 7])), .constant(QKit.scale(1))])[0]
        #expect(z.dtype == .uint8)
        #expect(z.integerValues() == [0, 0, 2, 7])
        // output_dtype int8 without a zero point
        let w = try QKit.run("QuantizeLinear", [.input(QKit.f([-1, 2])), .constant(QKit.scale(1))],
                             ["output_dtype": .int(3)])[0]
        #expect(w.dtype == .int8 && w.integerValues() == [-1, 2])
    }

    @Test func perAxis() throws {
        // x [2, 3, 2] along axis 1: scales 1, 2, 4; zero points 0, 10, 20
        let x = QKit.f((0..<12).map { Float($0) }, [2, 3, 2])
        let y = try QKit.run("QuantizeLinear", [.input(x), .constant(QKit.f([1, 2, 4], [3])),
                                                .constant(QKit.u8([0, 10, 20], [3]))])[0]
        #expect(y.integerValues() == [0, 1, 11, 12, 21, 21, 6, 7, 14, 14, 22, 23])
        // axis -1 on [2, 2]: per column
        let z = try QKit.run("QuantizeLinear", [.input(QKit.f([1, 1, 3, 3], [2, 2])), .constant(QKit.f([1, 2], [2]))],
                             ["axis": .int(-1)])[0]
        #expect(z.integerValues() == [1, 0, 3, 2])   // 1/2 = 0.5 -> 0; 3/2 = 1.5 -> 2
    }

    @Test func runTimeScaleAndZeroPoint() throws {
        // Scale and zero point fed as inputs (as DynamicQuantizeLinear's outputs are).
        let y = try QKit.run("QuantizeLinear", [.input(QKit.f([1, 2, 3])), .input(QKit.scale(2)), .input(QKit.zpU8(5))])[0]
        #expect(y.integerValues() == [5, 6, 7])   // 0.5 -> 0, 1, 1.5 -> 2
    }

    @Test func unsupportedCases() {
        do {
            _ = try QKit.run("QuantizeLinear", [.input(QKit.f([1, 2, 3, 4], [2, 2])), .constant(QKit.f([1, 1], [2, 1])),
                                                .constant(QKit.u8([0, 0], [2, 1]))], ["axis": .int(1), "block_size": .int(2)])
            Issue.record("blocked quantization should be unsupported")
        } catch {
            guard case let .unsupportedAttribute(_, _, attribute, _) = error else { Issue.record("\(error)"); return }
            #expect(attribute == "block_size")
        }
        do {
            _ = try QKit.run("QuantizeLinear", [.input(QKit.f([1])), .constant(QKit.scale(1))], ["output_dtype": .int(5)])
            Issue.record("int16 output should be unsupported")
        } catch {
            guard case let .unsupportedDataType(tensor, dtype) = error else { Issue.record("\(error)"); return }
            #expect(dtype == "int16" && tensor.contains("QuantizeLinear"))
        }
    }
}

@Suite struct DequantizeLinearTests {
    @Test func perTensorAndPerAxis() throws {
        let y = try QKit.run("DequantizeLinear", [.input(QKit.u8([0, 3, 128, 255])), .constant(QKit.scale(2)),
                                                  .constant(QKit.zpU8(128))])[0]
        #expect(y.dtype == .float32 && y.floatValues() == [-256, -250, 0, 254])
        let s = try QKit.run("DequantizeLinear", [.input(QKit.s8([-128, 127, 0, 1], [2, 2])), .constant(QKit.f([0.5, 2], [2])),
                                                  .constant(QKit.s8([0, 1], [2]))], ["axis": .int(0)])[0]
        #expect(s.floatValues() == [-64, 63.5, -2, 0])
    }

    @Test func int32BiasAndFloat16Scale() throws {
        let y = try QKit.run("DequantizeLinear", [.input(QKit.i32([-1000, 7])), .constant(QKit.scale(0.25))])[0]
        #expect(y.floatValues() == [-250, 1.75])
        let h = Tensor(zeros: .float16, shape: [])
        h.pointer(UInt16.self)[0] = Float16Bits.fromFloat(0.5)
        let z = try QKit.run("DequantizeLinear", [.input(QKit.u8([1, 4])), .constant(h)])[0]
        #expect(z.dtype == .float16 && z.floatValues() == [0.5, 2])
    }
}

@Suite struct DynamicQuantizeLinearTests {
    @Test func specFormula() throws {
        // x in [-1, 2]: scale 3/255, zero point round(1 / (3/255)) = 85
        let out = try QKit.run("DynamicQuantizeLinear", [.input(QKit.f([-1, 0, 0.5, 2]))], outputs: 3, opset: 11)
        let scale: Float = 3.0 / 255
        #expect(out[1].shape == [] && out[1].floats[0] == scale)
        #expect(out[2].shape == [] && out[2].integerValues() == [85])
        #expect(out[0].integerValues() == [0, 85, 85 + Int((Float(0.5) / scale).rounded(.toNearestOrEven)), 255])
        // All positive: the range still includes 0 (zero point 0)
        let pos = try QKit.run("DynamicQuantizeLinear", [.input(QKit.f([1, 2, 5.1]))], outputs: 3, opset: 11)
        #expect(pos[2].integerValues() == [0] && pos[1].floats[0] == Float(5.1) / 255)
        // All zeros: scale 1/255, zero point 0
        let z = try QKit.run("DynamicQuantizeLinear", [.input(QKit.f([0, 0]))], outputs: 3, opset: 11)
        #expect(z[1].floats[0] == Float(1) / 255 && z[2].integerValues() == [0] && z[0].integerValues() == [0, 0])
    }
}

@Suite struct QLinearElementwiseTests {
    let ms = "com.microsoft"

    @Test func addSameShapeAndBroadcast() throws {
        // (a - 10) * 0.5 + (b - 20) * 0.25, c_scale 1, c zero point 5
        let a = QKit.u8([10, 13, 11, 255, 0, 12], [2, 3]), b = QKit.u8([20, 24, 28], [3])
        let y = try QKit.run("QLinearAdd", domain: ms, [.input(a), .constant(QKit.scale(0.5)), .constant(QKit.zpU8(10)),
                                                         .input(b), .constant(QKit.scale(0.25)), .constant(QKit.zpU8(20)),
                                                         .constant(QKit.scale(1)), .constant(QKit.zpU8(5))])[0]
        #expect(y.shape == [2, 3])
        // row 0: 0 + 0 -> 5; 1.5 + 1 = 2.5 -> 2 (half to even) -> 7; 0.5 + 2 = 2.5 -> 7
        // row 1: 122.5 + 0 -> 122 -> 127, -5 + 1 = -4 -> 1, 1 + 2 = 3 -> 8
        #expect(y.integerValues() == [5, 7, 7, 127, 1, 8])
    }

    @Test func mulInt8() throws {
        let a = QKit.s8([1, 2, 4, -128]), b = QKit.s8([5, 1, 0, 127])
        let y = try QKit.run("QLinearMul", domain: ms, [.input(a), .constant(QKit.scale(0.5)), .constant(QKit.zpS8(1)),
                                                         .input(b), .constant(QKit.scale(2)), .constant(QKit.zpS8(-2)),
                                                         .constant(QKit.scale(2)), .constant(QKit.zpS8(3))])[0]
        // (a - 1)(b + 2) * 0.5 * 2 / 2 + 3
        #expect(y.integerValues() == [3, 5, 6, -128])
    }

    /// An operand broadcast along the last axis (YOLO's score products, [.., 20] x
    /// [.., 1]: every row in one kernel call, ok_qbinary_rows_pool) gives the bytes of
    /// the same product with that operand expanded to the full shape, for both
    /// operand orders, u8 and s8, rows shorter and longer than a vector.
    @Test func innerAxisBroadcastMatchesExpandedOperand() throws {
        var seed: UInt32 = 99
        func next() -> Int { seed = seed &* 1_103_515_245 &+ 12345; return Int(seed >> 16) & 0xff }
        for (inner, s8) in [(5, false), (20, true), (37, false)] {
            let shape = [2, 3, inner]
            let av = (0..<(6 * inner)).map { _ in next() }, bv = (0..<6).map { _ in next() }
            let expanded = (0..<(6 * inner)).map { bv[$0 / inner] }
            func t(_ v: [Int], _ shape: [Int]) -> Tensor {
                s8 ? QKit.s8(v.map { $0 - 128 }, shape) : QKit.u8(v, shape)
            }
            func zp(_ z: Int) -> Tensor { s8 ? QKit.zpS8(z - 128) : QKit.zpU8(z) }
            for bFirst in [false, true] {
                func run(_ b: Tensor) throws -> [Int] {
                    let x: [QKit.Operand] = [.input(t(av, shape)), .constant(QKit.scale(0.02)), .constant(zp(120))]
                    let y: [QKit.Operand] = [.input(b), .constant(QKit.scale(0.05)), .constant(zp(7))]
                    let out: [QKit.Operand] = [.constant(QKit.scale(0.1)), .constant(zp(100))]
                    return try QKit.run("QLinearMul", domain: ms, (bFirst ? y + x : x + y) + out)[0].integerValues()
                }
                let broadcast = try run(t(bv, [2, 3, 1])), full = try run(t(expanded, shape))
                #expect(broadcast == full, "inner \(inner) s8 \(s8) b first \(bFirst)")
            }
        }
    }

    /// A constant operand broadcast over short rows is expanded at planning (one kernel
    /// call per run): same bytes as the per-row walk it replaces (operand as an input),
    /// either side, Add and Mul, u8 and s8.
    @Test func constantBroadcastOperandExpandedAtPlanning() throws {
        var state: UInt32 = 5
        func next() -> Int { state = state &* 1664525 &+ 1013904223; return Int(state >> 24) }
        for (op, signed) in [("QLinearMul", false), ("QLinearAdd", true), ("QLinearMul", true), ("QLinearAdd", false)] {
            let t: DType = signed ? .int8 : .uint8
            let big = QKit.typed(t, [2, 3, 5, 2], (0..<60).map { _ in signed ? next() - 128 : next() })
            let small = QKit.typed(t, [1, 3, 1, 2], (0..<6).map { _ in signed ? next() - 128 : next() })
            let zp = { (v: Int) -> Tensor in QKit.typed(t, [], [signed ? v - 128 : v]) }
            for constantFirst in [false, true] {
                func operands(_ constant: Bool) -> [QKit.Operand] {
                    let s: QKit.Operand = constant ? .constant(small) : .input(small)
                    let x: [QKit.Operand] = [.input(big), .constant(QKit.scale(0.05)), .constant(zp(120))]
                    let y: [QKit.Operand] = [s, .constant(QKit.scale(0.02)), .constant(zp(3))]
                    return (constantFirst ? y + x : x + y) + [.constant(QKit.scale(0.04)), .constant(zp(100))]
                }
                let fused = try QKit.run(op, domain: ms, operands(true))[0]
                let walked = try QKit.run(op, domain: ms, operands(false))[0]
                #expect(fused.shape == [2, 3, 5, 2])
                #expect(fused.integerValues() == walked.integerValues(), "\(op) signed=\(signed) constantFirst=\(constantFirst)")
            }
        }
    }

    @Test func sigmoidAndLeakyRelu() throws {
        let x = QKit.u8([0, 100, 128, 200, 255])
        let s = try QKit.run("QLinearSigmoid", domain: ms, [.input(x), .constant(QKit.scale(0.1)), .constant(QKit.zpU8(128)),
                                                             .constant(QKit.scale(1.0 / 256)), .constant(QKit.zpU8(0))])[0]
        func sig(_ q: Int) -> Int {
            let v = 1 / (1 + expf(-Float(q - 128) * 0.1))
            return min(255, Int((v * 256).rounded(.toNearestOrEven)))
        }
        #expect(s.integerValues() == [sig(0), sig(100), 128, sig(200), sig(255)])
        let l = try QKit.run("QLinearLeakyRelu", domain: ms, [.input(x), .constant(QKit.scale(1)), .constant(QKit.zpU8(128)),
                                                               .constant(QKit.scale(1)), .constant(QKit.zpU8(128))],
                             ["alpha": .float(0.25)])[0]
        // (q - 128) < 0 -> * 0.25: -128 -> -32 -> 96; -28 -> -7 -> 121
        #expect(l.integerValues() == [96, 121, 128, 200, 255])
    }

    @Test func softmaxAxisSemantics() throws {
        // [2, 2] input, x scale ln(3) so a difference of 1 step is a factor of 3.
        let x = QKit.u8([1, 2, 5, 5], [2, 2])
        let operands: [QKit.Operand] = [.input(x), .constant(QKit.scale(1.0986123)), .constant(QKit.zpU8(0)),
                                        .constant(QKit.scale(1.0 / 256)), .constant(QKit.zpU8(0))]
        let y13 = try QKit.run("QLinearSoftmax", domain: ms, operands, ["opset": .int(13)])[0]
        // rows: [1/4, 3/4] -> 64, 192; [1/2, 1/2] -> 128, 128
        #expect(y13.integerValues() == [64, 192, 128, 128])
        // opset 12 with axis 0: the whole tensor is one row: 3^-4, 3^-3, 1, 1 over their sum
        let y12 = try QKit.run("QLinearSoftmax", domain: ms, operands, ["opset": .int(12), "axis": .int(0)])[0]
        let e: [Float] = [1.0 / 81, 1.0 / 27, 1, 1]
        let sum = e.reduce(0, +)
        #expect(y12.integerValues() == e.map { Int(($0 / sum * 256).rounded(.toNearestOrEven)) })
    }

    @Test func globalAveragePoolBothLayouts() throws {
        // [1, 2, 2, 2] NCHW: channel sums 1+2+3+4 = 10, 8*4 = 32; x zp 0, scales 1 -> means 2.5 -> 2, 8
        let x = QKit.u8([1, 2, 3, 4, 8, 8, 8, 8], [1, 2, 2, 2])
        let ops: [QKit.Operand] = [.input(x), .constant(QKit.scale(1)), .constant(QKit.zpU8(0)),
                                   .constant(QKit.scale(1)), .constant(QKit.zpU8(0))]
        let y = try QKit.run("QLinearGlobalAveragePool", domain: ms, ops)[0]
        #expect(y.shape == [1, 2, 1, 1] && y.integerValues() == [2, 8])
        // Same bytes read as NHWC [1, 2, 2, 2]: channel 0 = 1, 3, 8, 8 (mean 5); channel 1 = 2, 4, 8, 8 (5.5 -> 6)
        let z = try QKit.run("QLinearGlobalAveragePool", domain: ms, ops, ["channels_last": .int(1)])[0]
        #expect(z.shape == [1, 1, 1, 2] && z.integerValues() == [5, 6])
    }

    @Test func concatRequantizes() throws {
        // Output scale 1, zp 0; input a already in those parameters (copied), b with scale 2 zp 10.
        let a = QKit.u8([1, 2, 3, 4], [2, 2]), b = QKit.u8([10, 11, 20, 255], [2, 2])
        let y = try QKit.run("QLinearConcat", domain: ms, [.constant(QKit.scale(1)), .constant(QKit.zpU8(0)),
                                                            .input(a), .constant(QKit.scale(1)), .constant(QKit.zpU8(0)),
                                                            .input(b), .constant(QKit.scale(2)), .constant(QKit.zpU8(10))],
                             ["axis": .int(1)])[0]
        #expect(y.shape == [2, 4])
        #expect(y.integerValues() == [1, 2, 0, 2, 3, 4, 20, 255])
        // The same with the scales and zero points as run-time inputs (tables built per
        // run instead of at planning), and with only b's parameters constant.
        let z = try QKit.run("QLinearConcat", domain: ms, [.input(QKit.scale(1)), .input(QKit.zpU8(0)),
                                                            .input(a), .input(QKit.scale(1)), .input(QKit.zpU8(0)),
                                                            .input(b), .input(QKit.scale(2)), .input(QKit.zpU8(10))],
                             ["axis": .int(1)])[0]
        #expect(z.integerValues() == [1, 2, 0, 2, 3, 4, 20, 255])
        let w = try QKit.run("QLinearConcat", domain: ms, [.constant(QKit.scale(1)), .constant(QKit.zpU8(0)),
                                                            .input(a), .input(QKit.scale(1)), .input(QKit.zpU8(0)),
                                                            .input(b), .constant(QKit.scale(2)), .constant(QKit.zpU8(10))],
                             ["axis": .int(1)])[0]
        #expect(w.integerValues() == [1, 2, 0, 2, 3, 4, 20, 255])
    }
}
