import CKernels
import COutpostSystem

/// An activation the load-time fusion pass folded into a Conv, ConvTranspose, Gemm
/// or MatMul node (attributes "outpost.activation" and "outpost.activation_params";
/// besides the ONNX activations, "SiLU" = x·sigmoid(x) from the Conv→Sigmoid·Mul fusion).
/// The kernels apply it in their epilogue, while the output tile is still in cache.
/// FusedActivation.init(node:)'s activations, in the order of its `switch`.
private let fusedActivationNames: StaticString = "Relu Clip LeakyRelu Sigmoid HardSigmoid HardSwish Tanh SiLU"

struct FusedActivation {
    var kind: ok_activation
    var p0: Float
    var p1: Float

    static let none = FusedActivation(kind: OK_ACT_NONE, p0: 0, p1: 0)

    init(kind: ok_activation, p0: Float, p1: Float) {
        self.kind = kind
        self.p0 = p0
        self.p1 = p1
    }

    /// Reads the fused activation of `node` (none when the attribute is absent).
    init(node: Node) throws(OutpostError) {
        let name = try node.string("outpost.activation", default: "")
        let params = try node.floats("outpost.activation_params") ?? []
        func param(_ i: Int, _ fallback: Float) -> Float { i < params.count ? params[i] : fallback }
        if name.isEmpty { self = .none; return }
        // The name's index in a table, then a jump on it (no String comparison per case).
        switch wordIndex(name, in: fusedActivationNames) {
        case 0: self.init(kind: OK_ACT_RELU, p0: 0, p1: 0)  // Relu
        case 1:  // Clip
            self.init(kind: OK_ACT_CLIP, p0: param(0, -Float.greatestFiniteMagnitude),
                      p1: param(1, Float.greatestFiniteMagnitude))
        case 2: self.init(kind: OK_ACT_LEAKY_RELU, p0: param(0, 0.01), p1: 0)  // LeakyRelu
        case 3: self.init(kind: OK_ACT_SIGMOID, p0: 0, p1: 0)  // Sigmoid
        case 4: self.init(kind: OK_ACT_HARD_SIGMOID, p0: param(0, 0.2), p1: param(1, 0.5))  // HardSigmoid
        case 5: self.init(kind: OK_ACT_HARD_SWISH, p0: 0, p1: 0)  // HardSwish
        case 6: self.init(kind: OK_ACT_TANH, p0: 0, p1: 0)  // Tanh
        case 7: self.init(kind: OK_ACT_SILU, p0: 0, p1: 0)  // SiLU
        default:
            throw node.unsupported("outpost.activation", "fused activation '\(name)' is not one the kernels implement")
        }
    }

    var isNone: Bool { kind == OK_ACT_NONE }

    /// The C epilogue: optional bias, this activation, optional accumulation into C.
    func epilogue(bias: UnsafePointer<Float>? = nil, biasKind: ok_bias_kind = OK_BIAS_NONE,
                  accumulate: Bool = false) -> ok_epilogue {
        ok_epilogue(bias: bias, bias_kind: Int32(bias == nil ? OK_BIAS_NONE.rawValue : biasKind.rawValue),
                    activation: Int32(kind.rawValue), p0: p0, p1: p1, accumulate: accumulate ? 1 : 0)
    }

    /// The activation on one value (reference semantics, for tests and scalar paths).
    func apply(_ x: Float) -> Float { ok_activation_scalar(x, Int32(kind.rawValue), p0, p1) }
}

/// Threads the kernels' workspaces are sized for at planning (the pool is not known
/// then). A run on a larger pool falls back to one thread rather than overflow.
let neuralPlannedThreads: Int = max(Int(op_available_cpus()), 4)

/// The pool to hand to the kernels for a run planned for `neuralPlannedThreads`.
func neuralPool(_ ctx: ExecutionContext) -> OpaquePointer? {
    ctx.threads <= neuralPlannedThreads ? ctx.pool : nil
}
