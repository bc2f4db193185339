import COutpostSystem
import OutpostText

/// A parsed JSON document (RFC 8259). Objects keep their member order (manifests
/// are signed as bytes, but re-serialising a value must not shuffle it), and a
/// duplicate key is a parse error, so `subscript(key:)` is unambiguous.
public enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// The member named `key` of an object; nil for a missing key or a non-object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members where member.key == key { return member.value }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let d) = self { return d }
        return nil
    }

    /// The number as an Int, only when it is integral and representable.
    public var intValue: Int? {
        guard case .number(let d) = self, d.isFinite, d == d.rounded(.towardZero) else { return nil }
        // Int.max is not a Double; -Int.min (2^63, or 2^31 on 32-bit) is the first value out of range.
        guard d >= Double(Int.min), d < -Double(Int.min) else { return nil }
        return Int(d)
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [(key: String, value: JSONValue)]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for i in 0..<a.count where a[i].key != b[i].key || a[i].value != b[i].value { return false }
            return true
        default: return false
        }
    }

    /// Compact text, member order kept; numbers use the shortest decimal form
    /// that parses back to the same Double (NaN/infinity, which JSON cannot
    /// represent, become null).
    public func serialized() -> String {
        var out = ""
        serialize(into: &out)
        return out
    }

    private func serialize(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d): out += JSONValue.formatNumber(d)
        case .string(let s): out += JSONWriter.quote(s)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.serialize(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                out += JSONWriter.quote(member.key)
                out += ":"
                member.value.serialize(into: &out)
            }
            out += "}"
        }
    }

    /// Shortest round-trip decimal text for a Double: integers up to 2^53 are
    /// written as integers; otherwise the first of %.15g/%.16g/%.17g that parses
    /// back equal (17 significant digits always do).
    public static func formatNumber(_ d: Double) -> String {
        if !d.isFinite { return "null" }
        if d == 0 { return d.sign == .minus ? "-0" : "0" }
        // Int64, not Int: up to 2^53 does not fit a 32-bit Int (armv7 trapped here).
        if d == d.rounded(.towardZero), abs(d) <= 9_007_199_254_740_992.0 { return String(Int64(d)) }
        var buffer = [CChar](repeating: 0, count: 40)
        for digits in 15...17 {
            let ok: Bool = buffer.withUnsafeMutableBufferPointer { buf in
                _ = op_format_double(buf.baseAddress, buf.count, d, Int32(digits))
                var back = 0.0
                return op_parse_double(buf.baseAddress, &back) == 1 && back == d
            }
            if ok || digits == 17 { break }
        }
        return buffer.withUnsafeBufferPointer { buf in
            var s = ""
            for c in buf {
                if c == 0 { break }
                s.unicodeScalars.append(Unicode.Scalar(UInt8(bitPattern: c)))
            }
            return s
        }
    }
}
