import OutpostDrift
import OutpostJSON
import OutpostPackage
import OutpostRuntime

import COutpostSystem

enum Environment {
    static func get(_ name: String) -> String? {
        guard let v = name.withCString({ op_getenv($0) }) else { return nil }
        return String(cString: v)
    }
}

/// `outpost package build|verify|inspect`: signed model packages (docs/package-format.md).
enum PackageCommand {
    static let help = """
    OVERVIEW: Build, verify and inspect signed model packages.

    USAGE: outpost package <subcommand> [options]

    SUBCOMMANDS:
      build          Package an ONNX model with lineage, drift baseline and golden cases, signed.
      verify         Check signature, blob digests, release and requirements, then run the golden self-test.
      inspect        Show a package's manifest, lineage, blobs and signature status.

      See 'outpost package <subcommand> --help' for details.
    """

    static let buildSpec = CommandSpec(
        name: "package build",
        usage: "outpost package build --model M.onnx --name N --version V --release R --reference-data DIR --key K.key [--lineage key=value ...] [-o OUT]",
        summary: "Run the model over reference inputs (DIR/test_data_set_*/input_<i>.pb|.npy, DIR/input_<i>.pb, or DIR/*.npy for single-input models) to compute the drift baseline and golden cases, then write a package signed with the Ed25519 key.",
        options: [
            ("--model FILE", "The ONNX model."),
            ("--name NAME", "Package name."),
            ("--version V", "Semantic version (MAJOR.MINOR.PATCH[-pre][+build])."),
            ("--release R", "Release number: monotonically increasing, used for anti-rollback."),
            ("--reference-data DIR", "Reference inputs (see above)."),
            ("--key FILE", "Private key (from 'outpost keys generate')."),
            ("--lineage KEY=VALUE", "Lineage: parent_version, training_data, training_data_sha256, code_ref, quantization, calibration_ref, metric.NAME=number, or any other key (repeatable)."),
            ("--golden N", "Reference runs kept as golden cases (default 3)."),
            ("--atol X", "Golden absolute tolerance (default 1e-4)."),
            ("--rtol X", "Golden relative tolerance (default 1e-3)."),
            ("--require-isa FEATURE", "Required ISA feature: avx2, avx512, neon, neon-dot, neon-i8mm (repeatable)."),
            ("--created-at TIME", "Override created_at (UTC ISO-8601; default: now)."),
            ("-o OUT", "Output file (default NAME-VERSION.opkg)."),
            ("--output OUT", "Same as -o."),
        ],
        flags: [])

    static let verifySpec = CommandSpec(
        name: "package verify",
        usage: "outpost package verify PKG --trusted-key PUB [--trusted-key PUB ...] [--min-release R]",
        summary: "Verify a package step by step: container layout, signature by a trusted key, manifest, release ≥ --min-release (anti-rollback), requirements, every blob's SHA-256, then the golden self-test with the real runtime. Exit 0 only if everything passes.",
        options: [
            ("--trusted-key FILE", "Public key (.pub) to trust (repeatable; default: OUTPOST_TRUSTED_KEYS, colon-separated)."),
            ("--min-release R", "Refuse releases below R."),
            ("--threads N", "Kernel threads for the self-test (default: the CPUs available)."),
        ],
        flags: [("--skip-self-test", "Do not run the golden cases.")])

    static let inspectSpec = CommandSpec(
        name: "package inspect",
        usage: "outpost package inspect PKG [--trusted-key PUB] [--json]",
        summary: "Show a package's manifest (name, version, release, lineage, signature of the model, baseline features, golden cases, requirements, blobs) and its signature status. Without a trusted key the signature is reported as not checked.",
        options: [("--trusted-key FILE", "Public key (.pub) to check the signature against (repeatable; default: OUTPOST_TRUSTED_KEYS).")],
        flags: [("--json", "Print the manifest JSON as stored.")])

    static func main(_ args: [String]) throws(OutpostError) -> Int {
        guard let sub = args.first else { Console.error(help); return 2 }
        let rest = Array(args.dropFirst())
        switch sub {
        case "-h", "--help", "help": Console.out(help); return 0
        case "build": return try build(rest)
        case "verify": return try verify(rest)
        case "inspect": return try inspect(rest)
        default: throw .usage("unknown subcommand 'package \(sub)' (see 'outpost package --help')")
        }
    }

    /// Public keys from --trusted-key options, else OUTPOST_TRUSTED_KEYS.
    static func trustedKeys(_ paths: [String]) throws(PackageError) -> [PublicKey] {
        var list = paths
        if list.isEmpty, let env = Environment.get("OUTPOST_TRUSTED_KEYS") {
            for p in env.split(separator: ":") where !p.isEmpty { list.append(String(p)) }
        }
        var keys = [PublicKey]()
        for p in list { keys.append(try PublicKey.read(path: p)) }
        return keys
    }

    static func fail(_ e: PackageError) -> Int {
        Console.error("error: \(e.description)")
        return 1
    }

    static func build(_ args: [String]) throws(OutpostError) -> Int {
        let a = try parseArguments(args, buildSpec)
        if a.wantsHelp { Console.out(buildSpec.help); return 0 }
        guard a.positionals.isEmpty else { throw .usage("unexpected argument '\(a.positionals[0])' (see 'outpost package build --help')") }
        func required(_ name: String) throws(OutpostError) -> String {
            guard let v = a.value(name), !v.isEmpty else { throw .usage("package build needs \(name) (see 'outpost package build --help')") }
            return v
        }
        let modelPath = try required("--model")
        let name = try required("--name")
        let version = try required("--version")
        _ = try required("--release")
        let release = try a.int("--release", default: 0, min: 0)
        let referenceDir = try required("--reference-data")
        let keyPath = try required("--key")
        var options = PackageBuildOptions(name: name, version: version, release: release)
        options.goldenCases = try a.int("--golden", default: 3, min: 0)
        options.absoluteTolerance = try a.double("--atol", default: 1e-4)
        options.relativeTolerance = try a.double("--rtol", default: 1e-3)
        guard options.absoluteTolerance >= 0, options.relativeTolerance >= 0 else { throw .usage("--atol and --rtol must be ≥ 0") }
        options.isa = a.all("--require-isa")
        options.createdAt = a.value("--created-at")
        let out = a.value("-o") ?? a.value("--output") ?? "\(name)-\(version).opkg"
        do throws(PackageError) {
            for l in a.all("--lineage") { try options.lineage.set(l) }
            let key = try PrivateKey.read(path: keyPath)
            let modelBytes = try FileIO.read(modelPath)
            let inputCount: Int
            do { inputCount = try ModelFile.load(modelPath).graph.inputs.count } catch { throw PackageError.runtime(error) }
            let reference = try ReferenceData.load(directory: referenceDir, inputCount: inputCount)
            let t0 = Clock.nowNanos()
            let result = try PackageBuilder.build(model: modelBytes, reference: reference, options: options, key: key)
            try FileIO.write(result.bytes, to: out)
            let m = result.manifest
            let features = m.driftBaseline?.features.count ?? 0
            Console.out("wrote \(out) (\(Format.bytes(result.bytes.count)))")
            Console.out("  \(m.name) \(m.version) release \(m.release), created \(m.createdAt), signed by key \(m.keyID)")
            Console.out("  \(reference.count) reference run(s): drift baseline with \(features) feature(s), \(m.golden?.cases.count ?? 0) golden case(s)")
            Console.out("  built in \(Format.fixed(Clock.millis(since: t0), 1)) ms")
        } catch {
            return fail(error)
        }
        return 0
    }

    static func verify(_ args: [String]) throws(OutpostError) -> Int {
        let a = try parseArguments(args, verifySpec)
        if a.wantsHelp { Console.out(verifySpec.help); return 0 }
        guard a.positionals.count == 1 else { throw .usage("expected exactly one PKG argument (see 'outpost package verify --help')") }
        let path = a.positionals[0]
        var minRelease: Int?
        if a.value("--min-release") != nil { minRelease = try a.int("--min-release", default: 0, min: 0) }
        let threads = try a.int("--threads", default: 0, min: 0)
        let keys: [PublicKey]
        do { keys = try trustedKeys(a.all("--trusted-key")) } catch { return fail(error) }
        if keys.isEmpty { throw .usage("give the publisher's public key with --trusted-key PUB (or set OUTPOST_TRUSTED_KEYS)") }
        do throws(PackageError) {
            Console.out("verifying \(path)")
            let package = try ModelPackage.open(path: path, policy: VerificationPolicy(trustedKeys: keys, minimumRelease: minRelease),
                                                log: { Console.out("  ok  " + $0) })
            if a.has("--skip-self-test") {
                Console.out("  --  golden self-test skipped")
            } else {
                let model = try package.loadModel()
                let session: Session
                do { session = try Session(model: model, options: SessionOptions(threads: threads)) } catch { throw PackageError.runtime(error) }
                let t0 = Clock.nowNanos()
                let r = try package.runGoldenSelfTest(session: session)
                Console.out("  ok  golden self-test: \(r.cases) case(s) within tolerance (max |diff| \(Format.significant(r.maxAbsDiff, 3)), \(Format.fixed(Clock.millis(since: t0), 1)) ms)")
            }
            Console.out("verified: \(package.manifest.name) \(package.manifest.version) release \(package.manifest.release)")
        } catch {
            Console.out("  FAILED")
            return fail(error)
        }
        return 0
    }

    static func inspect(_ args: [String]) throws(OutpostError) -> Int {
        let a = try parseArguments(args, inspectSpec)
        if a.wantsHelp { Console.out(inspectSpec.help); return 0 }
        guard a.positionals.count == 1 else { throw .usage("expected exactly one PKG argument (see 'outpost package inspect --help')") }
        let path = a.positionals[0]
        do throws(PackageError) {
            let package = try ModelPackage.parseUnverified(buffer: try ModelPackage.map(path))
            let m = package.manifest
            if a.has("--json") {
                Console.out(m.jsonValue().serialized())
                return 0
            }
            Console.out("package: \(path) (\(Format.bytes(package.buffer.byteCount)), format \(package.layout.formatVersion))")
            Console.out("name: \(m.name)")
            Console.out("version: \(m.version)")
            Console.out("release: \(m.release)")
            Console.out("created at: \(m.createdAt)")
            let keys = try trustedKeys(a.all("--trusted-key"))
            var status: String
            if let id = package.signatureKeyID {
                if keys.isEmpty {
                    status = "signed by key \(id) (not checked: give --trusted-key)"
                } else {
                    do {
                        try package.checkSignature(trustedKeys: keys)
                        status = "valid, by trusted key \(id)"
                        do { try package.verifyBlobDigests(); status += "; blob digests ok" } catch { status += "; " + error.description }
                    } catch { status = "INVALID: " + error.description }
                }
            } else {
                status = "UNSIGNED"
            }
            Console.out("signature: \(status)")
            let l = m.lineage
            Console.out("lineage:")
            Console.out("  parent version: \(l.parentVersion ?? "-")")
            Console.out("  training data: \(l.trainingDataRef ?? "-")" + (l.trainingDataSHA256.map { " (sha256 \($0))" } ?? ""))
            Console.out("  code: \(l.codeRef ?? "-")")
            Console.out("  quantization: \(l.quantizationMethod ?? "-")" + (l.calibrationRef.map { " (calibration \($0))" } ?? ""))
            for (k, v) in l.metrics { Console.out("  metric \(k) = \(JSONValue.formatNumber(v))") }
            for (k, v) in l.extra { Console.out("  \(k) = \(v)") }
            Console.out("inputs:")
            for s in m.inputs { Console.out("  " + s.description) }
            Console.out("outputs:")
            for s in m.outputs { Console.out("  " + s.description) }
            if let b = m.driftBaseline {
                Console.out("drift baseline: \(b.features.count) feature(s) from \(b.sampleCount) reference sample(s)")
                for f in b.features {
                    Console.out("  \(f.spec.name) (\(f.spec.kind.name), \(f.binCount) bins)")
                }
            } else {
                Console.out("drift baseline: none")
            }
            if let g = m.golden {
                Console.out("golden cases: \(g.cases.count) (tolerance abs \(JSONValue.formatNumber(g.absoluteTolerance)), rel \(JSONValue.formatNumber(g.relativeTolerance)))")
            } else {
                Console.out("golden cases: none")
            }
            var isa = ""
            for f in m.requirements.isa { isa += " " + f }
            Console.out("requirements: runtime ≥ \(m.requirements.minRuntimeVersion), ISA:" + (isa.isEmpty ? " any" : isa))
            Console.out("blobs:")
            for b in m.blobs {
                Console.out("  " + Format.pad(b.name, 14) + Format.pad(b.kind, 8) + "offset " + Format.pad("\(package.layout.dataOffset + b.offset)", 8)
                            + Format.pad(Format.bytes(b.length), 12) + "sha256 " + b.sha256)
            }
        } catch {
            return fail(error)
        }
        return 0
    }
}
