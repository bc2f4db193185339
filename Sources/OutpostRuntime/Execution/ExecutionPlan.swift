/// One operator call of a planned run: its operator and the arena tensors it reads and writes.
struct PlannedStep {
    let op: Operator
    let inputs: [Tensor?]
    let outputs: [Tensor]
    let scratch: UnsafeMutableRawPointer
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
