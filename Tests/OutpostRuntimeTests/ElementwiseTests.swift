import CKernels
import Foundation
import Testing
@testable import OutpostRuntime

private typealias H = ElementwiseHarness

@Suite("Elementwise operators")
struct ElementwiseTests {
    // ---- unary -----------------------------------------------------------------

    static let unaryCases: [(String, [String: Attribute], (Double) -> Double)] = [
        ("Relu", [:], { max($0, 0) }),
        ("LeakyRelu", ["alpha": .float(0.1)], { $0 >= 0 ? $0 : 0.1 * $0 }),
        ("Sigmoid", [:], { 1 / (1 + exp(-$0)) }),
        ("HardSigmoid", [:], { min(max(0.2 * $0 + 0.5, 0), 1) }),
        ("HardSwish", [:], { $0 * min(max($0 / 6 + 0.5, 0), 1) }),
        ("Tanh", [:], { tanh($0) }),
        ("Exp", [:], { exp($0) }),
        ("Abs", [:], { abs($0) }),
        ("Neg", [:], { -$0 }),
        ("Erf", [:], { erf($0) }),
        ("Gelu", [:], { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }),
        ("Gelu", ["approximate": .string("tanh")], { 0.5 * $0 * (1 + tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }),
        ("Softplus", [:], { log(1 + exp($0)) }),
        ("Elu", ["alpha": .float(2)], { $0 > 0 ? $0 : 2 * (exp($0) - 1) }),
        ("Selu", [:], { $0 > 0 ? 1.0507009873554805 * $0 : 1.0507009873554805 * 1.6732632423543772 * (exp($0) - 1) }),
        ("Floor", [:], { floor($0) }),
        ("Ceil", [:], { ceil($0) }),
        ("Sign", [:], { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }),
        ("Sin", [:], { sin($0) }),
        ("Cos", [:], { cos($0) }),
    ]

    @Test(arguments: 0..<unaryCases.count)
    func unaryFloatMatchesReference(_ index: Int) throws {
        let (op, attrs, ref) = Self.unaryCases[index]
        let xs = H.randoms(301, seed: UInt64(index) + 7, -6, 6) + [0, -0.5, 0.5, 1.5, 2.5]
        let out = try H.run(op, [.feed(H.f([xs.count], xs))], attributes: attrs)
        let expected = xs.map { Float(ref(Double($0))) }
        #expect(H.close(out[0].floatValues(), expected, rtol: 1e-5, atol: 1e-6), "\(op)")
    }

    @Test func positiveDomainFunctions() throws {
        let xs = H.randoms(200, seed: 3, 0.01, 50)
        for (op, ref) in [("Sqrt", { (x: Double) in x.squareRoot() }), ("Log", { log($0) }), ("Reciprocal", { 1 / $0 })] {
            let out = try H.run(op, [.feed(H.f([xs.count], xs))])
            #expect(H.close(out[0].floatValues(), xs.map { Float(ref(Double($0))) }), "\(op)")
        }
    }

    @Test func roundIsHalfToEven() throws {
        let xs: [Float] = [0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6, -2.6]
        let out = try H.run("Round", [.feed(H.f([8], xs))])
        #expect(out[0].floatValues() == [0, 2, 2, -0, -2, 2, 3, -3])
    }

    @Test func expApproximationIsAccurate() {
        var worst: Double = 0
        var x: Float = -87
        while x < 88.5 {
            let e = Double(ok_expf(x)), r = exp(Double(x))
            worst = max(worst, abs(e - r) / r)
            x += 0.0137
        }
        #expect(worst < 5e-7)
        #expect(ok_expf(-120) == 0)
        #expect(abs(Double(ok_expf(-100)) - exp(-100.0)) < 1e-45)
        #expect(ok_expf(100) == .infinity)
        #expect(ok_expf(.nan).isNaN)
        #expect(ok_expf(0) == 1)
    }

    @Test func dispatchedKernelsMatchScalarReference() {
        let xs = H.randoms(1003, seed: 11, -20, 20)
        let ys = H.randoms(1003, seed: 12, 0.5, 4)
        var a = [Float](repeating: 0, count: xs.count), b = a
        for op in 0...Int(OK_UNARY_ATANH.rawValue) {
            ok_unary_f32(Int32(op), xs, &a, xs.count, 0.3, 1.2)
            ok_unary_f32_ref(Int32(op), xs, &b, xs.count, 0.3, 1.2)
            if [OK_UNARY_EXP, OK_UNARY_SIGMOID, OK_UNARY_TANH, OK_UNARY_GELU, OK_UNARY_GELU_TANH].contains(where: { Int($0.rawValue) == op }) {
                // AVX2 intrinsics fuse the polynomials (FMA), and tanh is a rational
                // approximation there: close to the reference, not bit-identical.
                #expect(H.close(a, b, rtol: 1e-6, atol: 1e-7), "unary op \(op)")
            } else {
                #expect(a.elementsEqual(b) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "unary op \(op)")
            }
        }
        for op in 0...Int(OK_BINARY_MOD.rawValue) {
            for (sa, sb) in [(1, 1), (0, 1), (1, 0)] {
                ok_binary_f32(Int32(op), xs, sa, ys, sb, &a, xs.count)
                ok_binary_f32_ref(Int32(op), xs, sa, ys, sb, &b, xs.count)
                #expect(a.elementsEqual(b) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "binary op \(op) strides \(sa),\(sb)")
            }
        }
    }

    @Test func rowKernelsMatchTheirPortableLoops() {
        let xs = H.randoms(1037, seed: 13, -5, 5)
        func all() -> [Float] {
            var out = [Float]()
            for n in [0, 1, 7, 8, 9, 64, 1037] {
                out += [ok_sum_f32(xs, n), ok_sumsq_f32(xs, n, 0.25), ok_max_f32(xs, n), ok_min_f32(xs, n)]
            }
            return out
        }
        let dispatched = all()
        ok_cpu_restrict(1)  // scalar only
        let portable = all()
        ok_cpu_restrict(0xffff_ffff)
        #expect(dispatched == portable)
        #expect(abs(dispatched[24] - xs.reduce(0, +)) < 1e-3)
        #expect(dispatched[26] == xs.max()!)
        #expect(dispatched[27] == xs.min()!)
    }

    @Test func integerUnary() throws {
        let x = H.i32([4], [-3, 0, 5, Int32.min])
        #expect(H.values(try H.run("Abs", [.feed(x)])[0], Int32.self) == [3, 0, 5, Int32.min])
        #expect(H.values(try H.run("Neg", [.feed(x)])[0], Int32.self) == [3, 0, -5, Int32.min])
        #expect(H.values(try H.run("Sign", [.feed(H.i64([3], [-9, 0, 4]))])[0], Int64.self) == [-1, 0, 1])
        #expect(H.values(try H.run("Relu", [.feed(H.i8([3], [-9, 0, 4]))])[0], Int8.self) == [0, 0, 4])
    }

    @Test func predicates() throws {
        let x = H.f([5], [1, .nan, .infinity, -.infinity, 0])
        #expect(H.values(try H.run("IsNaN", [.feed(x)])[0], UInt8.self) == [0, 1, 0, 0, 0])
        #expect(H.values(try H.run("IsInf", [.feed(x)])[0], UInt8.self) == [0, 0, 1, 1, 0])
        #expect(H.values(try H.run("IsInf", [.feed(x)], attributes: ["detect_negative": .int(0)])[0], UInt8.self) == [0, 0, 1, 0, 0])
        #expect(H.values(try H.run("Not", [.feed(H.bool([2], [true, false]))])[0], UInt8.self) == [0, 1])
    }

    // ---- binary --------------------------------------------------------------------

    static let shapePairs: [([Int], [Int])] = [
        ([2, 3, 4], [2, 3, 4]), ([2, 3, 4], [4]), ([2, 3, 4], []), ([2, 1, 4], [3, 1]),
        ([1], [5, 2]), ([3, 1, 2, 1], [1, 4, 1, 5]), ([2, 3, 4, 5], [3, 1, 1]),
    ]

    @Test(arguments: 0..<shapePairs.count)
    func floatBroadcastMatchesReference(_ index: Int) throws {
        let (sa, sb) = Self.shapePairs[index]
        let a = H.randoms(Tensor.elementCount(sa), seed: 21, -4, 4)
        let b = H.randoms(Tensor.elementCount(sb), seed: 22, 0.5, 3)
        let ops: [(String, (Float, Float) -> Float)] = [
            ("Add", { $0 + $1 }), ("Sub", { $0 - $1 }), ("Mul", { $0 * $1 }), ("Div", { $0 / $1 }),
            ("Max", { max($0, $1) }), ("Min", { min($0, $1) }), ("Pow", { powf(abs($0), $1) }),
        ]
        for (op, f) in ops {
            let lhs = op == "Pow" ? a.map { abs($0) } : a
            let out = try H.run(op, [.feed(H.f(sa, lhs)), .feed(H.f(sb, b))])
            let ref = H.broadcast(lhs, sa, b, sb, f)
            #expect(out[0].shape == ref.shape, "\(op) \(sa) \(sb)")
            #expect(H.close(out[0].floatValues(), ref.values), "\(op) \(sa) \(sb)")
        }
    }

    @Test func constantOperandIsFoldedOrBroadcast() throws {
        // Bias add with a constant initializer (the common Conv/MatMul + bias shape).
        let x = H.randoms(24, seed: 5)
        let bias: [Float] = [1, 2, 3, 4]
        let out = try H.run("Add", [.feed(H.f([2, 3, 4], x)), .constant(H.f([4], bias))])
        #expect(out[0].floatValues() == H.broadcast(x, [2, 3, 4], bias, [4], +).values)
    }

    @Test func integerArithmetic() throws {
        let a = H.i32([6], [7, -7, 7, -7, 5, 0]), b = H.i32([6], [2, 2, -2, -2, 0, 3])
        #expect(H.values(try H.run("Div", [.feed(a), .feed(b)])[0], Int32.self) == [3, -3, -3, 3, 0, 0])
        #expect(H.values(try H.run("Mod", [.feed(a), .feed(b)])[0], Int32.self) == [1, 1, -1, -1, 0, 0])
        #expect(H.values(try H.run("Mod", [.feed(a), .feed(b)], attributes: ["fmod": .int(1)])[0], Int32.self) == [1, -1, 1, -1, 0, 0])
        let u = H.u8([3], [250, 3, 9]), v = H.u8([1], [10])
        #expect(H.values(try H.run("Add", [.feed(u), .feed(v)])[0], UInt8.self) == [4, 13, 19])
        #expect(H.values(try H.run("Sub", [.feed(u), .feed(v)])[0], UInt8.self) == [240, 249, 255])
        let x = H.i64([2, 2], [1, 2, 3, 4])
        #expect(H.values(try H.run("Mul", [.feed(x), .feed(H.i64([2], [10, 100]))])[0], Int64.self) == [10, 200, 30, 400])
    }

    @Test func floatMod() throws {
        let a = H.f([4], [5, -5, 5, -5]), b = H.f([4], [3, 3, -3, -3])
        #expect(try H.run("Mod", [.feed(a), .feed(b)], attributes: ["fmod": .int(1)])[0].floatValues() == [2, -2, 2, -2])
    }

    @Test func powMixedTypes() throws {
        let out = try H.run("Pow", [.feed(H.f([3], [1, 2, 3])), .feed(H.i64([3], [4, 5, 6]))])
        #expect(out[0].floatValues() == [1, 32, 729])
        let ints = try H.run("Pow", [.feed(H.i32([3], [1, 2, 3])), .feed(H.f([3], [4, 5, 6]))])
        #expect(ints[0].dtype == .int32)
        #expect(H.values(ints[0], Int32.self) == [1, 32, 729])
        let ll = try H.run("Pow", [.feed(H.i64([2], [2, -3])), .feed(H.i64([1], [3]))])
        #expect(H.values(ll[0], Int64.self) == [8, -27])
    }

    @Test func prelu() throws {
        let x = H.f([2, 3], [-1, 2, -3, 4, -5, 6])
        let slope = H.f([3], [0.1, 0.2, 0.3])
        let out = try H.run("PRelu", [.feed(x), .constant(slope)])
        #expect(H.close(out[0].floatValues(), [-0.1, 2, -0.9, 4, -1, 6]))
    }

    @Test func variadic() throws {
        let a = H.f([2, 2], [1, 5, 3, 7]), b = H.f([2], [4, 4]), c = H.f([1], [2])
        #expect(try H.run("Max", [.feed(a), .feed(b), .feed(c)])[0].floatValues() == [4, 5, 4, 7])
        #expect(try H.run("Min", [.feed(a), .feed(b), .feed(c)])[0].floatValues() == [1, 2, 2, 2])
        #expect(try H.run("Sum", [.feed(a), .feed(b), .feed(c)])[0].floatValues() == [7, 11, 9, 13])
        #expect(H.close(try H.run("Mean", [.feed(a), .feed(b), .feed(c)])[0].floatValues(), [7 / 3, 11 / 3, 3, 13 / 3]))
        #expect(try H.run("Sum", [.feed(a)])[0].floatValues() == [1, 5, 3, 7])
        #expect(try H.run("Max", [.feed(b), .feed(a)])[0].shape == [2, 2])
        let ints = try H.run("Max", [.feed(H.i32([3], [1, 9, -4])), .feed(H.i32([3], [3, 2, -5]))])
        #expect(H.values(ints[0], Int32.self) == [3, 9, -4])
    }

    // ---- comparisons, logic, Where ---------------------------------------------------

    @Test func comparisonsAndLogic() throws {
        let a = H.f([2, 3], [1, 2, 3, 4, 5, 6]), b = H.f([3], [3, 3, 3])
        #expect(H.values(try H.run("Less", [.feed(a), .feed(b)])[0], UInt8.self) == [1, 1, 0, 0, 0, 0])
        #expect(H.values(try H.run("LessOrEqual", [.feed(a), .feed(b)])[0], UInt8.self) == [1, 1, 1, 0, 0, 0])
        #expect(H.values(try H.run("Greater", [.feed(a), .feed(b)])[0], UInt8.self) == [0, 0, 0, 1, 1, 1])
        #expect(H.values(try H.run("GreaterOrEqual", [.feed(a), .feed(b)])[0], UInt8.self) == [0, 0, 1, 1, 1, 1])
        #expect(H.values(try H.run("Equal", [.feed(a), .feed(b)])[0], UInt8.self) == [0, 0, 1, 0, 0, 0])
        // NaN: every comparison is false; -0 equals 0.
        let n = H.f([4], [.nan, 1, .nan, -0.0]), m = H.f([4], [1, .nan, .nan, 0])
        for (op, want) in [("Less", [UInt8](arrayLiteral: 0, 0, 0, 0)), ("LessOrEqual", [0, 0, 0, 1]),
                           ("Greater", [0, 0, 0, 0]), ("GreaterOrEqual", [0, 0, 0, 1]), ("Equal", [0, 0, 0, 1])] {
            #expect(H.values(try H.run(op, [.feed(n), .feed(m)])[0], UInt8.self) == want)
        }
        let i = try H.run("Equal", [.feed(H.i64([3], [1, 2, 3])), .feed(H.i64([1], [2]))])
        #expect(H.values(i[0], UInt8.self) == [0, 1, 0])
        let p = H.bool([4], [true, true, false, false]), q = H.bool([4], [true, false, true, false])
        #expect(H.values(try H.run("And", [.feed(p), .feed(q)])[0], UInt8.self) == [1, 0, 0, 0])
        #expect(H.values(try H.run("Or", [.feed(p), .feed(q)])[0], UInt8.self) == [1, 1, 1, 0])
        #expect(H.values(try H.run("Xor", [.feed(p), .feed(q)])[0], UInt8.self) == [0, 1, 1, 0])
        #expect(H.values(try H.run("Equal", [.feed(p), .feed(q)])[0], UInt8.self) == [1, 0, 0, 1])
    }

    @Test func whereBroadcastsThreeWays() throws {
        let c = H.bool([2, 1], [true, false])
        let x = H.f([3], [1, 2, 3]), y = H.f([1], [-1])
        let out = try H.run("Where", [.feed(c), .feed(x), .feed(y)])
        #expect(out[0].shape == [2, 3])
        #expect(out[0].floatValues() == [1, 2, 3, -1, -1, -1])
        let ints = try H.run("Where", [.feed(H.bool([2], [false, true])), .feed(H.i64([2], [1, 2])), .feed(H.i64([2], [8, 9]))])
        #expect(H.values(ints[0], Int64.self) == [8, 2])
    }

    // ---- Clip, Cast -------------------------------------------------------------------

    @Test func clipAcrossOpsets() throws {
        let x = H.f([5], [-3, -1, 0, 1, 3])
        #expect(try H.run("Clip", [.feed(x)], attributes: ["min": .float(-1), "max": .float(2)], opset: 6)[0].floatValues() == [-1, -1, 0, 1, 2])
        #expect(try H.run("Clip", [.feed(x), .constant(H.f([], [-2])), .omitted], opset: 13)[0].floatValues() == [-2, -1, 0, 1, 3])
        #expect(try H.run("Clip", [.feed(x), .omitted, .feed(H.f([], [0.5]))], opset: 13)[0].floatValues() == [-3, -1, 0, 0.5, 0.5])
        #expect(try H.run("Clip", [.feed(x), .feed(H.f([], [2])), .feed(H.f([], [1]))], opset: 13)[0].floatValues() == [1, 1, 1, 1, 1])
        let i = try H.run("Clip", [.feed(H.i8([3], [-100, 5, 100])), .constant(H.i8([], [-10])), .constant(H.i8([], [10]))], opset: 13)
        #expect(H.values(i[0], Int8.self) == [-10, 5, 10])
    }

    @Test func castConversions() throws {
        let x = H.f([6], [1.9, -1.9, 0, 300, -0.4, 2.5])
        let to32 = try H.run("Cast", [.feed(x)], attributes: ["to": .int(6)])
        #expect(H.values(to32[0], Int32.self) == [1, -1, 0, 300, 0, 2])
        let toBool = try H.run("Cast", [.feed(x)], attributes: ["to": .int(9)])
        #expect(H.values(toBool[0], UInt8.self) == [1, 1, 0, 1, 1, 1])
        let half = try H.run("Cast", [.feed(H.f([3], [1, 0.1, 65504]))], attributes: ["to": .int(10)])
        #expect(half[0].dtype == .float16)
        let back = try H.run("Cast", [.feed(half[0])], attributes: ["to": .int(1)])
        #expect(H.close(back[0].floatValues(), [1, 0.1, 65504], rtol: 1e-3))
        let wide = try H.run("Cast", [.feed(H.i64([3], [1, -2, 300]))], attributes: ["to": .int(3)])
        #expect(H.values(wide[0], Int8.self) == [1, -2, 44])
        let like = try H.run("CastLike", [.feed(H.i32([2], [7, -7])), .feed(H.f([1], [0]))])
        #expect(like[0].floatValues() == [7, -7])
    }

    @Test func unsupportedTypesAreReportedAsSuch() throws {
        do {
            _ = try H.run("Cast", [.feed(x2)], attributes: ["to": .int(11)])
            Issue.record("Cast to double should fail")
        } catch let e as OutpostError {
            guard case .unsupportedDataType(_, let dtype) = e else { Issue.record("wrong error \(e.description)"); return }
            #expect(dtype == "double")
        }
        do {
            _ = try H.run("Sigmoid", [.feed(H.i32([1], [1]))])
            Issue.record("Sigmoid on int32 should fail")
        } catch let e as OutpostError {
            guard case .unsupportedDataType = e else { Issue.record("wrong error \(e.description)"); return }
        }
    }

    private var x2: Tensor { H.f([2], [1, 2]) }

    // ---- softmax family ------------------------------------------------------------------

    private func softmaxReference(_ x: [Float], outer: Int, n: Int, inner: Int, log: Bool) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        for o in 0..<outer {
            for j in 0..<inner {
                var m = -Double.infinity
                for k in 0..<n { m = max(m, Double(x[(o * n + k) * inner + j])) }
                var s = 0.0
                for k in 0..<n { s += Foundation.exp(Double(x[(o * n + k) * inner + j]) - m) }
                for k in 0..<n {
                    let v = Double(x[(o * n + k) * inner + j]) - m
                    y[(o * n + k) * inner + j] = Float(log ? v - Foundation.log(s) : Foundation.exp(v) / s)
                }
            }
        }
        return y
    }

    @Test func softmaxAxisSemanticsDependOnOpset() throws {
        let x = H.randoms(2 * 3 * 4, seed: 9, -5, 5)
        // opset 13: along axis 1 only.
        let s13 = try H.run("Softmax", [.feed(H.f([2, 3, 4], x))], attributes: ["axis": .int(1)], opset: 13)
        #expect(H.close(s13[0].floatValues(), softmaxReference(x, outer: 2, n: 3, inner: 4, log: false)))
        // opset 11: coerced to [2, 12].
        let s11 = try H.run("Softmax", [.feed(H.f([2, 3, 4], x))], attributes: ["axis": .int(1)], opset: 11)
        #expect(H.close(s11[0].floatValues(), softmaxReference(x, outer: 2, n: 12, inner: 1, log: false)))
        // default axis: -1 (13) and 1 (11).
        let d13 = try H.run("LogSoftmax", [.feed(H.f([2, 3, 4], x))], opset: 13)
        #expect(H.close(d13[0].floatValues(), softmaxReference(x, outer: 6, n: 4, inner: 1, log: true)))
        let d11 = try H.run("LogSoftmax", [.feed(H.f([2, 3, 4], x))], opset: 11)
        #expect(H.close(d11[0].floatValues(), softmaxReference(x, outer: 2, n: 12, inner: 1, log: true)))
    }

    @Test func softmaxIsStableForLargeInputs() throws {
        let out = try H.run("Softmax", [.feed(H.f([1, 3], [1000, 1000, -1000]))])
        #expect(H.close(out[0].floatValues(), [0.5, 0.5, 0]))
    }

    @Test func hardmax() throws {
        let x = H.f([2, 3], [1, 3, 3, -1, -2, -3])
        #expect(try H.run("Hardmax", [.feed(x)], opset: 13)[0].floatValues() == [0, 1, 0, 1, 0, 0])
        #expect(try H.run("Hardmax", [.feed(x)], attributes: ["axis": .int(0)], opset: 13)[0].floatValues() == [1, 1, 1, 0, 0, 0])
    }

    // ---- bitwise, shifts, Swish, Shrink -------------------------------------------------

    @Test func bitwiseAndShifts() throws {
        let a = H.u8([3], [0b1100, 0b1010, 255]), b = H.u8([3], [0b1010, 0b0110, 1])
        #expect(H.values(try H.run("BitwiseAnd", [.feed(a), .feed(b)])[0], UInt8.self) == [0b1000, 0b0010, 1])
        #expect(H.values(try H.run("BitwiseOr", [.feed(a), .feed(b)])[0], UInt8.self) == [0b1110, 0b1110, 255])
        #expect(H.values(try H.run("BitwiseXor", [.feed(a), .feed(b)])[0], UInt8.self) == [0b0110, 0b1100, 254])
        #expect(H.values(try H.run("BitwiseNot", [.feed(a)])[0], UInt8.self) == [0b11110011, 0b11110101, 0])
        let s = H.u8([3], [1, 2, 3])
        #expect(H.values(try H.run("BitShift", [.feed(H.u8([3], [16, 4, 1])), .feed(s)], attributes: ["direction": .string("RIGHT")])[0], UInt8.self) == [8, 1, 0])
        #expect(H.values(try H.run("BitShift", [.feed(H.u8([3], [16, 4, 1])), .feed(s)], attributes: ["direction": .string("LEFT")])[0], UInt8.self) == [32, 16, 8])
        #expect(H.values(try H.run("BitwiseAnd", [.feed(H.i32([2], [-1, 6])), .feed(H.i32([1], [3]))])[0], Int32.self) == [3, 2])
    }

    @Test func swishAndShrink() throws {
        let xs: [Float] = [-2, -0.25, 0, 0.25, 2]
        let sw = try H.run("Swish", [.feed(H.f([5], xs))], attributes: ["alpha": .float(1.5)], opset: 24)
        #expect(H.close(sw[0].floatValues(), xs.map { $0 / (1 + Foundation.exp(-1.5 * $0)) }))
        let sh = try H.run("Shrink", [.feed(H.f([5], xs))], attributes: ["lambd": .float(0.5), "bias": .float(0.25)])
        #expect(sh[0].floatValues() == [-1.75, 0, 0, 0, 1.75])
    }

    @Test func largeArraysSplitOverThePool() throws {
        let n = 100_003
        let a = H.randoms(n, seed: 91), b = H.randoms(n, seed: 92)
        let sum = try H.run("Add", [.feed(H.f([n], a)), .feed(H.f([n], b))])
        #expect(sum[0].floatValues() == zip(a, b).map { $0 + $1 })
        let sig = try H.run("Sigmoid", [.feed(H.f([n], a))])
        #expect(H.close(sig[0].floatValues(), a.map { Float(1 / (1 + Foundation.exp(-Double($0)))) }))
        let rows = Array(a[0..<(7 * 1001)])
        for op in ["Softmax", "LogSoftmax"] {
            let sm = try H.run(op, [.feed(H.f([7, 1001], rows))], opset: 13)
            #expect(H.close(sm[0].floatValues(), softmaxReference(rows, outer: 7, n: 1001, inner: 1, log: op == "LogSoftmax"), rtol: 1e-5, atol: 1e-7), "\(op)")
        }
    }
}

