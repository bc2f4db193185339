/// ConvInteger → Cast(to float) → Mul(·, S) [→ Add(·, B)], the convolution that
/// onnxruntime's `quantize_dynamic` writes (S = x_scale · w_scale, B the float bias),
/// becomes one ConvInteger node with S and B appended (inputs 4 and 5) and the
/// attribute `outpost.float_scale`: its operator writes float32 straight from the
/// kernel's epilogue, `float(acc) · S + B[c]`, the same operations in the same order as
/// the three nodes (Cast rounds to nearest even as `cvtdq2ps` does; one multiply, one
/// add, no fused multiply-add), so every output is bit-identical and the int32 and
/// float intermediates (two full tensors written and read back) are gone.
///
/// When S is a Mul of two scalars that only this Mul reads (x_scale · w_scale), the
/// fused node takes the two factors instead (inputs 4 and 6) and multiplies them per run:
/// one step fewer per layer, the same float product.
///
/// Fires only where the shapes are known here to broadcast per output channel: S a
/// scalar (an initializer of one element, or a Mul of two such or of a
/// DynamicQuantizeLinear's scale output), B an initializer of one element or of shape
/// [1, C, 1, 1] / [C, 1, 1], or a Reshape of a C-element initializer to one of those
/// (with -1 for C) — C = the weights' output channels (a 4-D initializer: 2-D
/// convolutions). The intermediates must have no other reader and not be graph outputs.
///
/// MatMulInteger → Cast → Mul(·, S) [→ Add(·, B)] (quantize_dynamic's MatMul / Gemm) is
/// fused the same way when B is a 2-D initializer of N columns: the bias must then be an
/// initializer of one element or of shape [N] / [1, N] (per column).
struct IntegerConvScaleFusion {
    let graph: Graph

    static let attribute = "outpost.float_scale"

    func run() {
        let counts = graph.consumerCounts(), producer = graph.producers()
        func single(_ name: String) -> Bool { counts[name] == 1 }
        // The only reader of `name`, as (index, node).
        var reader = [String: Int]()
        for (i, node) in graph.nodes.enumerated() {
            for input in node.inputs where !input.isEmpty && counts[input] == 1 { reader[input] = i }
        }
        func isScalarInitializer(_ name: String) -> Bool {
            guard let t = graph.initializers[name] else { return false }
            return t.count == 1 && t.dtype == .float32
        }
        // A DynamicQuantizeLinear's y_scale output (a scalar by definition).
        func isDynamicScale(_ name: String) -> Bool {
            guard let p = producer[name] else { return false }
            let n = graph.nodes[p]
            return n.opType == "DynamicQuantizeLinear" && n.domain.isEmpty && n.outputs.count > 1 && n.outputs[1] == name
        }
        func isScalar(_ name: String) -> Bool {
            if isScalarInitializer(name) || isDynamicScale(name) { return true }
            guard let p = producer[name] else { return false }
            let n = graph.nodes[p]
            guard n.opType == "Mul" && n.domain.isEmpty && n.inputs.count == 2 else { return false }
            return n.inputs.allSatisfy { isScalarInitializer($0) || isDynamicScale($0) }
        }
        func perChannelShape(_ dims: [Int], _ c: Int) -> Bool {
            dims == [1, c, 1, 1] || dims == [c, 1, 1]
        }
        func isColumnBias(_ name: String, _ n: Int) -> Bool {
            guard let t = graph.initializers[name], t.dtype == .float32 else { return false }
            return t.count == 1 && t.shape.count <= 2 || t.shape == [n] || t.shape == [1, n]
        }
        func isBias(_ name: String, _ c: Int) -> Bool {
            if let t = graph.initializers[name] {
                return t.dtype == .float32 && (t.count == 1 && t.shape.count <= 4 || perChannelShape(t.shape, c))
            }
            guard let p = producer[name] else { return false }
            let n = graph.nodes[p]
            guard n.opType == "Reshape", n.domain.isEmpty, n.inputs.count == 2,
                  let data = graph.initializers[n.inputs[0]], data.dtype == .float32, data.count == c,
                  let shape = graph.initializers[n.inputs[1]], shape.dtype == .int64 else { return false }
            if let allow = n.attributes["allowzero"], case let .int(v) = allow, v != 0 { return false }
            let dims = shape.integerValues().map { $0 == -1 ? c : $0 }
            return perChannelShape(dims, c)
        }
        var removed = NodeIndexSet()
        for (convIndex, conv) in graph.nodes.enumerated()
        where (conv.opType == "ConvInteger" || conv.opType == "MatMulInteger") && conv.domain.isEmpty
            && conv.inputs.count >= 2 && conv.inputs.count <= 4
            && conv.outputs.count == 1 && conv.attributes[IntegerConvScaleFusion.attribute] == nil {
            let isConv = conv.opType == "ConvInteger"
            guard let w = graph.initializers[conv.inputs[1]], w.shape.count == (isConv ? 4 : 2) else { continue }
            let c = isConv ? w.shape[0] : w.shape[1]
            let a = conv.outputs[0]
            guard single(a), let castIndex = reader[a] else { continue }
            let cast = graph.nodes[castIndex]
            guard cast.opType == "Cast", cast.domain.isEmpty, cast.outputs.count == 1,
                  let to = cast.attributes["to"], case let .int(toType) = to, toType == 1 else { continue }
            let b = cast.outputs[0]
            guard single(b), let mulIndex = reader[b] else { continue }
            let mul = graph.nodes[mulIndex]
            guard mul.opType == "Mul", mul.domain.isEmpty, mul.inputs.count == 2, mul.outputs.count == 1 else { continue }
            let s = mul.inputs[0] == b ? mul.inputs[1] : mul.inputs[0]
            guard s != b, isScalar(s) else { continue }
            // S = Mul(x_scale, w_scale) read by this Mul only (quantize_dynamic's
            // "…_scales_mul"): its two scalars go to the fused node, which multiplies them
            // each run (the same one float product), and the Mul — a step of its own — goes.
            var scales = [s]
            if single(s), let p = producer[s], case let sm = graph.nodes[p], sm.opType == "Mul", sm.domain.isEmpty,
               sm.inputs.count == 2, sm.outputs.count == 1,
               sm.inputs.allSatisfy({ isScalarInitializer($0) || isDynamicScale($0) }) {
                scales = sm.inputs
                removed.insert(p)
            }
            var out = mul.outputs[0]
            var bias = ""
            var last = mulIndex
            if single(out), let addIndex = reader[out] {
                let add = graph.nodes[addIndex]
                if add.opType == "Add", add.domain.isEmpty, add.inputs.count == 2, add.outputs.count == 1 {
                    let other = add.inputs[0] == out ? add.inputs[1] : add.inputs[0]
                    if other != out, isConv ? isBias(other, c) : isColumnBias(other, c) {
                        bias = other
                        out = add.outputs[0]
                        last = addIndex
                        removed.insert(mulIndex)
                    }
                }
            }
            var fused = conv
            var inputs = conv.inputs
            while inputs.count < 4 { inputs.append("") }
            fused.inputs = inputs + [scales[0], bias] + scales.dropFirst()
            fused.outputs = [out]
            fused.attributes[IntegerConvScaleFusion.attribute] = .int(1)
            // The fused node takes the last node's place (its readers come after it).
            graph.nodes[last] = fused
            removed.insert(convIndex)
            removed.insert(castIndex)
        }
        graph.removeNodes(removed)
    }
}
