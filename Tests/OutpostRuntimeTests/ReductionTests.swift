import Foundation
import Testing
@testable import OutpostRuntime

private typealias H = ElementwiseHarness

@Suite("Reduction operators")
struct ReductionTests {
    // x: shape [2, 3, 4], values 0..<24 shifted
    let x: [Float] = (0..<24).map { Float($0) - 7.5 }

    /// Reference reduction over `axes` of [2, 3, 4] (keepdims shape handled by caller).
    private func reference(_ axes: Set<Int>, _ f: ([Float]) -> Float) -> [Float] {
        let shape = [2, 3, 4]
        var groups = [[Int]: [Float]]()
        var order = [[Int]]()
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            let idx = [i, j, k]
            var key = [Int]()
            for d in 0..<3 where !axes.contains(d) { key.append(idx[d]) }
            if groups[key] == nil { order.append(key); groups[key] = [] }
            groups[key]!.append(x[(i * 3 + j) * 4 + k])
        } } }
        _ = shape
        return order.map { f(groups[$0]!) }
    }

    @Test func reduceSumAxesInputVersusAttribute() throws {
        let t = H.f([2, 3, 4], x)
        let ref = reference([1]) { $0.reduce(0, +) }
        let s13 = try H.run("ReduceSum", [.feed(t), .constant(H.i64([1], [1]))], attributes: ["keepdims": .int(0)], opset: 13)
        #expect(s13[0].shape == [2, 4])
        #expect(H.close(s13[0].floatValues(), ref))
        let s11 = try H.run("ReduceSum", [.feed(t)], attributes: ["axes": .ints([-2])], opset: 11)
        #expect(s11[0].shape == [2, 1, 4])
        #expect(H.close(s11[0].floatValues(), ref))
    }

    @Test func reduceAllAndNoop() throws {
        let t = H.f([2, 3, 4], x)
        let all = try H.run("ReduceMax", [.feed(t)], opset: 18)
        #expect(all[0].shape == [1, 1, 1])
        #expect(all[0].floatValues() == [x.max()!])
        let noop = try H.run("ReduceSum", [.feed(t), .constant(H.i64([0], []))], attributes: ["noop_with_empty_axes": .int(1)], opset: 13)
        #expect(noop[0].floatValues() == x)
        let allNoKeep = try H.run("ReduceMin", [.feed(t)], attributes: ["keepdims": .int(0)], opset: 11)
        #expect(allNoKeep[0].shape == [])
        #expect(allNoKeep[0].floatValues() == [x.min()!])
    }

    @Test func everyReductionMatchesReference() throws {
        let t = H.f([2, 3, 4], x)
        let cases: [(String, ([Float]) -> Float)] = [
            ("ReduceMean", { $0.reduce(0, +) / Float($0.count) }),
            ("ReduceMax", { $0.max()! }),
            ("ReduceMin", { $0.min()! }),
            ("ReduceProd", { $0.reduce(1, *) }),
            ("ReduceL1", { $0.reduce(0) { $0 + abs($1) } }),
            ("ReduceL2", { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }),
            ("ReduceSumSquare", { $0.reduce(0) { $0 + $1 * $1 } }),
            ("ReduceLogSumExp", { v in Float(Foundation.log(v.reduce(0.0) { $0 + Foundation.exp(Double($1)) })) }),
        ]
        for axes in [[0, 2], [2], [0]] {
            for (op, f) in cases {
                let out = try H.run(op, [.feed(t)], attributes: ["axes": .ints(axes), "keepdims": .int(0)], opset: 13)
                #expect(H.close(out[0].floatValues(), reference(Set(axes), f), rtol: 1e-5, atol: 1e-4), "\(op) \(axes)")
            }
            // Same through the axes input (opset 18).
            let out = try H.run("ReduceL2", [.feed(t), .constant(H.i64([axes.count], axes.map { Int64($0) }))], opset: 18)
            #expect(H.close(out[0].floatValues(), reference(Set(axes)) { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }), "L2 opset 18 \(axes)")
        }
    }

    @Test func integerAndBoolReductions() throws {
        let t = H.i64([2, 3], [1, 2, 3, 4, 5, 6])
        let s = try H.run("ReduceSum", [.feed(t), .constant(H.i64([1], [1]))], opset: 13)
        #expect(H.values(s[0], Int64.self) == [6, 15])
        let p = try H.run("ReduceProd", [.feed(H.i32([2, 2], [2, 3, 4, 5]))], attributes: ["axes": .ints([0])], opset: 13)
        #expect(H.values(p[0], Int32.self) == [8, 15])
        let b = try H.run("ReduceMax", [.feed(H.bool([2, 2], [false, true, false, false])), .constant(H.i64([1], [1]))], opset: 20)
        #expect(H.values(b[0], UInt8.self) == [1, 0])
    }

    @Test func emptyReductions() throws {
        let t = H.f([2, 0, 4], [])
        let axes = H.i64([1], [1])
        #expect(try H.run("ReduceSum", [.feed(t), .constant(axes)], opset: 18)[0].floatValues() == [Float](repeating: 0, count: 8))
        #expect(try H.run("ReduceProd", [.feed(t), .constant(axes)], opset: 18)[0].floatValues() == [Float](repeating: 1, count: 8))
        #expect(try H.run("ReduceMax", [.feed(t), .constant(axes)], opset: 18)[0].floatValues() == [Float](repeating: -.infinity, count: 8))
    }

    @Test func argMaxArgMin() throws {
        let t = H.f([2, 3], [1, 5, 5, 7, 0, 7])
        let a0 = try H.run("ArgMax", [.feed(t)], attributes: ["axis": .int(1)])
        #expect(a0[0].shape == [2, 1])
        #expect(H.values(a0[0], Int64.self) == [1, 0])
        let last = try H.run("ArgMax", [.feed(t)], attributes: ["axis": .int(1), "select_last_index": .int(1), "keepdims": .int(0)])
        #expect(last[0].shape == [2])
        #expect(H.values(last[0], Int64.self) == [2, 2])
        let mn = try H.run("ArgMin", [.feed(t)], attributes: ["axis": .int(0)])
        #expect(H.values(mn[0], Int64.self) == [0, 1, 0])
        let ints = try H.run("ArgMin", [.feed(H.i32([4], [3, -1, 2, -1]))], attributes: ["select_last_index": .int(1)])
        #expect(H.values(ints[0], Int64.self) == [3])
    }
}
