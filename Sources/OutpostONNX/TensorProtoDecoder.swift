import COutpostSystem
import OutpostRuntime

/// The fields of one TensorProto as they appear on the wire (any order), before
/// they are turned into a `Tensor`.
struct TensorProtoFields {
    var name = ""
    var dims: [Int64] = []
    var dataType = 0
    /// raw_data byte range inside the source buffer.
    var rawData: (start: Int, count: Int)?
    var floatData: [UInt32] = []
    var int32Data: [Int64] = []
    var int64Data: [Int64] = []
    var stringCount = 0
    var doubleCount = 0
    var uint64Count = 0
    var external: [(key: String, value: String)] = []
    var dataLocation = 0
    var hasSegment = false

    static func decode(_ reader: ProtobufReader) throws(OutpostError) -> TensorProtoFields {
        var r = reader
        r.context = "TensorProto"
        var t = TensorProtoFields()
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .varint), (1, .lengthDelimited): try r.readRepeatedVarint(wire, into: &t.dims)
            case (2, .varint): t.dataType = Int(try r.readInt32())
            case (3, .lengthDelimited): t.hasSegment = true; try r.skip(wire)
            case (4, .fixed32), (4, .lengthDelimited): try r.readRepeatedFixed32(wire, into: &t.floatData)
            case (5, .varint), (5, .lengthDelimited): try r.readRepeatedVarint(wire, into: &t.int32Data)
            case (6, .lengthDelimited): t.stringCount += 1; try r.skip(wire)
            case (7, .varint), (7, .lengthDelimited): try r.readRepeatedVarint(wire, into: &t.int64Data)
            case (8, .lengthDelimited): t.name = try r.readString()
            case (9, .lengthDelimited): t.rawData = try r.readLengthDelimited()
            case (10, .fixed64), (10, .lengthDelimited): t.doubleCount += try r.countRepeatedFixed64(wire)
            case (11, .varint), (11, .lengthDelimited):
                var ignored = [Int64]()
                try r.readRepeatedVarint(wire, into: &ignored)
                t.uint64Count += ignored.count
            case (13, .lengthDelimited):
                let entry = try decodeStringStringEntry(try r.readMessage("StringStringEntryProto"))
                t.external.append(entry)
            case (14, .varint): t.dataLocation = Int(try r.readInt32())
            default: try r.skip(wire)
            }
        }
        return t
    }
}

func decodeStringStringEntry(_ reader: ProtobufReader) throws(OutpostError) -> (key: String, value: String) {
    var r = reader
    var key = "", value = ""
    while !r.isAtEnd {
        let (field, wire) = try r.readTag()
        switch (field, wire) {
        case (1, .lengthDelimited): key = try r.readString()
        case (2, .lengthDelimited): value = try r.readString()
        default: try r.skip(wire)
        }
    }
    return (key, value)
}

/// Int64 -> Int, refusing values a 32-bit Int cannot hold (armv7 devices).
@inline(__always) func exactInt(_ v: Int64, _ what: @autoclosure () -> String) throws(OutpostError) -> Int {
    guard let i = Int(exactly: v) else { throw .malformedModel(String(outlined: "\(what()) value \(v) does not fit this platform's Int")) }
    return i
}

/// Int64 -> Int, clamping (attribute values such as INT64_MAX "to the end" on 32-bit).
@inline(__always) func clampedInt(_ v: Int64) -> Int {
    if let i = Int(exactly: v) { return i }
    return v < 0 ? Int.min : Int.max
}

/// Turns TensorProto fields into tensors, reading raw data in place from the source
/// buffer when aligned and loading external data files relative to a base directory.
final class TensorMaterializer {
    let source: Buffer
    let baseDirectory: String?
    private var externalFiles: [String: Buffer] = [:]

    init(source: Buffer, baseDirectory: String?) {
        self.source = source
        self.baseDirectory = baseDirectory
    }

    func tensor(_ t: TensorProtoFields, what: String = "tensor") throws(OutpostError) -> Tensor {
        let label = t.name.isEmpty ? String(outlined: "<unnamed \(what)>") : t.name
        guard let dtype = DType(rawValue: t.dataType) else {
            throw .unsupportedDataType(tensor: label, dtype: DType.onnxName(t.dataType))
        }
        if t.hasSegment {
            throw .unsupportedDataType(tensor: label, dtype: "segmented tensor")
        }
        var shape = [Int]()
        shape.reserveCapacity(t.dims.count)
        var count = 1
        for d in t.dims {
            guard d >= 0 else { throw .malformedModel(String(outlined: "tensor '\(label)': negative dimension \(d)")) }
            let di = try exactInt(d, String(outlined: "tensor '\(label)': dimension"))
            let (p, overflow) = count.multipliedReportingOverflow(by: di)
            guard !overflow else { throw .malformedModel(String(outlined: "tensor '\(label)': element count overflows (dims too large)")) }
            count = p
            shape.append(di)
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow else { throw .malformedModel(String(outlined: "tensor '\(label)': byte size overflows (dims too large)")) }

        if t.dataLocation == 1 {
            return try externalTensor(t, label: label, dtype: dtype, shape: shape, byteCount: byteCount)
        }
        if let (start, n) = t.rawData {
            guard n == byteCount else {
                throw .malformedModel(String(outlined: "tensor '\(label)' (\(dtype.name)\(shape: shape)) needs \(byteCount) bytes of raw_data, has \(n)"))
            }
            return inPlaceOrCopy(source, offset: start, dtype: dtype, shape: shape, byteCount: byteCount)
        }
        if t.stringCount > 0 || t.doubleCount > 0 || t.uint64Count > 0 {
            throw .malformedModel(String(outlined: "tensor '\(label)' of type \(dtype.name) stores its values in a field of another type"))
        }
        // Check the value count before allocating: dims alone may claim terabytes.
        let have: Int
        let field: String
        switch dtype {
        case .float32: (have, field) = (t.floatData.count, "float_data")
        case .int64: (have, field) = (t.int64Data.count, "int64_data")
        case .int32, .float16, .int8, .uint8, .bool: (have, field) = (t.int32Data.count, "int32_data")
        }
        guard have == count else {
            throw .malformedModel(String(outlined: "tensor '\(label)' (\(dtype.name)\(shape: shape)) has \(count) elements but \(field) holds \(have) values"))
        }
        let out = Tensor(zeros: dtype, shape: shape)
        switch dtype {
        case .float32:
            let p = out.raw.assumingMemoryBound(to: UInt32.self)
            for i in 0..<count { p[i] = t.floatData[i] }
        case .int64:
            let p = out.raw.assumingMemoryBound(to: Int64.self)
            for i in 0..<count { p[i] = t.int64Data[i] }
        case .int32:
            let p = out.raw.assumingMemoryBound(to: Int32.self)
            for i in 0..<count { p[i] = Int32(truncatingIfNeeded: t.int32Data[i]) }
        case .float16:
            // int32_data holds the 16-bit patterns.
            let p = out.raw.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { p[i] = UInt16(truncatingIfNeeded: t.int32Data[i]) }
        case .int8, .uint8:
            let p = out.raw.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { p[i] = UInt8(truncatingIfNeeded: t.int32Data[i]) }
        case .bool:
            let p = out.raw.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { p[i] = t.int32Data[i] != 0 ? 1 : 0 }
        }
        return out
    }

    private func inPlaceOrCopy(_ buffer: Buffer, offset: Int, dtype: DType, shape: [Int], byteCount: Int) -> Tensor {
        let address = Int(bitPattern: buffer.base) &+ offset
        if address % dtype.size == 0 {
            return Tensor(dtype: dtype, shape: shape, buffer: buffer, offset: offset)
        }
        // Copied on first use only: weights that are only packed are never copied.
        return Tensor(dtype: dtype, shape: shape, buffer: Buffer(lazyCopyOf: buffer, offset: offset, count: byteCount))
    }

    private func externalTensor(_ t: TensorProtoFields, label: String, dtype: DType, shape: [Int],
                                byteCount: Int) throws(OutpostError) -> Tensor {
        var location = ""
        var offset = 0
        var length: Int?
        for (key, value) in t.external {
            switch key {
            case "location": location = value
            case "offset", "length":
                guard let v = parseDecimal(value) else {
                    throw .malformedModel(String(outlined: "tensor '\(label)': external data \(key) '\(value)' is not a non-negative integer"))
                }
                if key == "offset" { offset = v } else { length = v }
            default: break
            }
        }
        guard !location.isEmpty else {
            throw .malformedModel(String(outlined: "tensor '\(label)': external data without a location"))
        }
        guard isContainedRelativePath(location) else {
            throw .invalidModel(String(outlined: "tensor '\(label)': external data location '\(location)' escapes the model directory (absolute paths and '..' are refused)"))
        }
        guard let baseDirectory else {
            throw .invalidModel(String(outlined: "tensor '\(label)': external data file '\(location)' cannot be found: the model was loaded from memory without a base directory"))
        }
        let path = baseDirectory.isEmpty ? location : baseDirectory + "/" + location
        let file: Buffer
        if let f = externalFiles[path] {
            file = f
        } else {
            file = try Buffer(mappingFile: path)
            externalFiles[path] = file
        }
        let n = length ?? (file.byteCount - min(offset, file.byteCount))
        guard offset <= file.byteCount, n <= file.byteCount - offset else {
            throw .malformedModel(String(outlined: "tensor '\(label)': external data range offset \(offset) length \(n) runs past the end of '\(location)' (\(file.byteCount) bytes)"))
        }
        guard n == byteCount else {
            throw .malformedModel(String(outlined: "tensor '\(label)' (\(dtype.name)\(shape: shape)) needs \(byteCount) bytes of external data, has \(n)"))
        }
        return inPlaceOrCopy(file, offset: offset, dtype: dtype, shape: shape, byteCount: byteCount)
    }
}

/// "123" -> 123; nil for anything else (signs, spaces, overflow).
func parseDecimal(_ s: String) -> Int? {
    var v = 0
    var any = false
    for c in s.utf8 {
        guard c >= 48 && c <= 57 else { return nil }
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(Int(c - 48))
        if o1 || o2 { return nil }
        v = a
        any = true
    }
    return any ? v : nil
}

/// True for a relative path none of whose components is ".." (so it stays inside its base).
func isContainedRelativePath(_ path: String) -> Bool {
    let bytes = Array(path.utf8)
    if bytes.isEmpty || bytes[0] == 47 /* / */ || bytes.contains(0) || bytes.contains(92 /* \ */) { return false }
    for component in bytes.split(separator: 47, omittingEmptySubsequences: true) {
        if component.count == 2 && component[component.startIndex] == 46 && component[component.startIndex + 1] == 46 {
            return false
        }
    }
    return true
}

/// The directory part of a path ("" when none, "/" for root files).
func directoryOf(_ path: String) -> String {
    let bytes = Array(path.utf8)
    guard let slash = bytes.lastIndex(of: 47) else { return "." }
    if slash == 0 { return "/" }
    return String(decoding: bytes[0..<slash], as: UTF8.self)
}
