import CKernels
import Foundation
import Testing
@testable import OutpostRuntime

/// Deterministic values for the operator tests.
struct NeuralRNG {
    var state: UInt32
    init(_ seed: UInt32) { state = seed }
    mutating func floats(_ n: Int) -> [Float] {
        (0..<n).map { _ in
            state = state &* 1664525 &+ 1013904223
            return Float((state >> 8) & 0xffff) / 32768 - 1
        }
    }
}

/// Runs one node through a Session. `constants` become initializers (weights),
/// `feeds` graph inputs, in order.
func runNode(_ op: String, attributes: [String: Attribute] = [:], feeds: [(String, Tensor)],
             constants: [(String, Tensor)] = [], inputOrder: [String], threads: Int = 1) throws -> Tensor {
    var inits = [String: Tensor]()
    for (n, t) in constants { inits[n] = t }
    let node = Node(name: "n", opType: op, inputs: inputOrder, outputs: ["y"], attributes: attributes)
    let g = Graph(name: "t", nodes: [node],
                  inputs: feeds.map { ValueInfo(name: $0.0, dtype: .float32, shape: $0.1.shape.map { .fixed($0) }) },
                  outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)], initializers: inits)
    let s = try Session(model: Model(graph: g, opsets: ["": 17]), options: SessionOptions(threads: threads, optimize: false))
    let out = try s.run(feeds.map { $0.1 })
    return out[0].copy()
}

func expectNear(_ got: Tensor, _ shape: [Int], _ want: [Float], tol: Float = 1e-4, _ what: String = "") {
    #expect(got.shape == shape, "\(what) shape")
    let g = got.floatValues()
    #expect(g.count == want.count, "\(what) count")
    for i in 0..<min(g.count, want.count) where !(abs(g[i] - want[i]) <= tol * (1 + abs(want[i]))) {
        Issue.record("\(what): [\(i)] got \(g[i]) want \(want[i])")
        return
    }
}

/// Naive N-D (1..3) convolution in Swift; pads as [begin..., end...].
func naiveConv(x: [Float], xShape: [Int], w: [Float], wShape: [Int], b: [Float]?, group: Int,
               strides: [Int], pads: [Int], dilations: [Int], outSpatial: [Int]) -> [Float] {
    let nd = xShape.count - 2
    let n = xShape[0], cin = xShape[1], cout = wShape[0], cinG = cin / group, coutG = cout / group
    func pad3(_ v: [Int], _ f: Int) -> [Int] { [Int](repeating: f, count: 3 - v.count) + v }
    let ins = pad3(Array(xShape[2...]), 1), ks = pad3(Array(wShape[2...]), 1), outs = pad3(outSpatial, 1)
    let s = pad3(strides, 1), d = pad3(dilations, 1), pb = pad3(Array(pads[0..<nd]), 0)
    var y = [Float](repeating: 0, count: n * cout * outs[0] * outs[1] * outs[2])
    var idx = 0
    for bi in 0..<n {
        for oc in 0..<cout {
            let g = oc / coutG
            for o0 in 0..<outs[0] { for o1 in 0..<outs[1] { for o2 in 0..<outs[2] {
                var acc: Float = b?[oc] ?? 0
                for ic in 0..<cinG { for k0 in 0..<ks[0] { for k1 in 0..<ks[1] { for k2 in 0..<ks[2] {
                    let i0 = o0 * s[0] - pb[0] + k0 * d[0], i1 = o1 * s[1] - pb[1] + k1 * d[1], i2 = o2 * s[2] - pb[2] + k2 * d[2]
                    if i0 < 0 || i0 >= ins[0] || i1 < 0 || i1 >= ins[1] || i2 < 0 || i2 >= ins[2] { continue }
                    let xi = (((bi * cin + g * cinG + ic) * ins[0] + i0) * ins[1] + i1) * ins[2] + i2
                    let wi = (((oc * cinG + ic) * ks[0] + k0) * ks[1] + k1) * ks[2] + k2
                    acc += x[xi] * w[wi]
                } } } }
                y[idx] = acc
                idx += 1
            } } }
        }
    }
    return y
}

/// Naive 2-D/1-D transposed convolution (output size given).
func naiveConvTranspose(x: [Float], xShape: [Int], w: [Float], wShape: [Int], b: [Float]?, group: Int,
                        strides: [Int], padBegin: [Int], dilations: [Int], outSpatial: [Int]) -> [Float] {
    let n = xShape[0], cin = xShape[1], coutG = wShape[1], cout = coutG * group, cinG = cin / group
    func pad3(_ v: [Int], _ f: Int) -> [Int] { [Int](repeating: f, count: 3 - v.count) + v }
    let ins = pad3(Array(xShape[2...]), 1), ks = pad3(Array(wShape[2...]), 1), outs = pad3(outSpatial, 1)
    let s = pad3(strides, 1), d = pad3(dilations, 1), pb = pad3(padBegin, 0)
    let outSp = outs[0] * outs[1] * outs[2]
    var y = [Float](repeating: 0, count: n * cout * outSp)
    for bi in 0..<n { for ic in 0..<cin {
        let g = ic / cinG
        for i0 in 0..<ins[0] { for i1 in 0..<ins[1] { for i2 in 0..<ins[2] {
            let xv = x[(((bi * cin + ic) * ins[0] + i0) * ins[1] + i1) * ins[2] + i2]
            for oc in 0..<coutG { for k0 in 0..<ks[0] { for k1 in 0..<ks[1] { for k2 in 0..<ks[2] {
                let o0 = i0 * s[0] - pb[0] + k0 * d[0], o1 = i1 * s[1] - pb[1] + k1 * d[1], o2 = i2 * s[2] - pb[2] + k2 * d[2]
                if o0 < 0 || o0 >= outs[0] || o1 < 0 || o1 >= outs[1] || o2 < 0 || o2 >= outs[2] { continue }
                let wv = w[(((ic * coutG + oc) * ks[0] + k0) * ks[1] + k1) * ks[2] + k2]
                y[((bi * cout + g * coutG + oc) * outs[0] + o0) * outs[1] * outs[2] + o1 * outs[2] + o2] += xv * wv
            } } } }
        } } }
    } }
    if let b { for i in 0..<y.count { y[i] += b[(i / outSp) % cout] } }
    return y
}

@Suite struct NeuralConvTests {
    @Test(arguments: [1, 2])
    func conv2DPadsStridesDilationsGroupsBias(threads: Int) throws {
        var rng = NeuralRNG(1)
        // (cin, cout, group, k, stride, dilation, pads, size)
        let cases: [(Int, Int, Int, Int, Int, Int, [Int], Int)] = [
            (3, 8, 1, 3, 1, 1, [1, 1, 1, 1], 9), (4, 6, 2, 3, 2, 1, [0, 1, 2, 0], 11),
            (8, 8, 8, 3, 1, 1, [1, 1, 1, 1], 10), (8, 8, 8, 3, 2, 1, [1, 1, 1, 1], 13),
            (5, 7, 1, 1, 1, 1, [0, 0, 0, 0], 6), (3, 4, 1, 2, 1, 2, [0, 0, 0, 0], 8),
        ]
        for (ci, (cin, cout, group, k, stride, dil, pads, size)) in cases.enumerated() {
            let xShape = [2, cin, size, size + 1], wShape = [cout, cin / group, k, k]
            let x = rng.floats(xShape.reduce(1, *)), w = rng.floats(wShape.reduce(1, *)), b = rng.floats(cout)
            let ext = (k - 1) * dil + 1
            let oh = (size + pads[0] + pads[2] - ext) / stride + 1, ow = (size + 1 + pads[1] + pads[3] - ext) / stride + 1
            let want = naiveConv(x: x, xShape: xShape, w: w, wShape: wShape, b: b, group: group, strides: [stride, stride],
                                 pads: pads, dilations: [dil, dil], outSpatial: [oh, ow])
            let attrs: [String: Attribute] = ["group": .int(group), "strides": .ints([stride, stride]),
                                              "dilations": .ints([dil, dil]), "pads": .ints(pads), "kernel_shape": .ints([k, k])]
            // Constant weights (pre-packed at planning) and weights fed at run time.
            let y1 = try runNode("Conv", attributes: attrs, feeds: [("x", Tensor(shape: xShape, floats: x))],
                                 constants: [("w", Tensor(shape: wShape, floats: w)), ("b", Tensor(shape: [cout], floats: b))],
                                 inputOrder: ["x", "w", "b"], threads: threads)
            expectNear(y1, [2, cout, oh, ow], want, "case \(ci) packed")
            let y2 = try runNode("Conv", attributes: attrs,
                                 feeds: [("x", Tensor(shape: xShape, floats: x)), ("w", Tensor(shape: wShape, floats: w)),
                                         ("b", Tensor(shape: [cout], floats: b))],
                                 inputOrder: ["x", "w", "b"], threads: threads)
            expectNear(y2, [2, cout, oh, ow], want, "case \(ci) runtime weights")
        }
    }

    @Test func autoPadModes() throws {
        var rng = NeuralRNG(2)
        let xShape = [1, 2, 7, 6], wShape = [3, 2, 3, 3]
        let x = rng.floats(xShape.reduce(1, *)), w = rng.floats(wShape.reduce(1, *))
        // SAME_UPPER stride 2: out = ceil(in/2); total pad = (out-1)*2+3-in, extra at the end.
        for (mode, pads, out) in [("SAME_UPPER", [1, 0, 1, 1], [4, 3]), ("SAME_LOWER", [1, 1, 1, 0], [4, 3]),
                                  ("VALID", [0, 0, 0, 0], [3, 2])] {
            let want = naiveConv(x: x, xShape: xShape, w: w, wShape: wShape, b: nil, group: 1, strides: [2, 2],
                                 pads: pads, dilations: [1, 1], outSpatial: out)
            let y = try runNode("Conv", attributes: ["auto_pad": .string(mode), "strides": .ints([2, 2])],
                                feeds: [("x", Tensor(shape: xShape, floats: x))],
                                constants: [("w", Tensor(shape: wShape, floats: w))], inputOrder: ["x", "w"])
            expectNear(y, [1, 3] + out, want, mode)
        }
    }

    @Test func conv1DAnd3D() throws {
        var rng = NeuralRNG(3)
        let x1 = rng.floats(2 * 3 * 20), w1 = rng.floats(4 * 3 * 5)
        let want1 = naiveConv(x: x1, xShape: [2, 3, 20], w: w1, wShape: [4, 3, 5], b: nil, group: 1, strides: [2],
                              pads: [2, 1], dilations: [1], outSpatial: [10])
        let y1 = try runNode("Conv", attributes: ["strides": .ints([2]), "pads": .ints([2, 1])],
                             feeds: [("x", Tensor(shape: [2, 3, 20], floats: x1))],
                             constants: [("w", Tensor(shape: [4, 3, 5], floats: w1))], inputOrder: ["x", "w"])
        expectNear(y1, [2, 4, 10], want1, "1-D")
        let x3 = rng.floats(1 * 2 * 4 * 5 * 6), w3 = rng.floats(3 * 2 * 2 * 3 * 3)
        let want3 = naiveConv(x: x3, xShape: [1, 2, 4, 5, 6], w: w3, wShape: [3, 2, 2, 3, 3], b: nil, group: 1,
                              strides: [1, 1, 1], pads: [0, 1, 1, 0, 1, 1], dilations: [1, 1, 1], outSpatial: [3, 5, 6])
        let y3 = try runNode("Conv", attributes: ["pads": .ints([0, 1, 1, 0, 1, 1])],
                             feeds: [("x", Tensor(shape: [1, 2, 4, 5, 6], floats: x3))],
                             constants: [("w", Tensor(shape: [3, 2, 2, 3, 3], floats: w3))], inputOrder: ["x", "w"])
        expectNear(y3, [1, 3, 3, 5, 6], want3, "3-D")
    }

    @Test func fusedActivationsInTheEpilogue() throws {
        var rng = NeuralRNG(4)
        let xShape = [1, 4, 6, 6], wShape = [5, 4, 3, 3]
        let x = rng.floats(xShape.reduce(1, *)), w = rng.floats(wShape.reduce(1, *)), b = rng.floats(5)
        let plain = naiveConv(x: x, xShape: xShape, w: w, wShape: wShape, b: b, group: 1, strides: [1, 1],
                              pads: [1, 1, 1, 1], dilations: [1, 1], outSpatial: [6, 6])
        let cases: [(String, [Float], (Float) -> Float)] = [
            ("Relu", [], { max($0, 0) }),
            ("Clip", [-0.5, 0.5], { min(max($0, -0.5), 0.5) }),
            ("LeakyRelu", [0.1], { $0 < 0 ? 0.1 * $0 : $0 }),
            ("Sigmoid", [], { 1 / (1 + exp(-$0)) }),
            ("HardSigmoid", [0.3, 0.4], { min(max(0.3 * $0 + 0.4, 0), 1) }),
            ("HardSwish", [], { $0 * min(max($0 / 6 + 0.5, 0), 1) }),
            ("Tanh", [], { tanh($0) }),
            ("SiLU", [], { $0 / (1 + exp(-$0)) }),
        ]
        for (name, params, f) in cases {
            var attrs: [String: Attribute] = ["pads": .ints([1, 1, 1, 1]), "outpost.activation": .string(name)]
            if !params.isEmpty { attrs["outpost.activation_params"] = .floats(params) }
            let y = try runNode("Conv", attributes: attrs, feeds: [("x", Tensor(shape: xShape, floats: x))],
                                constants: [("w", Tensor(shape: wShape, floats: w)), ("b", Tensor(shape: [5], floats: b))],
                                inputOrder: ["x", "w", "b"])
            expectNear(y, [1, 5, 6, 6], plain.map(f), name)
        }
        #expect(throws: OutpostError.self) {
            _ = try runNode("Conv", attributes: ["outpost.activation": .string("Gelu")],
                            feeds: [("x", Tensor(shape: xShape, floats: x))],
                            constants: [("w", Tensor(shape: wShape, floats: w))], inputOrder: ["x", "w"])
        }
    }

    @Test(arguments: [1, 2])
    func convTranspose(threads: Int) throws {
        var rng = NeuralRNG(5)
        // (cin, coutG, group, k, stride, dilation, pads, outPad, in)
        let cases: [(Int, Int, Int, Int, Int, Int, [Int], [Int], Int)] = [
            (3, 2, 1, 3, 1, 1, [0, 0, 0, 0], [0, 0], 4), (2, 3, 1, 3, 2, 1, [1, 1, 1, 1], [1, 1], 5),
            (4, 2, 2, 2, 2, 1, [0, 0, 0, 0], [0, 0], 3), (2, 2, 1, 3, 3, 2, [1, 0, 0, 1], [2, 1], 4),
        ]
        for (ci, (cin, coutG, group, k, s, d, pads, outPad, size)) in cases.enumerated() {
            let xShape = [1, cin, size, size + 1], wShape = [cin, coutG, k, k]
            let x = rng.floats(xShape.reduce(1, *)), w = rng.floats(wShape.reduce(1, *)), b = rng.floats(coutG * group)
            let ext = (k - 1) * d + 1
            let oh = s * (size - 1) + outPad[0] + ext - pads[0] - pads[2]
            let ow = s * size + outPad[1] + ext - pads[1] - pads[3]
            let want = naiveConvTranspose(x: x, xShape: xShape, w: w, wShape: wShape, b: b, group: group, strides: [s, s],
                                          padBegin: [pads[0], pads[1]], dilations: [d, d], outSpatial: [oh, ow])
            let y = try runNode("ConvTranspose",
                                attributes: ["group": .int(group), "strides": .ints([s, s]), "dilations": .ints([d, d]),
                                             "pads": .ints(pads), "output_padding": .ints(outPad)],
                                feeds: [("x", Tensor(shape: xShape, floats: x))],
                                constants: [("w", Tensor(shape: wShape, floats: w)), ("b", Tensor(shape: [coutG * group], floats: b))],
                                inputOrder: ["x", "w", "b"], threads: threads)
            expectNear(y, [1, coutG * group, oh, ow], want, "convT case \(ci)")
        }
        // output_shape: [1,1,3,3] input, stride 3, kernel 3 -> requested [10, 8] (ONNX test_convtranspose_output_shape).
        let x = rng.floats(9), w = rng.floats(2 * 3 * 3)
        let y = try runNode("ConvTranspose", attributes: ["strides": .ints([3, 2]), "output_shape": .ints([10, 8])],
                            feeds: [("x", Tensor(shape: [1, 1, 3, 3], floats: x)), ("w", Tensor(shape: [1, 2, 3, 3], floats: w))],
                            inputOrder: ["x", "w"], threads: threads)
        // Total padding 3*2+3-10 = -1 (and 2*2+3-8 = -1): ONNX (floor division) puts
        // begin = total - floor(total/2) = 0, so the extra row/column is at the end.
        let want = naiveConvTranspose(x: x, xShape: [1, 1, 3, 3], w: w, wShape: [1, 2, 3, 3], b: nil, group: 1, strides: [3, 2],
                                      padBegin: [0, 0], dilations: [1, 1], outSpatial: [10, 8])
        expectNear(y, [1, 2, 10, 8], want, "output_shape")
    }
}

@Suite struct NeuralGemmTests {
    func naiveGemm(_ a: [Float], _ b: [Float], M: Int, N: Int, K: Int, transA: Bool, transB: Bool, alpha: Float) -> [Float] {
        var y = [Float](repeating: 0, count: M * N)
        for i in 0..<M { for j in 0..<N {
            var acc: Float = 0
            for p in 0..<K { acc += (transA ? a[p * M + i] : a[i * K + p]) * (transB ? b[j * K + p] : b[p * N + j]) }
            y[i * N + j] = alpha * acc
        } }
        return y
    }

    @Test(arguments: [1, 2])
    func gemmTransposesAlphaBetaAndCBroadcasts(threads: Int) throws {
        var rng = NeuralRNG(6)
        let (M, N, K) = (7, 19, 13)
        for transA in [false, true] { for transB in [false, true] {
            for (cShape, beta) in [([N], Float(1)), ([M, 1], 1), ([M, N], 0.5), ([1], 2), ([1, N], 0.25), ([], 1)] as [([Int], Float)] {
                for constB in [false, true] {
                    let a = rng.floats(M * K), b = rng.floats(K * N)
                    let cCount = cShape.reduce(1, *)
                    let c = rng.floats(cCount)
                    var want = naiveGemm(a, b, M: M, N: N, K: K, transA: transA, transB: transB, alpha: 0.75)
                    let cm = cShape.count == 2 ? cShape[0] : 1, cn = cShape.last ?? 1
                    for i in 0..<M { for j in 0..<N { want[i * N + j] += beta * c[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)] } }
                    let aT = Tensor(shape: transA ? [K, M] : [M, K], floats: a)
                    let bT = Tensor(shape: transB ? [N, K] : [K, N], floats: b)
                    let cT = Tensor(shape: cShape, floats: c)
                    let attrs: [String: Attribute] = ["alpha": .float(0.75), "beta": .float(beta),
                                                      "transA": .int(transA ? 1 : 0), "transB": .int(transB ? 1 : 0)]
                    let y = try runNode("Gemm", attributes: attrs,
                                        feeds: constB ? [("a", aT), ("c", cT)] : [("a", aT), ("b", bT), ("c", cT)],
                                        constants: constB ? [("b", bT)] : [], inputOrder: ["a", "b", "c"], threads: threads)
                    expectNear(y, [M, N], want, "Gemm tA=\(transA) tB=\(transB) C=\(cShape) beta=\(beta) constB=\(constB)")
                }
            }
        } }
    }

    @Test func gemmWithoutCAndFusedRelu() throws {
        var rng = NeuralRNG(7)
        let a = rng.floats(5 * 3), b = rng.floats(3 * 4)
        let want = naiveGemm(a, b, M: 5, N: 4, K: 3, transA: false, transB: false, alpha: 1).map { max($0, 0) }
        let y = try runNode("Gemm", attributes: ["outpost.activation": .string("Relu")],
                            feeds: [("a", Tensor(shape: [5, 3], floats: a))],
                            constants: [("b", Tensor(shape: [3, 4], floats: b))], inputOrder: ["a", "b"])
        expectNear(y, [5, 4], want, "Gemm relu")
    }

    @Test(arguments: [1, 2])
    func matMulShapes(threads: Int) throws {
        var rng = NeuralRNG(8)
        // (A shape, B shape, output shape)
        let cases: [([Int], [Int], [Int])] = [
            ([5, 7], [7, 3], [5, 3]), ([2, 3, 5, 7], [7, 4], [2, 3, 5, 4]), ([5, 7], [3, 7, 4], [3, 5, 4]),
            ([2, 1, 4, 6], [3, 6, 2], [2, 3, 4, 2]), ([7], [7, 3], [3]), ([4, 7], [7], [4]), ([7], [7], []),
            ([3, 1, 1, 7], [2, 7, 5], [3, 2, 1, 5]), ([1, 64], [64, 130], [1, 130]),
        ]
        for (aShape, bShape, outShape) in cases {
            let a = rng.floats(aShape.reduce(1, *)), b = rng.floats(bShape.reduce(1, *))
            // numpy-style reference
            let a2 = aShape.count == 1 ? [1, aShape[0]] : aShape, b2 = bShape.count == 1 ? [bShape[0], 1] : bShape
            let M = a2[a2.count - 2], K = a2[a2.count - 1], N = b2[b2.count - 1]
            let ab = Array(a2.dropLast(2)), bb = Array(b2.dropLast(2))
            let rank = max(ab.count, bb.count)
            let pa = [Int](repeating: 1, count: rank - ab.count) + ab, pb = [Int](repeating: 1, count: rank - bb.count) + bb
            let batch = (0..<rank).map { max(pa[$0], pb[$0]) }
            let batchCount = batch.reduce(1, *)
            var want = [Float]()
            for flat in 0..<batchCount {
                var rest = flat, ai = 0, bi = 0, sa = 1, sb = 1
                for d in stride(from: rank - 1, through: 0, by: -1) {
                    let idx = rest % batch[d]
                    rest /= batch[d]
                    ai += (pa[d] == 1 ? 0 : idx) * sa
                    bi += (pb[d] == 1 ? 0 : idx) * sb
                    sa *= pa[d]
                    sb *= pb[d]
                }
                for i in 0..<M { for j in 0..<N {
                    var acc: Float = 0
                    for p in 0..<K { acc += a[ai * M * K + i * K + p] * b[bi * K * N + p * N + j] }
                    want.append(acc)
                } }
            }
            for constB in [false, true] {
                let aT = Tensor(shape: aShape, floats: a), bT = Tensor(shape: bShape, floats: b)
                let y = try runNode("MatMul", feeds: constB ? [("a", aT)] : [("a", aT), ("b", bT)],
                                    constants: constB ? [("b", bT)] : [], inputOrder: ["a", "b"], threads: threads)
                expectNear(y, outShape, want, "MatMul \(aShape) x \(bShape) constB=\(constB)")
            }
        }
    }
}

@Suite struct NeuralErrorTests {
    @Test func reportsShapeAndSupportProblems() throws {
        // MatMul batch dimensions that do not broadcast.
        #expect(throws: OutpostError.self) {
            _ = try runNode("MatMul", feeds: [("a", Tensor(zeros: .float32, shape: [3, 2, 4])), ("b", Tensor(zeros: .float32, shape: [2, 4, 5]))],
                            inputOrder: ["a", "b"])
        }
        // Gemm inner dimension mismatch.
        #expect(throws: OutpostError.self) {
            _ = try runNode("Gemm", feeds: [("a", Tensor(zeros: .float32, shape: [3, 4])), ("b", Tensor(zeros: .float32, shape: [5, 2]))],
                            inputOrder: ["a", "b"])
        }
        // 4-D convolution is reported as unsupported, naming the node.
        do {
            _ = try runNode("Conv", feeds: [("x", Tensor(zeros: .float32, shape: [1, 1, 2, 2, 2, 2])),
                                            ("w", Tensor(zeros: .float32, shape: [1, 1, 1, 1, 1, 1]))], inputOrder: ["x", "w"])
            Issue.record("4-D Conv should fail")
        } catch let e as OutpostError {
            #expect(e.description.contains("Conv node 'n'"))
        }
    }
}

@Suite struct NeuralFusionTests {
    /// Conv -> Relu and Conv -> x*Sigmoid(x) through the load-time optimizer: the
    /// activation must be fused (one node left) and give the unfused result.
    @Test func optimizerFusedActivationsMatchUnfused() throws {
        var rng = NeuralRNG(9)
        let xShape = [1, 3, 8, 8], wShape = [4, 3, 3, 3]
        let x = rng.floats(xShape.reduce(1, *)), w = rng.floats(wShape.reduce(1, *)), b = rng.floats(4)
        let conv = naiveConv(x: x, xShape: xShape, w: w, wShape: wShape, b: b, group: 1, strides: [1, 1],
                             pads: [1, 1, 1, 1], dilations: [1, 1], outSpatial: [8, 8])
        let convNode = Node(name: "c", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["t"],
                            attributes: ["pads": .ints([1, 1, 1, 1])])
        let inits = ["w": Tensor(shape: wShape, floats: w), "b": Tensor(shape: [4], floats: b)]
        let patterns: [([Node], (Float) -> Float)] = [
            ([Node(name: "r", opType: "Relu", inputs: ["t"], outputs: ["y"])], { max($0, 0) }),
            ([Node(name: "s", opType: "Sigmoid", inputs: ["t"], outputs: ["sg"]),
              Node(name: "m", opType: "Mul", inputs: ["t", "sg"], outputs: ["y"])], { $0 / (1 + exp(-$0)) }),
        ]
        for (tail, f) in patterns {
            let g = Graph(name: "f", nodes: [convNode] + tail,
                          inputs: [ValueInfo(name: "x", dtype: .float32, shape: xShape.map { .fixed($0) })],
                          outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)], initializers: inits)
            let s = try Session(model: Model(graph: g, opsets: ["": 17]), options: SessionOptions(threads: 2))
            #expect(s.graph.nodes.count == 1, "activation fused into the Conv")
            let y = try s.run([Tensor(shape: xShape, floats: x)])[0].copy()
            expectNear(y, [1, 4, 8, 8], conv.map(f), "fused \(tail.map { $0.opType })")
        }
    }
}
