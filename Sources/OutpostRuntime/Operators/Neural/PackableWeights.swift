import COutpostSystem

/// Calls `body` with the float32 weights `w` aligned and, when `rowScale` is given,
/// each of its `rows` rows (first axis) multiplied by its scale — what a packer
/// needs. Aligned, unscaled bytes are used in place. Otherwise (a lazy copy of a
/// misaligned initializer not made yet, or a BatchNormalization scale to apply) the
/// bytes go to a temporary freed when `body` returns: packing a weight never leaves
/// a second copy of it behind (see `Buffer.init(lazyCopyOf:offset:count:)` and
/// `GraphOptimizer.weightScaleAttribute`).
/// Afterwards the pages of the model file the weights were read from are handed
/// back (`Buffer.releaseResidentPagesOfBytes`): the packed copy is what the kernels
/// read, and packing a whole model would otherwise fault the whole file in.
func withPackableFloats(_ w: Tensor, rows: Int, rowScale: [Float]?, _ body: (UnsafePointer<Float>) -> Void) {
    defer { w.buffer.releaseResidentPagesOfBytes() }
    if rowScale == nil && w.buffer.isMaterialized {
        body(UnsafePointer(w.floats))
        return
    }
    let temporary = Buffer(zeroedBytes: w.byteCount)
    let p = temporary.base.assumingMemoryBound(to: Float.self)
    if let rowScale, rows > 0 {
        rowScale.withUnsafeBufferPointer { op_copy_f32_scaled(p, w.readOnlyRaw, rows, w.count / rows, $0.baseAddress) }
    } else {
        op_copy_f32_scaled(p, w.readOnlyRaw, 1, w.count, nil)
    }
    body(UnsafePointer(p))
    withExtendedLifetime(temporary) {}
}

/// The address of a tensor a kernel is handed but does not read (its packed form is
/// used instead): does not make a lazy copy.
func unreadFloats(_ t: Tensor) -> UnsafePointer<Float> {
    t.readOnlyRaw.assumingMemoryBound(to: Float.self)
}
