import OutpostText

/// Number formatting without Foundation: shortest-ish decimal text for a Double.
public enum JSONNumber {
    public static func format(_ d: Double, significant: Int = 9) -> String {
        if d.isNaN || d.isInfinite { return "null" }  // JSON has no NaN/Inf
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }  // Int64: 32-bit Int would trap
        // Decimal digits by repeated scaling; exact enough for reports.
        var value = d
        var out = ""
        if value < 0 { out = "-"; value = -value }
        var exponent = 0
        while value >= 10 { value /= 10; exponent += 1 }
        while value < 1 { value *= 10; exponent -= 1 }
        var digits = [Int]()
        for _ in 0..<significant {
            let digit = Int(value)
            digits.append(min(digit, 9))
            value = (value - Double(digit)) * 10
        }
        if value >= 5 {  // round half up on the last digit
            var i = digits.count - 1
            while i >= 0 {
                digits[i] += 1
                if digits[i] < 10 { break }
                digits[i] = 0
                i -= 1
            }
            if i < 0 { digits.insert(1, at: 0); digits.removeLast(); exponent += 1 }
        }
        while digits.count > 1 && digits.last == 0 { digits.removeLast() }
        if exponent >= -5 && exponent < 15 {
            if exponent >= 0 {
                for i in 0...exponent { out += String(i < digits.count ? digits[i] : 0) }
                if digits.count > exponent + 1 {
                    out += "."
                    for i in (exponent + 1)..<digits.count { out += String(digits[i]) }
                }
            } else {
                out += "0."
                for _ in 0..<(-exponent - 1) { out += "0" }
                for dgt in digits { out += String(dgt) }
            }
            return out
        }
        out += String(digits[0])
        if digits.count > 1 {
            out += "."
            for i in 1..<digits.count { out += String(digits[i]) }
        }
        return out + "e\(exponent)"
    }
}
