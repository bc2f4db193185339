import CKernels

/// com.microsoft QLinearAveragePool (onnxruntime's contrib op, and what QDQFolding makes
/// of DequantizeLinear → AveragePool → QuantizeLinear): the mean of each window,
/// requantized as QLinearGlobalAveragePool does it:
///   Y = saturate(round((sum(window) - x_zero_point * K) * x_scale / y_scale / K) + y_zero_point),
/// K the kernel's element count. Windows without padding only (pads 0, auto_pad NOTSET
/// or VALID, ceil_mode 0, dilations 1): every window is then full, so count_include_pad
/// does not matter. NCHW (channels_last 0). A window that covers the whole plane (kws'
/// 25x5 average before its classifier) runs as ok_qglobal_avgpool; others as the loop
/// in `run`, its readable twin.
/// Inputs: X, x_scale, x_zero_point, y_scale, y_zero_point.
final class QLinearAveragePoolOperator: Operator {
    let kernel: [Int]
    let strides: [Int]
    private var inSpatial = [Int](), outSpatial = [Int]()
    private var planes = 0, window = 1, global = false
    private var type = DType.uint8

    init(_ node: Node, opset: Int) throws(OutpostError) {
        if try node.int("channels_last", default: 0) != 0 {
            throw node.unsupported("channels_last", "NHWC QLinearAveragePool is not supported (NCHW is)")
        }
        guard let k = try node.ints("kernel_shape"), !k.isEmpty, k.allSatisfy({ $0 >= 1 }) else {
            throw node.invalid("kernel_shape is required and must be positive")
        }
        kernel = k
        strides = try node.ints("strides") ?? [Int](repeating: 1, count: k.count)
        if strides.count != k.count || strides.contains(where: { $0 < 1 }) {
            throw node.invalid("strides must be positive, one per kernel dimension")
        }
        if let pads = try node.ints("pads"), pads.contains(where: { $0 != 0 }) {
            throw node.unsupported("pads", "padded QLinearAveragePool windows are not supported (pads 0 are)")
        }
        let autoPad = try node.string("auto_pad", default: "NOTSET")
        if autoPad != "NOTSET" && autoPad != "VALID" {
            throw node.unsupported("auto_pad", "'\(autoPad)' is not supported (NOTSET or VALID with no pads are)")
        }
        if try node.int("ceil_mode", default: 0) != 0 {
            throw node.unsupported("ceil_mode", "ceil_mode 1 is not supported")
        }
        if let d = try node.ints("dilations"), d.contains(where: { $0 != 1 }) {
            throw node.unsupported("dilations", "dilated QLinearAveragePool windows are not supported")
        }
        super.init(node: node, opset: opset)
    }

    override func plan(_ inputs: [ValueType?]) throws(OutpostError) -> [TensorType] {
        let x = try AveragePoolRequantization.checkOperands(self, inputs)
        if x.shape.count != kernel.count + 2 {
            throw node.shapeError("X \(shape: x.shape) must have rank \(kernel.count + 2) for a \(kernel.count)-D kernel")
        }
        type = x.dtype
        inSpatial = Array(x.shape[2...])
        outSpatial = []
        for d in 0..<kernel.count {
            if inSpatial[d] < kernel[d] {
                throw node.shapeError("the kernel \(shape: kernel) is larger than X's spatial dims \(shape: inSpatial)")
            }
            outSpatial.append((inSpatial[d] - kernel[d]) / strides[d] + 1)
        }
        planes = x.shape[0] * x.shape[1]
        window = Tensor.elementCount(kernel)
        global = inSpatial == kernel
        planned = AveragePoolRequantization.planned(self, inputs, count: window)
        return [TensorType(x.dtype, Array(x.shape[0...1]) + outSpatial)]
    }

    /// Multiplier and zero points from constant operands, computed once at planning.
    private var planned: AveragePoolRequantization?

    override func run(_ inputs: [Tensor?], _ outputs: [Tensor], _ ctx: ExecutionContext) throws(OutpostError) {
        guard let (q, x, y) = AveragePoolRequantization.operands(planned, count: window, inputs, outputs, ctx) else { return }
        let code = QuantType.code(type)
        if global {
            ok_qglobal_avgpool(x, y, code, 1, planes, window, 0, q.xz, q.multiplier, q.yz)
            return
        }
        // Windows inside the plane: as 3-D [D][H][W] (missing leading dims of size 1).
        let pad = 3 - kernel.count
        func dim(_ a: [Int], _ i: Int, _ one: Int) -> Int { i < pad ? one : a[i - pad] }
        let (id, ih, iw) = (dim(inSpatial, 0, 1), dim(inSpatial, 1, 1), dim(inSpatial, 2, 1))
        let (od, oh, ow) = (dim(outSpatial, 0, 1), dim(outSpatial, 1, 1), dim(outSpatial, 2, 1))
        let (kd, kh, kw) = (dim(kernel, 0, 1), dim(kernel, 1, 1), dim(kernel, 2, 1))
        let (sd, sh, sw) = (dim(strides, 0, 1), dim(strides, 1, 1), dim(strides, 2, 1))
        let inPlane = id * ih * iw, outPlane = od * oh * ow
        let lo = Float(QuantType.qmin(type)), hi = Float(QuantType.qmax(type)), zy = Float(q.yz)
        let bias = Int64(q.xz) * Int64(window)
        let signed = type == .int8
        for p in 0..<planes {
            let xb = x + p * inPlane, yb = y + p * outPlane
            var o = 0
            for a in 0..<od {
                for b in 0..<oh {
                    for c in 0..<ow {
                        var sum: Int64 = 0
                        for i in 0..<kd {
                            for j in 0..<kh {
                                let row = ((a * sd + i) * ih + b * sh + j) * iw + c * sw
                                for k in 0..<kw {
                                    sum += signed ? Int64(xb.load(fromByteOffset: row + k, as: Int8.self))
                                                  : Int64(xb.load(fromByteOffset: row + k, as: UInt8.self))
                                }
                            }
                        }
                        // The rounding rule of ok_qglobal_avgpool: rint, + zero point, clamp (NaN -> lo).
                        var r = (Float(sum - bias) * q.multiplier).rounded(.toNearestOrEven) + zy
                        if !(r >= lo) { r = lo }
                        if r > hi { r = hi }
                        if signed { yb.storeBytes(of: Int8(r), toByteOffset: o, as: Int8.self) }
                        else { yb.storeBytes(of: UInt8(r), toByteOffset: o, as: UInt8.self) }
                        o += 1
                    }
                }
            }
        }
    }
}
