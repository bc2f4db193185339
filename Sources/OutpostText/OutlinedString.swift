/// A string written like a literal with interpolations
/// (`node.shapeError("X must have rank >= 2, got \(shape: x.shape)")`,
/// `String(outlined: "…")`, `Console.out("…")`) but built by calls to the
/// out-of-line functions below instead of inline String code.
///
/// Why: a `"…\(a)…\(b)…"` String expands at each of the ~200 throw sites of the
/// operators into its own interpolation code (buffer setup, appends, small-string
/// checks, releases) — error paths were a large part of every operator's `plan`.
/// Here a literal segment is a `StaticString` (a pointer and a length) and each
/// segment is one call. The message reads exactly as the String it replaces.
/// The CLIs' output lines (`Console.out`) take it too, and `String(outlined:)` makes
/// one where a String is wanted (error payloads, descriptions, names). Measured on
/// the stripped Embedded x86-64 `outpost` (docs/size-budget.md): −94 KB for the
/// operators' throw sites, −65 KB for the other thrown errors, −11 KB for the CLI
/// lines. Not for hot paths: each segment is a call.
public struct OutlinedString: ExpressibleByStringInterpolation {
    public var text: String

    @inline(never)
    public init(_ text: String) { self.text = text }

    @inline(__always)
    public init(stringLiteral value: StaticString) { self.init(cString: value.utf8Start) }

    @inline(never)
    init(cString: UnsafePointer<UInt8>) { text = String(cString: cString) }

    public init(stringInterpolation: Interpolation) { text = stringInterpolation.text }

    public struct Interpolation: StringInterpolationProtocol {
        var text = ""

        @inline(__always)
        public init(literalCapacity: Int, interpolationCount: Int) {}

        /// Inlined down to the literal's address: a call site passes one register, not
        /// StaticString's three (address, length, flags); Swift's string literals end
        /// in a NUL, so the length is found out of line.
        @inline(__always)
        public mutating func appendLiteral(_ literal: StaticString) { appendCString(literal.utf8Start) }

        @inline(never)
        mutating func appendCString(_ literal: UnsafePointer<UInt8>) { text += String(cString: literal) }

        @inline(never)
        public mutating func appendInterpolation(_ value: String) { text += value }

        @inline(never)
        public mutating func appendInterpolation(_ value: Substring) { text += String(value) }

        @inline(never)
        public mutating func appendInterpolation(_ value: Int) { text += String(value) }

        /// Other integer types (UInt8, Int64, UInt64…): one copy per type.
        @inline(never)
        public mutating func appendInterpolation<T: BinaryInteger>(_ value: T) { text += "\(value)" }

        /// A shape as "[1, 3, 224, 224]" (every shape in a message goes through here:
        /// one call per shape, no String made and released at the call site).
        @inline(never)
        public mutating func appendInterpolation(shape: [Int]) {
            text += "["
            for (i, d) in shape.enumerated() {
                if i > 0 { text += ", " }
                text += String(d)
            }
            text += "]"
        }

        @inline(never)
        public mutating func appendInterpolation(_ value: Float) { text += "\(value)" }

        @inline(never)
        public mutating func appendInterpolation(_ value: Double) { text += "\(value)" }
    }
}

extension String {
    @inline(never)
    init(_ s: StaticString) {
        self = s.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
    }
}

extension String {
    /// An interpolated literal built out of line (see `OutlinedString`), as a String:
    /// `throw .invalidModel(String(outlined: "… \(x) …"))`. Same text as `"… \(x) …"`.
    @inline(never)
    public init(outlined text: OutlinedString) { self = text.text }
}
