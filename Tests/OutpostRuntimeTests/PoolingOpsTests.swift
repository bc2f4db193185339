import CKernels
import Testing
@testable import OutpostRuntime

/// MaxPool, AveragePool, LpPool, GlobalAveragePool, GlobalMaxPool. Expected values
/// come from onnx.reference; the fast C paths are held to the C reference.
@Suite struct PoolingOpsTests {
    @Test func maxPool2x2Stride2() throws {
        let y = try OpKit.run("MaxPool", [.input(OpKit.iota([1, 1, 4, 4]))], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])])
        #expect(y[0].shape == [1, 1, 2, 2] && y[0].floatValues() == [5, 7, 13, 15])
    }

    @Test func maxPoolCeilModeAndDilation() throws {
        let x = OpKit.iota([1, 1, 6, 6])
        let c = try OpKit.run("MaxPool", [.input(x)], ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "ceil_mode": .int(1)])
        #expect(c[0].shape == [1, 1, 3, 3] && c[0].floatValues() == [14, 16, 17, 26, 28, 29, 32, 34, 35])
        let d = try OpKit.run("MaxPool", [.input(OpKit.iota([1, 1, 5, 5]))], ["kernel_shape": .ints([2, 2]), "dilations": .ints([2, 2])])
        #expect(d[0].floatValues() == [12, 13, 14, 17, 18, 19, 22, 23, 24])
    }

    @Test func averagePoolPaddingRules() throws {
        let x = OpKit.iota([1, 1, 5, 5])
        let attrs: [String: Attribute] = ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]), "ceil_mode": .int(1)]
        let ex = try OpKit.run("AveragePool", [.input(x)], attrs)
        #expect(OpKit.close(ex[0].floatValues(), [3, 4.5, 6, 10.5, 12, 13.5, 18, 19.5, 21]))
        var incl = attrs
        incl["count_include_pad"] = .int(1)
        let inc = try OpKit.run("AveragePool", [.input(x)], incl)
        #expect(OpKit.close(inc[0].floatValues(), [1.33333, 3, 2.66667, 7, 12, 9, 8, 13, 9.33333]))
        // ceil_mode's extra window positions never count, even with count_include_pad.
        let extra = try OpKit.run("AveragePool", [.input(OpKit.iota([1, 1, 6, 6]))],
                                  ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "ceil_mode": .int(1), "count_include_pad": .int(1)])
        #expect(OpKit.close(extra[0].floatValues(), [7, 9, 10.5, 19, 21, 22.5, 28, 30, 31.5]))
        let same = try OpKit.run("AveragePool", [.input(x)], ["kernel_shape": .ints([2, 2]), "auto_pad": .string("SAME_LOWER")])
        #expect(same[0].shape == [1, 1, 5, 5])
        #expect(OpKit.close(Array(same[0].floatValues().prefix(7)), [0, 0.5, 1.5, 2.5, 3.5, 2.5, 3]))
        let valid = try OpKit.run("AveragePool", [.input(x)], ["kernel_shape": .ints([2, 2]), "auto_pad": .string("VALID"), "strides": .ints([2, 2])])
        #expect(valid[0].shape == [1, 1, 2, 2] && OpKit.close(valid[0].floatValues(), [3, 5, 13, 15]))
    }

    @Test func oneAndThreeDimensionalPools() throws {
        let lp = try OpKit.run("LpPool", [.input(OpKit.iota([1, 2, 4]))], ["kernel_shape": .ints([2]), "strides": .ints([2]), "p": .int(2)])
        #expect(OpKit.close(lp[0].floatValues(), [1, 3.60555, 6.40312, 9.21954]))
        let m1 = try OpKit.run("MaxPool", [.input(OpKit.floats([1, 1, 5], [3, 1, 4, 1, 5]))], ["kernel_shape": .ints([2])])
        #expect(m1[0].floatValues() == [3, 4, 4, 5])
        let a3 = try OpKit.run("AveragePool", [.input(OpKit.iota([1, 1, 3, 3, 3]))], ["kernel_shape": .ints([2, 2, 2]), "pads": .ints([0, 0, 0, 1, 1, 1])])
        #expect(a3[0].shape == [1, 1, 3, 3, 3])
        #expect(OpKit.close(a3[0].floatValues(), [6.5, 7.5, 8, 9.5, 10.5, 11, 11, 12, 12.5, 15.5, 16.5, 17, 18.5, 19.5, 20, 20, 21, 21.5,
                                                   20, 21, 21.5, 23, 24, 24.5, 24.5, 25.5, 26]))
    }

    @Test func globalPools() throws {
        let x = OpKit.iota([2, 3, 3, 5])
        let avg = try OpKit.run("GlobalAveragePool", [.input(x)])
        #expect(avg[0].shape == [2, 3, 1, 1])
        let means: [Float] = [7, 22, 37, 52, 67, 82]
        #expect(OpKit.close(avg[0].floatValues(), means))
        let mx = try OpKit.run("GlobalMaxPool", [.input(x)])
        let expected: [Float] = [14, 29, 44, 59, 74, 89]
        #expect(mx[0].floatValues() == expected)
    }

    @Test func maxPoolIndicesAndEightBit() throws {
        let x = OpKit.iota([2, 1, 4, 4])
        let attrs: [String: Attribute] = ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]
        let r = try OpKit.run("MaxPool", [.input(x)], attrs, outputs: 2)
        #expect(r[1].dtype == .int64 && OpKit.ints(r[1]) == [5, 7, 13, 15, 21, 23, 29, 31])
        var col = attrs
        col["storage_order"] = .int(1)
        let c = try OpKit.run("MaxPool", [.input(x)], col, outputs: 2)
        #expect(OpKit.ints(c[1]) == [5, 13, 7, 15, 21, 29, 23, 31])
        let u = try OpKit.run("MaxPool", [.input(OpKit.typed(.uint8, [1, 1, 2, 3], [9, 200, 3, 4, 5, 255]))], ["kernel_shape": .ints([2, 2])])
        #expect(u[0].dtype == .uint8 && OpKit.ints(u[0]) == [200, 255])
        let s = try OpKit.run("MaxPool", [.input(OpKit.typed(.int8, [1, 1, 1, 3], [-9, -2, -5]))], ["kernel_shape": .ints([1, 2])])
        #expect(OpKit.ints(s[0]) == [-2, -2])
    }

    @Test func unsupportedCasesSayWhy() throws {
        do {
            _ = try OpKit.run("AveragePool", [.input(OpKit.typed(.int8, [1, 1, 2, 2], [1, 2, 3, 4]))], ["kernel_shape": .ints([2, 2])])
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("int8"))
        }
    }

    /// The fast C paths (AVX2 separable rows, max 2x2/3x3, interior windows of max and average, whole-plane windows, threads) against the reference.
    @Test(arguments: [
        ([2, 2], [2, 2], [0, 0, 0, 0]),
        ([3, 3], [1, 1], [1, 1, 1, 1]),
        ([3, 3], [2, 2], [0, 1, 1, 0]),
        ([2, 3], [1, 2], [1, 0, 0, 1]),
        ([5, 4], [3, 1], [2, 2, 2, 2]),
        ([7, 7], [1, 1], [3, 3, 3, 3]),
        ([13, 45], [1, 1], [0, 0, 0, 0]),  // the whole plane: the global-pool path
    ])
    func fastPathsMatchReference(kernel: [Int], strides: [Int], pads: [Int]) throws {
        // Width 45: the AVX2 rows (8 outputs per step, stride 1 and 2) plus scalar tails and borders.
        let (c, h, w) = (5, 13, 45)
        var x = [Float](repeating: 0, count: c * h * w)
        var seed: UInt32 = 12345
        for i in 0..<x.count {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            x[i] = Float(Int(seed >> 8) % 2001 - 1000) / 100
        }
        var p = ok_pool_params()
        p.planes = Int64(c)
        let oh = (h + pads[0] + pads[2] - kernel[0]) / strides[0] + 1
        let ow = (w + pads[1] + pads[3] - kernel[1]) / strides[1] + 1
        p.in = (1, Int64(h), Int64(w)); p.out = (1, Int64(oh), Int64(ow))
        p.kernel = (1, Int64(kernel[0]), Int64(kernel[1])); p.stride = (1, Int64(strides[0]), Int64(strides[1]))
        p.dilation = (1, 1, 1); p.pad_begin = (0, Int64(pads[0]), Int64(pads[1])); p.pad_end = (0, Int64(pads[2]), Int64(pads[3]))
        let pool = ok_pool_create(2)
        defer { ok_pool_destroy(pool) }
        for kind in [OK_POOL_AVG, OK_POOL_MAX] {
            for include in [Int32(0), 1] {
                p.kind = Int32(kind.rawValue)
                p.count_include_pad = include
                var ref = [Float](repeating: 0, count: c * oh * ow)
                var fast = [Float](repeating: 1, count: c * oh * ow)
                ok_pool_ref_f32(&p, x, &ref)
                ok_pool_f32(&p, x, &fast, pool)
                // Max is exact; average sums in another order (float rounding).
                if kind == OK_POOL_MAX {
                    #expect(ref == fast, "max, count_include_pad \(include)")
                } else {
                    #expect(OpKit.close(fast, ref, tol: 1e-5), "average, count_include_pad \(include)")
                }
            }
        }
        var ref = [Float](repeating: 0, count: c * oh * ow)
        ok_pool_ref_f32(&p, x, &ref)
        // And through the operator.
        let y = try OpKit.run("MaxPool", [.input(OpKit.floats([1, c, h, w], x))],
                              ["kernel_shape": .ints(kernel), "strides": .ints(strides), "pads": .ints(pads)])
        #expect(y[0].floatValues() == ref)
    }
}
