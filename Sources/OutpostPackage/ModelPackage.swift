import CKernels
import OutpostONNX
import OutpostRuntime

/// What a reader checks before trusting a package.
public struct VerificationPolicy {
    /// Publisher keys the device pins. The package must be signed by one of them.
    public var trustedKeys: [PublicKey]
    /// Anti-rollback: releases below this are refused (nil: no minimum).
    public var minimumRelease: Int?
    /// Check requirements (runtime version, ISA features) against this device.
    public var checkRequirements: Bool

    public init(trustedKeys: [PublicKey], minimumRelease: Int? = nil, checkRequirements: Bool = true) {
        self.trustedKeys = trustedKeys
        self.minimumRelease = minimumRelease
        self.checkRequirements = checkRequirements
    }
}

/// A package file, memory-mapped. `open(path:policy:)` verifies in this order and
/// stops at the first failure: container layout (magic, version, section
/// lengths) → signature (key id pinned, Ed25519 over header + manifest) →
/// manifest parse and validation → blob bounds → release ≥ minimum →
/// requirements → every blob's SHA-256. The golden self-test is separate
/// (`runGoldenSelfTest`) because it runs the model.
public final class ModelPackage {
    public let buffer: Buffer
    public let layout: ContainerLayout
    public let manifest: Manifest
    /// Key id named by the signature section (nil: unsigned).
    public let signatureKeyID: String?
    /// True once the signature verified against a trusted key.
    public private(set) var signatureVerified = false

    init(buffer: Buffer, layout: ContainerLayout, manifest: Manifest, signatureKeyID: String?) {
        self.buffer = buffer
        self.layout = layout
        self.manifest = manifest
        self.signatureKeyID = signatureKeyID
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: buffer.base, count: buffer.byteCount) }

    /// True when the file starts with the package magic (cheap sniffing for the CLI).
    public static func isPackage(path: String) -> Bool {
        guard let b = try? Buffer(mappingFile: path) else { return false }
        let magic = PackageFormat.magic
        guard b.byteCount >= magic.count else { return false }
        let p = UnsafeRawBufferPointer(start: b.base, count: magic.count)
        for i in 0..<magic.count where p[i] != magic[i] { return false }
        return true
    }

    /// Maps and fully verifies a package (see the type's documentation).
    /// `log` receives one line per check passed (the CLI's `package verify` prints them).
    public static func open(path: String, policy: VerificationPolicy,
                            log: ((String) -> Void)? = nil) throws(PackageError) -> ModelPackage {
        return try open(buffer: try map(path), policy: policy, log: log)
    }

    public static func map(_ path: String) throws(PackageError) -> Buffer {
        do { return try Buffer(mappingFile: path) } catch {
            if case let .io(p, r) = error { throw .io(path: p, reason: r) }
            throw .runtime(error)
        }
    }

    public static func open(buffer: Buffer, policy: VerificationPolicy,
                            log: ((String) -> Void)? = nil) throws(PackageError) -> ModelPackage {
        try CryptoLibrary.require()
        let p = UnsafeRawBufferPointer(start: buffer.base, count: buffer.byteCount)
        let layout = try ContainerLayout.parse(p)
        log?(String(outlined: "container: format \(layout.formatVersion), manifest \(layout.manifestRange.count) bytes, data \(layout.dataLength) bytes at offset \(layout.dataOffset)"))
        // Authenticate before parsing the manifest: untrusted JSON is not parsed.
        guard let sigRange = layout.signatureRange else { throw .missingSignature }
        let keyID = Hex.encode(Array(p[sigRange.lowerBound..<(sigRange.lowerBound + PackageFormat.keyIDBytes)]))
        guard let key = policy.trustedKeys.first(where: { $0.keyID == keyID }) else {
            var ids = [String]()
            for k in policy.trustedKeys { ids.append(k.keyID) }
            throw .unknownKey(keyID: keyID, trusted: ids)
        }
        let signature = Array(p[(sigRange.lowerBound + PackageFormat.keyIDBytes)..<sigRange.upperBound])
        let message = PackageFormat.signedMessage(header: UnsafeRawBufferPointer(rebasing: p[0..<PackageFormat.headerSize]),
                                                  manifest: UnsafeRawBufferPointer(rebasing: p[layout.manifestRange]))
        guard try key.verify(signature, message: message) else { throw .badSignature(keyID: keyID) }
        log?(String(outlined: "signature: valid Ed25519 signature by trusted key \(keyID)"))

        let manifest = try Manifest.decode(UnsafeRawBufferPointer(rebasing: p[layout.manifestRange]))
        guard manifest.keyID == keyID else {
            throw .malformedManifest(String(outlined: "key_id '\(manifest.keyID)' differs from the signing key \(keyID)"))
        }
        log?(String(outlined: "manifest: \(manifest.name) \(manifest.version) release \(manifest.release), \(manifest.blobs.count) blob(s)"))
        try layout.checkBounds(manifest)
        if let minimum = policy.minimumRelease {
            if manifest.release < minimum { throw .releaseTooOld(release: manifest.release, minimum: minimum) }
            log?(String(outlined: "release: \(manifest.release) ≥ minimum \(minimum)"))
        }
        if policy.checkRequirements {
            try checkRequirements(manifest.requirements)
            var isa = ""
            for f in manifest.requirements.isa { isa += " " + f }
            log?("requirements: runtime \(PackageFormat.runtimeVersion) ≥ \(manifest.requirements.minRuntimeVersion)" + (isa.isEmpty ? ", no ISA requirement" : ", ISA" + isa))
        }
        guard manifest.modelBlob != nil else { throw .missingBlob("model (a blob of kind 'onnx')") }
        let package = ModelPackage(buffer: buffer, layout: layout, manifest: manifest, signatureKeyID: keyID)
        package.signatureVerified = true
        try package.verifyBlobDigests(log: log)
        return package
    }

    /// Parses without trusting: layout, manifest and bounds only (for `inspect`
    /// and the fuzzer). Never use the result to run a model.
    public static func parseUnverified(buffer: Buffer) throws(PackageError) -> ModelPackage {
        let p = UnsafeRawBufferPointer(start: buffer.base, count: buffer.byteCount)
        let layout = try ContainerLayout.parse(p)
        var keyID: String?
        if let r = layout.signatureRange { keyID = Hex.encode(Array(p[r.lowerBound..<(r.lowerBound + PackageFormat.keyIDBytes)])) }
        let manifest = try Manifest.decode(UnsafeRawBufferPointer(rebasing: p[layout.manifestRange]))
        try layout.checkBounds(manifest)
        return ModelPackage(buffer: buffer, layout: layout, manifest: manifest, signatureKeyID: keyID)
    }

    /// Checks the signature of an already parsed package (inspect's status line).
    public func checkSignature(trustedKeys: [PublicKey]) throws(PackageError) {
        let p = bytes
        guard let sigRange = layout.signatureRange, let keyID = signatureKeyID else { throw .missingSignature }
        guard let key = trustedKeys.first(where: { $0.keyID == keyID }) else {
            var ids = [String]()
            for k in trustedKeys { ids.append(k.keyID) }
            throw .unknownKey(keyID: keyID, trusted: ids)
        }
        let signature = Array(p[(sigRange.lowerBound + PackageFormat.keyIDBytes)..<sigRange.upperBound])
        let message = PackageFormat.signedMessage(header: UnsafeRawBufferPointer(rebasing: p[0..<PackageFormat.headerSize]),
                                                  manifest: UnsafeRawBufferPointer(rebasing: p[layout.manifestRange]))
        guard try key.verify(signature, message: message) else { throw .badSignature(keyID: keyID) }
        signatureVerified = true
    }

    /// The bytes of one blob (inside the map: no copy).
    public func blobBytes(_ entry: BlobEntry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[(layout.dataOffset + entry.offset)..<(layout.dataOffset + entry.offset + entry.length)])
    }

    public func verifyBlobDigests(log: ((String) -> Void)? = nil) throws(PackageError) {
        try CryptoLibrary.require()
        for b in manifest.blobs {
            let digest = SHA256.digest(blobBytes(b))
            let actual = Hex.encode(digest)
            // Hex.decode takes either case: the test `actual != b.sha256.lowercased()`
            // made, without linking the stdlib's Unicode case-mapping tables (≈16 KB).
            if Hex.decode(b.sha256) != digest {
                throw .blobDigestMismatch(name: b.name, expected: b.sha256, actual: actual)
            }
            log?(String(outlined: "blob \(b.name): \(b.length) bytes, SHA-256 \(actual) ok"))
        }
    }

    /// Loads the ONNX model from its blob, in place (64-byte aligned in the map,
    /// so raw initializers need no copy).
    public func loadModel() throws(PackageError) -> Model {
        guard let entry = manifest.modelBlob else { throw .missingBlob("model (a blob of kind 'onnx')") }
        let view = Buffer(viewOf: buffer, offset: layout.dataOffset + entry.offset, count: entry.length)
        do { return try ONNXLoader.load(buffer: view, baseDirectory: nil) } catch { throw .runtime(error) }
    }

    /// Golden case tensors, copied out of the golden blob.
    public func goldenTensors(_ tensors: [GoldenTensor]) throws(PackageError) -> [Tensor] {
        guard let g = manifest.golden else { return [] }
        guard let blob = manifest.blob(named: g.blob) else { throw .missingBlob(g.blob) }
        let raw = blobBytes(blob)
        var out = [Tensor]()
        for t in tensors {
            let tensor = Tensor(zeros: t.dtype, shape: t.shape)
            if t.length > 0 { tensor.raw.copyMemory(from: raw.baseAddress! + t.offset, byteCount: t.length) }
            out.append(tensor)
        }
        return out
    }

    /// Runs every golden case with the real runtime and compares outputs within
    /// the manifest's tolerance. Returns the number of cases and the largest
    /// absolute difference seen.
    public func runGoldenSelfTest(session: Session) throws(PackageError) -> (cases: Int, maxAbsDiff: Double) {
        guard let g = manifest.golden else { return (0, 0) }
        var worst = 0.0
        for (ci, c) in g.cases.enumerated() {
            let feeds = try goldenTensors(c.inputs)
            let expected = try goldenTensors(c.outputs)
            guard feeds.count == session.inputs.count else {
                throw .malformedManifest(String(outlined: "golden case \(ci) has \(feeds.count) inputs, the model \(session.inputs.count)"))
            }
            let outputs: [Tensor]
            do { outputs = try session.run(feeds) } catch { throw .runtime(error) }
            guard outputs.count >= expected.count else {
                throw .malformedManifest(String(outlined: "golden case \(ci) expects \(expected.count) outputs, the model has \(outputs.count)"))
            }
            for (oi, e) in expected.enumerated() {
                let a = outputs[oi]
                let name = c.outputs[oi].name
                guard a.dtype == e.dtype, a.shape == e.shape else {
                    throw .goldenMismatch(caseIndex: ci, output: name, element: -1, expected: Double(e.count), actual: Double(a.count),
                                          tolerance: String(outlined: "shape \(a.typeDescription) vs expected \(e.typeDescription)"))
                }
                for i in 0..<e.count {
                    if e.dtype == .float32 || e.dtype == .float16 {
                        let x = Double(e.float(at: i)), y = Double(a.float(at: i))
                        if x.isNaN && y.isNaN { continue }
                        let diff = abs(x - y)
                        if !(diff <= g.absoluteTolerance + g.relativeTolerance * abs(x)) {
                            throw .goldenMismatch(caseIndex: ci, output: name, element: i, expected: x, actual: y, tolerance: g.toleranceText)
                        }
                        worst = max(worst, diff)
                    } else if e.integer(at: i) != a.integer(at: i) {
                        throw .goldenMismatch(caseIndex: ci, output: name, element: i, expected: Double(e.integer(at: i)),
                                              actual: Double(a.integer(at: i)), tolerance: "exact (integer output)")
                    }
                }
            }
        }
        return (g.cases.count, worst)
    }

    /// Runtime version and ISA features against this build and CPU.
    public static func checkRequirements(_ r: Requirements) throws(PackageError) {
        guard let need = SemanticVersion(r.minRuntimeVersion), let have = SemanticVersion(PackageFormat.runtimeVersion) else {
            throw .malformedManifest(String(outlined: "requirements.min_runtime_version '\(r.minRuntimeVersion)' is not a semantic version"))
        }
        if have < need {
            throw .requirementNotMet(String(outlined: "the package needs runtime \(r.minRuntimeVersion) or later, this is \(PackageFormat.runtimeVersion)"))
        }
        let supported = ok_cpu_supported_isas()
        for feature in r.isa {
            guard let isa = isaNamed(feature) else { throw .requirementNotMet(String(outlined: "unknown ISA feature '\(feature)'")) }
            if supported & (1 << isa.rawValue) == 0 {
                throw .requirementNotMet(String(outlined: "this CPU lacks the ISA feature '\(feature)'"))
            }
        }
    }

    static func isaNamed(_ name: String) -> ok_isa? {
        switch name {
        case "scalar": return OK_ISA_SCALAR
        case "avx2", "avx2+fma": return OK_ISA_AVX2_FMA
        case "avx512": return OK_ISA_AVX512
        case "neon": return OK_ISA_NEON
        case "neon-dot", "dot": return OK_ISA_NEON_DOT
        case "neon-i8mm", "i8mm": return OK_ISA_NEON_I8MM
        default: return nil
        }
    }
}
