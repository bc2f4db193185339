import CKernels
import COutpostSystem

/// Runs one model. Load-time work happens once: graph optimisation, operator
/// creation (attribute parsing, weight pre-packing at first plan), and a memory
/// plan per set of input shapes. A run copies the inputs into the arena and calls
/// the planned steps; it allocates nothing.
///
/// Not thread-safe: use one session per thread (they may share a `Model`).
public final class Session {
    public let model: Model
    /// The graph after optimisation (what actually runs).
    public let graph: Graph
    public let options: SessionOptions
    private let operators: [Operator]
    private let pool: OpaquePointer?
    private var plan: ExecutionPlan?
    private var stepNanos: [UInt64] = []
    /// The context every step gets, made at the first run and reused (runs allocate nothing).
    private var context: ExecutionContext?

    public init(model: Model, options: SessionOptions = SessionOptions()) throws(OutpostError) {
        self.model = model
        self.options = options
        // Optimise a copy: the model may be shared by several sessions.
        let source = model.graph
        let g = Graph(name: source.name, nodes: source.nodes, inputs: source.inputs, outputs: source.outputs,
                      initializers: source.initializers, valueInfo: source.valueInfo)
        if options.optimize {
            try GraphOptimizer(graph: g).run()
        }
        self.graph = g
        var ops = [Operator]()
        ops.reserveCapacity(g.nodes.count)
        for node in g.nodes {
            ops.append(try makeOperator(node, opsets: model.opsets))
        }
        self.operators = ops
        self.pool = ok_pool_create(Int32(options.threads))
        // Static input shapes: plan now, so load time pays for it and runs don't.
        var shapes = [[Int]]()
        var types = [DType]()
        for input in g.inputs {
            guard let s = input.staticShape, let d = input.dtype else { return }
            shapes.append(s)
            types.append(d)
        }
        do {
            plan = try ExecutionPlanner(graph: g, operators: ops).plan(inputShapes: shapes, inputTypes: types)
            stepNanos = [UInt64](repeating: 0, count: plan!.steps.count)
        } catch {
            // Shape-deciding operands fed as model inputs: plan at the first run,
            // when their values are known.
            guard case .operandNotConstant = error else { throw error }
        }
    }

    deinit {
        ok_pool_destroy(pool)
    }

    public var inputs: [ValueInfo] { graph.inputs }
    public var outputs: [ValueInfo] { graph.outputs }
    public var threads: Int { Int(ok_pool_threads(pool)) }

    /// Runs the model on `feeds`, given in graph-input order. The returned tensors
    /// are views into the session's arena: valid until the next run (copy to keep).
    public func run(_ feeds: [Tensor]) throws(OutpostError) -> [Tensor] {
        let plan = try planFor(feeds)
        for (i, feed) in feeds.enumerated() where plan.inputValues[i] == nil {
            plan.inputSlots[i].raw.copyMemory(from: feed.raw, byteCount: feed.byteCount)
        }
        let ctx = context ?? ExecutionContext(pool: pool, scratch: plan.arena.base)
        context = ctx
        let steps = plan.steps
        defer { ctx.step = nil }
        if options.profile {
            for i in 0..<steps.count {
                let t0 = op_monotonic_ns()
                try run(steps[i], ctx)
                stepNanos[i] &+= op_monotonic_ns() - t0
            }
        } else {
            for i in 0..<steps.count { try run(steps[i], ctx) }
        }
        return plan.outputs
    }

    /// One step, borrowed through an unmanaged reference: the plan (held by the caller)
    /// owns it, and a plain `for step in steps` retained and released the step, its
    /// operator and both tensor arrays around every call (~50 ns a step).
    @inline(__always) private func run(_ step: PlannedStep, _ ctx: ExecutionContext) throws(OutpostError) {
        var failure: OutpostError?
        Unmanaged.passUnretained(step)._withUnsafeGuaranteedRef { step in
            if step.outputsEmpty { return }
            ctx.scratch = step.scratch
            ctx.step = step.pointers
            do throws(OutpostError) { try step.op.run(step.inputs, step.outputs, ctx) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Runs with inputs given by name (every graph input must be present).
    public func run(named feeds: [String: Tensor]) throws(OutpostError) -> [Tensor] {
        var ordered = [Tensor]()
        for input in graph.inputs {
            guard let t = feeds[input.name] else { throw .inputMismatch(String(outlined: "missing input '\(input.name)'")) }
            ordered.append(t)
        }
        for name in feeds.keys where !graph.inputs.contains(where: { $0.name == name }) {
            throw .inputMismatch(String(outlined: "the model has no input named '\(name)' (inputs: \(inputNames))"))
        }
        return try run(ordered)
    }

    private var inputNames: String {
        var s = ""
        for (i, input) in graph.inputs.enumerated() {
            if i > 0 { s += ", " }
            s += input.name
        }
        return s
    }

    /// Checks the feeds against the declared inputs and returns the plan for their shapes.
    private func planFor(_ feeds: [Tensor]) throws(OutpostError) -> ExecutionPlan {
        guard feeds.count == graph.inputs.count else {
            throw .inputMismatch(String(outlined: "the model takes \(graph.inputs.count) input(s) (\(inputNames)), got \(feeds.count)"))
        }
        for (i, input) in graph.inputs.enumerated() {
            let feed = feeds[i]
            if let d = input.dtype, d != feed.dtype {
                throw .inputMismatch(String(outlined: "input '\(input.name)' is \(d.name), got \(feed.dtype.name)"))
            }
            if let declared = input.shape {
                var ok = declared.count == feed.shape.count
                if ok {
                    for (k, dim) in declared.enumerated() {
                        if case let .fixed(n) = dim, n != feed.shape[k] { ok = false }
                    }
                }
                if !ok {
                    throw .inputMismatch(String(outlined: "input '\(input.name)' has shape \(input.typeDescription), got \(shape: feed.shape)"))
                }
            }
        }
        // The usual run: the feeds have the current plan's shapes, compared in place (the
        // arrays below are only built to plan again; a run allocates nothing).
        if let p = plan, feeds.indices.allSatisfy({ feeds[$0].shape == p.inputShapes[$0] }), sameValues(p, feeds) {
            return p
        }
        let shapes = feeds.map { $0.shape }, types = feeds.map { $0.dtype }
        let planner = ExecutionPlanner(graph: graph, operators: operators)
        let p: ExecutionPlan
        do {
            p = try planner.plan(inputShapes: shapes, inputTypes: types)
        } catch {
            // Value-specialised plan: an operand that decides shapes (a reduction's
            // axes, Resize's scales, Reshape's shape...) is a model input. Treat the
            // small inputs as constants for this plan; a run with other values of
            // them plans again. Large inputs (images, feature batches) stay inputs.
            guard case .operandNotConstant = error else { throw error }
            var values = [Int: Tensor]()
            for (i, feed) in feeds.enumerated() where feed.count <= Session.valueKeyedInputLimit {
                values[i] = feed.copy()
            }
            if values.isEmpty { throw error }
            p = try planner.plan(inputShapes: shapes, inputTypes: types, inputValues: values)
        }
        plan = p
        stepNanos = [UInt64](repeating: 0, count: p.steps.count)
        return p
    }

    /// Inputs with at most this many elements may be specialised on (see `planFor`).
    static let valueKeyedInputLimit = 64

    private func sameValues(_ p: ExecutionPlan, _ feeds: [Tensor]) -> Bool {
        for i in p.valueKeyedInputs {
            guard let v = p.inputValues[i] else { return false }
            let f = feeds[i]
            if f.byteCount != v.byteCount { return false }
            let a = f.raw.assumingMemoryBound(to: UInt8.self), b = v.raw.assumingMemoryBound(to: UInt8.self)
            for k in 0..<f.byteCount where a[k] != b[k] { return false }
        }
        return true
    }

    // ---- introspection ------------------------------------------------------

    /// Per planned step: op type, node name and accumulated nanoseconds (with `options.profile`).
    public var profile: [(opType: String, node: String, nanoseconds: UInt64)] {
        guard let plan else { return [] }
        var out = [(opType: String, node: String, nanoseconds: UInt64)]()
        for (i, step) in plan.steps.enumerated() {
            out.append((step.op.node.opType, step.op.node.displayName, i < stepNanos.count ? stepNanos[i] : 0))
        }
        return out
    }

    public func resetProfile() {
        for i in 0..<stepNanos.count { stepNanos[i] = 0 }
    }

    /// Facts about the current plan (nil before the first plan).
    public var planSummary: (steps: Int, foldedNodes: Int, arenaBytes: Int, unsharedBytes: Int)? {
        guard let plan else { return nil }
        return (plan.steps.count, plan.foldedNodes, plan.arenaBytes, plan.unsharedBytes)
    }
}
