/// A dense, row-major tensor: element type, shape and a view of a buffer.
///
/// Tensors are immutable views (the bytes are shared through `Buffer`). During a
/// run, every intermediate tensor is a view into the session arena, made at
/// planning, so running a model allocates nothing. A class, not a struct: tensors
/// and optional tensors are passed and stored everywhere (operator inputs, planned
/// values, initializers), and a reference is one retain where the struct was two
/// (shape and buffer) and four words through memory.
public final class Tensor {
    public let dtype: DType
    public let shape: [Int]
    public let buffer: Buffer
    /// Byte offset of element 0 inside `buffer`.
    public let offset: Int

    public init(dtype: DType, shape: [Int], buffer: Buffer, offset: Int = 0) {
        self.dtype = dtype
        self.shape = shape
        self.buffer = buffer
        self.offset = offset
    }

    /// A new zero-filled heap tensor.
    public init(zeros dtype: DType, shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
        self.buffer = Buffer(zeroedBytes: Tensor.elementCount(shape) * dtype.size)
        self.offset = 0
    }

    /// A float32 heap tensor holding `values` (count must match the shape).
    public convenience init(shape: [Int], floats values: [Float]) {
        self.init(zeros: .float32, shape: shape)
        let p = floats
        for i in 0..<min(values.count, count) { p[i] = values[i] }
    }

    /// An int64 heap tensor holding `values`.
    public convenience init(shape: [Int], int64s values: [Int64]) {
        self.init(zeros: .int64, shape: shape)
        let p = raw.assumingMemoryBound(to: Int64.self)
        for i in 0..<min(values.count, count) { p[i] = values[i] }
    }

    public static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape { n *= d }
        return n
    }

    public var rank: Int { shape.count }
    public var count: Int { Tensor.elementCount(shape) }
    public var byteCount: Int { count * dtype.size }
    public var raw: UnsafeMutableRawPointer { buffer.base + offset }

    public var floats: UnsafeMutablePointer<Float> { raw.assumingMemoryBound(to: Float.self) }
    /// The bytes for reading without making a lazy copy (`Buffer.readOnlyBase`):
    /// possibly misaligned, so read them with `op_copy_f32_scaled`/memcpy-style loads.
    public var readOnlyRaw: UnsafeRawPointer { buffer.readOnlyBase + offset }
    /// Whether `readOnlyRaw` is aligned for the element type.
    public var isAlignedInPlace: Bool { Int(bitPattern: readOnlyRaw) % dtype.size == 0 }
    public func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> { raw.assumingMemoryBound(to: T.self) }

    /// Row-major strides in elements.
    public var strides: [Int] { Tensor.strides(of: shape) }

    public static func strides(of shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        var i = shape.count - 1
        while i >= 0 {
            s[i] = acc
            acc *= shape[i]
            i -= 1
        }
        return s
    }

    /// The same bytes with another shape (element count must match).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(dtype: dtype, shape: newShape, buffer: buffer, offset: offset)
    }

    /// A heap copy that owns its bytes.
    public func copy() -> Tensor {
        let t = Tensor(zeros: dtype, shape: shape)
        t.raw.copyMemory(from: raw, byteCount: byteCount)
        return t
    }

    /// Elements of an integer tensor (int64, int32, int8, uint8, bool) as Ints —
    /// used for shape-like operands (Reshape's shape, Slice's starts...).
    public func integerValues() -> [Int] {
        var out = [Int]()
        out.reserveCapacity(count)
        for i in 0..<count { out.append(integer(at: i)) }
        return out
    }

    /// Element `i` (flat index) of an integer or bool tensor as Int; float tensors truncate.
    public func integer(at i: Int) -> Int {
        switch dtype {
        case .int64: return Int(raw.load(fromByteOffset: i * 8, as: Int64.self))
        case .int32: return Int(raw.load(fromByteOffset: i * 4, as: Int32.self))
        case .int8: return Int(raw.load(fromByteOffset: i, as: Int8.self))
        case .uint8, .bool: return Int(raw.load(fromByteOffset: i, as: UInt8.self))
        case .float32: return Int(raw.load(fromByteOffset: i * 4, as: Float.self))
        case .float16: return Int(Float16Bits.toFloat(raw.load(fromByteOffset: i * 2, as: UInt16.self)))
        }
    }

    /// Element `i` (flat index) as Float, whatever the element type.
    public func float(at i: Int) -> Float {
        switch dtype {
        case .float32: return raw.load(fromByteOffset: i * 4, as: Float.self)
        case .float16: return Float16Bits.toFloat(raw.load(fromByteOffset: i * 2, as: UInt16.self))
        case .int64: return Float(raw.load(fromByteOffset: i * 8, as: Int64.self))
        case .int32: return Float(raw.load(fromByteOffset: i * 4, as: Int32.self))
        case .int8: return Float(raw.load(fromByteOffset: i, as: Int8.self))
        case .uint8, .bool: return Float(raw.load(fromByteOffset: i, as: UInt8.self))
        }
    }

    /// All elements as Floats (tests, summaries).
    public func floatValues() -> [Float] {
        var out = [Float]()
        out.reserveCapacity(count)
        for i in 0..<count { out.append(float(at: i)) }
        return out
    }

    /// "float32[1, 3, 224, 224]"
    public var typeDescription: String { String(outlined: "\(dtype.name)\(shape: shape)") }
}

/// "[1, 3, 224, 224]"
public func formatShape(_ shape: [Int]) -> String { String(outlined: "\(shape: shape)") }
