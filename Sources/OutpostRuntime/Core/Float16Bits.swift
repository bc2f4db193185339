import COutpostSystem

/// IEEE half-precision conversions (done in C: Swift's Float16 is not available
/// on every target Outpost builds for).
public enum Float16Bits {
    @inline(__always) public static func toFloat(_ bits: UInt16) -> Float { op_f16_to_f32(bits) }
    @inline(__always) public static func fromFloat(_ value: Float) -> UInt16 { op_f32_to_f16(value) }
}
