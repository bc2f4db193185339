import Foundation

/// Markup that is safe to send. String literals written in our code are
/// trusted markup; every interpolated `String` is HTML-escaped, so text from
/// devices, uploads or the URL cannot become markup unless it is explicitly
/// wrapped (which only our own builders do). Interpolating an optional or a
/// Substring does not compile, which keeps `nil` and raw slices out of pages.
public struct HTML: ExpressibleByStringInterpolation, Sendable {
    public var raw: String

    public init(raw: String) { self.raw = raw }
    public init(stringLiteral value: String) { raw = value }
    public init(stringInterpolation: StringInterpolation) { raw = stringInterpolation.raw }

    public struct StringInterpolation: StringInterpolationProtocol {
        var raw = ""
        public init(literalCapacity: Int, interpolationCount: Int) { raw.reserveCapacity(literalCapacity * 2) }
        public mutating func appendLiteral(_ literal: String) { raw += literal }
        public mutating func appendInterpolation(_ text: String) { raw += HTML.escape(text) }
        public mutating func appendInterpolation(_ html: HTML) { raw += html.raw }
        public mutating func appendInterpolation(_ parts: [HTML]) { for p in parts { raw += p.raw } }
        public mutating func appendInterpolation(_ n: Int) { raw += String(n) }
        /// A number for SVG coordinates or display, with `digits` decimals at most.
        public mutating func appendInterpolation(_ d: Double, digits: Int = 2) { raw += HTML.number(d, digits: digits) }
    }

    /// Escapes the five characters that matter in text and quoted attributes.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func number(_ d: Double, digits: Int) -> String {
        guard d.isFinite else { return "0" }
        var s = String(format: "%.\(digits)f", d)
        if s.contains(".") { while s.hasSuffix("0") { s.removeLast() }; if s.hasSuffix(".") { s.removeLast() } }
        return s == "-0" ? "0" : s
    }

    /// A link path with each segment percent-encoded (the result is then escaped as text).
    public static func path(_ segments: String...) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return segments.map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }.joined(separator: "/")
    }

    public static func join(_ parts: [HTML], _ separator: HTML = "") -> HTML {
        HTML(raw: parts.map(\.raw).joined(separator: separator.raw))
    }
}
