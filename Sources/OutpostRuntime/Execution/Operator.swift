import CKernels

/// Element type and concrete shape of an operator output, decided at planning.
public struct TensorType {
    public var dtype: DType
    public var shape: [Int]
    public init(_ dtype: DType, _ shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
    }
}

/// What planning knows about an operator input: its type, its concrete shape and,
/// when it is known before any run (weights, folded constants, shapes computed
/// from static shapes), its value.
///
/// A class, not a struct: planning passes each input around many times (the
/// operators' checks take it by value), and a reference is one retain where the
/// struct was three (shape, constant's shape and buffer) and 57 bytes through memory.
public final class ValueType {
    public let dtype: DType
    public let shape: [Int]
    public let constant: Tensor?
    public init(dtype: DType, shape: [Int], constant: Tensor? = nil) {
        self.dtype = dtype
        self.shape = shape
        self.constant = constant
    }
    public var count: Int { Tensor.elementCount(shape) }
}

/// What an operator sees at run time: the thread pool and its scratch memory.
public final class ExecutionContext {
    /// The kernels' thread pool (nil: run on the calling thread).
    public let pool: OpaquePointer?
    /// Scratch memory for the running operator (at least its `scratchBytes`, 64-byte aligned).
    public var scratch: UnsafeMutableRawPointer
    /// The running step's tensor pointers when a session runs its plan (nil when an
    /// operator is called with tensors alone, as constant folding does).
    /// (Set by the session between steps, read by operators: no overlapping access, so
    /// the run-time exclusivity check is left out of every read.)
    @exclusivity(unchecked) public internal(set) var step: StepPointers?

    /// Input i's bytes: the step's pointer when a session runs its plan, else (constant
    /// folding, or a constant whose bytes are not materialised) from the tensor.
    @inline(__always) public func input(_ i: Int, _ inputs: [Tensor?]) -> UnsafeMutableRawPointer? {
        if let step, let p = step.input(i) { return p }
        return i < inputs.count ? inputs[i]?.raw : nil
    }

    /// Output i's bytes (as `input`).
    @inline(__always) public func output(_ i: Int, _ outputs: [Tensor]) -> UnsafeMutableRawPointer {
        if let step { return step.output(i) }
        return outputs[i].raw
    }

    public init(pool: OpaquePointer?, scratch: UnsafeMutableRawPointer) {
        self.pool = pool
        self.scratch = scratch
    }

    public var threads: Int { Int(ok_pool_threads(pool)) }
}

/// The bytes of one planned step's tensors: inputs, then outputs. Arena tensors do not
/// move during a plan, so the pointers are taken once when the plan is made.
///
/// Why: operators' hot paths read their tensors' pointers every run, and reading them
/// from the `[Tensor?]` / `[Tensor]` arguments copies each Tensor (a retain and a
/// release of its shape array and of its buffer, ~50 ns per tensor here) — as much as
/// the kernel of a small int8 layer.
public struct StepPointers {
    let slots: UnsafePointer<UnsafeMutableRawPointer?>
    let inputCount: Int

    /// Input i's bytes; nil for an omitted input or a constant whose bytes are not
    /// materialised yet (read it from the Tensor then).
    @inline(__always) public func input(_ i: Int) -> UnsafeMutableRawPointer? {
        i < inputCount ? slots[i] : nil
    }

    /// Output i's bytes.
    @inline(__always) public func output(_ i: Int) -> UnsafeMutableRawPointer { slots[inputCount + i]! }
}

/// Base class of every operator implementation.
///
/// Lifecycle: `init` parses attributes (once per model load); `plan` receives the
/// concrete input types (and the values of constant inputs) and returns the output
/// types — it is also where weights get pre-packed; `run` computes outputs into
/// tensors the session has already placed in its arena. `run` must not allocate.
///
/// Subclasses live in Operators/ and are created by `makeOperator`.
open class Operator {
    public let node: Node
    /// Opset version of the node's domain.
    public let opset: Int

    public init(node: Node, opset: Int) {
        self.node = node
        self.opset = opset
    }

    /// Output types for these inputs (nil = omitted optional input). Called once per
    /// distinct set of model input shapes, before any `run`.
    open func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        throw .unsupportedOperator(op: node.opType, domain: node.domain, opset: opset, node: node.displayName)
    }

    /// Scratch bytes `run` needs, valid after `plan`.
    open var scratchBytes: Int { 0 }

    /// True when output 0 is input 0's bytes reinterpreted (Reshape, Flatten,
    /// Squeeze, Unsqueeze, Identity, Dropout): the planner then gives the output
    /// the input's storage and never calls `run`.
    open var aliasesInput: Bool { false }

    /// False for operators whose outputs are not a pure function of their inputs
    /// (random generators): they are never constant-folded.
    open var isDeterministic: Bool { true }

    /// Outputs known at planning from input *types* alone (Shape, Size): returning
    /// tensors makes them constants even when the inputs are not. Default: nil.
    open func constantOutputs(_ inputs: [ValueType?]) throws(OutpostError) -> [Tensor]? { nil }

    /// Computes outputs. Inputs are nil for omitted optional inputs.
    open func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        throw .execution(node: node.displayName, op: node.opType, reason: "not implemented")
    }

    // Helpers for subclasses.

    /// The input at `index`, or an error naming the missing input.
    public func required(_ inputs: [ValueType?], _ index: Int) throws(OutpostError) -> ValueType {
        guard index < inputs.count, let v = inputs[index] else {
            throw node.invalid("input \(index) is required")
        }
        return v
    }

    /// The constant value of input `index`, or an error saying it must be constant.
    public func requiredConstant(_ inputs: [ValueType?], _ index: Int, _ what: String) throws(OutpostError) -> Tensor {
        let v = try required(inputs, index)
        guard let c = v.constant else {
            throw node.notConstant(what)
        }
        return c
    }

    /// `axis` in [-rank, rank) made non-negative, or a shape error naming the node.
    public func normalizedAxis(_ axis: Int, rank: Int, _ what: String = "axis") throws(OutpostError) -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < max(rank, 1) else {
            throw node.shapeError("\(what) \(axis) is out of range for rank \(rank)")
        }
        return a
    }

    public func requireDType(_ v: ValueType, _ allowed: [DType], _ what: String) throws(OutpostError) {
        for d in allowed where d == v.dtype { return }
        throw .unsupportedDataType(tensor: String(outlined: "\(what) of \(node.opType) node '\(node.displayName)'"), dtype: v.dtype.name)
    }
}
