import Testing
@testable import OutpostRuntime

/// Reshape family, Transpose, Concat, Split, Shape/Size, Constant(OfShape), Range.
@Suite struct TensorShapeOpsTests {
    @Test func reshapeZeroAndMinusOne() throws {
        let y = try OpKit.run("Reshape", [.input(OpKit.iota([2, 3, 4])), .constant(OpKit.int64s([0, -1, 2]))])
        #expect(y[0].shape == [2, 6, 2])
        #expect(y[0].floatValues() == (0..<24).map { Float($0) })
    }

    @Test func reshapeAllowZeroKeepsZeroDims() throws {
        let x = Tensor(zeros: .float32, shape: [0, 3])
        let y = try OpKit.run("Reshape", [.input(x), .constant(OpKit.int64s([3, 0]))], ["allowzero": .int(1)])
        #expect(y[0].shape == [3, 0])
    }

    @Test func reshapeRejectsBadCount() {
        #expect(throws: OutpostError.self) {
            _ = try OpKit.run("Reshape", [.input(OpKit.iota([2, 3])), .constant(OpKit.int64s([4, 2]))])
        }
    }

    @Test func reshapeShapeFedAsModelInputIsPlannedFromItsValue() throws {
        // The session specialises its plan on the small "shape" input's value.
        let y = try OpKit.run("Reshape", [.input(OpKit.iota([2, 3])), .input(OpKit.int64s([3, 2]))])
        #expect(y[0].shape == [3, 2])
        #expect(y[0].floatValues() == OpKit.iota([2, 3]).floatValues())
    }

    @Test func flattenSqueezeUnsqueeze() throws {
        let x = OpKit.iota([2, 1, 3, 1])
        #expect(try OpKit.run("Flatten", [.input(x)], ["axis": .int(2)])[0].shape == [2, 3])
        #expect(try OpKit.run("Flatten", [.input(x)], ["axis": .int(-1)])[0].shape == [6, 1])
        #expect(try OpKit.run("Squeeze", [.input(x)])[0].shape == [2, 3])
        #expect(try OpKit.run("Squeeze", [.input(x)], ["axes": .ints([1])], opset: 11)[0].shape == [2, 3, 1])
        #expect(try OpKit.run("Squeeze", [.input(x), .constant(OpKit.int64s([-1]))])[0].shape == [2, 1, 3])
        let u = try OpKit.run("Unsqueeze", [.input(OpKit.iota([2, 3])), .constant(OpKit.int64s([0, -1]))])
        #expect(u[0].shape == [1, 2, 3, 1])
        #expect(try OpKit.run("Unsqueeze", [.input(OpKit.iota([2, 3]))], ["axes": .ints([1])], opset: 11)[0].shape == [2, 1, 3])
        #expect(throws: OutpostError.self) {
            _ = try OpKit.run("Squeeze", [.input(x), .constant(OpKit.int64s([0]))])
        }
    }

    /// Naive transpose for checking every path.
    static func transposeRef(_ x: [Float], _ shape: [Int], _ perm: [Int]) -> [Float] {
        let outShape = perm.map { shape[$0] }
        let inStrides = Tensor.strides(of: shape)
        let outStrides = Tensor.strides(of: outShape)
        var out = [Float](repeating: 0, count: x.count)
        for e in 0..<x.count {
            var rest = e, src = 0
            for k in 0..<outShape.count {
                let c = rest / outStrides[k]
                rest %= outStrides[k]
                src += c * inStrides[perm[k]]
            }
            out[e] = x[src]
        }
        return out
    }

    @Test(arguments: [
        ([5, 7], [1, 0]),                   // 2-D
        ([2, 3, 4, 5], [0, 2, 3, 1]),       // NCHW -> NHWC
        ([2, 4, 5, 3], [0, 3, 1, 2]),       // NHWC -> NCHW
        ([3, 4, 5], [2, 0, 1]),             // general
        ([2, 3, 1, 4], [3, 2, 0, 1]),       // with a size-1 axis
        ([2, 3, 4, 5, 6], [4, 1, 3, 0, 2]), // 5-D general
        ([2, 3, 4], [0, 1, 2]),             // identity
        ([45, 70], [1, 0]),                 // AVX2 8x8 blocks plus edges
        ([3, 37, 29], [0, 2, 1]),           // batched, odd sizes
        ([2, 16, 9, 11], [0, 2, 3, 1]),     // NCHW -> NHWC, 8-aligned rows
    ])
    func transposeMatchesReference(shape: [Int], perm: [Int]) throws {
        let x = OpKit.iota(shape)
        let y = try OpKit.run("Transpose", [.input(x)], ["perm": .ints(perm)])
        #expect(y[0].shape == perm.map { shape[$0] })
        #expect(y[0].floatValues() == Self.transposeRef(x.floatValues(), shape, perm))
    }

    @Test func transposeEveryDType() throws {
        for dtype in [DType.int8, .uint8, .bool, .float16, .int32, .int64] {
            let values = (0..<24).map { dtype == .bool ? $0 % 2 : $0 % 100 }
            let x = OpKit.typed(dtype, [2, 3, 4], values)
            let y = try OpKit.run("Transpose", [.input(x)], ["perm": .ints([2, 0, 1])])
            #expect(y[0].dtype == dtype)
            #expect(y[0].floatValues() == Self.transposeRef(values.map { Float($0) }, [2, 3, 4], [2, 0, 1]))
            // Default perm reverses the axes.
            let r = try OpKit.run("Transpose", [.input(x)])
            #expect(r[0].floatValues() == Self.transposeRef(values.map { Float($0) }, [2, 3, 4], [2, 1, 0]))
        }
    }

    @Test func concatAlongMiddleAxis() throws {
        let a = OpKit.iota([2, 1, 2])
        let b = OpKit.floats([2, 2, 2], [10, 11, 12, 13, 14, 15, 16, 17])
        let y = try OpKit.run("Concat", [.input(a), .constant(b), .input(a)], ["axis": .int(-2)])
        #expect(y[0].shape == [2, 4, 2])
        #expect(y[0].floatValues() == [0, 1, 10, 11, 12, 13, 0, 1, 2, 3, 14, 15, 16, 17, 2, 3])
        let i = try OpKit.run("Concat", [.input(OpKit.int64s([1, 2])), .input(OpKit.int64s([3]))], ["axis": .int(0)])
        #expect(OpKit.ints(i[0]) == [1, 2, 3])
    }

    @Test func splitForms() throws {
        let x = OpKit.iota([2, 5])
        let s = try OpKit.run("Split", [.input(x), .constant(OpKit.int64s([2, 3]))], ["axis": .int(1)], outputs: 2)
        #expect(s[0].shape == [2, 2] && s[1].shape == [2, 3])
        #expect(s[0].floatValues() == [0, 1, 5, 6])
        #expect(s[1].floatValues() == [2, 3, 4, 7, 8, 9])
        let old = try OpKit.run("Split", [.input(x)], ["axis": .int(1), "split": .ints([4, 1])], outputs: 2, opset: 11)
        #expect(old[1].floatValues() == [4, 9])
        let n = try OpKit.run("Split", [.input(x)], ["axis": .int(1), "num_outputs": .int(2)], outputs: 2, opset: 18)
        #expect(n[0].shape == [2, 3] && n[1].shape == [2, 2])
        let eq = try OpKit.run("Split", [.input(OpKit.iota([6]))], outputs: 3)
        #expect(eq[2].floatValues() == [4, 5])
    }

    @Test func shapeAndSizeAreConstants() throws {
        let (session, feeds) = try OpKit.build("Shape", [.input(OpKit.iota([2, 3, 4, 5]))], ["start": .int(1), "end": .int(-1)], opset: 15)
        let y = try session.run(feeds)
        #expect(OpKit.ints(y[0]) == [3, 4])
        #expect(session.planSummary?.foldedNodes == 1)
        #expect(session.planSummary?.steps == 0)
        let all = try OpKit.run("Shape", [.input(OpKit.iota([2, 3]))])
        #expect(OpKit.ints(all[0]) == [2, 3])
        let size = try OpKit.run("Size", [.input(OpKit.iota([2, 3, 4]))])
        #expect(size[0].shape == [] && OpKit.ints(size[0]) == [24])
    }

    @Test func constantAndConstantOfShape() throws {
        let c = try OpKit.run("Constant", [], ["value_ints": .ints([4, 5, 6])])
        #expect(c[0].dtype == .int64 && OpKit.ints(c[0]) == [4, 5, 6])
        let f = try OpKit.run("Constant", [], ["value_float": .float(2.5)])
        #expect(f[0].shape == [] && f[0].floatValues() == [2.5])
        let t = try OpKit.run("Constant", [], ["value": .tensor(OpKit.iota([2, 2]))])
        #expect(t[0].floatValues() == [0, 1, 2, 3])
        let z = try OpKit.run("ConstantOfShape", [.constant(OpKit.int64s([2, 3]))])
        #expect(z[0].dtype == .float32 && z[0].shape == [2, 3] && z[0].floatValues() == [Float](repeating: 0, count: 6))
        let v = try OpKit.run("ConstantOfShape", [.constant(OpKit.int64s([3]))], ["value": .tensor(OpKit.int64s([7]))])
        #expect(v[0].dtype == .int64 && OpKit.ints(v[0]) == [7, 7, 7])
    }

    @Test func rangeIntAndFloat() throws {
        let i = try OpKit.run("Range", [.constant(OpKit.int64s([10], shape: [])), .constant(OpKit.int64s([1], shape: [])),
                                        .constant(OpKit.int64s([-3], shape: []))])
        #expect(OpKit.ints(i[0]) == [10, 7, 4])
        let f = try OpKit.run("Range", [.constant(OpKit.floats([], [1])), .constant(OpKit.floats([], [2])),
                                        .constant(OpKit.floats([], [0.25]))])
        #expect(f[0].floatValues() == [1, 1.25, 1.5, 1.75])
    }
}
