import Foundation
import Testing
import OutpostDrift
import OutpostJSON
import OutpostONNX
@testable import OutpostPackage
import OutpostRuntime

@Suite struct CryptoTests {
    @Test func sha256KnownVectors() throws {
        #expect(Hex.encode(SHA256.digest(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(SHA256.digest([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // Streaming in pieces gives the one-shot digest.
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let h = try SHA256()
        h.update(Array(data[0..<1]))
        h.update(Array(data[1..<4097]))
        h.update(Array(data[4097...]))
        #expect(h.finish() == SHA256.digest(data))
    }

    /// RFC 8032 section 7.1, test 1 (empty message) and test 2.
    @Test func ed25519RFC8032Vectors() throws {
        let key = try PrivateKey(seed: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!)
        #expect(Hex.encode(key.publicKey.bytes) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let sig = try key.sign([])
        #expect(Hex.encode(sig) == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        #expect(try key.publicKey.verify(sig, message: []))
        let key2 = try PrivateKey(seed: Hex.decode("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")!)
        let sig2 = try key2.sign([0x72])
        #expect(Hex.encode(sig2) == "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
        #expect(try !key2.publicKey.verify(sig2, message: [0x73]))
        #expect(try !key.publicKey.verify(sig2, message: [0x72]))
    }

    @Test func keyFilesRoundTripAndPrivateFileIsOwnerOnly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let prefix = dir.appendingPathComponent("signer").path
        let key = try PrivateKey.generate()
        try key.write(prefix: prefix)
        let attrs = try FileManager.default.attributesOfItem(atPath: prefix + ".key")
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        let back = try PrivateKey.read(path: prefix + ".key")
        #expect(back.publicKey == key.publicKey)
        #expect(try PublicKey.read(path: prefix + ".pub") == key.publicKey)
        #expect(try String(contentsOfFile: prefix + ".pub", encoding: .utf8).hasPrefix("outpost-ed25519-public "))
        // Never overwrites a private key.
        #expect(throws: PackageError.self) { try PrivateKey.generate().write(prefix: prefix) }
        #expect(try PrivateKey.read(path: prefix + ".key").publicKey == key.publicKey)
        // A public key file is not a private key and vice versa.
        #expect(throws: PackageError.self) { _ = try PrivateKey.read(path: prefix + ".pub") }
        #expect(throws: PackageError.self) { _ = try PublicKey.read(path: prefix + ".key") }
    }

    @Test func timestampsAndVersions() {
        #expect(Timestamp.iso8601(unixSeconds: 0) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.iso8601(unixSeconds: 951_782_400) == "2000-02-29T00:00:00Z")
        #expect(Timestamp.iso8601(unixSeconds: 1_795_834_245) == "2026-11-28T02:50:45Z")
        let now = Timestamp.nowISO8601()
        #expect(now.count == 20 && now.hasSuffix("Z"))
        let order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "2.0.0"]
        for i in 1..<order.count { #expect(SemanticVersion(order[i - 1])! < SemanticVersion(order[i])!, "\(order[i - 1]) < \(order[i])") }
        #expect(SemanticVersion("1.0.0+build.5") == SemanticVersion("1.0.0"))
        for bad in ["1.0", "01.0.0", "1.0.0-", "1.0.0-01", "a.b.c", "1.0.0+", ""] { #expect(SemanticVersion(bad) == nil, "\(bad)") }
    }
}

@Suite struct PackageRoundTripTests {
    @Test func builtPackageVerifiesLoadsAndPassesItsSelfTest() throws {
        let p = try Fixture.open(Fixture.good.bytes, minRelease: 5)
        let m = p.manifest
        #expect(m == Fixture.good.manifest)
        #expect(m.name == "tiny" && m.version == "1.2.0" && m.release == 5 && m.createdAt == "2026-11-28T04:00:00Z")
        #expect(m.keyID == Fixture.keyA.publicKey.keyID)
        #expect(m.lineage.parentVersion == "1.1.0")
        #expect(m.lineage.codeRef == "git:4f2a9c1")
        #expect(m.lineage.metrics.first?.key == "accuracy" && m.lineage.metrics.first?.value == 0.975)
        #expect(m.lineage.extra.first?.value == "vision-team")
        #expect(m.inputs == [TensorSignature(name: "input", dtype: "float32", shape: [.fixed(1), .fixed(3), .fixed(32), .fixed(32)])])
        #expect(m.outputs.first?.name == "probabilities")
        #expect(m.blobs.map(\.name) == ["model.onnx", "golden"])
        for b in m.blobs { #expect((p.layout.dataOffset + b.offset) % 64 == 0) }
        #expect(m.modelBlob?.length == Fixture.modelBytes.count)
        // The drift baseline (OutpostDrift): image channel statistics and the output class.
        let baseline = try #require(m.driftBaseline)
        #expect(baseline.sampleCount == 1)
        let names = baseline.features.map(\.spec.name)
        #expect(names.contains("input.mean[0]") && names.contains("input.std[2]") && names.contains("probabilities.class"))
        #expect(m.jsonValue()["drift_baseline"]?["format"]?.intValue == 1)
        // The model in the blob runs, and the golden self-test passes.
        let session = try Session(model: try p.loadModel())
        let r = try p.runGoldenSelfTest(session: session)
        #expect(r.cases == 1 && r.maxAbsDiff <= 1e-6)
        // Its output is the reference output of the test data.
        let expected = try TensorProtoFile.read(path: Fixture.tinyDir + "/test_data_set_0/output_0.pb").tensor
        let out = try session.run(Fixture.reference[0])[0]
        for i in 0..<expected.count { #expect(abs(out.floats[i] - expected.floats[i]) < 1e-5) }
    }

    @Test func manifestJSONRoundTrips() throws {
        let m = Fixture.good.manifest
        let again = try Manifest.decode(m.encoded())
        #expect(again == m)
        #expect(again.encoded() == m.encoded())
    }

    @Test func writtenFileOpensFromDisk() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-\(UUID().uuidString).opkg").path
        try FileIO.write(Fixture.good.bytes, to: path)
        #expect(ModelPackage.isPackage(path: path))
        #expect(!ModelPackage.isPackage(path: Fixture.tinyModel))
        let p = try ModelPackage.open(path: path, policy: VerificationPolicy(trustedKeys: [Fixture.keyA.publicKey]))
        #expect(p.signatureVerified)
        var lines = [String]()
        _ = try ModelPackage.open(path: path, policy: VerificationPolicy(trustedKeys: [Fixture.keyA.publicKey], minimumRelease: 1),
                                  log: { lines.append($0) })
        #expect(lines.count == 7, "\(lines)")
    }

    @Test func requirementsAreChecked() throws {
        var m = Fixture.good.manifest
        m.requirements = Requirements(minRuntimeVersion: "9.0.0")
        guard case .requirementNotMet(let why)? = Fixture.rejection(try Fixture.resigned(m)) else { Issue.record("runtime version"); return }
        #expect(why.contains("9.0.0"))
        m.requirements = Requirements(minRuntimeVersion: "0.1.0", isa: ["neon-i8mm"])
        guard case .requirementNotMet? = Fixture.rejection(try Fixture.resigned(m)) else { Issue.record("isa"); return }
        m.requirements = Requirements(minRuntimeVersion: "0.1.0", isa: ["scalar"])
        #expect(Fixture.rejection(try Fixture.resigned(m)) == nil)
    }
}

/// Every way a package must be refused, each with the error that names the problem.
@Suite struct PackageRejectionTests {
    @Test func badMagic() {
        var b = Fixture.good.bytes
        b[0] = UInt8(ascii: "X")
        guard case .badMagic? = Fixture.rejection(b) else { Issue.record("expected badMagic"); return }
        #expect(Fixture.rejection(Array("PK\u{3}\u{4} this is a zip file, not a package at all....".utf8)).map { "\($0)" }?.contains("badMagic") == true)
        #expect(PackageError.badMagic.description.contains("magic"))
    }

    @Test func unknownFormatVersion() throws {
        var b = Fixture.good.bytes
        b[12] = 2
        guard case .unsupportedFormatVersion(let found, let supported)? = Fixture.rejection(b) else { Issue.record("expected version error"); return }
        #expect(found == 2 && supported == 1)
        // Also when the version is properly signed: the reader does not know the layout.
        let v2 = try PackageWriter.assemble(manifestBytes: Fixture.good.manifest.encoded(), data: Fixture.goodData, key: Fixture.keyA, formatVersion: 7)
        guard case .unsupportedFormatVersion(7, 1)? = Fixture.rejection(v2) else { Issue.record("expected version 7 error"); return }
    }

    @Test func truncatedAtEverySectionBoundary() {
        let b = Fixture.good.bytes
        let l = Fixture.layout(b)
        let m = l.manifestRange, s = l.signatureRange!
        let model = Fixture.good.manifest.modelBlob!
        let cuts: [(Int, String)] = [
            (0, "header"), (5, "header"), (12, "header"), (16, "header"), (31, "header"),
            (32, "manifest"), (m.upperBound - 1, "manifest"),
            (m.upperBound, "signature"), (s.upperBound - 1, "signature"),
            (s.upperBound, "padding"), (l.dataOffset - 1, "padding"),
            (l.dataOffset, "blob data"), (l.dataOffset + model.length / 2, "blob data"),
            (l.dataOffset + model.length, "blob data"), (b.count - 1, "blob data"),
        ]
        #expect(s.upperBound < l.dataOffset, "the fixture has padding")
        for (cut, section) in cuts {
            guard case .truncated(let named, let needed, let size)? = Fixture.rejection(Array(b[0..<cut])) else {
                Issue.record("cut at \(cut): expected truncated(\(section)), got \(String(describing: Fixture.rejection(Array(b[0..<cut]))))")
                continue
            }
            #expect(named == section, "cut at \(cut)")
            #expect(size == cut && needed > cut)
        }
        // Every other length is refused too (coarse sweep), never a crash.
        for cut in stride(from: 1, to: b.count, by: 97) { #expect(Fixture.rejection(Array(b[0..<cut])) != nil) }
    }

    @Test func flippedByteInAnyBlob() {
        let b = Fixture.good.bytes
        let l = Fixture.layout(b)
        for blob in Fixture.good.manifest.blobs {
            for at in [0, blob.length / 3, blob.length - 1] {
                var t = b
                t[l.dataOffset + blob.offset + at] ^= 0x01
                guard case .blobDigestMismatch(let name, let expected, let actual)? = Fixture.rejection(t) else {
                    Issue.record("flip in \(blob.name) at \(at): \(String(describing: Fixture.rejection(t)))")
                    continue
                }
                #expect(name == blob.name && expected == blob.sha256 && actual != expected)
            }
        }
    }

    @Test func editedManifestOrHeaderBreaksTheSignature() {
        let b = Fixture.good.bytes
        let l = Fixture.layout(b)
        // Same-length edit of the release number: "release":5 -> "release":9.
        let text = Array(b[l.manifestRange])
        let needle = Array("\"release\":5".utf8)
        var edited = b
        var found = false
        for i in 0...(text.count - needle.count) where Array(text[i..<(i + needle.count)]) == needle {
            edited[l.manifestRange.lowerBound + i + needle.count - 1] = UInt8(ascii: "9")
            found = true
        }
        #expect(found)
        guard case .badSignature? = Fixture.rejection(edited) else { Issue.record("edited manifest: \(String(describing: Fixture.rejection(edited)))"); return }
        // Any single flipped bit in the manifest or the signature is caught.
        for at in [l.manifestRange.lowerBound, l.manifestRange.lowerBound + 100, l.manifestRange.upperBound - 1,
                   l.signatureRange!.lowerBound + 8, l.signatureRange!.upperBound - 1] {
            var t = b
            t[at] ^= 0x20
            guard case .badSignature? = Fixture.rejection(t) else { Issue.record("flip at \(at): \(String(describing: Fixture.rejection(t)))"); continue }
        }
        // The header's data length is signed too (it also no longer matches the file size).
        var h = b
        h[24] ^= 0x40
        #expect(Fixture.rejection(h) != nil)
    }

    @Test func wrongOrUnknownKey() throws {
        // Signed by A, the device trusts only B: A's key id is unknown.
        guard case .unknownKey(let id, let trusted)? = Fixture.rejection(Fixture.good.bytes, keys: [Fixture.keyB.publicKey]) else {
            Issue.record("expected unknownKey"); return
        }
        #expect(id == Fixture.keyA.publicKey.keyID && trusted == [Fixture.keyB.publicKey.keyID])
        #expect(PackageError.unknownKey(keyID: id, trusted: trusted).description.contains(id))
        // No trusted key at all.
        guard case .unknownKey? = Fixture.rejection(Fixture.good.bytes, keys: []) else { Issue.record("no keys"); return }
        // Signed by B but claiming A's key id (forged header): the signature fails under A.
        var forged = try Fixture.resigned(Fixture.good.manifest, key: Fixture.keyB)
        let l = Fixture.layout(forged)
        let idA = Fixture.keyA.publicKey.rawKeyID
        for i in 0..<8 { forged[l.signatureRange!.lowerBound + i] = idA[i] }
        guard case .badSignature? = Fixture.rejection(forged) else { Issue.record("forged key id: \(String(describing: Fixture.rejection(forged)))"); return }
        // Trusting both keys, a package by B is accepted (its manifest then names B).
        var m = Fixture.good.manifest
        m.keyID = Fixture.keyB.publicKey.keyID
        #expect(Fixture.rejection(try Fixture.resigned(m, key: Fixture.keyB), keys: [Fixture.keyA.publicKey, Fixture.keyB.publicKey]) == nil)
        // ...but a manifest whose key_id disagrees with the signer is refused.
        guard case .malformedManifest? = Fixture.rejection(try Fixture.resigned(Fixture.good.manifest, key: Fixture.keyB),
                                                           keys: [Fixture.keyB.publicKey]) else { Issue.record("key_id mismatch"); return }
    }

    @Test func missingSignature() throws {
        let unsigned = try Fixture.resigned(Fixture.good.manifest, key: nil)
        guard case .missingSignature? = Fixture.rejection(unsigned) else { Issue.record("expected missingSignature"); return }
        // inspect can still read it, and says it is unsigned.
        let p = try ModelPackage.parseUnverified(buffer: Fixture.buffer(unsigned))
        #expect(p.signatureKeyID == nil && p.manifest.name == "tiny")
    }

    @Test func releaseBelowMinimumIsRollback() {
        guard case .releaseTooOld(5, 6)? = Fixture.rejection(Fixture.good.bytes, minRelease: 6) else { Issue.record("expected releaseTooOld"); return }
        #expect(Fixture.rejection(Fixture.good.bytes, minRelease: 5) == nil)
        #expect(PackageError.releaseTooOld(release: 5, minimum: 6).description.contains("anti-rollback"))
    }

    @Test func goldenSelfTestOutsideTolerance() throws {
        // A correctly signed package whose expected outputs are off by 0.01.
        let p0 = try Fixture.open(Fixture.good.bytes)
        let g = try #require(Fixture.good.manifest.golden)
        let goldenBlob = Array(p0.blobBytes(Fixture.good.manifest.blob(named: "golden")!))
        func variant(shift: Float) throws -> ModelPackage {
            var blob = goldenBlob
            let out = g.cases[0].outputs[0]
            blob.withUnsafeMutableBytes { raw in
                let f = (raw.baseAddress! + out.offset).assumingMemoryBound(to: Float.self)
                f[1] += shift
            }
            var m = Fixture.good.manifest
            m.blobs = []
            let bytes = try PackageWriter.write(manifest: m, blobs: [("model.onnx", "onnx", Fixture.modelBytes), ("golden", "golden", blob)], key: Fixture.keyA)
            return try Fixture.open(bytes)
        }
        let bad = try variant(shift: 0.01)
        let session = try Session(model: try bad.loadModel())
        do {
            _ = try bad.runGoldenSelfTest(session: session)
            Issue.record("expected a golden mismatch")
        } catch {
            guard case .goldenMismatch(0, "probabilities", 1, _, _, let tol) = error else { Issue.record("\(error)"); return }
            #expect(tol.contains("abs"))
        }
        // Within tolerance (1e-4 + 1e-3·|x|) still passes.
        let fine = try variant(shift: 2e-5)
        #expect(try fine.runGoldenSelfTest(session: session).cases == 1)
    }

    @Test func blobsOutOfBoundsOverlappingOrMisaligned() throws {
        let data = Fixture.goodData
        func expectLayoutError(_ edit: (inout [BlobEntry]) -> Void, _ what: String) throws {
            var m = Fixture.good.manifest
            edit(&m.blobs)
            let bytes = try PackageWriter.assemble(manifestBytes: m.encoded(), data: data, key: Fixture.keyA)
            guard case .blobOutOfBounds(let why)? = Fixture.rejection(bytes) else {
                Issue.record("\(what): \(String(describing: Fixture.rejection(bytes)))"); return
            }
            #expect(!why.isEmpty)
            // The unverified parser (inspect, fuzzer) refuses it too.
            #expect(throws: PackageError.self) { _ = try ModelPackage.parseUnverified(buffer: Fixture.buffer(bytes)) }
        }
        try expectLayoutError({ $0[1].offset = data.count + 64 - data.count % 64 }, "offset past the end")
        try expectLayoutError({ $0[1].length = data.count }, "length past the end")
        try expectLayoutError({ $0[0].length = Int(1) << 52 }, "huge length")
        try expectLayoutError({ $0[1].offset = 0 }, "overlap")
        try expectLayoutError({ $0[1].offset += 8 }, "misaligned")
        // A golden tensor outside its blob.
        var m = Fixture.good.manifest
        m.golden!.cases[0].inputs[0].offset = m.blob(named: "golden")!.length
        guard case .blobOutOfBounds? = Fixture.rejection(try Fixture.resigned(m)) else { Issue.record("golden tensor bounds"); return }
    }

    @Test func malformedManifest() throws {
        func refused(_ text: String) throws -> String? {
            let bytes = try PackageWriter.assemble(manifestBytes: Array(text.utf8), data: Fixture.goodData, key: Fixture.keyA)
            guard case .malformedManifest(let why)? = Fixture.rejection(bytes) else {
                Issue.record("\(text.prefix(40)): \(String(describing: Fixture.rejection(bytes)))"); return nil
            }
            return why
        }
        #expect(try refused("{\"format\": \"outpost-package-manifest\", ")?.contains("byte") == true)
        #expect(try refused("[1,2,3]")?.contains("object") == true)
        #expect(try refused("{\"name\":\"x\"}")?.contains("format") == true)
        let good = Fixture.good.manifest.jsonValue()
        func without(_ key: String) -> String {
            guard case .object(let members) = good else { return "" }
            return JSONValue.object(members.filter { $0.key != key }).serialized()
        }
        func replacing(_ key: String, _ value: JSONValue) -> String {
            guard case .object(let members) = good else { return "" }
            return JSONValue.object(members.map { $0.key == key ? (key: key, value: value) : $0 }).serialized()
        }
        for key in ["name", "version", "release", "created_at", "key_id", "signature", "requirements", "blobs"] {
            #expect(try refused(without(key)) != nil, "without \(key)")
        }
        #expect(try refused(replacing("version", .string("1.2")))?.contains("semantic") == true)
        #expect(try refused(replacing("release", .number(-1)))?.contains("release") == true)
        #expect(try refused(replacing("release", .number(1.5)))?.contains("release") == true)
        #expect(try refused(replacing("blobs", .string("none")))?.contains("blobs") == true)
        #expect(try refused(replacing("drift_baseline", .object([("format", .number(9))])))?.contains("drift_baseline") == true)
        // Duplicate keys are a JSON error (a signed manifest must be unambiguous).
        let dup = "{\"name\":\"a\"," + String(good.serialized().dropFirst())
        #expect(try refused(dup)?.contains("duplicate") == true)
    }

    @Test func containerLayoutErrors() throws {
        // Trailing bytes after the data section.
        var b = Fixture.good.bytes
        b.append(0)
        guard case .malformedContainer(let why)? = Fixture.rejection(b) else { Issue.record("trailing"); return }
        #expect(why.contains("unexpected bytes"))
        // Non-zero padding.
        var p = Fixture.good.bytes
        p[Fixture.layout(p).signatureRange!.upperBound] = 1
        guard case .malformedContainer? = Fixture.rejection(p) else { Issue.record("padding"); return }
        // Absurd manifest / signature lengths.
        var m = Fixture.good.bytes
        m[19] = 0x7f
        guard case .malformedContainer? = Fixture.rejection(m) else { Issue.record("manifest length"); return }
        var s = Fixture.good.bytes
        s[20] = 10
        guard case .malformedContainer? = Fixture.rejection(s) else { Issue.record("signature length"); return }
    }

    /// Random single-byte corruption anywhere in the file is always refused
    /// (except in inter-blob padding, which no check covers).
    @Test func randomByteFlipsAreRefused() {
        let b = Fixture.good.bytes
        let l = Fixture.layout(b)
        var covered = [Bool](repeating: true, count: b.count)
        let blobs = Fixture.good.manifest.blobs
        for i in l.dataOffset..<b.count {
            let rel = i - l.dataOffset
            covered[i] = blobs.contains { rel >= $0.offset && rel < $0.offset + $0.length }
        }
        var state: UInt64 = 7
        var tried = 0
        while tried < 300 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let at = Int((state >> 33) % UInt64(b.count))
            guard covered[at] else { continue }
            var t = b
            t[at] ^= UInt8(truncatingIfNeeded: (state >> 13) | 1)
            #expect(Fixture.rejection(t) != nil, "flip at \(at)")
            tried += 1
        }
    }
}
