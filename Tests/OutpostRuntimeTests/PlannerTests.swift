import Testing
import Foundation
@testable import OutpostRuntime

/// The planner: shape inference, constant folding, aliasing and the arena plan.
@Suite struct PlannerTests {
    func chain(_ ops: [String], length: Int = 1024) -> Graph {
        var nodes = [Node]()
        var prev = "x"
        for (i, op) in ops.enumerated() {
            let out = i == ops.count - 1 ? "y" : "v\(i)"
            nodes.append(Node(name: "n\(i)", opType: op, inputs: [prev], outputs: [out]))
            prev = out
        }
        return Graph(name: "chain", nodes: nodes,
                     inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(length)])],
                     outputs: [ValueInfo(name: "y", dtype: .float32, shape: [.fixed(length)])])
    }

    @Test func arenaReusesMemoryOfDeadValues() throws {
        let session = try Session(model: Model(graph: chain(["Relu", "Relu", "Relu", "Relu", "Relu", "Relu"]), opsets: ["": 17]))
        let plan = try #require(session.planSummary)
        #expect(plan.steps == 6)
        // Seven 4 KiB values live in a chain: at most three are alive at once.
        #expect(plan.unsharedBytes == 7 * 4096)
        #expect(plan.arenaBytes <= 3 * 4096)
        let x = Tensor(shape: [1024], floats: (0..<1024).map { Float($0 % 7) - 3 })
        let y = try session.run([x])
        for i in 0..<1024 { #expect(y[0].floats[i] == max(0, Float(i % 7) - 3)) }
    }

    @Test func identityAliasesItsInput() throws {
        let session = try Session(model: Model(graph: chain(["Relu", "Identity", "Identity", "Relu"]), opsets: ["": 17]))
        let plan = try #require(session.planSummary)
        #expect(plan.steps == 2)  // the Identity nodes run as views
        let y = try session.run([Tensor(shape: [1024], floats: [Float](repeating: -1, count: 1024))])
        #expect(y[0].floats[5] == 0)
    }

    @Test func constantsAreFoldedAtPlanning() throws {
        // Relu(c) depends only on an initializer: it becomes a constant, no step runs it.
        let g = Graph(name: "fold",
                      nodes: [Node(name: "a", opType: "Relu", inputs: ["c"], outputs: ["c2"]),
                              Node(name: "b", opType: "Relu", inputs: ["x"], outputs: ["y"])],
                      inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(2)])],
                      outputs: [ValueInfo(name: "y", dtype: .float32, shape: [.fixed(2)]),
                                ValueInfo(name: "c2", dtype: .float32, shape: [.fixed(2)])],
                      initializers: ["c": Tensor(shape: [2], floats: [-5, 5])])
        let session = try Session(model: Model(graph: g, opsets: ["": 17]))
        let plan = try #require(session.planSummary)
        #expect(plan.steps == 1)
        #expect(plan.foldedNodes == 1)
        let out = try session.run([Tensor(shape: [2], floats: [1, -1])])
        #expect(out[0].floatValues() == [1, 0])
        #expect(out[1].floatValues() == [0, 5])
    }

    /// Operators read their tensors through pointers taken when the plan is made
    /// (StepPointers): each new plan (another batch size) must bring its own, and a
    /// step whose outputs are empty is skipped.
    @Test func stepPointersFollowEveryPlan() throws {
        let g = Graph(name: "softmax", nodes: [Node(name: "s", opType: "Softmax", inputs: ["x"], outputs: ["y"])],
                      inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N"), .fixed(4)])],
                      outputs: [ValueInfo(name: "y", dtype: .float32, shape: [.symbolic("N"), .fixed(4)])])
        let session = try Session(model: Model(graph: g, opsets: ["": 17]))
        for n in [2, 0, 3, 2] {
            let values = (0..<(4 * n)).map { Float($0 % 5) }
            let y = try session.run([Tensor(shape: [n, 4], floats: values)])
            #expect(y[0].shape == [n, 4])
            for r in 0..<n {
                let row = values[(4 * r)..<(4 * r + 4)]
                let e = row.map { Float(exp(Double($0 - row.max()!))) }
                let sum = e.reduce(0, +)
                for c in 0..<4 { #expect(abs(y[0].floats[4 * r + c] - e[c] / sum) < 1e-6, "n \(n) row \(r)") }
            }
        }
    }

    @Test func symbolicBatchIsPlannedPerShape() throws {
        let g = Graph(name: "batch", nodes: [Node(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"])],
                      inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N"), .fixed(3)])],
                      outputs: [ValueInfo(name: "y", dtype: .float32, shape: [.symbolic("N"), .fixed(3)])])
        let session = try Session(model: Model(graph: g, opsets: ["": 17]))
        #expect(session.planSummary == nil)  // planned at the first run
        let one = try session.run([Tensor(shape: [1, 3], floats: [-1, 0, 1])])
        #expect(one[0].shape == [1, 3])
        let two = try session.run([Tensor(shape: [2, 3], floats: [-1, 0, 1, 2, -2, 3])])
        #expect(two[0].shape == [2, 3])
        #expect(two[0].floatValues() == [0, 0, 1, 2, 0, 3])
    }

    @Test func wrongInputsAreRejectedWithTheirNames() throws {
        let session = try Session(model: Model(graph: chain(["Relu"], length: 4), opsets: ["": 17]))
        #expect(throws: OutpostError.self) { try session.run([]) }
        do {
            _ = try session.run([Tensor(shape: [5], floats: [0, 0, 0, 0, 0])])
            Issue.record("expected an input mismatch")
        } catch {
            #expect(error.description.contains("'x'"))
            #expect(error.description.contains("[5]"))
        }
        do {
            _ = try session.run([Tensor(zeros: .int64, shape: [4])])
            Issue.record("expected a type mismatch")
        } catch {
            #expect(error.description.contains("float32"))
        }
    }

    @Test func unknownOperatorIsNamed() throws {
        let g = Graph(name: "u", nodes: [Node(name: "mystery", opType: "FrobnicateV9", inputs: ["x"], outputs: ["y"])],
                      inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(1)])],
                      outputs: [ValueInfo(name: "y", dtype: .float32, shape: [.fixed(1)])])
        do {
            _ = try Session(model: Model(graph: g, opsets: ["": 17]))
            Issue.record("expected unsupported operator")
        } catch {
            guard case .unsupportedOperator(let op, _, _, let node) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(op == "FrobnicateV9")
            #expect(node == "mystery")
        }
    }

    @Test func cyclesAndDanglingNamesAreInvalid() throws {
        let g = Graph(name: "cycle",
                      nodes: [Node(name: "a", opType: "Relu", inputs: ["b_out"], outputs: ["a_out"]),
                              Node(name: "b", opType: "Relu", inputs: ["a_out"], outputs: ["b_out"])],
                      inputs: [], outputs: [ValueInfo(name: "a_out", dtype: .float32, shape: nil)])
        #expect(throws: OutpostError.self) { try g.sortTopologically() }
    }
}
