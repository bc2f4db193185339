import OutpostCLICore
import OutpostDrift
import OutpostPackage
import OutpostRuntime

/// `outpost-dev package build`: runs the model over reference inputs (drift
/// baseline, golden cases) and writes a package signed with the publisher's key
/// (docs/package-format.md). A developer-machine tool: devices verify and inspect
/// packages with `outpost package verify|inspect`, they never build or sign them.
enum PackageBuildCommand {
    static let help = """
    OVERVIEW: Build signed model packages (verify and inspect them with 'outpost package verify|inspect').

    USAGE: outpost-dev package <subcommand> [options]

    SUBCOMMANDS:
      build          Package an ONNX model with lineage, drift baseline and golden cases, signed.

      See 'outpost-dev package build --help' for details.
    """

    static func dispatch(_ args: [String]) throws(OutpostError) -> Int {
        guard let sub = args.first else { Console.error(help); return 2 }
        switch sub {
        case "-h", "--help", "help": Console.out(help); return 0
        case "build": return try main(Array(args.dropFirst()))
        case "verify", "inspect": throw .usage("'package \(sub)' is a device command: use 'outpost package \(sub)'")
        default: throw .usage("unknown subcommand 'package \(sub)' (see 'outpost-dev package --help')")
        }
    }

    static let spec = CommandSpec(
        name: "outpost-dev package build",
        usage: "outpost-dev package build --model M.onnx --name N --version V --release R --reference-data DIR --key K.key [--lineage key=value ...] [-o OUT]",
        summary: "Run the model over reference inputs (DIR/test_data_set_*/input_<i>.pb|.npy, DIR/input_<i>.pb, or DIR/*.npy for single-input models) to compute the drift baseline and golden cases, then write a package signed with the Ed25519 key.",
        options: [
            ("--model FILE", "The ONNX model."),
            ("--name NAME", "Package name."),
            ("--version V", "Semantic version (MAJOR.MINOR.PATCH[-pre][+build])."),
            ("--release R", "Release number: monotonically increasing, used for anti-rollback."),
            ("--reference-data DIR", "Reference inputs (see above)."),
            ("--key FILE", "Private key (from 'outpost-dev keys generate')."),
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

    static func main(_ args: [String]) throws(OutpostError) -> Int {
        let a = try parseArguments(args, spec)
        if a.wantsHelp { Console.out(spec.help); return 0 }
        guard a.positionals.isEmpty else { throw .usage("unexpected argument '\(a.positionals[0])' (see 'outpost-dev package build --help')") }
        func required(_ name: String) throws(OutpostError) -> String {
            guard let v = a.value(name), !v.isEmpty else { throw .usage("package build needs \(name) (see 'outpost-dev package build --help')") }
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
            Console.error("error: \(error.description)")
            return 1
        }
        return 0
    }
}
