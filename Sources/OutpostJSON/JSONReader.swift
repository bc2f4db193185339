import COutpostSystem
import OutpostText

/// A JSON syntax error: what was expected and the byte offset where it was found.
public struct JSONError: Error, CustomStringConvertible {
    public let message: String
    public let offset: Int

    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { String(outlined: "JSON error at byte \(offset): \(message)") }
}

/// Strict RFC 8259 reader: no comments, no trailing commas, no NaN, no leading
/// zeros, no unescaped control characters, valid UTF-8, paired surrogates,
/// unique object keys, nesting at most `maxDepth` deep. The caller bounds the size.
public enum JSONReader {
    public static let maxDepth = 64

    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        var copy = text
        let result: Result<JSONValue, JSONError> = copy.withUTF8 { utf8 in
            do throws(JSONError) {
                return .success(try parse(bytes: UnsafeRawBufferPointer(utf8)))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    public static func parse(bytes: UnsafeRawBufferPointer) throws(JSONError) -> JSONValue {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.pos < parser.count {
            throw parser.error(String(outlined: "expected end of document, found \(parser.describeCurrent())"))
        }
        return value
    }
}

private struct Parser {
    let bytes: UnsafeRawBufferPointer
    let count: Int
    var pos = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self.count = bytes.count
    }

    func error(_ message: String, at offset: Int? = nil) -> JSONError {
        JSONError(message: message, offset: offset ?? pos)
    }

    func describeCurrent() -> String {
        guard pos < count else { return "end of input" }
        let b = bytes[pos]
        if b >= 0x21 && b < 0x7f && b != 0x27 {
            var s = "'"
            s.unicodeScalars.append(Unicode.Scalar(b))
            return s + "'"
        }
        return "byte 0x" + hex2(b)
    }

    func hex2(_ b: UInt8) -> String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
        return String(digits[Int(b >> 4)]) + String(digits[Int(b & 15)])
    }

    mutating func skipWhitespace() {
        while pos < count {
            let b = bytes[pos]
            if b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d { pos += 1 } else { break }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        guard pos < count else { throw error("expected a value, found end of input") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error(String(outlined: "expected a value, found \(describeCurrent())"))
        }
    }

    mutating func expectLiteral(_ word: String) throws(JSONError) {
        let start = pos
        for expected in word.utf8 {
            if pos >= count || bytes[pos] != expected {
                throw error(String(outlined: "expected '\(word)' (invalid literal)"), at: start)
            }
            pos += 1
        }
    }

    mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        if depth > JSONReader.maxDepth { throw error(String(outlined: "nesting deeper than \(JSONReader.maxDepth) levels")) }
        pos += 1  // '{'
        var members: [(key: String, value: JSONValue)] = []
        var seen = Set<String>()
        skipWhitespace()
        if pos < count && bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard pos < count, bytes[pos] == UInt8(ascii: "\"") else {
                throw error(String(outlined: "expected a string key in object, found \(describeCurrent())"))
            }
            let keyOffset = pos
            let key = try parseString()
            if !seen.insert(key).inserted {
                throw error(String(outlined: "duplicate object key \(JSONWriter.quote(key))"), at: keyOffset)
            }
            skipWhitespace()
            guard pos < count, bytes[pos] == UInt8(ascii: ":") else {
                throw error(String(outlined: "expected ':' after object key, found \(describeCurrent())"))
            }
            pos += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append((key: key, value: value))
            skipWhitespace()
            guard pos < count else { throw error("expected ',' or '}' in object, found end of input") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
            throw error(String(outlined: "expected ',' or '}' in object, found \(describeCurrent())"))
        }
    }

    mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        if depth > JSONReader.maxDepth { throw error(String(outlined: "nesting deeper than \(JSONReader.maxDepth) levels")) }
        pos += 1  // '['
        var items: [JSONValue] = []
        skipWhitespace()
        if pos < count && bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard pos < count else { throw error("expected ',' or ']' in array, found end of input") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            throw error(String(outlined: "expected ',' or ']' in array, found \(describeCurrent())"))
        }
    }

    mutating func parseNumber() throws(JSONError) -> Double {
        let start = pos
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < count, isDigit(bytes[pos]) else {
            throw error(String(outlined: "expected a digit in number, found \(describeCurrent())"))
        }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < count && isDigit(bytes[pos]) { throw error("leading zero in number", at: start) }
        } else {
            while pos < count && isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < count && bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < count, isDigit(bytes[pos]) else {
                throw error(String(outlined: "expected a digit after '.' in number, found \(describeCurrent())"))
            }
            while pos < count && isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < count && (bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E")) {
            pos += 1
            if pos < count && (bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-")) { pos += 1 }
            guard pos < count, isDigit(bytes[pos]) else {
                throw error(String(outlined: "expected a digit in number exponent, found \(describeCurrent())"))
            }
            while pos < count && isDigit(bytes[pos]) { pos += 1 }
        }
        // The grammar is checked; strtod does the correctly rounded conversion.
        let length = pos - start
        var text = [CChar](repeating: 0, count: length + 1)
        for i in 0..<length { text[i] = CChar(bitPattern: bytes[start + i]) }
        var value = 0.0
        let ok = text.withUnsafeBufferPointer { op_parse_double($0.baseAddress, &value) }
        guard ok == 1 else { throw error("malformed number", at: start) }
        if !value.isFinite { throw error("number out of range for a double", at: start) }
        return value
    }

    func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    mutating func parseString() throws(JSONError) -> String {
        let open = pos
        pos += 1  // '"'
        var out: [UInt8] = []
        while true {
            guard pos < count else { throw error(String(outlined: "unterminated string (started at byte \(open))")) }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                pos += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") {
                try parseEscape(into: &out)
                continue
            }
            if b < 0x20 {
                throw error(String(outlined: "unescaped control character 0x\(hex2(b)) in string"))
            }
            if b < 0x80 {
                out.append(b)
                pos += 1
                continue
            }
            try copyUTF8Sequence(into: &out)
        }
    }

    /// Validates one multi-byte UTF-8 sequence (no overlongs, no surrogates,
    /// nothing above U+10FFFF) and copies it.
    mutating func copyUTF8Sequence(into out: inout [UInt8]) throws(JSONError) {
        let lead = bytes[pos]
        var length = 0
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xbf
        switch lead {
        case 0xc2...0xdf: length = 2
        case 0xe0: length = 3; lower = 0xa0
        case 0xe1...0xec, 0xee...0xef: length = 3
        case 0xed: length = 3; upper = 0x9f
        case 0xf0: length = 4; lower = 0x90
        case 0xf1...0xf3: length = 4
        case 0xf4: length = 4; upper = 0x8f
        default: throw error(String(outlined: "invalid UTF-8 byte 0x\(hex2(lead)) in string"))
        }
        guard pos + length <= count else { throw error("truncated UTF-8 sequence in string") }
        for i in 1..<length {
            let c = bytes[pos + i]
            let lo: UInt8 = i == 1 ? lower : 0x80
            let hi: UInt8 = i == 1 ? upper : 0xbf
            if c < lo || c > hi { throw error("invalid UTF-8 sequence in string") }
        }
        for i in 0..<length { out.append(bytes[pos + i]) }
        pos += length
    }

    mutating func parseEscape(into out: inout [UInt8]) throws(JSONError) {
        let start = pos
        pos += 1  // '\'
        guard pos < count else { throw error("unterminated escape sequence", at: start) }
        let c = bytes[pos]
        pos += 1
        switch c {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5c)
        case UInt8(ascii: "/"): out.append(0x2f)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0c)
        case UInt8(ascii: "n"): out.append(0x0a)
        case UInt8(ascii: "r"): out.append(0x0d)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4(escapeStart: start)
            if scalar >= 0xd800 && scalar <= 0xdbff {
                let lowStart = pos
                guard pos + 1 < count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                    throw error("high surrogate \\u escape not followed by a low surrogate", at: start)
                }
                pos += 2
                let low = try parseHex4(escapeStart: lowStart)
                guard low >= 0xdc00 && low <= 0xdfff else {
                    throw error("high surrogate \\u escape not followed by a low surrogate", at: lowStart)
                }
                scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
            } else if scalar >= 0xdc00 && scalar <= 0xdfff {
                throw error("lone low surrogate \\u escape", at: start)
            }
            appendUTF8(scalar, to: &out)
        default:
            throw error(String(outlined: "invalid escape sequence '\\\(describeByte(c))'"), at: start)
        }
    }

    func describeByte(_ b: UInt8) -> String {
        if b >= 0x21 && b < 0x7f {
            var s = ""
            s.unicodeScalars.append(Unicode.Scalar(b))
            return s
        }
        return "0x" + hex2(b)
    }

    mutating func parseHex4(escapeStart: Int) throws(JSONError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard pos < count else { throw error("truncated \\u escape", at: escapeStart) }
            let b = bytes[pos]
            var d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            default: throw error(String(outlined: "expected 4 hex digits in \\u escape, found \(describeCurrent())"))
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        if v < 0x80 {
            out.append(UInt8(v))
        } else if v < 0x800 {
            out.append(UInt8(0xc0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3f)))
        } else if v < 0x10000 {
            out.append(UInt8(0xe0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3f)))
            out.append(UInt8(0x80 | (v & 0x3f)))
        } else {
            out.append(UInt8(0xf0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3f)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3f)))
            out.append(UInt8(0x80 | (v & 0x3f)))
        }
    }
}
