import OutpostPackage

/// Who is calling: an admin (admin token) or one device (its credential).
public enum Principal: Sendable, Equatable {
    case admin(tokenID: String, name: String)
    case device(id: String)

    public var actor: String {
        switch self {
        case .admin(let id, let name): return "admin:\(name)(\(id))"
        case .device(let id): return "device:\(id)"
        }
    }
}

/// Bearer tokens are `<kind>_<id>_<secret>`: the id finds the row, the
/// SHA-256 of the whole token is compared in constant time against the stored
/// hash. Only hashes are stored; a token is shown once, when it is created.
public enum Tokens {
    public enum Kind: String, Sendable { case admin = "opa", device = "opd", enrollment = "ope" }

    public static func random(_ count: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var rng = SystemRandomNumberGenerator()
        var s = ""
        for _ in 0..<count { s.unicodeScalars.append(Unicode.Scalar(alphabet[Int(rng.next(upperBound: UInt32(alphabet.count)))])) }
        return s
    }

    /// A new token and its id.
    public static func make(_ kind: Kind) -> (id: String, token: String) {
        let id = random(12)
        return (id, "\(kind.rawValue)_\(id)_\(random(40))")
    }

    /// Splits a presented token; nil when it is not of `kind`'s form.
    public static func parse(_ token: String, _ kind: Kind) -> String? {
        let parts = token.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == kind.rawValue, parts[1].count == 12, parts[2].count == 40 else { return nil }
        return String(parts[1])
    }

    public static func hash(_ token: String) -> String {
        Hex.encode(OutpostPackage.SHA256.digest(Array(token.utf8)))
    }

    /// Equal-length strings compared without an early exit.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
