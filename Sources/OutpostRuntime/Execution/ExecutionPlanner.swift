import COutpostSystem

/// Turns a graph plus concrete input shapes into an `ExecutionPlan`:
///
/// 1. shape inference, node by node in topological order (`Operator.plan`);
/// 2. constant folding: a node whose inputs are all known is run right away and
///    its outputs become constants (this also resolves shape arithmetic such as
///    Shape → Gather → Concat → Reshape, so dynamic-looking exports plan statically);
/// 3. aliasing: Reshape-like nodes reuse their input's bytes;
/// 4. a static memory plan: every remaining value and each step's scratch gets an
///    offset in one arena, reusing bytes of values whose lifetimes do not overlap.
struct ExecutionPlanner {
    let graph: Graph
    let operators: [Operator]

    private struct DraftStep {
        let index: Int            // into graph.nodes / operators
        let inputs: [String]      // "" = omitted
        let outputs: [String]
        let scratchBytes: Int
    }

    /// `inputValues` holds graph inputs (by index) whose values are fixed for this
    /// plan: they are treated as constants (see `Session` on value-specialised plans).
    func plan(inputShapes: [[Int]], inputTypes: [DType], inputValues: [Int: Tensor] = [:]) throws(OutpostError) -> ExecutionPlan {
        var known = [String: ValueType]()
        for (name, t) in graph.initializers {
            known[name] = ValueType(dtype: t.dtype, shape: t.shape, constant: t)
        }
        for (i, input) in graph.inputs.enumerated() {
            known[input.name] = ValueType(dtype: inputTypes[i], shape: inputShapes[i], constant: inputValues[i])
        }

        // Storage groups: an aliasing output shares its input's root value.
        var aliasRoot = [String: String]()
        func root(_ name: String) -> String {
            var n = name
            while let r = aliasRoot[n] { n = r }
            return n
        }

        var drafts = [DraftStep]()
        var folded = 0
        var unnamed = 0
        for (index, node) in graph.nodes.enumerated() {
            let op = operators[index]
            var inputTypes = [ValueType?]()
            inputTypes.reserveCapacity(node.inputs.count)
            var allConstant = true
            for name in node.inputs {
                if name.isEmpty {
                    inputTypes.append(nil)
                    continue
                }
                guard let v = known[name] else {
                    throw .invalidModel(String(outlined: "node '\(node.displayName)' (\(node.opType)) uses '\(name)' before it is produced"))
                }
                if v.constant == nil { allConstant = false }
                inputTypes.append(v)
            }
            let outTypes = try op.plan(inputTypes)
            var outNames = node.outputs
            if outTypes.count < outNames.count {
                // Optional outputs past what the operator produces must be unused.
                outNames = Array(outNames.prefix(outTypes.count))
            }
            for i in 0..<outNames.count where outNames[i].isEmpty {
                unnamed += 1
                outNames[i] = String(outlined: "\u{1}unused#\(unnamed)")
            }

            if let consts = try op.constantOutputs(inputTypes) {
                for (i, name) in outNames.enumerated() where i < consts.count {
                    known[name] = ValueType(dtype: consts[i].dtype, shape: consts[i].shape, constant: consts[i])
                }
                folded += 1
                continue
            }

            if allConstant && op.isDeterministic {
                // Fold now: run on heap tensors; the results become constants.
                var inputs = [Tensor?]()
                for v in inputTypes { inputs.append(v?.constant) }
                var outputs = [Tensor]()
                for t in outTypes.prefix(outNames.count) { outputs.append(Tensor(zeros: t.dtype, shape: t.shape)) }
                let scratch = Buffer(zeroedBytes: max(op.scratchBytes, 64))
                let ctx = ExecutionContext(pool: nil, scratch: scratch.base)
                if op.aliasesInput, let x = inputs[0] {
                    outputs[0].raw.copyMemory(from: x.raw, byteCount: min(x.byteCount, outputs[0].byteCount))
                } else {
                    try op.run(inputs, outputs, ctx)
                }
                for (i, name) in outNames.enumerated() {
                    known[name] = ValueType(dtype: outputs[i].dtype, shape: outputs[i].shape, constant: outputs[i])
                }
                folded += 1
                continue
            }

            for (i, name) in outNames.enumerated() {
                known[name] = ValueType(dtype: outTypes[i].dtype, shape: outTypes[i].shape, constant: nil)
            }
            if op.aliasesInput, !node.inputs.isEmpty, !node.inputs[0].isEmpty {
                let src = known[node.inputs[0]]!
                let outBytes = Tensor.elementCount(outTypes[0].shape) * outTypes[0].dtype.size
                if src.count * src.dtype.size != outBytes {
                    throw node.shapeError("output has \(outBytes) bytes but the input it reinterprets has \(src.count * src.dtype.size)")
                }
                aliasRoot[outNames[0]] = root(node.inputs[0])
                continue
            }
            drafts.append(DraftStep(index: index, inputs: node.inputs, outputs: outNames, scratchBytes: op.scratchBytes))
        }

        // Every weight is packed now: the file's pages go back before the arena is made.
        releaseModelPages()

        // ---- liveness ------------------------------------------------------
        // Each storage root lives from its definition to its last use. Graph
        // inputs are defined before step 0; graph outputs live past the last step.
        var start = [String: Int]()
        var end = [String: Int]()
        var bytes = [String: Int]()
        func touch(_ name: String, _ at: Int) {
            let r = root(name)
            if let e = end[r] { end[r] = max(e, at) } else { end[r] = at }
        }
        for input in graph.inputs where known[input.name]?.constant == nil {
            start[input.name] = -1
            end[input.name] = -1
            let v = known[input.name]!
            bytes[input.name] = v.count * v.dtype.size
        }
        for (s, d) in drafts.enumerated() {
            for name in d.inputs where !name.isEmpty {
                if known[name]?.constant == nil { touch(name, s) }
            }
            for name in d.outputs {
                let r = root(name)
                let v = known[name]!
                if start[r] == nil { start[r] = s }
                bytes[r] = max(bytes[r] ?? 0, v.count * v.dtype.size)
                touch(name, s)
            }
        }
        // Aliased values extend their root's life to their own uses (done by touch)
        // and graph outputs live to the end.
        for output in graph.outputs where known[output.name]?.constant == nil {
            touch(output.name, drafts.count)
        }

        // ---- offsets: greedy placement, largest first -----------------------
        struct Interval {
            let name: String
            let start: Int
            let end: Int
            let bytes: Int
        }
        var intervals = [Interval]()
        for (name, s) in start {
            intervals.append(Interval(name: name, start: s, end: end[name] ?? s, bytes: align64(bytes[name] ?? 0)))
        }
        for (s, d) in drafts.enumerated() where d.scratchBytes > 0 {
            intervals.append(Interval(name: String(outlined: "\u{1}scratch#\(s)"), start: s, end: s, bytes: align64(d.scratchBytes)))
        }
        intervals = stableSorted(intervals) { a, b in a.bytes != b.bytes ? a.bytes > b.bytes : a.name < b.name }
        var placed = [(start: Int, end: Int, offset: Int, bytes: Int)]()
        var offsets = [String: Int]()
        var arenaBytes = 0
        var unshared = 0
        for iv in intervals {
            unshared += iv.bytes
            // Collect the byte ranges of overlapping lifetimes, then take the lowest gap.
            var busy = [(Int, Int)]()
            for p in placed where p.start <= iv.end && iv.start <= p.end {
                busy.append((p.offset, p.offset + p.bytes))
            }
            busy = stableSorted(busy) { $0.0 < $1.0 }
            var offset = 0
            for (lo, hi) in busy {
                if offset + iv.bytes <= lo { break }
                offset = max(offset, hi)
            }
            offsets[iv.name] = offset
            placed.append((iv.start, iv.end, offset, iv.bytes))
            arenaBytes = max(arenaBytes, offset + iv.bytes)
        }
        let arena = Buffer(zeroedBytes: max(arenaBytes, 64))

        func tensor(_ name: String) -> Tensor {
            let v = known[name]!
            if let c = v.constant { return c }
            return Tensor(dtype: v.dtype, shape: v.shape, buffer: arena, offset: offsets[root(name)]!)
        }

        var steps = [PlannedStep]()
        steps.reserveCapacity(drafts.count)
        for (s, d) in drafts.enumerated() {
            var inputs = [Tensor?]()
            for name in d.inputs { inputs.append(name.isEmpty ? nil : tensor(name)) }
            var outputs = [Tensor]()
            for name in d.outputs { outputs.append(tensor(name)) }
            let scratch = d.scratchBytes > 0 ? arena.base + offsets[String(outlined: "\u{1}scratch#\(s)")]! : arena.base
            steps.append(PlannedStep(op: operators[d.index], inputs: inputs, outputs: outputs, scratch: scratch))
        }
        var slots = [Tensor]()
        for input in graph.inputs { slots.append(tensor(input.name)) }
        let keyed = stableSorted(Array(inputValues.keys), by: <)
        var outs = [Tensor]()
        for output in graph.outputs {
            guard known[output.name] != nil else {
                throw .invalidModel(String(outlined: "graph output '\(output.name)' is never produced"))
            }
            outs.append(tensor(output.name))
        }
        return ExecutionPlan(inputShapes: inputShapes, steps: steps, inputSlots: slots, outputs: outs, arena: arena,
                             arenaBytes: arenaBytes, unsharedBytes: unshared, foldedNodes: folded,
                             valueKeyedInputs: keyed, inputValues: inputValues)
    }
}

extension ExecutionPlanner {
    /// The weights are packed now (the packers read them from the model file's map,
    /// faulting its pages in): hand those pages back. Tensors still viewing the map
    /// (aligned initializers used at run time, lazy copies not made yet) read the
    /// same bytes from the file again when touched.
    func releaseModelPages() {
        var roots = [Buffer]()
        for (_, t) in graph.initializers {
            guard let root = t.buffer.mappedRoot, !roots.contains(where: { $0 === root }) else { continue }
            roots.append(root)
            root.releaseResidentPages()
        }
    }
}

@inline(__always) func align64(_ n: Int) -> Int { (n + 63) & ~63 }
