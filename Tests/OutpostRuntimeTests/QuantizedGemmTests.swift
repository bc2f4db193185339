import Testing
@testable import OutpostRuntime

/// QLinearMatMul, MatMulInteger, QLinearConv, ConvInteger and QGemm on small cases
/// computed by hand (and a naive integer loop for the larger ones).
@Suite struct QuantizedGemmTests {
    let ms = "com.microsoft"

    @Test func matMulIntegerPerRowAndColumn() throws {
        // A [2, 3] u8, a zero point per row [1, 2]; B [3, 2] u8, b zero point per column [0, 1]
        let a = QKit.u8([1, 2, 3, 4, 5, 6], [2, 3]), b = QKit.u8([1, 2, 3, 4, 5, 6], [3, 2])
        for constant in [false, true] {
            let bOp: QKit.Operand = constant ? .constant(b) : .input(b)
            let y = try QKit.run("MatMulInteger", [.input(a), bOp, .constant(QKit.u8([1, 2], [2])),
                                                   .constant(QKit.u8([0, 1], [2]))], opset: 10)[0]
            // A - za = [[0,1,2],[2,3,4]]; B - zb = [[1,1],[3,3],[5,5]]
            #expect(y.dtype == .int32 && y.shape == [2, 2])
            #expect(y.integerValues() == [13, 13, 31, 31])
        }
    }

    @Test func qlinearMatMulBatchedInt8() throws {
        // A [2, 1, 2] s8 zp 1, B [2, 2] s8 zp -1 (shared by both batches); scales 0.5 * 0.5 / 0.25 = 1, y zp 3
        let a = QKit.s8([2, 3, -1, 5], [2, 1, 2]), b = QKit.s8([0, 1, 2, -1], [2, 2])
        let y = try QKit.run("QLinearMatMul", [.input(a), .constant(QKit.scale(0.5)), .constant(QKit.zpS8(1)),
                                               .constant(b), .constant(QKit.scale(0.5)), .constant(QKit.zpS8(-1)),
                                               .constant(QKit.scale(0.25)), .constant(QKit.zpS8(3))])[0]
        // A - 1 = [[1, 2]], [[-2, 4]]; B + 1 = [[1, 2], [3, 0]] -> [7, 2], [10, -4]; + 3
        #expect(y.dtype == .int8 && y.shape == [2, 1, 2])
        #expect(y.integerValues() == [10, 5, 13, -1])
    }

    @Test func qlinearMatMulSaturatesAndRoundsHalfEven() throws {
        let a = QKit.u8([1, 3, 200], [3, 1]), b = QKit.u8([1], [1, 1])
        // acc = a; scale 1 * 0.5 / 1 = 0.5 -> 0.5 -> 0, 1.5 -> 2, 100 + zp 200 -> 255
        let y = try QKit.run("QLinearMatMul", [.input(a), .constant(QKit.scale(1)), .constant(QKit.zpU8(0)),
                                               .constant(b), .constant(QKit.scale(0.5)), .constant(QKit.zpU8(0)),
                                               .constant(QKit.scale(1)), .constant(QKit.zpU8(200))])[0]
        #expect(y.integerValues() == [200, 202, 255])
    }

    /// Naive ConvInteger for the checks below (2-D, NCHW).
    func naiveConv(_ x: [Int], _ xs: [Int], _ w: [Int], _ ws: [Int], zx: Int, zw: [Int], group: Int,
                   stride: Int, pad: Int) -> ([Int], [Int]) {
        let n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], cout = ws[0], cg = ws[1], kh = ws[2], kw = ws[3]
        let oh = (h + 2 * pad - kh) / stride + 1, ow = (wd + 2 * pad - kw) / stride + 1
        var y = [Int]()
        for b in 0..<n { for oc in 0..<cout {
            let g = oc / (cout / group)
            for i in 0..<oh { for j in 0..<ow {
                var acc = 0
                for c in 0..<cg { for p in 0..<kh { for q in 0..<kw {
                    let yi = i * stride - pad + p, xj = j * stride - pad + q
                    if yi < 0 || yi >= h || xj < 0 || xj >= wd { continue }
                    let xv = x[((b * cin + g * cg + c) * h + yi) * wd + xj]
                    let wv = w[((oc * cg + c) * kh + p) * kw + q]
                    acc += (xv - zx) * (wv - zw[zw.count == 1 ? 0 : oc])
                } } }
                y.append(acc)
            } }
        } }
        return (y, [n, cout, oh, ow])
    }

    @Test func convIntegerMatchesNaiveLoop() throws {
        var state: UInt32 = 5
        func next(_ m: Int) -> Int { state = state &* 1664525 &+ 1013904223; return Int((state >> 8) % UInt32(m)) }
        for (group, stride, pad) in [(1, 1, 1), (2, 2, 0), (4, 1, 1)] {
            let xs = [1, 4, 6, 5], ws = [4, 4 / group, 3, 3]
            let x = (0..<120).map { _ in next(256) }, w = (0..<Tensor.elementCount(ws)).map { _ in next(256) }
            let zw = [3, 200, 0, 128]
            let (want, shape) = naiveConv(x, xs, w, ws, zx: 17, zw: zw, group: group, stride: stride, pad: pad)
            for constant in [false, true] {
                let wt = QKit.u8(w, ws)
                let y = try QKit.run("ConvInteger", [.input(QKit.u8(x, xs)), constant ? .constant(wt) : .input(wt),
                                                     .constant(QKit.zpU8(17)), .constant(QKit.u8(zw, [4]))],
                                     ["group": .int(group), "strides": .ints([stride, stride]), "pads": .ints([pad, pad, pad, pad])],
                                     opset: 10)[0]
                #expect(y.shape == shape)
                #expect(y.integerValues() == want, "group \(group) stride \(stride) pad \(pad) constant \(constant)")
            }
        }
    }

    @Test func qlinearConvPerChannelWithBias() throws {
        // 1x1 conv, x [1, 1, 1, 3] u8 zp 10 scale 0.5; w [2, 1, 1, 1] s8 = [2, -1], per-channel scales [1, 0.25];
        // bias [4, -8]; y scale 1 zp 100.
        let x = QKit.u8([10, 12, 15], [1, 1, 1, 3])
        let y = try QKit.run("QLinearConv", [.input(x), .constant(QKit.scale(0.5)), .constant(QKit.zpU8(10)),
                                             .constant(QKit.s8([2, -1], [2, 1, 1, 1])), .constant(QKit.f([1, 0.25], [2])),
                                             .constant(QKit.s8([0, 0], [2])), .constant(QKit.scale(1)), .constant(QKit.zpU8(100)),
                                             .constant(QKit.i32([4, -8]))])[0]
        // channel 0: (2 * [0, 2, 5] + 4) * 0.5 = 2, 4, 7 -> 102, 104, 107
        // channel 1: (-1 * [0, 2, 5] - 8) * 0.125 = -1, -1.25, -1.625 -> 99, 99, 98
        #expect(y.dtype == .uint8 && y.shape == [1, 2, 1, 3])
        #expect(y.integerValues() == [102, 104, 107, 99, 99, 98])
    }

    @Test func qgemmFloatAndQuantizedOutputs() throws {
        // A [2, 2] u8 zp 1 scale 0.5 given transposed (transA): stored [[2, 4], [3, 1]] -> A = [[2, 3], [4, 1]]
        // B [2, 2] s8 zp 0 scale 2; C bias [1, -1]; alpha 0.5
        let a = QKit.u8([2, 4, 3, 1], [2, 2]), b = QKit.s8([1, 0, 0, 1], [2, 2])
        let base: [QKit.Operand] = [.input(a), .constant(QKit.scale(0.5)), .constant(QKit.zpU8(1)),
                                    .constant(b), .constant(QKit.scale(2)), .constant(QKit.zpS8(0)), .constant(QKit.i32([1, -1]))]
        let f = try QKit.run("QGemm", domain: ms, base, ["transA": .int(1), "alpha": .float(0.5)])[0]
        // (A - 1) * B = [[1, 2], [3, 0]]; + C = [[2, 1], [4, -1]]; * 0.5 * 0.5 * 2 = 0.5
        #expect(f.dtype == .float32 && f.floatValues() == [1, 0.5, 2, -0.5])
        let q = try QKit.run("QGemm", domain: ms, base + [.constant(QKit.scale(0.25)), .constant(QKit.zpU8(10))],
                             ["transA": .int(1), "alpha": .float(0.5)])[0]
        // / 0.25 -> 4, 2, 8, -2; + 10
        #expect(q.dtype == .uint8 && q.integerValues() == [14, 12, 18, 8])
    }

    @Test func fusedReluNarrowsTheClamp() throws {
        var attrs = [String: Attribute]()
        attrs["outpost.activation"] = .string("Relu")
        let a = QKit.u8([0, 5, 10], [3, 1]), b = QKit.u8([1], [1, 1])
        // acc = a - 5 = -5, 0, 5; scale 1; y zp 5 -> 0, 5, 10 without Relu; Relu clamps below at the zero point
        let y = try QKit.run("QLinearMatMul", [.input(a), .constant(QKit.scale(1)), .constant(QKit.zpU8(5)),
                                               .constant(b), .constant(QKit.scale(1)), .constant(QKit.zpU8(0)),
                                               .constant(QKit.scale(1)), .constant(QKit.zpU8(5))], attrs)[0]
        #expect(y.integerValues() == [5, 5, 10])
    }

    @Test func unsupportedShapesAreReported() {
        do {
            _ = try QKit.run("QLinearMatMul", [.input(QKit.u8([1, 2], [1, 2])), .constant(QKit.f([1, 1], [2])), .constant(QKit.zpU8(0)),
                                               .constant(QKit.u8([1, 2], [2, 1])), .constant(QKit.scale(1)), .constant(QKit.zpU8(0)),
                                               .constant(QKit.scale(1)), .constant(QKit.zpU8(0))])
            Issue.record("per-row a_scale should be unsupported")
        } catch {
            guard case .unsupportedAttribute = error else { Issue.record("\(error)"); return }
        }
    }
}
