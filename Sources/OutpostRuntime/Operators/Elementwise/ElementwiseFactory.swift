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
    // The other operators by name: one scan of a table, then a jump on the index,
    // instead of a String comparison per `case`.
    guard let index = wordIndex(node.opType, in: elementwiseNames) else { return nil }
    switch index {
    case 0: return try PredicateOperator(node: node, opset: opset, kind: .not)  // Not
    case 1: return try PredicateOperator(node: node, opset: opset, kind: .isNaN)  // IsNaN
    case 2: return try PredicateOperator(node: node, opset: opset, kind: .isInf)  // IsInf
    case 3: return try binary(.add)  // Add
    case 4: return try binary(.sub)  // Sub
    case 5: return try binary(.mul)  // Mul
    case 6: return try binary(.div)  // Div
    case 7: return try binary(.pow)  // Pow
    case 8: return try binary(.mod)  // Mod
    case 9: return try binary(.prelu)  // PRelu
    case 10: return try binary(.max)  // Max
    case 11: return try binary(.min)  // Min
    case 12: return try binary(.sum)  // Sum
    case 13: return try binary(.mean)  // Mean
    case 14: return try binary(.bitAnd)  // BitwiseAnd
    case 15: return try binary(.bitOr)  // BitwiseOr
    case 16: return try binary(.bitXor)  // BitwiseXor
    case 17: return try binary(.shiftLeft)  // BitShift (the direction attribute decides)
    case 18: return compare(.equal)  // Equal
    case 19: return compare(.less)  // Less
    case 20: return compare(.greater)  // Greater
    case 21: return compare(.lessOrEqual)  // LessOrEqual
    case 22: return compare(.greaterOrEqual)  // GreaterOrEqual
    case 23: return compare(.and)  // And
    case 24: return compare(.or)  // Or
    case 25: return compare(.xor)  // Xor
    case 26: return WhereOperator(node: node, opset: opset)  // Where
    case 27: return try ClipOperator(clip: node, opset: opset)  // Clip
    case 28: return try CastOperator(node: node, opset: opset, like: false)  // Cast
    case 29: return try CastOperator(node: node, opset: opset, like: true)  // CastLike
    case 30: return try SoftmaxOperator(node: node, opset: opset, kind: .softmax)  // Softmax
    case 31: return try SoftmaxOperator(node: node, opset: opset, kind: .logSoftmax)  // LogSoftmax
    case 32: return try SoftmaxOperator(node: node, opset: opset, kind: .hardmax)  // Hardmax
    default: return nil
    }
}

/// makeElementwiseOperator's other operators, in the order of its `switch`.
private let elementwiseNames: StaticString = """
    Not IsNaN IsInf Add Sub Mul Div Pow Mod PRelu Max Min Sum Mean BitwiseAnd BitwiseOr BitwiseXor BitShift \
    Equal Less Greater LessOrEqual GreaterOrEqual And Or Xor Where Clip Cast CastLike Softmax LogSoftmax \
    Hardmax
    """

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
