/// QDQ folding: rewrites the QuantizeLinear/DequantizeLinear "sandwiches" of a QDQ
/// model (what onnxruntime's `quantize_static(quant_format=QDQ)` and most exporters
/// write) into integer operators, once at load time. Runs first in GraphOptimizer.
///
/// Patterns (x, w, b: DequantizeLinear outputs; Q: the single QuantizeLinear that
/// reads the op's float result):
///
/// | float pattern | becomes |
/// |---|---|
/// | DQ(x), DQ(w const) [, DQ(b int32) or float b const] → Conv [→ Relu/Clip] → Q | QLinearConv (bias int32) |
/// | DQ(a), DQ(b const) → MatMul [→ Relu/Clip] → Q | QLinearMatMul |
/// | DQ(a), DQ(b const) [, bias] → Gemm (alpha = beta = 1) [→ Relu/Clip] → Q | com.microsoft QGemm |
/// | DQ(a), DQ(b) → Add / Mul → Q | com.microsoft QLinearAdd / QLinearMul |
/// | DQ(x₁), DQ(x₂)… → Concat → Q | com.microsoft QLinearConcat |
/// | DQ(x) → GlobalAveragePool → Q | com.microsoft QLinearGlobalAveragePool |
/// | DQ(x) → AveragePool (no padding, ceil_mode 0, dilations 1) → Q | com.microsoft QLinearAveragePool |
/// | DQ(x) → Sigmoid / LeakyRelu → Q | com.microsoft QLinearSigmoid / QLinearLeakyRelu (lookup tables) |
/// | DQ(x) → MaxPool / Reshape / Flatten / Transpose / Squeeze / Unsqueeze / Slice / Split / Resize(nearest) / Identity → Q, same scale and zero point | the same op on the integers |
///
/// The last row is exact: those ops only select or reorder values (MaxPool picks
/// the max, which commutes with the monotonic quantization) and Q(DQ(v)) = v for
/// equal parameters. The others match the float pattern within one quantization
/// step (the integer kernels requantize once with scale (s_x·s_w)/s_y instead of
/// rounding through float).
///
/// A fused Relu/Clip is folded only when the output quantization already implies
/// its clamp (Relu: the zero point is the type's minimum; Clip(lo, hi): Q(lo) ≤
/// qmin and Q(hi) ≥ qmax), which is what quantizers produce; the QLinear ops carry
/// no activation attribute, so any other clamp leaves the pattern in float.
///
/// Preconditions checked for every rewrite: constant scales and zero points of the
/// right shape (per-tensor, or per output channel on weights), the op's float
/// result read only by that one QuantizeLinear (not a graph output), matching
/// types, no saturate/output_dtype/block_size variants. A pattern that fails stays
/// as float ops (DequantizeLinear → op → QuantizeLinear, exact to the spec) and the
/// pass records why (`Miss`, shown by `outpost inspect`). DequantizeLinear nodes
/// left without readers are removed afterwards.
public struct QDQFolding {
    /// A QDQ pattern that was recognised (an op reading a DequantizeLinear output)
    /// but not folded, and why.
    public struct Miss {
        public let node: String
        public let opType: String
        public let reason: String
    }

    public let graph: Graph

    public init(graph: Graph) {
        self.graph = graph
    }

    static let msDomain = "com.microsoft"
    /// The op types run() rewrites, in the order of its `switch`; from MaxPool on, the
    /// ops whose integer form is the same op (data movement / selection). ASCII without
    /// K or Å: byte comparison is String equality (wordIndex).
    static let foldedOpTypes: StaticString = """
        Conv MatMul Gemm Add Mul Concat GlobalAveragePool Sigmoid LeakyRelu AveragePool \
        MaxPool Reshape Flatten Transpose Squeeze Unsqueeze Slice Split Resize Identity
        """

    /// Rewrites every foldable pattern; returns the recognised patterns it left alone.
    @discardableResult
    public func run() throws(OutpostError) -> [Miss] {
        var ctx = Context(graph: graph)
        var misses = [Miss]()
        var removed = NodeIndexSet()
        for index in 0..<graph.nodes.count {
            let node = graph.nodes[index]
            guard node.domain.isEmpty, readsDequantized(node, ctx) else { continue }
            let result: Rewrite
            // The op type's index in a table, then a jump on it (no String comparison per case).
            switch wordIndex(node.opType, in: QDQFolding.foldedOpTypes) {
            case 0: result = foldConv(node, &ctx)  // Conv
            case 1: result = foldMatMul(node, &ctx)  // MatMul
            case 2: result = foldGemm(node, &ctx)  // Gemm
            case 3, 4: result = foldBinary(node, &ctx)  // Add, Mul
            case 5: result = foldConcat(node, &ctx)  // Concat
            case 6: result = foldUnaryLUT(node, "QLinearGlobalAveragePool", &ctx)  // GlobalAveragePool
            case 7: result = foldUnaryLUT(node, "QLinearSigmoid", &ctx)  // Sigmoid
            case 8: result = foldUnaryLUT(node, "QLinearLeakyRelu", &ctx)  // LeakyRelu
            case 9: result = foldAveragePool(node, &ctx)  // AveragePool
            case .some(10...19): result = foldPassThrough(node, &ctx)  // MaxPool … Identity
            default:
                if node.opType == "DequantizeLinear" || node.opType == "QuantizeLinear" {
                    continue
                } else {
                    result = .miss(String(outlined: "no integer form of \(node.opType) (runs in float between DequantizeLinear and QuantizeLinear)"))
                }
            }
            switch result {
            case let .folded(newNode, absorbed):
                graph.nodes[index] = newNode
                for a in absorbed { removed.insert(a) }
            case let .miss(reason):
                misses.append(Miss(node: node.displayName, opType: node.opType, reason: reason))
            }
        }
        graph.removeNodes(removed)
        for (name, t) in ctx.newInitializers { graph.initializers[name] = t }
        removeDeadDequantize()
        return misses
    }

    // ---- analysis -------------------------------------------------------------

    enum Rewrite {
        /// The replacement node and the indices of nodes it absorbed (Q, activation).
        case folded(Node, [Int])
        case miss(String)
    }

    /// The nodes reading each value: lists found through a [String: Int] index (a
    /// [String: [Int]] was a dictionary specialisation of its own).
    struct Readers {
        private var index = [String: Int]()
        private var lists = [[Int]]()

        subscript(_ value: String) -> [Int]? {
            guard let i = index[value] else { return nil }
            return lists[i]
        }

        mutating func add(_ node: Int, reading value: String) {
            if let i = index[value] {
                lists[i].append(node)
            } else {
                index[value] = lists.count
                lists.append([node])
            }
        }
    }

    struct Context {
        let producer: [String: Int]
        let consumers: Readers
        let graphOutputs: Set<String>
        var newInitializers: [String: Tensor] = [:]

        init(graph: Graph) {
            var p = [String: Int]()
            var c = Readers()
            for (i, n) in graph.nodes.enumerated() {
                for o in n.outputs where !o.isEmpty { p[o] = i }
                for input in n.inputs where !input.isEmpty { c.add(i, reading: input) }
            }
            producer = p
            consumers = c
            var outs = Set<String>()
            for o in graph.outputs { outs.insert(o.name) }
            graphOutputs = outs
        }
    }

    /// A DequantizeLinear's operands: the integer value, its scale and zero point.
    /// (Classes, this and Quantized: the matchers pass them around inside Results,
    /// and a reference is one retain where these structs were several.)
    final class Dequantized {
        let value: String
        let dtype: DType
        let scaleName: String
        let scale: Tensor
        /// "" when the model omits it (zero).
        let zeroPointName: String
        let zeroPoint: Tensor?
        let axis: Int
        /// The integer tensor when it is a constant (weights, bias).
        let constant: Tensor?

        init(value: String, dtype: DType, scaleName: String, scale: Tensor, zeroPointName: String,
             zeroPoint: Tensor?, axis: Int, constant: Tensor?) {
            self.value = value
            self.dtype = dtype
            self.scaleName = scaleName
            self.scale = scale
            self.zeroPointName = zeroPointName
            self.zeroPoint = zeroPoint
            self.axis = axis
            self.constant = constant
        }

        var perTensor: Bool { scale.count == 1 }
        var zeroPointValue: Int { zeroPoint?.integer(at: 0) ?? 0 }
    }

    /// A QuantizeLinear's parameters (per-tensor only).
    final class Quantized {
        let index: Int
        let output: String
        let dtype: DType
        let scaleName: String
        let scale: Float
        let zeroPointName: String
        let zeroPoint: Int

        init(index: Int, output: String, dtype: DType, scaleName: String, scale: Float, zeroPointName: String,
             zeroPoint: Int) {
            self.index = index
            self.output = output
            self.dtype = dtype
            self.scaleName = scaleName
            self.scale = scale
            self.zeroPointName = zeroPointName
            self.zeroPoint = zeroPoint
        }

        var qmin: Int { dtype == .uint8 ? 0 : -128 }
        var qmax: Int { dtype == .uint8 ? 255 : 127 }
    }

    private func readsDequantized(_ node: Node, _ ctx: Context) -> Bool {
        for input in node.inputs where !input.isEmpty {
            if let p = ctx.producer[input], isDequantize(graph.nodes[p]) { return true }
        }
        return false
    }

    private func isDequantize(_ n: Node) -> Bool { n.opType == "DequantizeLinear" && n.domain.isEmpty }

    /// The DequantizeLinear producing `value`, if any, with constant parameters.
    private func dequantized(_ value: String, _ ctx: Context) -> Result<Dequantized, Reason> {
        guard let p = ctx.producer[value], isDequantize(graph.nodes[p]) else {
            return .failure(Reason(String(outlined: "'\(value)' does not come from a DequantizeLinear")))
        }
        let dq = graph.nodes[p]
        guard dq.inputs.count >= 2, let scale = graph.initializers[dq.inputs[1]], scale.dtype == .float32 else {
            return .failure(Reason(String(outlined: "the scale of DequantizeLinear '\(dq.displayName)' is not a float32 constant")))
        }
        if dq.attributes["block_size"] != nil, (try? dq.int("block_size", default: 0)) != 0 {
            return .failure(Reason(String(outlined: "DequantizeLinear '\(dq.displayName)' is blocked (block_size)")))
        }
        var zp: Tensor? = nil
        var zpName = ""
        if dq.inputs.count > 2, !dq.inputs[2].isEmpty {
            guard let z = graph.initializers[dq.inputs[2]] else {
                return .failure(Reason(String(outlined: "the zero point of DequantizeLinear '\(dq.displayName)' is not constant")))
            }
            zp = z
            zpName = dq.inputs[2]
        }
        let constant = graph.initializers[dq.inputs[0]]
        let dtype: DType
        if let c = constant {
            dtype = c.dtype
        } else if let z = zp {
            dtype = z.dtype
        } else if let q = ctx.producer[dq.inputs[0]], graph.nodes[q].opType == "QuantizeLinear",
                  graph.nodes[q].inputs.count < 3 || graph.nodes[q].inputs[2].isEmpty {
            dtype = .uint8
        } else {
            return .failure(Reason(String(outlined: "the integer type of '\(dq.inputs[0])' is unknown (no zero point)")))
        }
        guard dtype == .uint8 || dtype == .int8 || dtype == .int32 else {
            return .failure(Reason(String(outlined: "'\(dq.inputs[0])' is \(dtype.name), not uint8/int8")))
        }
        if let z = zp, z.dtype != dtype || z.count != scale.count {
            return .failure(Reason(String(outlined: "DequantizeLinear '\(dq.displayName)': zero point and scale differ in type or size")))
        }
        let axis = (try? dq.int("axis", default: 1)) ?? 1
        return .success(Dequantized(value: dq.inputs[0], dtype: dtype, scaleName: dq.inputs[1], scale: scale,
                                    zeroPointName: zpName, zeroPoint: zp, axis: axis, constant: constant))
    }

    /// The single QuantizeLinear reading `value` (per-tensor, constant parameters).
    private func quantizedConsumer(_ value: String, _ ctx: Context) -> Result<Quantized, Reason> {
        if ctx.graphOutputs.contains(value) { return .failure(Reason(String(outlined: "'\(value)' is a graph output"))) }
        guard let readers = ctx.consumers[value], readers.count == 1 else {
            return .failure(Reason(String(outlined: "'\(value)' has \(ctx.consumers[value]?.count ?? 0) readers, not one QuantizeLinear")))
        }
        let q = graph.nodes[readers[0]]
        guard q.opType == "QuantizeLinear", q.domain.isEmpty, q.inputs.count >= 2, q.inputs[0] == value else {
            return .failure(Reason(String(outlined: "'\(value)' is read by \(q.opType), not QuantizeLinear")))
        }
        guard let s = graph.initializers[q.inputs[1]], s.dtype == .float32, s.count == 1 else {
            return .failure(Reason(String(outlined: "QuantizeLinear '\(q.displayName)' has no constant per-tensor scale")))
        }
        if (try? q.int("output_dtype", default: 0)) != 0 || (try? q.int("saturate", default: 1)) != 1
            || (try? q.int("block_size", default: 0)) != 0 {
            return .failure(Reason(String(outlined: "QuantizeLinear '\(q.displayName)' uses output_dtype/saturate/block_size")))
        }
        var dtype = DType.uint8
        var zp = 0
        var zpName = ""
        if q.inputs.count > 2, !q.inputs[2].isEmpty {
            guard let z = graph.initializers[q.inputs[2]], z.count == 1 else {
                return .failure(Reason(String(outlined: "QuantizeLinear '\(q.displayName)' has no constant per-tensor zero point")))
            }
            dtype = z.dtype
            zp = z.integer(at: 0)
            zpName = q.inputs[2]
        }
        guard dtype == .uint8 || dtype == .int8 else {
            return .failure(Reason(String(outlined: "QuantizeLinear '\(q.displayName)' outputs \(dtype.name)")))
        }
        return .success(Quantized(index: readers[0], output: q.outputs[0], dtype: dtype, scaleName: q.inputs[1],
                                  scale: s.floats[0], zeroPointName: zpName, zeroPoint: zp))
    }

    struct Reason: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    /// Follows an optional Relu/Clip after `value` to the QuantizeLinear; returns the
    /// Q and the absorbed activation's index, or why not.
    private func outputQuantize(_ value: String, _ ctx: Context) -> Result<(Quantized, [Int]), Reason> {
        if !ctx.graphOutputs.contains(value), let readers = ctx.consumers[value], readers.count == 1 {
            let act = graph.nodes[readers[0]]
            if act.domain.isEmpty && (act.opType == "Relu" || act.opType == "Clip") && act.outputs.count == 1 {
                var lo: Float = 0, hi = Float.infinity
                if act.opType == "Clip" {
                    guard let bounds = clipBounds(act) else {
                        return .failure(Reason(String(outlined: "Clip '\(act.displayName)' has non-constant bounds")))
                    }
                    (lo, hi) = bounds
                }
                switch quantizedConsumer(act.outputs[0], ctx) {
                case let .failure(r): return .failure(r)
                case let .success(q):
                    // Q(clamp(y, lo, hi)) = clamp(Q(y), Q(lo), Q(hi)): nothing to do when
                    // the output type's range already lies inside [Q(lo), Q(hi)].
                    let qlo = lo == -Float.infinity ? Int.min : quantize(lo, q)
                    let qhi = hi == Float.infinity ? Int.max : quantize(hi, q)
                    guard qlo <= q.qmin && qhi >= q.qmax else {
                        return .failure(Reason(String(outlined: "\(act.opType) clamps to [\(qlo), \(qhi)], inside the output range [\(q.qmin), \(q.qmax)]: the QLinear ops have no activation clamp")))
                    }
                    return .success((q, [readers[0], q.index]))
                }
            }
        }
        switch quantizedConsumer(value, ctx) {
        case let .failure(r): return .failure(r)
        case let .success(q): return .success((q, [q.index]))
        }
    }

    /// round-half-even(v / scale) + zero point, unsaturated.
    private func quantize(_ v: Float, _ q: Quantized) -> Int {
        let r = (v / q.scale).rounded(.toNearestOrEven)
        if !r.isFinite || abs(r) > 1e9 { return r < 0 ? Int.min : Int.max }
        return Int(r) + q.zeroPoint
    }

    private func clipBounds(_ node: Node) -> (Float, Float)? {
        var lo = -Float.infinity, hi = Float.infinity
        if node.inputs.count > 1 {
            if !node.inputs[1].isEmpty {
                guard let t = graph.initializers[node.inputs[1]], t.dtype == .float32, t.count == 1 else { return nil }
                lo = t.floats[0]
            }
            if node.inputs.count > 2, !node.inputs[2].isEmpty {
                guard let t = graph.initializers[node.inputs[2]], t.dtype == .float32, t.count == 1 else { return nil }
                hi = t.floats[0]
            }
        } else {
            guard let l = try? node.float("min", default: -Float.infinity),
                  let h = try? node.float("max", default: Float.infinity) else { return nil }
            lo = l
            hi = h
        }
        return (lo, hi)
    }

    // ---- names and constants ------------------------------------------------------

    private func freshName(_ base: String, _ ctx: Context) -> String {
        var name = base
        var k = 0
        while graph.initializers[name] != nil || ctx.newInitializers[name] != nil || ctx.producer[name] != nil {
            k += 1
            name = String(outlined: "\(base)#\(k)")
        }
        return name
    }

    /// The zero-point input for an operand: the model's, or a new zero constant.
    private func zeroPointInput(_ d: Dequantized, _ ctx: inout Context) -> String {
        if !d.zeroPointName.isEmpty { return d.zeroPointName }
        let name = freshName(String(outlined: "\(d.value).qdq_zero_point"), ctx)
        ctx.newInitializers[name] = Tensor(zeros: d.dtype, shape: d.scale.count == 1 ? [] : [d.scale.count])
        return name
    }

    private func quantizedZeroPointInput(_ q: Quantized, _ ctx: inout Context) -> String {
        if !q.zeroPointName.isEmpty { return q.zeroPointName }
        let name = freshName(String(outlined: "\(q.output).qdq_zero_point"), ctx)
        ctx.newInitializers[name] = Tensor(zeros: q.dtype, shape: [])
        return name
    }

    /// The int32 bias for an integer kernel whose accumulator has scale
    /// xScale·wScale[c]: the model's quantized bias when its scale already is that,
    /// else the float bias requantized. nil input name = no bias.
    private func biasInput(_ name: String, x: Dequantized, w: Dequantized, channels: Int, base: String,
                           beta: Float = 1, _ ctx: inout Context) -> Result<String, Reason> {
        if name.isEmpty { return .success("") }
        var values = [Float]()
        values.reserveCapacity(channels)
        var reuse: String? = nil
        if let f = graph.initializers[name] {
            guard f.dtype == .float32, f.count == channels || f.count == 1 else {
                return .failure(Reason(String(outlined: "bias '\(name)' is not a float32 vector of \(channels)")))
            }
            for c in 0..<channels { values.append(beta * f.float(at: f.count == 1 ? 0 : c)) }
        } else {
            guard case let .success(b) = dequantized(name, ctx), let q = b.constant, b.dtype == .int32,
                  b.zeroPointValue == 0, q.count == channels || q.count == 1 else {
                return .failure(Reason(String(outlined: "bias '\(name)' is neither a float constant nor a constant int32 DequantizeLinear")))
            }
            var same = beta == 1 && q.count == channels
            for c in 0..<channels {
                let bs = b.scale.floats[b.scale.count == 1 ? 0 : c]
                let acc = x.scale.floats[0] * w.scale.floats[w.scale.count == 1 ? 0 : c]
                if abs(bs - acc) > 1e-6 * abs(acc) { same = false }
                values.append(beta * Float(q.integer(at: q.count == 1 ? 0 : c)) * bs)
            }
            if same && (b.zeroPointName.isEmpty || b.zeroPoint?.dtype == .int32) { reuse = b.value }
        }
        if let r = reuse { return .success(r) }
        let t = Tensor(zeros: .int32, shape: [channels])
        let p = t.raw.assumingMemoryBound(to: Int32.self)
        for c in 0..<channels {
            let acc = x.scale.floats[0] * w.scale.floats[w.scale.count == 1 ? 0 : c]
            let v = (values[c] / acc).rounded(.toNearestOrEven)
            guard v.isFinite, abs(v) < 2_000_000_000 else {
                return .failure(Reason(String(outlined: "bias '\(name)' does not fit int32 at the accumulator scale")))
            }
            p[c] = Int32(v)
        }
        let newName = freshName(String(outlined: "\(base).qdq_bias_int32"), ctx)
        ctx.newInitializers[newName] = t
        return .success(newName)
    }

    private func copyAttributes(_ node: Node, except: Set<String> = []) -> [String: Attribute] {
        var out = [String: Attribute]()
        for (k, v) in node.attributes where !k.hasPrefix("outpost.") && !except.contains(k) { out[k] = v }
        return out
    }

    private func activationInput(_ d: Dequantized) -> Reason? {
        if d.dtype != .uint8 && d.dtype != .int8 { return Reason(String(outlined: "'\(d.value)' is \(d.dtype.name)")) }
        if !d.perTensor { return Reason(String(outlined: "activation '\(d.value)' is quantized per axis")) }
        return nil
    }

    // ---- Conv / MatMul / Gemm ----------------------------------------------------------

    private func foldConv(_ node: Node, _ ctx: inout Context) -> Rewrite {
        guard node.inputs.count >= 2, node.outputs.count == 1 else { return .miss("unexpected inputs") }
        guard case let .success(x) = dequantized(node.inputs[0], ctx) else { return .miss("input X is not dequantized") }
        if let r = activationInput(x) { return .miss(r.text) }
        guard case let .success(w) = dequantized(node.inputs[1], ctx) else { return .miss("weight W is not dequantized") }
        guard let wq = w.constant, wq.rank >= 3, w.dtype == .int8 || w.dtype == .uint8 else {
            return .miss("weight W is not a constant int8/uint8 tensor")
        }
        let cout = wq.shape[0]
        guard w.perTensor || (w.scale.count == cout && (w.axis == 0 || w.axis == -wq.rank)) else {
            return .miss("weight scales are neither per tensor nor per output channel (axis 0)")
        }
        let q: Quantized, absorbed: [Int]
        switch outputQuantize(node.outputs[0], ctx) {
        case let .failure(r): return .miss(r.text)
        case let .success(v): (q, absorbed) = v
        }
        let bias: String
        switch biasInput(node.inputs.count > 2 ? node.inputs[2] : "", x: x, w: w, channels: cout, base: node.displayName, &ctx) {
        case let .failure(r): return .miss(r.text)
        case let .success(b): bias = b
        }
        var inputs = [x.value, x.scaleName, zeroPointInput(x, &ctx), w.value, w.scaleName, zeroPointInput(w, &ctx),
                      q.scaleName, quantizedZeroPointInput(q, &ctx)]
        if !bias.isEmpty { inputs.append(bias) }
        let n = Node(name: node.name, opType: "QLinearConv", inputs: inputs, outputs: [q.output],
                     attributes: copyAttributes(node))
        return .folded(n, absorbed)
    }

    private func foldMatMul(_ node: Node, _ ctx: inout Context) -> Rewrite {
        guard node.inputs.count == 2, node.outputs.count == 1 else { return .miss("unexpected inputs") }
        guard case let .success(a) = dequantized(node.inputs[0], ctx) else { return .miss("input A is not dequantized") }
        if let r = activationInput(a) { return .miss(r.text) }
        guard case let .success(b) = dequantized(node.inputs[1], ctx) else { return .miss("input B is not dequantized") }
        guard b.dtype == .int8 || b.dtype == .uint8 else { return .miss(String(outlined: "B is \(b.dtype.name)")) }
        if !b.perTensor {
            guard let bq = b.constant, bq.rank == 2, b.scale.count == bq.shape[1], b.axis == 1 || b.axis == -1 else {
                return .miss("B's scales are neither per tensor nor per column of a 2-D constant")
            }
        }
        let q: Quantized, absorbed: [Int]
        switch outputQuantize(node.outputs[0], ctx) {
        case let .failure(r): return .miss(r.text)
        case let .success(v): (q, absorbed) = v
        }
        let inputs = [a.value, a.scaleName, zeroPointInput(a, &ctx), b.value, b.scaleName, zeroPointInput(b, &ctx),
                      q.scaleName, quantizedZeroPointInput(q, &ctx)]
        return .folded(Node(name: node.name, opType: "QLinearMatMul", inputs: inputs, outputs: [q.output]), absorbed)
    }

    private func foldGemm(_ node: Node, _ ctx: inout Context) -> Rewrite {
        guard node.inputs.count >= 2, node.outputs.count == 1 else { return .miss("unexpected inputs") }
        let alpha = (try? node.float("alpha", default: 1)) ?? 1
        let beta = (try? node.float("beta", default: 1)) ?? 1
        let transB = (try? node.int("transB", default: 0)) ?? 0
        guard alpha == 1 else { return .miss(String(outlined: "alpha \(alpha) != 1")) }
        guard case let .success(a) = dequantized(node.inputs[0], ctx) else { return .miss("input A is not dequantized") }
        if let r = activationInput(a) { return .miss(r.text) }
        guard case let .success(b) = dequantized(node.inputs[1], ctx) else { return .miss("input B is not dequantized") }
        guard let bq = b.constant, bq.rank == 2, b.dtype == .int8 || b.dtype == .uint8 else {
            return .miss("B is not a constant 2-D int8/uint8 tensor")
        }
        let n = transB != 0 ? bq.shape[0] : bq.shape[1]
        let columnAxis = transB != 0 ? 0 : 1
        guard b.perTensor || (b.scale.count == n && (b.axis == columnAxis || b.axis == columnAxis - 2)) else {
            return .miss("B's scales are neither per tensor nor per output column")
        }
        let q: Quantized, absorbed: [Int]
        switch outputQuantize(node.outputs[0], ctx) {
        case let .failure(r): return .miss(r.text)
        case let .success(v): (q, absorbed) = v
        }
        var biasName = node.inputs.count > 2 ? node.inputs[2] : ""
        if !biasName.isEmpty, let f = graph.initializers[biasName], f.count != n && f.count != 1 {
            return .miss(String(outlined: "bias C is not a vector of \(n)"))
        }
        if beta == 0 { biasName = "" }
        let bias: String
        switch biasInput(biasName, x: a, w: b, channels: n, base: node.displayName, beta: beta, &ctx) {
        case let .failure(r): return .miss(r.text)
        case let .success(v): bias = v
        }
        let inputs = [a.value, a.scaleName, zeroPointInput(a, &ctx), b.value, b.scaleName, zeroPointInput(b, &ctx),
                      bias, q.scaleName, quantizedZeroPointInput(q, &ctx)]
        var attrs = copyAttributes(node, except: ["beta"])
        attrs["alpha"] = .float(1)
        return .folded(Node(name: node.name, opType: "QGemm", domain: QDQFolding.msDomain, inputs: inputs,
                            outputs: [q.output], attributes: attrs), absorbed)
    }

    // ---- element-wise, concat, pools ------------------------------------------------------

    private func foldBinary(_ node: Node, _ ctx: inout Context) -> Rewrite {
        guard node.inputs.count == 2, node.outputs.count == 1 else { return .miss("unexpected inputs") }
        guard case let .success(a) = dequantized(node.inputs[0], ctx),
              case let .success(b) = dequantized(node.inputs[1], ctx) else {
            return .miss("not every input is dequantized")
        }
        if let r = activationInput(a) ?? activationInput(b) { return .miss(r.text) }
        guard a.dtype == b.dtype else { return .miss(String(outlined: "inputs are \(a.dtype.name) and \(b.dtype.name)")) }
        let q: Quantized
        switch quantizedConsumer(node.outputs[0], ctx) {
        case let .failure(r): return .miss(r.text)
        case let .success(v): q = v
        }
        guard q.dtype == a.dtype else { return .miss(String(outlined: "output type \(q.dtype.name) differs from the inputs' \(a.dtype.name)")) }
        let inputs = [a.value, a.scaleName, zeroPointInput(a, &ctx), b.value, b.scaleName, zeroPointInput(b, &ctx),
                      q.scaleName, quantizedZeroPointInput(q, &ctx)]
        return .folded(Node(name: node.name, opType: node.opType == "Add" ? "QLinearAdd" : "QLinearMul",
                            domain: QDQFolding.msDomain, inputs: inputs, outputs: [q.output]), [q.index])
    }

    private func foldConcat(_ node: Node, _ ctx: inout Context) -> Rewrite {
        guard node.outputs.count == 1, !node.inputs.isEmpty else { return .miss("unexpected inputs") }
        var parts = [Dequantized]()
        for input in node.inputs {
            guard case let .success(d) = dequantized(input, ctx) else { return .miss(String(outlined: "input '\(input)' is not dequantized")) }
            if let r = activationInput(d) { return .miss(r.text) }
            parts.append(d)
        }
        let q: Quantized
        switch quantizedConsumer(node.outputs[0], ctx) {
        case let .failure(r): return .miss(r.text)
        case let .success(v): q = v
        }
        for p in parts where p.dtype != q.dtype { return .miss(String(outlined: "input '\(p.value)' is \(p.dtype.name), output \(q.dtype.name)")) }
        var inputs = [q.scaleName, quantizedZeroPointInput(q, &ctx)]
        for p in parts { inputs += [p.value, p.scaleName, zeroPointInput(p, &ctx)] }
        return .folded(Node(name: node.name, opType: "QLinearConcat", domain: QDQFolding.msDomain, inputs: inputs,
                            outputs: [q.output], attributes: copyAttributes(node)), [q.index])
    }

    /// throughReshape: the QuantizeLinear may also sit behind a Flatten / Reshape that is
    /// the op's only reader (onnxruntime's QOperator form DQ → AveragePool → Flatten → Q):
    /// that node, which only reshapes, then runs on the op's integer output.
    private func foldUnaryLUT(_ node: Node, _ opType: String, throughReshape: Bool = false,
                              _ ctx: inout Context) -> Rewrite {
        guard node.inputs.count == 1, node.outputs.count == 1 else { return .miss("unexpected inputs") }
        guard case let .success(x) = dequantized(node.inputs[0], ctx) else { return .miss("input is not dequantized") }
        if let r = activationInput(x) { return .miss(r.text) }
        let q: Quantized
        var reshape: Int?
        switch quantizedConsumer(node.outputs[0], ctx) {
        case let .failure(r):
            guard throughReshape, let (i, v) = reshapedConsumer(node.outputs[0], ctx) else { return .miss(r.text) }
            (reshape, q) = (i, v)
        case let .success(v): q = v
        }
        guard q.dtype == x.dtype else { return .miss(String(outlined: "output type \(q.dtype.name) differs from the input's \(x.dtype.name)")) }
        let inputs = [x.value, x.scaleName, zeroPointInput(x, &ctx), q.scaleName, quantizedZeroPointInput(q, &ctx)]
        var attrs = copyAttributes(node)
        if opType == "QLinearGlobalAveragePool" || opType == "QLinearAveragePool" { attrs["channels_last"] = .int(0) }
        if opType == "QLinearLeakyRelu" { attrs["alpha"] = .float((try? node.float("alpha", default: 0.01)) ?? 0.01) }
        var output = q.output
        if let i = reshape {
            output = node.outputs[0] + "#quantized"
            var r = graph.nodes[i]
            r.inputs[0] = output
            r.outputs = [q.output]
            graph.nodes[i] = r
        }
        return .folded(Node(name: node.name, opType: opType, domain: QDQFolding.msDomain, inputs: inputs,
                            outputs: [output], attributes: attrs), [q.index])
    }

    /// The QuantizeLinear behind a Flatten / Reshape that is the only reader of `value`
    /// (and reads it as its data input), with that node's index.
    private func reshapedConsumer(_ value: String, _ ctx: Context) -> (Int, Quantized)? {
        guard !ctx.graphOutputs.contains(value), let readers = ctx.consumers[value], readers.count == 1 else { return nil }
        let r = graph.nodes[readers[0]]
        guard r.opType == "Flatten" || r.opType == "Reshape", r.domain.isEmpty, r.inputs.first == value,
              r.outputs.count == 1, case let .success(q) = quantizedConsumer(r.outputs[0], ctx) else { return nil }
        return (readers[0], q)
    }

    /// AveragePool whose every window is full (no padding, ceil_mode 0, dilations 1, as
    /// QLinearAveragePoolOperator takes it): one integer sum and one requantization per
    /// window, within one quantization step of the float pattern (as GlobalAveragePool).
    private func foldAveragePool(_ node: Node, _ ctx: inout Context) -> Rewrite {
        if let pads = try? node.ints("pads"), pads.contains(where: { $0 != 0 }) { return .miss("padded windows") }
        let autoPad = (try? node.string("auto_pad", default: "NOTSET")) ?? ""
        if autoPad != "NOTSET" && autoPad != "VALID" { return .miss(String(outlined: "auto_pad \(autoPad)")) }
        if (try? node.int("ceil_mode", default: 0)) != 0 { return .miss("ceil_mode 1") }
        if let d = try? node.ints("dilations"), d.contains(where: { $0 != 1 }) { return .miss("dilated windows") }
        guard let k = try? node.ints("kernel_shape"), !k.isEmpty else { return .miss("no kernel_shape") }
        return foldUnaryLUT(node, "QLinearAveragePool", throughReshape: true, &ctx)
    }

    /// Data-movement ops between a DQ and a Q with equal parameters run on the integers.
    private func foldPassThrough(_ node: Node, _ ctx: inout Context) -> Rewrite {
        guard !node.inputs.isEmpty, case let .success(x) = dequantized(node.inputs[0], ctx) else {
            return .miss("data input is not dequantized")
        }
        if let r = activationInput(x) { return .miss(r.text) }
        if node.opType == "Resize", (try? node.string("mode", default: "nearest")) != "nearest" {
            return .miss("Resize mode is not nearest")
        }
        if node.opType == "MaxPool", node.outputs.count > 1, !node.outputs[1].isEmpty {
            return .miss("MaxPool with indices output")
        }
        var outputs = node.outputs
        var absorbed = [Int]()
        for (k, out) in node.outputs.enumerated() where !out.isEmpty {
            if node.opType == "MaxPool" && k > 0 { continue }
            switch quantizedConsumer(out, ctx) {
            case let .failure(r): return .miss(r.text)
            case let .success(q):
                guard q.dtype == x.dtype, q.zeroPoint == x.zeroPointValue, q.scale == x.scale.floats[0] else {
                    return .miss("the QuantizeLinear after it changes scale or zero point (requantization)")
                }
                outputs[k] = q.output
                absorbed.append(q.index)
            }
        }
        var n = node
        n.inputs[0] = x.value
        n.outputs = outputs
        return .folded(n, absorbed)
    }

    // ---- clean-up -------------------------------------------------------------------

    /// Drops DequantizeLinear nodes (and initializers) nothing reads any more.
    private func removeDeadDequantize() {
        var candidates = Set<String>()
        var changed = true
        while changed {
            changed = false
            var used = Set<String>()
            for n in graph.nodes { for i in n.inputs { used.insert(i) } }
            for o in graph.outputs { used.insert(o.name) }
            var kept = [Node]()
            for n in graph.nodes {
                if isDequantize(n) && n.outputs.allSatisfy({ !used.contains($0) }) {
                    for i in n.inputs where graph.initializers[i] != nil { candidates.insert(i) }
                    changed = true
                } else {
                    kept.append(n)
                }
            }
            graph.nodes = kept
        }
        // Initializers only the removed DequantizeLinear nodes read (weights now
        // read as integers, their float scales stay with the new nodes).
        var used = Set<String>()
        for n in graph.nodes { for i in n.inputs { used.insert(i) } }
        for o in graph.outputs { used.insert(o.name) }
        for i in graph.inputs { used.insert(i.name) }
        for name in candidates where !used.contains(name) {
            graph.initializers[name] = nil
        }
    }
}
