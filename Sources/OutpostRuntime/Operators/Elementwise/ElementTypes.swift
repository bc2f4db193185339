/// Element types the element-wise, reduction and normalisation operators compute
/// on, with the conversions they need (through Double, which holds every value of
/// every supported type except the largest int64s).
protocol NumericElement: Comparable {
    var asDouble: Double { get }
    /// The value converted from a Double: truncated toward zero for integers
    /// (NaN gives 0, out-of-range values saturate).
    static func fromDouble(_ d: Double) -> Self
    static var zeroValue: Self { get }
    static var lowest: Self { get }
    static var highest: Self { get }
}

extension Float: NumericElement {
    var asDouble: Double { Double(self) }
    static func fromDouble(_ d: Double) -> Float { Float(d) }
    static var zeroValue: Float { 0 }
    static var lowest: Float { -Float.infinity }
    static var highest: Float { Float.infinity }
}

extension FixedWidthInteger {
    @inline(__always)
    static func truncatingDouble(_ d: Double) -> Self {
        if d.isNaN { return 0 }
        if d <= Double(Self.min) { return Self.min }
        if d >= Double(Self.max) { return Self.max }
        return Self(d.rounded(.towardZero))
    }
}

extension Int32: NumericElement {
    var asDouble: Double { Double(self) }
    static func fromDouble(_ d: Double) -> Int32 { truncatingDouble(d) }
    static var zeroValue: Int32 { 0 }
    static var lowest: Int32 { .min }
    static var highest: Int32 { .max }
}

extension Int64: NumericElement {
    var asDouble: Double { Double(self) }
    static func fromDouble(_ d: Double) -> Int64 { truncatingDouble(d) }
    static var zeroValue: Int64 { 0 }
    static var lowest: Int64 { .min }
    static var highest: Int64 { .max }
}

extension Int8: NumericElement {
    var asDouble: Double { Double(self) }
    static func fromDouble(_ d: Double) -> Int8 { truncatingDouble(d) }
    static var zeroValue: Int8 { 0 }
    static var lowest: Int8 { .min }
    static var highest: Int8 { .max }
}

extension UInt8: NumericElement {
    var asDouble: Double { Double(self) }
    static func fromDouble(_ d: Double) -> UInt8 { truncatingDouble(d) }
    static var zeroValue: UInt8 { 0 }
    static var lowest: UInt8 { .min }
    static var highest: UInt8 { .max }
}

extension Operator {
    /// An `unsupportedDataType` error naming input `index` of this node.
    func unsupportedType(_ dtype: DType, input index: Int) -> OutpostError {
        let name = index < node.inputs.count ? node.inputs[index] : String(outlined: "input \(index)")
        return .unsupportedDataType(tensor: String(outlined: "\(name) (input \(index) of \(node.opType) node '\(node.displayName)')"),
                                    dtype: dtype.name)
    }
}
