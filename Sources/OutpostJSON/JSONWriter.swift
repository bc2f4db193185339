import OutpostText

/// A small JSON writer (no Codable on the device): builds a compact document
/// into a String. Keys and strings are escaped per RFC 8259.
public struct JSONWriter {
    public private(set) var output = ""
    private var needsComma = [false]

    public init() {}

    public mutating func beginObject() { value("{"); needsComma.append(false) }
    public mutating func endObject() { needsComma.removeLast(); output += "}" }
    public mutating func beginArray() { value("["); needsComma.append(false) }
    public mutating func endArray() { needsComma.removeLast(); output += "]" }

    public mutating func key(_ k: String) {
        separator()
        output += JSONWriter.quote(k)
        output += ":"
        needsComma[needsComma.count - 1] = false
        pendingKey = true
    }

    public mutating func string(_ s: String) { value(JSONWriter.quote(s)) }
    public mutating func int(_ n: Int) { value(String(n)) }
    public mutating func bool(_ b: Bool) { value(b ? "true" : "false") }
    public mutating func null() { value("null") }
    /// Numbers are written with up to 9 significant digits (enough for Float).
    public mutating func number(_ d: Double, significant: Int = 9) { value(JSONNumber.format(d, significant: significant)) }

    public mutating func field(_ k: String, _ s: String) { key(k); string(s) }
    public mutating func field(_ k: String, _ n: Int) { key(k); int(n) }
    public mutating func field(_ k: String, _ d: Double) { key(k); number(d) }
    public mutating func field(_ k: String, _ b: Bool) { key(k); bool(b) }

    private var pendingKey = false

    private mutating func value(_ text: String) {
        if pendingKey {
            pendingKey = false
        } else {
            separator()
        }
        output += text
        needsComma[needsComma.count - 1] = true
    }

    private mutating func separator() {
        if needsComma[needsComma.count - 1] { output += "," }
    }

    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
                    out += "\\u00"
                    out.append(hex[Int(u.value >> 4)])
                    out.append(hex[Int(u.value & 15)])
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
