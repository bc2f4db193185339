import COutpostSystem
import OutpostRuntime

/// NumPy `.npy` files (format versions 1, 2 and 3), C order only.
///
/// Supported dtypes: `<f4`, `<f2`, `|i1`, `|u1`, `<i4`, `<i8`, `|b1` (one-byte types
/// are also accepted with `<`/`=`). Anything else (big-endian, Fortran order,
/// objects, structured dtypes...) is refused with a message naming it. Format
/// errors are `OutpostError.malformedModel("npy ...")`.
public enum NpyFile {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // "\x93NUMPY"

    /// Reads a .npy file (memory-mapped; the data is used in place when aligned).
    public static func read(path: String) throws(OutpostError) -> Tensor {
        let buffer = try Buffer(mappingFile: path)
        return try decode(buffer, source: path)
    }

    /// Decodes .npy bytes held in `buffer`; the tensor may be a view into it.
    public static func decode(_ buffer: Buffer, source: String = "npy data") throws(OutpostError) -> Tensor {
        let n = buffer.byteCount
        let p = UnsafeRawPointer(buffer.base)
        func fail(_ what: String) -> OutpostError { .malformedModel(String(outlined: "npy file '\(source)': \(what)")) }
        func byte(_ i: Int) -> UInt8 { p.load(fromByteOffset: i, as: UInt8.self) }
        guard n >= 10 else { throw fail(String(outlined: "too short for a .npy header (\(n) bytes)")) }
        for i in 0..<6 where byte(i) != magic[i] { throw fail("missing the \\x93NUMPY magic") }
        let major = byte(6)
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(byte(8)) | Int(byte(9)) << 8
            headerStart = 10
        case 2, 3:
            guard n >= 12 else { throw fail(String(outlined: "too short for a version \(major) header")) }
            headerLength = Int(byte(8)) | Int(byte(9)) << 8 | Int(byte(10)) << 16 | Int(byte(11)) << 24
            headerStart = 12
        default:
            throw fail(String(outlined: "unsupported format version \(major).\(byte(7))"))
        }
        guard headerLength <= n - headerStart else {
            throw fail(String(outlined: "header length \(headerLength) runs past the end of the file (\(n) bytes)"))
        }
        let header = Array(UnsafeRawBufferPointer(start: p + headerStart, count: headerLength))
        let (descr, fortran, shape) = try parseHeader(header, fail: fail)
        guard !fortran else { throw fail("Fortran-order arrays are not supported (save with C order)") }
        let dtype: DType
        switch descr {
        case "<f4": dtype = .float32
        case "<f2": dtype = .float16
        case "|i1", "<i1", "=i1", "i1": dtype = .int8
        case "|u1", "<u1", "=u1", "u1": dtype = .uint8
        case "<i4": dtype = .int32
        case "<i8": dtype = .int64
        case "|b1", "<b1", "=b1", "b1", "?": dtype = .bool
        default:
            throw .unsupportedDataType(tensor: source, dtype: String(outlined: "npy '\(descr)' (supported: <f4 <f2 |i1 |u1 <i4 <i8 |b1)"))
        }
        var count = 1
        for d in shape {
            let (m, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw fail("shape is too large") }
            count = m
        }
        let (bytes, o) = count.multipliedReportingOverflow(by: dtype.size)
        guard !o else { throw fail("shape is too large") }
        let dataStart = headerStart + headerLength
        guard n - dataStart == bytes else {
            throw fail(String(outlined: "\(dtype.name)\(shape: shape) needs \(bytes) data bytes, the file has \(n - dataStart)"))
        }
        if (Int(bitPattern: buffer.base) &+ dataStart) % dtype.size == 0 {
            return Tensor(dtype: dtype, shape: shape, buffer: buffer, offset: dataStart)
        }
        return Tensor(dtype: dtype, shape: shape, buffer: Buffer(copying: p + dataStart, count: bytes))
    }

    /// Decodes .npy bytes (copied into an aligned buffer first).
    public static func decode(bytes: [UInt8]) throws(OutpostError) -> Tensor {
        let buffer = bytes.withUnsafeBytes { p in
            Buffer(copying: p.baseAddress ?? UnsafeRawPointer(bitPattern: 64)!, count: p.count)
        }
        return try decode(buffer)
    }

    /// Encodes a tensor as a version 1.0 .npy file (header padded to 64 bytes).
    public static func encode(_ tensor: Tensor) -> [UInt8] {
        let descr: String
        switch tensor.dtype {
        case .float32: descr = "<f4"
        case .float16: descr = "<f2"
        case .int8: descr = "|i1"
        case .uint8: descr = "|u1"
        case .int32: descr = "<i4"
        case .int64: descr = "<i8"
        case .bool: descr = "|b1"
        }
        var shape = "("
        for (i, d) in tensor.shape.enumerated() {
            if i > 0 { shape += ", " }
            shape += String(d)
        }
        if tensor.shape.count == 1 { shape += "," }
        shape += ")"
        var header = Array(String(outlined: "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }").utf8)
        let total = 10 + header.count + 1
        let padded = (total + 63) / 64 * 64
        header.append(contentsOf: [UInt8](repeating: 32, count: padded - total))
        header.append(10)
        var out = magic
        out.append(1)
        out.append(0)
        out.append(UInt8(header.count & 0xff))
        out.append(UInt8(header.count >> 8))
        out.append(contentsOf: header)
        out.append(contentsOf: UnsafeRawBufferPointer(start: tensor.raw, count: tensor.byteCount))
        return out
    }

    /// Writes `tensor` to `path` atomically as .npy.
    public static func write(_ tensor: Tensor, path: String) throws(OutpostError) {
        try writeFile(encode(tensor), path: path)
    }

    // MARK: header parsing

    /// Parses the Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    static func parseHeader(_ h: [UInt8], fail: (String) -> OutpostError) throws(OutpostError)
        -> (descr: String, fortran: Bool, shape: [Int]) {
        var i = 0
        var descr: String?
        var fortran: Bool?
        var shape: [Int]?
        func skipSpace() { while i < h.count && (h[i] == 32 || h[i] == 10 || h[i] == 9 || h[i] == 13) { i += 1 } }
        func quoted() throws(OutpostError) -> String {
            skipSpace()
            guard i < h.count, h[i] == 39 || h[i] == 34 else { throw fail(String(outlined: "header: expected a quoted string at \(i)")) }
            let q = h[i]
            i += 1
            let s = i
            while i < h.count && h[i] != q { i += 1 }
            guard i < h.count else { throw fail("header: unterminated string") }
            let str = String(decoding: h[s..<i], as: UTF8.self)
            i += 1
            return str
        }
        func expect(_ c: UInt8) throws(OutpostError) {
            skipSpace()
            guard i < h.count, h[i] == c else {
                throw fail(String(outlined: "header: expected '\(String(decoding: [c], as: UTF8.self))' at \(i)"))
            }
            i += 1
        }
        try expect(123) // {
        while true {
            skipSpace()
            guard i < h.count else { throw fail("header: unterminated dictionary") }
            if h[i] == 125 { break } // }
            let key = try quoted()
            try expect(58) // :
            skipSpace()
            switch key {
            case "descr":
                guard i < h.count, h[i] == 39 || h[i] == 34 else {
                    throw fail("structured dtypes are not supported (descr is not a string)")
                }
                descr = try quoted()
            case "fortran_order":
                if h.count - i >= 4 && Array(h[i..<i + 4]) == Array("True".utf8) {
                    fortran = true; i += 4
                } else if h.count - i >= 5 && Array(h[i..<i + 5]) == Array("False".utf8) {
                    fortran = false; i += 5
                } else {
                    throw fail("header: fortran_order must be True or False")
                }
            case "shape":
                try expect(40) // (
                var dims = [Int]()
                while true {
                    skipSpace()
                    guard i < h.count else { throw fail("header: unterminated shape") }
                    if h[i] == 41 { i += 1; break } // )
                    var v = 0
                    var digits = 0
                    while i < h.count && h[i] >= 48 && h[i] <= 57 {
                        let (m, o1) = v.multipliedReportingOverflow(by: 10)
                        let (a, o2) = m.addingReportingOverflow(Int(h[i] - 48))
                        guard !o1 && !o2 else { throw fail("header: shape dimension too large") }
                        v = a
                        digits += 1
                        i += 1
                    }
                    if i < h.count && h[i] == 76 { i += 1 } // Python 2 "3L"
                    guard digits > 0 else { throw fail(String(outlined: "header: bad shape dimension at \(i)")) }
                    dims.append(v)
                    skipSpace()
                    if i < h.count && h[i] == 44 { i += 1 } // ,
                }
                shape = dims
            default:
                throw fail(String(outlined: "header: unknown key '\(key)'"))
            }
            skipSpace()
            if i < h.count && h[i] == 44 { i += 1 }
        }
        guard let descr, let fortran, let shape else {
            throw fail("header lacks descr, fortran_order or shape")
        }
        return (descr, fortran, shape)
    }
}
