import OutpostCLICore
import OutpostDrift
import OutpostRuntime

/// `outpost-dev make-baseline`: the drift baseline of a model from reference
/// inputs (per feature: bin edges and reference proportions), written as JSON for
/// `outpost monitor --baseline`. Built once, on a developer machine, from the
/// training-distribution data — like the baseline `outpost-dev package build` puts
/// into a package's manifest (the same OutpostDrift builder); a device only
/// compares its inputs with it.
enum MakeBaselineCommand {
    static let spec = CommandSpec(
        name: "outpost-dev make-baseline",
        usage: "outpost-dev make-baseline MODEL --input-dir DIR... -o OUT.json [--bins N]",
        summary: "Run the model over reference inputs and write the drift baseline of its float32 inputs and outputs (the features 'outpost monitor' compares against) to OUT.json. Input directories hold ONNX test-data sets (input_<i>.pb), subdirectories of them, or .npy/.pb files of a single-input model; a batch of N counts as N samples.",
        options: [
            ("--input-dir DIR", "Reference inputs (repeatable, in order)."),
            ("-o OUT", "Output file (JSON)."),
            ("--output OUT", "Same as -o."),
            ("--bins N", "Bins per continuous feature (default 10)."),
            ModelFile.trustedKeyOption,
            ("--threads N", "Kernel threads (default: the CPUs available)."),
        ],
        flags: [])

    static func main(_ args: [String]) throws(OutpostError) -> Int {
        let a = try parseArguments(args, spec)
        if a.wantsHelp { Console.out(spec.help); return 0 }
        guard a.positionals.count == 1 else { throw .usage("expected exactly one MODEL argument (see 'outpost-dev make-baseline --help')") }
        let dirs = a.all("--input-dir")
        guard !dirs.isEmpty else { throw .usage("give at least one --input-dir DIR") }
        guard let out = a.value("-o") ?? a.value("--output") else { throw .usage("give the output file with -o OUT.json") }
        let bins = try a.int("--bins", default: 10, min: 2)
        let model = try ModelFile.load(a.positionals[0], trustedKeys: a.all("--trusted-key"))
        let session = try Session(model: model, options: SessionOptions(threads: try a.int("--threads", default: 0, min: 0)))
        let samples = try InputStream.collect(dirs, inputs: session.inputs)
        guard !samples.isEmpty else { throw .usage("no inputs found in \(dirs.count == 1 ? dirs[0] : "the input directories")") }

        // Features from the first run's concrete shapes.
        let first = try session.run(samples[0])
        var ins = [(name: String, shape: [Int])](), outs = [(name: String, shape: [Int])]()
        for (i, t) in samples[0].enumerated() where t.dtype == .float32 { ins.append((session.inputs[i].name, t.shape)) }
        for (i, t) in first.enumerated() where t.dtype == .float32 { outs.append((session.outputs[i].name, t.shape)) }
        let specs = FeatureSpec.defaults(inputs: ins, outputs: outs)
        guard !specs.isEmpty else { throw .usage("no float features to monitor in this model (inputs/outputs must be float32)") }
        let extractor = FeatureExtractor(specs: specs)
        var builder = DriftBaselineBuilder(specs: specs, bins: bins)
        for feeds in samples {
            let outputs = try session.run(feeds)
            try bindFeatures(extractor, feeds, outputs)
            for n in 0..<extractor.sampleCount {
                extractor.extract(sample: n)
                do { try builder.add(UnsafeBufferPointer(extractor.values)) } catch { throw .usage(error.description) }
            }
        }
        let baseline: DriftBaseline
        do { baseline = try builder.build() } catch { throw .usage(error.description) }
        try FileSystem.writeText(baseline.json() + "\n", to: out)
        Console.out("baseline: \(specs.count) features from \(builder.sampleCount) samples → \(out)")
        for f in baseline.features {
            Console.out("  " + Format.pad(f.spec.name, 28) + Format.pad(f.spec.kind.name, 14) + "\(f.binCount) bins")
        }
        return 0
    }
}
