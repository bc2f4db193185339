import Foundation
import OutpostONNX
import OutpostRuntime
import Testing

/// Memory footprint of weights (docs/size-budget.md): misaligned initializers are
/// copied lazily, so weights a Conv/Gemm packs are never copied out of the mapped
/// model (BatchNormalization is folded in while packing), and the planner hands the
/// map's pages back once packing is done — with unchanged outputs.
@Suite struct WeightFootprintTests {
    static let mobilenet: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models/mobilenet").path
    }()

    @Test func packedWeightsAreNeverCopiedAndOutputsAreUnchanged() throws {
        let model = try ONNXLoader.load(path: Self.mobilenet + "/model.onnx")
        var packed = Set<String>()
        for node in model.graph.nodes where ["Conv", "Gemm"].contains(node.opType) { packed.insert(node.inputs[1]) }
        let lazy = packed.filter { model.graph.initializers[$0]?.buffer.isMaterialized == false }
        // Protobuf does not align raw_data: most weights are misaligned in the file.
        #expect(lazy.count > packed.count / 2, "\(lazy.count) of \(packed.count) weights are lazy copies")

        let session = try Session(model: model, options: SessionOptions(threads: 1))
        // Planning packed them (BN scale applied) without making the copies.
        for name in lazy { #expect(model.graph.initializers[name]?.buffer.isMaterialized == false, "\(name) was copied") }

        let input = try TensorProtoFile.read(path: Self.mobilenet + "/test_data_set_0/input_0.pb").tensor
        let expected = try TensorProtoFile.read(path: Self.mobilenet + "/test_data_set_0/output_0.pb").tensor.floatValues()
        // Twice: the second run reads views whose pages were released after planning.
        for _ in 0..<2 {
            let out = try session.run([input])[0].floatValues()
            #expect(out.count == expected.count)
            var maxDiff: Float = 0
            for i in 0..<min(out.count, expected.count) { maxDiff = max(maxDiff, abs(out[i] - expected[i])) }
            #expect(maxDiff < 1e-4, "max |diff| \(maxDiff)")
        }
        for name in lazy { #expect(model.graph.initializers[name]?.buffer.isMaterialized == false) }

        // Unoptimised (BatchNormalization runs as its own node): the same outputs.
        let plain = try Session(model: model, options: SessionOptions(threads: 1, optimize: false))
        let out = try plain.run([input])[0].floatValues()
        var maxDiff: Float = 0
        for i in 0..<min(out.count, expected.count) { maxDiff = max(maxDiff, abs(out[i] - expected[i])) }
        #expect(maxDiff < 1e-4, "max |diff| \(maxDiff)")
    }
}
