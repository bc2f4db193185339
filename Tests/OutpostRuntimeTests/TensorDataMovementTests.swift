import Testing
@testable import OutpostRuntime

/// Slice, Gather(Elements), Expand, Tile, Pad, Resize, DepthToSpace, Trilu, OneHot, NonZero.
/// Expected values are computed by hand or with onnx.reference (noted per test).
@Suite struct TensorDataMovementTests {
    @Test func sliceNegativeStepsClampingAndAxes() throws {
        let x = OpKit.iota([3, 4])
        // Rows 2,1 backwards; columns from -1 down to (but excluding) 0 by -2 => 3, 1.
        let y = try OpKit.run("Slice", [.input(x), .constant(OpKit.int64s([2, -1])), .constant(OpKit.int64s([0, -1000])),
                                        .constant(OpKit.int64s([0, 1])), .constant(OpKit.int64s([-1, -2]))])
        #expect(y[0].shape == [2, 2])
        #expect(y[0].floatValues() == [11, 9, 7, 5])
        // Clamped huge end on one axis only (axes input), step omitted.
        let z = try OpKit.run("Slice", [.input(x), .constant(OpKit.int64s([1])), .constant(OpKit.int64s([Int.max])),
                                        .constant(OpKit.int64s([-1]))])
        #expect(z[0].shape == [3, 3] && z[0].floatValues() == [1, 2, 3, 5, 6, 7, 9, 10, 11])
        // Opset 9: attributes.
        let old = try OpKit.run("Slice", [.input(x)], ["starts": .ints([1]), "ends": .ints([3]), "axes": .ints([0])], opset: 9)
        #expect(old[0].floatValues() == [4, 5, 6, 7, 8, 9, 10, 11])
        // Empty result.
        let e = try OpKit.run("Slice", [.input(x), .constant(OpKit.int64s([3])), .constant(OpKit.int64s([1]))])
        #expect(e[0].shape == [0, 4])
    }

    @Test func gatherAxisAndNegativeIndices() throws {
        let x = OpKit.iota([2, 3])
        let y = try OpKit.run("Gather", [.input(x), .input(OpKit.int64s([-1, 0, 2, 2], shape: [2, 2]))], ["axis": .int(1)])
        #expect(y[0].shape == [2, 2, 2])
        #expect(y[0].floatValues() == [2, 0, 2, 2, 5, 3, 5, 5])
        let rows = try OpKit.run("Gather", [.constant(OpKit.typed(.int8, [3, 2], [1, 2, 3, 4, 5, 6])),
                                            .input(OpKit.typed(.int32, [], [1]))])
        #expect(rows[0].shape == [2] && OpKit.ints(rows[0]) == [3, 4])
    }

    @Test func gatherOutOfRangeIsAnExecutionError() throws {
        do {
            _ = try OpKit.run("Gather", [.input(OpKit.iota([2, 3])), .input(OpKit.int64s([0, 3]))], ["axis": .int(1)])
            Issue.record("expected an error")
        } catch {
            guard case let .execution(node, _, reason) = error else { Issue.record("wrong error \(error.description)"); return }
            #expect(node == "n")
            #expect(reason.contains("index 3"))
        }
    }

    @Test func gatherElements() throws {
        // onnx example: data [[1,2],[3,4]], indices [[0,0],[1,0]], axis 1 -> [[1,1],[4,3]]
        let y = try OpKit.run("GatherElements", [.input(OpKit.floats([2, 2], [1, 2, 3, 4])),
                                                 .input(OpKit.int64s([0, 0, 1, 0], shape: [2, 2]))], ["axis": .int(1)])
        #expect(y[0].floatValues() == [1, 1, 4, 3])
        let z = try OpKit.run("GatherElements", [.input(OpKit.iota([3, 3])), .input(OpKit.int64s([1, 2, 0, 2, 0, -3], shape: [2, 3]))])
        #expect(z[0].floatValues() == [3, 7, 2, 6, 1, 2])
    }

    @Test func gatherNDAndCenterCropPad() throws {
        // onnx example: data [[[0,1],[2,3]],[[4,5],[6,7]]], indices [[1],[0]], batch_dims 1 -> [[2,3],[4,5]]
        let g = try OpKit.run("GatherND", [.input(OpKit.iota([2, 2, 2])), .input(OpKit.int64s([1, 0], shape: [2, 1]))],
                              ["batch_dims": .int(1)])
        #expect(g[0].shape == [2, 2] && g[0].floatValues() == [2, 3, 4, 5])
        let full = try OpKit.run("GatherND", [.input(OpKit.iota([2, 2])), .input(OpKit.int64s([1, -1, 0, 0], shape: [2, 2]))])
        #expect(full[0].floatValues() == [3, 0])
        #expect(throws: OutpostError.self) {
            _ = try OpKit.run("GatherND", [.input(OpKit.iota([2, 2])), .input(OpKit.int64s([2, 0], shape: [1, 2]))])
        }
        // Crop 5 -> 3 (start 1) on axis 0, pad 2 -> 5 (begin 1, zeros) on axis 1.
        let c = try OpKit.run("CenterCropPad", [.input(OpKit.iota([5, 2])), .constant(OpKit.int64s([3, 5]))])
        #expect(c[0].shape == [3, 5])
        #expect(c[0].floatValues() == [0, 2, 3, 0, 0, 0, 4, 5, 0, 0, 0, 6, 7, 0, 0])
    }

    @Test func expandAndTile() throws {
        let e = try OpKit.run("Expand", [.input(OpKit.floats([3, 1], [1, 2, 3])), .constant(OpKit.int64s([2, 1, 2]))])
        #expect(e[0].shape == [2, 3, 2])
        #expect(e[0].floatValues() == [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3])
        let t = try OpKit.run("Tile", [.input(OpKit.typed(.int64, [2, 2], [1, 2, 3, 4])), .constant(OpKit.int64s([2, 3]))])
        #expect(t[0].shape == [4, 6])
        #expect(OpKit.ints(t[0]) == [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4])
    }

    @Test func padModes() throws {
        let x = OpKit.iota([2, 3])
        // onnx.reference values.
        let reflect = try OpKit.run("Pad", [.input(x), .constant(OpKit.int64s([1, 2, 1, 2]))], ["mode": .string("reflect")])
        #expect(reflect[0].shape == [4, 7])
        #expect(reflect[0].floatValues() == [5, 4, 3, 4, 5, 4, 3, 2, 1, 0, 1, 2, 1, 0, 5, 4, 3, 4, 5, 4, 3, 2, 1, 0, 1, 2, 1, 0])
        let wrap = try OpKit.run("Pad", [.input(x), .constant(OpKit.int64s([1, 1, 0, 2]))], ["mode": .string("wrap")])
        #expect(wrap[0].floatValues() == [5, 3, 4, 5, 3, 4, 2, 0, 1, 2, 0, 1, 5, 3, 4, 5, 3, 4])
        let edge = try OpKit.run("Pad", [.input(x), .constant(OpKit.int64s([0, 1, 0, 1]))], ["mode": .string("edge")])
        #expect(edge[0].floatValues() == [0, 0, 1, 2, 2, 3, 3, 4, 5, 5])
        // Constant value input, negative (cropping) pad, opset 18 axes.
        let c = try OpKit.run("Pad", [.input(x), .constant(OpKit.int64s([1, -1])), .constant(OpKit.floats([], [9])),
                                      .constant(OpKit.int64s([1]))], opset: 18)
        #expect(c[0].shape == [2, 3] && c[0].floatValues() == [9, 0, 1, 9, 3, 4])
        // Opset 2: pads and value attributes, int32 data.
        let old = try OpKit.run("Pad", [.input(OpKit.typed(.int32, [2], [5, 6]))], ["pads": .ints([1, 2]), "value": .float(7)], opset: 2)
        #expect(OpKit.ints(old[0]) == [7, 5, 6, 7, 7])
    }

    @Test func resizeNearest() throws {
        let x = OpKit.iota([1, 1, 2, 2])
        // Upsample-style: asymmetric + floor, integer scales.
        let up = try OpKit.run("Resize", [.input(x), .none, .constant(OpKit.floats([4], [1, 1, 2, 3]))],
                               ["mode": .string("nearest"), "coordinate_transformation_mode": .string("asymmetric"),
                                "nearest_mode": .string("floor")])
        #expect(up[0].shape == [1, 1, 4, 6])
        #expect(up[0].floatValues() == [0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 2, 2, 2, 3, 3, 3])
        let legacy = try OpKit.run("Upsample", [.input(x), .constant(OpKit.floats([4], [1, 1, 2, 2]))], opset: 9)
        #expect(legacy[0].floatValues() == [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3])
        // onnx.reference: sizes [1,1,3,5], half_pixel, round_prefer_ceil, on 1..16 (4x4).
        let x4 = OpKit.floats([1, 1, 4, 4], (1...16).map { Float($0) })
        let s = try OpKit.run("Resize", [.input(x4), .none, .none, .constant(OpKit.int64s([1, 1, 3, 5]))],
                              ["nearest_mode": .string("round_prefer_ceil")])
        #expect(s[0].floatValues() == [1, 2, 3, 3, 4, 9, 10, 11, 11, 12, 13, 14, 15, 15, 16])
        // Integer data moves by element size.
        let i = try OpKit.run("Resize", [.input(OpKit.typed(.uint8, [1, 2], [7, 9])), .none, .constant(OpKit.floats([2], [1, 2]))],
                              ["coordinate_transformation_mode": .string("asymmetric")])
        #expect(OpKit.ints(i[0]) == [7, 7, 9, 9])
    }

    @Test func resizeLinearAndCubic() throws {
        // All expected values from onnx.reference.
        let x = OpKit.floats([1, 1, 2, 2], [1, 2, 3, 4])
        let lin = try OpKit.run("Resize", [.input(x), .none, .constant(OpKit.floats([4], [1, 1, 2, 2]))], ["mode": .string("linear")])
        #expect(OpKit.close(lin[0].floatValues(), [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]))
        let x4 = OpKit.floats([1, 1, 4, 4], (1...16).map { Float($0) })
        let cubic = try OpKit.run("Resize", [.input(x4), .none, .constant(OpKit.floats([4], [1, 1, 0.8, 0.8]))], ["mode": .string("cubic")])
        #expect(cubic[0].shape == [1, 1, 3, 3])
        #expect(OpKit.close(cubic[0].floatValues(), [1.47119, 2.78125, 4.08252, 6.71143, 8.02148, 9.32275, 11.9165, 13.22656, 14.52783]))
        let excl = try OpKit.run("Resize", [.input(x4), .none, .constant(OpKit.floats([4], [1, 1, 0.8, 0.8]))],
                                 ["mode": .string("cubic"), "cubic_coeff_a": .float(-0.5), "exclude_outside": .int(1)])
        #expect(OpKit.close(excl[0].floatValues(), [1.36813, 2.6695, 4.01334, 6.57363, 7.875, 9.21883, 11.94897, 13.25034, 14.59418]))
        let ac = try OpKit.run("Resize", [.input(x4), .none, .constant(OpKit.floats([4], [1, 1, 1.5, 1.5]))],
                               ["mode": .string("cubic"), "coordinate_transformation_mode": .string("align_corners")])
        #expect(ac[0].shape == [1, 1, 6, 6])
        #expect(OpKit.close(Array(ac[0].floatValues().prefix(8)), [1, 1.504, 2.248, 2.752, 3.496, 4, 3.016, 3.52]))
        let crop = try OpKit.run("Resize", [.input(x4), .constant(OpKit.floats([8], [0, 0, 0.4, 0.6, 1, 1, 0.6, 0.8])), .none,
                                            .constant(OpKit.int64s([1, 1, 3, 3]))],
                                 ["mode": .string("linear"), "coordinate_transformation_mode": .string("tf_crop_and_resize"),
                                  "extrapolation_value": .float(10)])
        #expect(OpKit.close(crop[0].floatValues(), [7.6, 7.9, 8.2, 8.8, 9.1, 9.4, 10, 10.3, 10.6]))
        let down = try OpKit.run("Resize", [.input(OpKit.floats([1, 1, 2, 4], (1...8).map { Float($0) })), .none,
                                            .constant(OpKit.floats([4], [1, 1, 0.6, 0.6]))],
                                 ["mode": .string("linear"), "coordinate_transformation_mode": .string("asymmetric")])
        #expect(down[0].shape == [1, 1, 1, 2] && OpKit.close(down[0].floatValues(), [1, 2.66667]))
        // Antialiased downscaling widens the kernel (4 taps at scale 0.6).
        let aa = try OpKit.run("Resize", [.input(x4), .none, .constant(OpKit.floats([4], [1, 1, 0.6, 0.6]))],
                               ["mode": .string("linear"), "antialias": .int(1)])
        #expect(OpKit.close(aa[0].floatValues(), [2.875, 4.5, 9.375, 11]))
    }

    /// The separable image fast path against a naive bilinear (half_pixel) in Swift,
    /// on sizes that make both up- and down-scaling and edge clamping happen.
    @Test(arguments: [(7, 9, 13, 20), (9, 12, 5, 7), (4, 4, 4, 9)])
    func resizeBilinearMatchesNaive(ih: Int, iw: Int, oh: Int, ow: Int) throws {
        let planes = 6
        var values = [Float]()
        var seed: UInt32 = 7
        for _ in 0..<(planes * ih * iw) {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            values.append(Float(seed >> 9) / Float(1 << 23))
        }
        let y = try OpKit.run("Resize", [.input(OpKit.floats([2, 3, ih, iw], values)), .none, .none,
                                         .constant(OpKit.int64s([2, 3, oh, ow]))], ["mode": .string("linear")])
        func taps(_ o: Int, _ inDim: Int, _ outDim: Int) -> (Int, Int, Float) {
            let x = (Double(o) + 0.5) * Double(inDim) / Double(outDim) - 0.5
            let f = x.rounded(.down)
            let i0 = Int(f)
            return (min(max(i0, 0), inDim - 1), min(max(i0 + 1, 0), inDim - 1), Float(x - f))
        }
        var expected = [Float]()
        for p in 0..<planes {
            for r in 0..<oh {
                let (y0, y1, wy) = taps(r, ih, oh)
                for c in 0..<ow {
                    let (x0, x1, wx) = taps(c, iw, ow)
                    let v = { (yy: Int, xx: Int) in values[(p * ih + yy) * iw + xx] }
                    let top = (1 - wx) * v(y0, x0) + wx * v(y0, x1)
                    let bottom = (1 - wx) * v(y1, x0) + wx * v(y1, x1)
                    expected.append((1 - wy) * top + wy * bottom)
                }
            }
        }
        #expect(OpKit.close(y[0].floatValues(), expected, tol: 1e-5))
    }

    @Test func depthToSpaceAndBack() throws {
        let x = OpKit.iota([1, 8, 2, 3])
        for mode in ["DCR", "CRD"] {
            let d = try OpKit.run("DepthToSpace", [.input(x)], ["blocksize": .int(2), "mode": .string(mode)])
            #expect(d[0].shape == [1, 2, 4, 6])
            // Naive definition.
            let v = d[0].floatValues()
            var ok = true
            for c in 0..<2 { for h in 0..<4 { for w in 0..<6 {
                let (bh, bw) = (h % 2, w % 2)
                let ic = mode == "DCR" ? (bh * 2 + bw) * 2 + c : c * 4 + bh * 2 + bw
                let expected = Float((ic * 2 + h / 2) * 3 + w / 2)
                if v[(c * 4 + h) * 6 + w] != expected { ok = false }
            } } }
            #expect(ok, "DepthToSpace \(mode)")
        }
        // SpaceToDepth inverts DCR DepthToSpace.
        let d = try OpKit.run("DepthToSpace", [.input(x)], ["blocksize": .int(2)])
        let s = try OpKit.run("SpaceToDepth", [.input(d[0])], ["blocksize": .int(2)])
        #expect(s[0].shape == [1, 8, 2, 3] && s[0].floatValues() == x.floatValues())
    }

    @Test func triluOneHotNonZero() throws {
        let x = OpKit.floats([3, 3], (1...9).map { Float($0) })
        let up = try OpKit.run("Trilu", [.input(x)])
        #expect(up[0].floatValues() == [1, 2, 3, 0, 5, 6, 0, 0, 9])
        let low = try OpKit.run("Trilu", [.input(x), .constant(OpKit.int64s([-1], shape: []))], ["upper": .int(0)])
        #expect(low[0].floatValues() == [0, 0, 0, 4, 0, 0, 7, 8, 0])
        let oh = try OpKit.run("OneHot", [.input(OpKit.int64s([1, -1, 5])), .constant(OpKit.int64s([3], shape: [])),
                                          .constant(OpKit.floats([2], [0, 1]))])
        #expect(oh[0].shape == [3, 3] && oh[0].floatValues() == [0, 1, 0, 0, 0, 1, 0, 0, 0])
        let oh0 = try OpKit.run("OneHot", [.input(OpKit.int64s([0, 2])), .constant(OpKit.int64s([3], shape: [])),
                                           .constant(OpKit.int64s([5, 6]))], ["axis": .int(0)])
        #expect(oh0[0].shape == [3, 2] && OpKit.ints(oh0[0]) == [6, 5, 5, 5, 5, 6])
        // NonZero folds when its input is constant, and is unsupported otherwise.
        let nz = try OpKit.run("NonZero", [.constant(OpKit.floats([2, 2], [1, 0, 0, 3]))])
        #expect(nz[0].shape == [2, 2] && OpKit.ints(nz[0]) == [0, 1, 0, 1])
        do {
            _ = try OpKit.run("NonZero", [.input(x)])
            Issue.record("expected an error")
        } catch {
            guard case .unsupportedAttribute = error else { Issue.record("wrong error \(error.description)"); return }
        }
    }
}
