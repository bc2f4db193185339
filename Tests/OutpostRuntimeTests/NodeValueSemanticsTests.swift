import Testing
@testable import OutpostRuntime

/// `Node` keeps its fields in a copy-on-write box (one retain per copy): a copy
/// changed afterwards must not change the node it was copied from, whichever field
/// is changed and however (assignment, in-place append, subscript).
@Suite struct NodeValueSemanticsTests {
    func conv() -> Node {
        Node(name: "c", opType: "Conv", domain: "ai.onnx", inputs: ["x", "w"], outputs: ["y"],
             attributes: ["group": .int(1)])
    }

    @Test func copiesAreIndependent() {
        let original = conv()
        var copy = original
        copy.name = "c2"
        copy.opType = "ConvInteger"
        copy.domain = "com.microsoft"
        copy.inputs[1] = "w2"
        copy.inputs.append("b")
        copy.outputs = ["z"]
        copy.attributes["group"] = .int(2)

        #expect(original.name == "c" && original.opType == "Conv" && original.domain == "")
        #expect(original.inputs == ["x", "w"] && original.outputs == ["y"])
        #expect((try? original.int("group", default: 0)) == 1)
        #expect(copy.name == "c2" && copy.opType == "ConvInteger" && copy.domain == "com.microsoft")
        #expect(copy.inputs == ["x", "w2", "b"] && copy.outputs == ["z"])
        #expect((try? copy.int("group", default: 0)) == 2)
    }

    /// Nodes inside an array (a graph's nodes) change in place, and a copy taken out
    /// before does not see the change.
    @Test func arrayElementsChangeInPlace() {
        var nodes = [conv(), conv()]
        let before = nodes[0]
        nodes[0].inputs[0] = "x2"
        nodes[1].attributes["group"] = .int(4)
        #expect(nodes[0].inputs == ["x2", "w"] && before.inputs == ["x", "w"])
        #expect((try? nodes[1].int("group", default: 0)) == 4 && (try? nodes[0].int("group", default: 0)) == 1)
    }
}
