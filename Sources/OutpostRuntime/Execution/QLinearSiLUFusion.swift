/// QLinearSigmoid(x) → QLinearMul(x, s) (either operand order), the int8 SiLU / Swish
/// that onnxruntime's quantizer writes and QDQFolding produces (YOLO: 18 pairs),
/// becomes one QLinearSigmoid node with the Mul's scales and zero points appended and
/// the attribute `outpost.mul_by_input` (0: x is the Mul's A, 1: its B). Its operator
/// (QLinearLookupOperator) then applies one 256-entry table, T[b] = qmul(b, sig[b]),
/// made at planning with the same table builder and QLinearMul kernel the two ops run:
/// both are functions of the input byte only, so every output byte is unchanged.
///
/// Fires only when s has no other reader and is not a graph output, and every scale and
/// zero point is an initializer (the table is built once). A pass of its own so the
/// optimizer needs one call (after QDQFolding, before the float passes).
struct QLinearSiLUFusion {
    let graph: Graph

    static let attribute = "outpost.mul_by_input"

    func run() {
        let counts = graph.consumerCounts(), producer = graph.producers()
        var removed = NodeIndexSet()
        for (mulIndex, mul) in graph.nodes.enumerated()
        where mul.opType == "QLinearMul" && mul.domain == "com.microsoft" && (mul.inputs.count == 7 || mul.inputs.count == 8)
            && mul.outputs.count == 1 {
            for (xSide, sSide) in [(0, 3), (3, 0)] {
                let x = mul.inputs[xSide], s = mul.inputs[sSide]
                guard !x.isEmpty, let sigIndex = producer[s], !removed.contains(sigIndex) else { continue }
                let sig = graph.nodes[sigIndex]
                guard sig.opType == "QLinearSigmoid", sig.domain == "com.microsoft", sig.inputs.count == 4 || sig.inputs.count == 5,
                      sig.outputs == [s], sig.inputs[0] == x, counts[s] == 1,
                      sig.attributes[QLinearSiLUFusion.attribute] == nil else { continue }
                func at(_ n: Node, _ i: Int) -> String { i < n.inputs.count ? n.inputs[i] : "" }
                // X_scale, X_zp, Y_scale, Y_zp of the Sigmoid; A, B, C scale / zp of the Mul.
                let params = [at(sig, 1), at(sig, 2), at(sig, 3), at(sig, 4),
                              at(mul, 1), at(mul, 2), at(mul, 4), at(mul, 5), at(mul, 6), at(mul, 7)]
                guard !params[0].isEmpty, !params[2].isEmpty, !params[4].isEmpty, !params[6].isEmpty, !params[8].isEmpty,
                      params.allSatisfy({ $0.isEmpty || graph.initializers[$0] != nil }) else { continue }
                var fused = sig
                fused.name = mul.name.isEmpty ? sig.name : mul.name
                fused.inputs = [x] + params
                fused.outputs = mul.outputs
                fused.attributes[QLinearSiLUFusion.attribute] = .int(xSide == 0 ? 0 : 1)
                graph.nodes[mulIndex] = fused
                removed.insert(sigIndex)
                break
            }
        }
        graph.removeNodes(removed)
    }
}
