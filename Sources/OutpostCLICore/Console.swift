import COutpostSystem
import OutpostRuntime

/// Terminal output without Foundation: results to stdout, diagnostics to stderr.
package enum Console {
    /// A line written like an interpolated string literal is built out of line
    /// (`OutlinedString`: the same text, without String interpolation code at each of
    /// the CLI's ~100 output lines); other Strings take the overloads below.
    package static func out(_ line: OutlinedString) { out(line.text) }

    package static func error(_ line: OutlinedString) { error(line.text) }

    @_disfavoredOverload
    package static func out(_ line: String) {
        var s = line
        s += "\n"
        s.withUTF8 { op_write_fd(1, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), $0.count) }
    }

    @_disfavoredOverload
    package static func error(_ line: String) {
        var s = line
        s += "\n"
        s.withUTF8 { op_write_fd(2, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), $0.count) }
    }
}

/// Number formatting for reports.
package enum Format {
    /// Fixed decimals: fixed(3.14159, 2) == "3.14".
    package static func fixed(_ value: Double, _ decimals: Int) -> String {
        var buf = [CChar](repeating: 0, count: 64)
        let n = op_format_fixed(&buf, 64, value, Int32(decimals))
        return String(decoding: buf.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Significant digits: significant(0.000123456, 3) == "0.000123".
    package static func significant(_ value: Double, _ digits: Int) -> String {
        var buf = [CChar](repeating: 0, count: 64)
        let n = op_format_double(&buf, 64, value, Int32(digits))
        return String(decoding: buf.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Left-pads or right-pads to a column width.
    package static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let n = s.utf8.count
        if n >= width { return s }
        let fill = String(repeating: " ", count: width - n)
        return right ? fill + s : s + fill
    }

    package static func bytes(_ n: Int) -> String {
        if n >= 1 << 20 { return fixed(Double(n) / Double(1 << 20), 2) + " MiB" }
        if n >= 1 << 10 { return fixed(Double(n) / Double(1 << 10), 1) + " KiB" }
        return String(outlined: "\(n) B")
    }
}
