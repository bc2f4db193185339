import CKernels

/// Element-wise operators: unary math, activations, broadcasting binary ops,
/// comparisons and logic, Where, Clip, Cast, and the softmax family.
func makeElementwiseOperator(_ node: Node, opset: Int) throws(OutpostError) -> Operator? {
    func unary(_ f: ok_unary_op) throws(OutpostError) -> Operator { try UnaryOperator(node: node, opset: opset, function: f) }
    func binary(_ k: BinaryOperator.Kind) throws(OutpostError) -> Operator { try BinaryOperator(node: node, opset: opset, kind: k) }
    func compare(_ k: CompareOperator.Kind) -> Operator { CompareOperator(node: node, opset: opset, kind: k) }
    // The unary kernels by name: one scan of a table instead of a `case` each.
    if let i = wordIndex(node.opType, in: unaryKernelNames), i != Int(OK_UNARY_GELU_TANH.rawValue) {
        var f = ok_unary_op(rawValue: UInt32(i))
        if f == OK_UNARY_GELU {
            let approx = try node.string("approximate", default: "none")
            switch approx {
            case "none": break
            case "tanh": f = OK_UNARY_GELU_TANH
            default: throw node.unsupported("approximate", "'\(approx)' is not 'none' or 'tanh'")
            }
        }
        return try unary(f)
    }
    switch node.opType {
    case "Not": return try PredicateOperator(node: node, opset: opset, kind: .not)
    case "IsNaN": return try PredicateOperator(node: node, opset: opset, kind: .isNaN)
    case "IsInf": return try PredicateOperator(node: node, opset: opset, kind: .isInf)
    case "Add": return try binary(.add)
    case "Sub": return try binary(.sub)
    case "Mul": return try binary(.mul)
    case "Div": return try binary(.div)
    case "Pow": return try binary(.pow)
    case "Mod": return try binary(.mod)
    case "PRelu": return try binary(.prelu)
    case "Max": return try binary(.max)
    case "Min": return try binary(.min)
    case "Sum": return try binary(.sum)
    case "Mean": return try binary(.mean)
    case "BitwiseAnd": return try binary(.bitAnd)
    case "BitwiseOr": return try binary(.bitOr)
    case "BitwiseXor": return try binary(.bitXor)
    case "BitShift": return try binary(.shiftLeft)  // direction attribute decides
    case "Equal": return compare(.equal)
    case "Less": return compare(.less)
    case "Greater": return compare(.greater)
    case "LessOrEqual": return compare(.lessOrEqual)
    case "GreaterOrEqual": return compare(.greaterOrEqual)
    case "And": return compare(.and)
    case "Or": return compare(.or)
    case "Xor": return compare(.xor)
    case "Where": return WhereOperator(node: node, opset: opset)
    case "Clip": return try ClipOperator(clip: node, opset: opset)
    case "Cast": return try CastOperator(node: node, opset: opset, like: false)
    case "CastLike": return try CastOperator(node: node, opset: opset, like: true)
    case "Softmax": return try SoftmaxOperator(node: node, opset: opset, kind: .softmax)
    case "LogSoftmax": return try SoftmaxOperator(node: node, opset: opset, kind: .logSoftmax)
    case "Hardmax": return try SoftmaxOperator(node: node, opset: opset, kind: .hardmax)
    default: return nil
    }
}

/// The ONNX operator of each `ok_unary_op`, in the enum's order (OK_UNARY_RELU = 0,
/// …, OK_UNARY_BITWISE_NOT), space-separated; "-" holds OK_UNARY_GELU_TANH's place
/// (Gelu with approximate = "tanh"; never matched by name).
private let unaryKernelNames: StaticString = """
    Relu LeakyRelu Sigmoid HardSigmoid HardSwish Tanh Exp Log Sqrt Abs Neg Reciprocal Erf Gelu - \
    Softplus Elu Selu Floor Ceil Round Sign Sin Cos Softsign ThresholdedRelu Celu Mish Tan Atan \
    Asin Acos Sinh Cosh Asinh Acosh Atanh Swish Shrink BitwiseNot
    """

/// The position of `name` among the space-separated words of `table`, comparing
/// bytes (the table is ASCII without K or Å, the only letters with other
/// canonically equivalent spellings, so this is String equality).
func wordIndex(_ name: String, in table: StaticString) -> Int? {
    var name = name
    return name.withUTF8 { n -> Int? in
        let t = UnsafeBufferPointer(start: table.utf8Start, count: table.utf8CodeUnitCount)
        var index = 0, start = 0
        for i in 0...t.count where i == t.count || t[i] == 0x20 {
            if i - start == n.count {
                var same = true
                for k in 0..<n.count where t[start + k] != n[k] { same = false; break }
                if same { return index }
            }
            index += 1
            start = i + 1
        }
        return nil
    }
}
