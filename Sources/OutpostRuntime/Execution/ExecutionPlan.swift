/// One operator call of a planned run: its operator and the arena tensors it reads and writes.
/// A class, so the run loop borrows its immutable fields instead of copying the step
/// (a struct copy retained and released the operator and both arrays every step).
final class PlannedStep {
    let op: Operator
    let inputs: [Tensor?]
    let outputs: [Tensor]
    let scratch: UnsafeMutableRawPointer
    /// The tensors' bytes, fixed for the plan (see `StepPointers`).
    let pointers: StepPointers
    /// Every output has zero elements: nothing to compute, the step is skipped.
    let outputsEmpty: Bool

    init(op: Operator, inputs: [Tensor?], outputs: [Tensor], scratch: UnsafeMutableRawPointer) {
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
        self.scratch = scratch
        let slots = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: inputs.count + outputs.count)
        for (i, t) in inputs.enumerated() {
            // A constant not copied yet (a lazily aligned initializer) stays nil: reading
            // its pointer here would make the copy for weights that are only packed.
            slots[i] = t.flatMap { $0.buffer.isMaterialized ? $0.raw : nil }
        }
        for (i, t) in outputs.enumerated() { slots[inputs.count + i] = t.raw }
        pointers = StepPointers(slots: UnsafePointer(slots), inputCount: inputs.count)
        outputsEmpty = !outputs.isEmpty && outputs.allSatisfy { $0.count == 0 }
    }

    deinit {
        UnsafeMutablePointer(mutating: pointers.slots).deallocate()
    }
}

/// Everything a run needs for one set of input shapes: the steps in order, the
/// single arena holding every intermediate value, and where inputs and outputs live.
/// Built once by `ExecutionPlanner`; running it allocates nothing.
final class ExecutionPlan {
    let inputShapes: [[Int]]
    let steps: [PlannedStep]
    /// Where each graph input's bytes go (nil for inputs nothing reads).
    let inputSlots: [Tensor]
    /// Graph outputs, in order (arena views or constants).
    let outputs: [Tensor]
    let arena: Buffer
    /// Arena size in bytes, and what it would be without liveness-based reuse.
    let arenaBytes: Int
    let unsharedBytes: Int
    /// Nodes folded into constants during planning.
    let foldedNodes: Int
    /// Graph inputs whose *values* this plan was specialised on (their slots are
    /// the constants themselves: a run with other values needs another plan).
    let valueKeyedInputs: [Int]
    let inputValues: [Int: Tensor]

    init(inputShapes: [[Int]], steps: [PlannedStep], inputSlots: [Tensor], outputs: [Tensor], arena: Buffer,
         arenaBytes: Int, unsharedBytes: Int, foldedNodes: Int, valueKeyedInputs: [Int], inputValues: [Int: Tensor]) {
        self.inputShapes = inputShapes
        self.steps = steps
        self.inputSlots = inputSlots
        self.outputs = outputs
        self.arena = arena
        self.arenaBytes = arenaBytes
        self.unsharedBytes = unsharedBytes
        self.foldedNodes = foldedNodes
        self.valueKeyedInputs = valueKeyedInputs
        self.inputValues = inputValues
    }
}
