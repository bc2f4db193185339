import OutpostRuntime

/// Protobuf wire types (groups are recognised only to be refused).
public enum WireType: UInt8 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5

    var name: String {
        switch self {
        case .varint: return "varint"
        case .fixed64: return "fixed64"
        case .lengthDelimited: return "length-delimited"
        case .startGroup: return "start-group"
        case .endGroup: return "end-group"
        case .fixed32: return "fixed32"
        }
    }
}

/// A bounds-checked cursor over protobuf wire-format bytes.
///
/// It never traps on bad input: every read checks the remaining bytes, and every
/// problem throws `OutpostError.malformedModel` naming what was being read and the
/// byte offset (counted from the start of the whole input, so nested messages
/// report positions a hex dump can find). Offsets are plain Ints relative to
/// `base`, which lets decoded tensors point back into the source buffer.
public struct ProtobufReader {
    public let base: UnsafeRawPointer
    /// Current position (byte offset from `base`).
    public private(set) var offset: Int
    /// One past the last byte of this (sub-)message.
    public let end: Int
    /// What is being decoded ("TensorProto"...), used in error messages.
    public var context: String

    public init(base: UnsafeRawPointer, count: Int, context: String = "message") {
        self.base = base
        self.offset = 0
        self.end = count
        self.context = context
    }

    init(base: UnsafeRawPointer, start: Int, end: Int, context: String) {
        self.base = base
        self.offset = start
        self.end = end
        self.context = context
    }

    public var isAtEnd: Bool { offset >= end }
    public var remaining: Int { end - offset }

    public func error(_ what: String, at position: Int) -> OutpostError {
        .malformedModel(String(outlined: "\(context): \(what) at byte offset \(position)"))
    }

    @inline(__always) private func byte(_ at: Int) -> UInt8 {
        base.load(fromByteOffset: at, as: UInt8.self)
    }

    // MARK: scalars

    /// A base-128 varint of at most 10 bytes whose value fits in 64 bits.
    public mutating func readVarint() throws(OutpostError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw error("truncated varint", at: start) }
            let b = byte(offset)
            offset += 1
            if shift == 63 && b > 1 {
                throw error("varint overflows 64 bits", at: start)
            }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    public mutating func readInt64() throws(OutpostError) -> Int64 {
        Int64(bitPattern: try readVarint())
    }

    /// int32 fields: negative values are sign-extended 10-byte varints; truncation is the rule.
    public mutating func readInt32() throws(OutpostError) -> Int32 {
        Int32(truncatingIfNeeded: try readVarint())
    }

    public mutating func readBool() throws(OutpostError) -> Bool {
        try readVarint() != 0
    }

    public mutating func readFixed32() throws(OutpostError) -> UInt32 {
        guard remaining >= 4 else { throw error("truncated fixed32", at: offset) }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(byte(offset + i)) << UInt32(8 * i) }
        offset += 4
        return v
    }

    public mutating func readFixed64() throws(OutpostError) -> UInt64 {
        guard remaining >= 8 else { throw error("truncated fixed64", at: offset) }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(byte(offset + i)) << UInt64(8 * i) }
        offset += 8
        return v
    }

    public mutating func readFloat() throws(OutpostError) -> Float {
        Float(bitPattern: try readFixed32())
    }

    // MARK: tags and length-delimited fields

    /// The next field's number and wire type. Field 0, wire types 6/7 and groups are errors.
    public mutating func readTag() throws(OutpostError) -> (field: Int, wire: WireType) {
        let start = offset
        let key = try readVarint()
        let field = key >> 3
        guard field != 0 else { throw error("field number 0", at: start) }
        guard field <= 0x1FFF_FFFF else { throw error(String(outlined: "field number \(field) out of range"), at: start) }
        guard let wire = WireType(rawValue: UInt8(key & 7)) else {
            throw error(String(outlined: "invalid wire type \(key & 7) for field \(field)"), at: start)
        }
        if wire == .startGroup || wire == .endGroup {
            throw error(String(outlined: "unsupported group (wire type \(wire.rawValue)) for field \(field)"), at: start)
        }
        return (Int(field), wire)
    }

    /// Reads a length prefix and returns the byte range it covers, advancing past it.
    public mutating func readLengthDelimited() throws(OutpostError) -> (start: Int, count: Int) {
        let start = offset
        let length = try readVarint()
        guard length <= UInt64(remaining) else {
            throw error(String(outlined: "length \(length) runs past the end of the \(context) (\(remaining) bytes left)"), at: start)
        }
        let s = offset
        offset += Int(length)
        return (s, Int(length))
    }

    /// A reader over the next length-delimited field (an embedded message).
    public mutating func readMessage(_ context: String) throws(OutpostError) -> ProtobufReader {
        let (s, n) = try readLengthDelimited()
        return ProtobufReader(base: base, start: s, end: s + n, context: context)
    }

    /// A length-delimited field as a string (invalid UTF-8 is repaired, never trapped on).
    public mutating func readString() throws(OutpostError) -> String {
        let (s, n) = try readLengthDelimited()
        if n == 0 { return "" }
        let bytes = UnsafeRawBufferPointer(start: base + s, count: n).bindMemory(to: UInt8.self)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Skips a field of the given wire type.
    public mutating func skip(_ wire: WireType) throws(OutpostError) {
        switch wire {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup, .endGroup:
            throw error(String(outlined: "unsupported group (wire type \(wire.rawValue))"), at: offset)
        }
    }

    // MARK: repeated scalars (packed or not)

    /// One element (unpacked) or a packed run of varints, appended as Int64.
    public mutating func readRepeatedVarint(_ wire: WireType, into out: inout [Int64]) throws(OutpostError) {
        switch wire {
        case .varint:
            out.append(try readInt64())
        case .lengthDelimited:
            var sub = try readMessage(context)
            while !sub.isAtEnd { out.append(try sub.readInt64()) }
        default:
            throw error(String(outlined: "repeated integer field with wire type \(wire.name)"), at: offset)
        }
    }

    /// Packed or unpacked fixed32 values (floats are read through their bit patterns).
    public mutating func readRepeatedFixed32(_ wire: WireType, into out: inout [UInt32]) throws(OutpostError) {
        switch wire {
        case .fixed32:
            out.append(try readFixed32())
        case .lengthDelimited:
            let start = offset
            var sub = try readMessage(context)
            guard sub.remaining % 4 == 0 else {
                throw error(String(outlined: "packed fixed32 field of \(sub.remaining) bytes (not a multiple of 4)"), at: start)
            }
            out.reserveCapacity(out.count + sub.remaining / 4)
            while !sub.isAtEnd { out.append(try sub.readFixed32()) }
        default:
            throw error(String(outlined: "repeated fixed32 field with wire type \(wire.name)"), at: offset)
        }
    }

    /// Packed or unpacked fixed64 values, only counted (Outpost does not load doubles/uint64).
    public mutating func countRepeatedFixed64(_ wire: WireType) throws(OutpostError) -> Int {
        switch wire {
        case .fixed64:
            _ = try readFixed64()
            return 1
        case .lengthDelimited:
            let start = offset
            let (_, n) = try readLengthDelimited()
            guard n % 8 == 0 else {
                throw error(String(outlined: "packed fixed64 field of \(n) bytes (not a multiple of 8)"), at: start)
            }
            return n / 8
        case .varint:
            _ = try readVarint()
            return 1
        default:
            throw error(String(outlined: "repeated 64-bit field with wire type \(wire.name)"), at: offset)
        }
    }
}

/// Minimal protobuf writer (used to encode TensorProto files).
public struct ProtobufWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func writeTag(_ field: Int, _ wire: WireType) {
        writeVarint(UInt64(field) << 3 | UInt64(wire.rawValue))
    }

    public mutating func writeInt64Field(_ field: Int, _ value: Int64) {
        writeTag(field, .varint)
        writeVarint(UInt64(bitPattern: value))
    }

    public mutating func writeBytesField(_ field: Int, _ data: UnsafeRawBufferPointer) {
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    public mutating func writeStringField(_ field: Int, _ value: String) {
        var s = value
        s.withUTF8 { p in writeBytesField(field, UnsafeRawBufferPointer(p)) }
    }
}
