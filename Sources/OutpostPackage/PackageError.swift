import OutpostRuntime

/// Every reason a package is refused or cannot be built. Each case carries what a
/// user needs to understand the problem; `description` is the one-line message.
public indirect enum PackageError: Error {
    case io(path: String, reason: String)
    /// The file does not start with the package magic.
    case badMagic
    /// A container format version this build does not read.
    case unsupportedFormatVersion(found: Int, supported: Int)
    /// The file ends inside a section (`section`: header, manifest, signature, padding, blobs).
    case truncated(section: String, needed: Int, fileSize: Int)
    /// The header or the layout of sections is inconsistent (lengths, padding, trailing bytes).
    case malformedContainer(String)
    /// The manifest is not valid JSON or lacks/garbles a field.
    case malformedManifest(String)
    /// The package carries no signature.
    case missingSignature
    /// Signed by a key that is not among the trusted ones.
    case unknownKey(keyID: String, trusted: [String])
    /// The signature does not verify with the trusted key of that id (edited manifest or header, forged key id).
    case badSignature(keyID: String)
    /// A blob lies outside the data section, is misaligned, or overlaps another.
    case blobOutOfBounds(String)
    /// A blob's bytes do not hash to the digest in the manifest.
    case blobDigestMismatch(name: String, expected: String, actual: String)
    /// The manifest names no blob of that name.
    case missingBlob(String)
    /// Anti-rollback: the package's release is older than the minimum accepted.
    case releaseTooOld(release: Int, minimum: Int)
    /// The device cannot satisfy the package's requirements (runtime version, ISA).
    case requirementNotMet(String)
    /// A golden case's output differs from the expected value beyond the tolerance.
    case goldenMismatch(caseIndex: Int, output: String, element: Int, expected: Double, actual: Double, tolerance: String)
    /// A key file that cannot be read or parsed.
    case invalidKey(path: String, reason: String)
    /// libcrypto failed (not a verification result: an error).
    case crypto(String)
    /// Invalid input when building a package (options, reference data).
    case invalidInput(String)
    /// The runtime failed (loading the model blob, running a golden case...).
    case runtime(OutpostError)

    public var description: String {
        switch self {
        case let .io(path, reason): return String(outlined: "\(path): \(reason)")
        case .badMagic: return "not an Outpost package (bad magic: expected \"OUTPOSTPKG\\r\\n\" at byte 0)"
        case let .unsupportedFormatVersion(found, supported):
            return String(outlined: "unsupported package format version \(found) (this build reads version \(supported))")
        case let .truncated(section, needed, size):
            return String(outlined: "truncated package: the \(section) needs the file to be at least \(needed) bytes, it has \(size)")
        case let .malformedContainer(m): return String(outlined: "malformed package container: \(m)")
        case let .malformedManifest(m): return String(outlined: "malformed package manifest: \(m)")
        case .missingSignature: return "the package is not signed (no signature section); unsigned packages are refused"
        case let .unknownKey(keyID, trusted):
            var list = ""
            for (i, k) in trusted.enumerated() { list += (i > 0 ? ", " : "") + k }
            return String(outlined: "the package is signed by unknown key \(keyID) (trusted: \(trusted.isEmpty ? "none" : list))")
        case let .badSignature(keyID):
            return String(outlined: "signature check failed: the manifest or header was modified after signing, or the signature is not by key \(keyID)")
        case let .blobOutOfBounds(m): return String(outlined: "invalid blob layout: \(m)")
        case let .blobDigestMismatch(name, expected, actual):
            return String(outlined: "blob '\(name)' is corrupt: SHA-256 \(actual) does not match the manifest's \(expected)")
        case let .missingBlob(name): return String(outlined: "the manifest lists no blob named '\(name)'")
        case let .releaseTooOld(release, minimum):
            return String(outlined: "release \(release) is older than the minimum accepted release \(minimum) (anti-rollback)")
        case let .requirementNotMet(m): return String(outlined: "requirement not met: \(m)")
        case let .goldenMismatch(index, output, element, expected, actual, tolerance):
            return String(outlined: "golden self-test failed: case \(index), output '\(output)' element \(element): expected \(expected), got \(actual) (tolerance \(tolerance))")
        case let .invalidKey(path, reason): return String(outlined: "key file \(path): \(reason)")
        case let .crypto(m): return String(outlined: "crypto error: \(m)")
        case let .invalidInput(m): return m
        case let .runtime(e): return e.description
        }
    }
}
