/// A semantic version MAJOR.MINOR.PATCH with optional -prerelease and +build
/// (semver.org 2.0). Ordering follows the spec: build metadata is ignored, a
/// pre-release sorts before its release, pre-release identifiers compare
/// numerically when both are numeric.
public struct SemanticVersion: Equatable, Comparable {
    public let major: Int, minor: Int, patch: Int
    public let prerelease: [String]
    public let build: String
    public let text: String

    public init?(_ text: String) {
        self.text = text
        var core = Substring(text)
        var build = ""
        if let plus = core.firstIndex(of: "+") {
            build = String(core[core.index(after: plus)...])
            core = core[core.startIndex..<plus]
            if build.isEmpty || !SemanticVersion.validIdentifiers(build, numericLeadingZero: false) { return nil }
        }
        var pre = [String]()
        if let dash = core.firstIndex(of: "-") {
            let p = String(core[core.index(after: dash)...])
            core = core[core.startIndex..<dash]
            if p.isEmpty || !SemanticVersion.validIdentifiers(p, numericLeadingZero: true) { return nil }
            for part in p.split(separator: ".", omittingEmptySubsequences: false) { pre.append(String(part)) }
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var nums = [Int]()
        for p in parts {
            guard !p.isEmpty, p.utf8.count <= 9, p.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            if p.utf8.count > 1 && p.utf8.first == 0x30 { return nil }
            guard let n = Int(String(p)) else { return nil }
            nums.append(n)
        }
        major = nums[0]; minor = nums[1]; patch = nums[2]
        prerelease = pre
        self.build = build
    }

    static func validIdentifiers(_ s: String, numericLeadingZero: Bool) -> Bool {
        for part in s.split(separator: ".", omittingEmptySubsequences: false) {
            if part.isEmpty { return false }
            var numeric = true
            for c in part.utf8 {
                let digit = c >= 0x30 && c <= 0x39
                let alpha = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d
                if !digit && !alpha { return false }
                if !digit { numeric = false }
            }
            if numericLeadingZero && numeric && part.utf8.count > 1 && part.utf8.first == 0x30 { return false }
        }
        return true
    }

    public static func == (a: SemanticVersion, b: SemanticVersion) -> Bool {
        a.major == b.major && a.minor == b.minor && a.patch == b.patch && a.prerelease == b.prerelease
    }

    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        if a.major != b.major { return a.major < b.major }
        if a.minor != b.minor { return a.minor < b.minor }
        if a.patch != b.patch { return a.patch < b.patch }
        if a.prerelease.isEmpty || b.prerelease.isEmpty { return !a.prerelease.isEmpty && b.prerelease.isEmpty }
        for i in 0..<min(a.prerelease.count, b.prerelease.count) {
            let x = a.prerelease[i], y = b.prerelease[i]
            if x == y { continue }
            let xn = Int(x), yn = Int(y)
            if let xn, let yn { return xn < yn }
            if xn != nil { return true }
            if yn != nil { return false }
            return x < y
        }
        return a.prerelease.count < b.prerelease.count
    }
}
