import Testing
import OutpostONNX
import OutpostRuntime

@Suite("ONNXLoader")
struct ONNXLoaderTests {
    @Test func typedDataFieldsAndSymbolicBatch() throws {
        let m = try Fixtures.load("typed.onnx")
        let g = m.graph
        #expect(m.irVersion > 0)
        #expect(m.producer == "outpost-fixtures")
        #expect(m.producerVersion == "1.0")
        #expect(m.docString == "typed data fields")
        #expect(m.modelVersion == 7)
        #expect(m.domain == "ai.outpost.test")
        #expect(m.metadata["author"] == "outpost")
        #expect(m.onnxOpset == 17)
        #expect(g.name == "typed")
        #expect(g.inputs.count == 1)
        #expect(g.inputs[0].name == "x")
        #expect(g.inputs[0].dtype == .float32)
        #expect(g.inputs[0].shape == [.symbolic("batch"), .fixed(3)])
        #expect(g.outputs.map(\.name) == ["y"])
        let i = g.initializers
        #expect(i["w_f32"]?.shape == [3])
        #expect(i["w_f32"]?.values(Float.self) == [0.5, -1.0, 2.0])
        #expect(i["w_i64"]?.dtype == .int64)
        #expect(i["w_i64"]?.shape == [2, 2])
        #expect(i["w_i64"]?.values(Int64.self) == [1, -2, 3, 1 << 40])
        #expect(i["w_i32"]?.values(Int32.self) == [7, -8, Int32.max])
        #expect(i["w_i8"]?.values(Int8.self) == [-128, -1, 0, 127])
        #expect(i["w_u8"]?.values(UInt8.self) == [0, 128, 255])
        #expect(i["w_bool"]?.dtype == .bool)
        #expect(i["w_bool"]?.values(UInt8.self) == [1, 0, 1])
        #expect(i["w_f16"]?.dtype == .float16)
        #expect(i["w_f16"]?.floatValues() == [1.0, -2.0, 0.5])
        #expect(i["w_scalar"]?.shape == [])
        #expect(i["w_scalar"]?.floatValues() == [3.25])
        // Attributes of each kind.
        let byName = Dictionary(uniqueKeysWithValues: g.nodes.map { ($0.name, $0) })
        #expect(try byName["transpose"]?.ints("perm") == [1, 0])
        #expect(try byName["leaky"]?.float("alpha") == 0.25)
        #expect(try byName["pad"]?.string("mode", default: "") == "reflect")
        // Topological order: Add before Mul.
        let order = g.nodes.map(\.name)
        #expect(order.firstIndex(of: "add")! < order.firstIndex(of: "mul")!)
    }

    @Test func rawDataIsReadInPlaceFromTheMap() throws {
        let m = try Fixtures.load("raw.onnx")
        let i = m.graph.initializers
        let w = try #require(i["w"])
        #expect(w.shape == [2, 3])
        #expect(w.floatValues() == [0, 0.25, 0.5, 0.75, 1.0, 1.25])
        #expect(i["b"]?.values(Int64.self) == [1, 2])
        #expect(i["h"]?.dtype == .float16)
        #expect(i["h"]?.floatValues() == [1.0, -2.0, 0.5, 65504.0])
        #expect(i["q"]?.values(Int8.self) == [-3, 0, 5])
        #expect(i["u"]?.shape == [2, 2])
        #expect(i["u"]?.values(UInt8.self) == [1, 2, 3, 4])
        #expect(i["m"]?.values(UInt8.self) == [1, 0])
        #expect(i["i"]?.values(Int32.self) == [-5, 6])
        // At least one initializer must be a view into the mapped file, not a copy.
        let source = try #require(m.source)
        let inPlace = i.values.filter { $0.buffer === source }
        #expect(!inPlace.isEmpty)
        for t in inPlace { #expect((Int(bitPattern: t.raw) % t.dtype.size) == 0) }
    }

    @Test func externalData() throws {
        let m = try Fixtures.load("external.onnx")
        let w = try #require(m.graph.initializers["w"])
        #expect(w.shape == [2, 4])
        #expect(w.floatValues() == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(m.graph.initializers["v"]?.values(Int64.self) == [10, 20, 30])
    }

    @Test func externalDataMayNotEscapeTheModelDirectory() {
        let e = Fixtures.loadError("external_escape.onnx")
        #expect(e?.isInvalid == true)
        #expect(e?.description.contains("escapes the model directory") == true)
    }

    @Test func externalDataNeedsABaseDirectory() {
        do {
            _ = try loadBytes(Fixtures.bytes("external.onnx"))
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("external data"))
        }
    }

    @Test func constantNodesBecomeInitializers() throws {
        let m = try Fixtures.load("constants.onnx")
        let g = m.graph
        #expect(g.nodes.map(\.opType) == ["Add", "Mul"])
        #expect(g.initializers["c_tensor"]?.floatValues() == [1.5, 2.5])
        #expect(g.initializers["c_float"]?.shape == [])
        #expect(g.initializers["c_float"]?.floatValues() == [0.75])
        #expect(g.initializers["c_floats"]?.shape == [3])
        #expect(g.initializers["c_int"]?.dtype == .int64)
        #expect(g.initializers["c_int"]?.values(Int64.self) == [-4])
        #expect(g.initializers["c_ints"]?.values(Int64.self) == [5, 6])
        #expect(g.inputs.map(\.name) == ["x"])
    }

    @Test func stringConstantIsRefused() {
        guard case let .unsupportedDataType(tensor, dtype)? = Fixtures.loadError("constant_string.onnx") else {
            Issue.record("expected unsupportedDataType"); return
        }
        #expect(tensor == "y")
        #expect(dtype == "string")
    }

    @Test func unsupportedDtypesNameTheTensor() {
        guard case let .unsupportedDataType(t1, d1)? = Fixtures.loadError("unsupported_dtype.onnx") else {
            Issue.record("expected unsupportedDataType"); return
        }
        #expect(t1 == "w_u16")
        #expect(d1 == "uint16")
        guard case let .unsupportedDataType(t2, d2)? = Fixtures.loadError("double.onnx") else {
            Issue.record("expected unsupportedDataType"); return
        }
        #expect(t2 == "w_double")
        #expect(d2 == "double")
    }

    @Test func subgraphAttributesSeeOuterScope() throws {
        let m = try Fixtures.load("if.onnx")
        let node = try #require(m.graph.nodes.first { $0.opType == "If" })
        guard case let .graph(thenBranch)? = node.attributes["then_branch"],
              case let .graph(elseBranch)? = node.attributes["else_branch"] else {
            Issue.record("missing branches"); return
        }
        #expect(thenBranch.nodes.map(\.opType) == ["Relu"])
        #expect(thenBranch.nodes[0].inputs == ["xx"])
        #expect(elseBranch.outputs.map(\.name) == ["e_out"])
        #expect(m.graph.inputs.map(\.name) == ["cond", "x"])
        #expect(m.graph.inputs[0].dtype == .bool)
        #expect(m.graph.inputs[0].shape == [])
    }

    @Test func nodesAreOrderedAfterValuesTheirSubgraphsCapture() throws {
        let m = try Fixtures.load("if_unordered.onnx")
        #expect(m.graph.nodes.map(\.opType) == ["Identity", "If"])
    }

    @Test func modelLocalFunctionsAreUnsupportedOperators() {
        guard case let .unsupportedOperator(op, domain, _, node)? = Fixtures.loadError("function.onnx") else {
            Issue.record("expected unsupportedOperator"); return
        }
        #expect(op == "Twice")
        #expect(domain == "custom.fn")
        #expect(node.contains("twice"))
    }

    @Test func oldIRInitializersAreNotInputs() throws {
        let m = try Fixtures.load("old_ir.onnx")
        #expect(m.irVersion == 3)
        #expect(m.graph.inputs.map(\.name) == ["x"])
        #expect(m.opsets[""] == 9)
        #expect(m.onnxOpset == 9)
        #expect(m.graph.nodes.map(\.opType) == ["Add", "Relu"])
    }

    @Test func invalidGraphsAreReported() {
        let dangling = Fixtures.loadError("dangling.onnx")
        #expect(dangling?.isInvalid == true)
        #expect(dangling?.description.contains("nowhere") == true)
        let dup = Fixtures.loadError("duplicate_output.onnx")
        #expect(dup?.isInvalid == true)
        #expect(dup?.description.contains("'y'") == true)
        let cycle = Fixtures.loadError("cycle.onnx")
        #expect(cycle?.isInvalid == true)
        #expect(cycle?.description.contains("cycle") == true)
    }

    @Test func missingFileIsAnIOError() {
        guard case .io? = Fixtures.loadError("no-such-model.onnx") else {
            Issue.record("expected io error"); return
        }
    }
}
