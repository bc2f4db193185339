import COutpostSystem
import OutpostCLICore
import OutpostDrift
import OutpostJSON
import OutpostPackage
import OutpostRuntime

/// `outpost package verify|inspect`: signed model packages (docs/package-format.md).
/// Building and signing them is a developer tool: `outpost-dev package build`.
enum PackageCommand {
    static let help = """
    OVERVIEW: Verify and inspect signed model packages (build them with 'outpost-dev package build').

    USAGE: outpost package <subcommand> [options]

    SUBCOMMANDS:
      verify         Check signature, blob digests, release and requirements, then run the golden self-test.
      inspect        Show a package's manifest, lineage, blobs and signature status.

      See 'outpost package <subcommand> --help' for details.
    """

    static let verifySpec = CommandSpec(
        name: "outpost package verify",
        usage: "outpost package verify PKG --trusted-key PUB [--trusted-key PUB ...] [--min-release R]",
        summary: "Verify a package step by step: container layout, signature by a trusted key, manifest, release ≥ --min-release (anti-rollback), requirements, every blob's SHA-256, then the golden self-test with the real runtime. Exit 0 only if everything passes.",
        options: [
            ("--trusted-key FILE", "Public key (.pub) to trust (repeatable; default: OUTPOST_TRUSTED_KEYS, colon-separated)."),
            ("--min-release R", "Refuse releases below R."),
            ("--threads N", "Kernel threads for the self-test (default: the CPUs available)."),
        ],
        flags: [("--skip-self-test", "Do not run the golden cases.")])

    static let inspectSpec = CommandSpec(
        name: "outpost package inspect",
        usage: "outpost package inspect PKG [--trusted-key PUB] [--json]",
        summary: "Show a package's manifest (name, version, release, lineage, signature of the model, baseline features, golden cases, requirements, blobs) and its signature status. Without a trusted key the signature is reported as not checked.",
        options: [("--trusted-key FILE", "Public key (.pub) to check the signature against (repeatable; default: OUTPOST_TRUSTED_KEYS).")],
        flags: [("--json", "Print the manifest JSON as stored.")])

    static func main(_ args: [String]) throws(OutpostError) -> Int {
        guard let sub = args.first else { Console.error(help); return 2 }
        let rest = Array(args.dropFirst())
        switch sub {
        case "-h", "--help", "help": Console.out(help); return 0
        case "build": throw .usage("building packages is a developer tool: use 'outpost-dev package build'")
        case "verify": return try verify(rest)
        case "inspect": return try inspect(rest)
        default: throw .usage(String(outlined: "unknown subcommand 'package \(sub)' (see 'outpost package --help')"))
        }
    }

    static func fail(_ e: PackageError) -> Int {
        Console.error("error: \(e.description)")
        return 1
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
        do { keys = try ModelFile.trustedKeys(a.all("--trusted-key")) } catch { return fail(error) }
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
            let keys = try ModelFile.trustedKeys(a.all("--trusted-key"))
            var status: String
            if let id = package.signatureKeyID {
                if keys.isEmpty {
                    status = String(outlined: "signed by key \(id) (not checked: give --trusted-key)")
                } else {
                    do {
                        try package.checkSignature(trustedKeys: keys)
                        status = String(outlined: "valid, by trusted key \(id)")
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
