import COutpostSystem
import OutpostDrift
import OutpostJSON
import OutpostPackage
import OutpostRuntime
import OutpostTelemetry

/// `outpost monitor`: streams inputs through a model, prints per-window drift per
/// feature (PSI, Jensen-Shannon, KS, verdict) and records inference records and
/// drift windows in the telemetry store. `--make-baseline OUT.json` builds the
/// drift baseline from reference inputs instead.
enum MonitorCommand {
    static let spec = CommandSpec(
        name: "monitor",
        usage: "outpost monitor MODEL_OR_PKG --input-dir DIR... [--baseline FILE.json | --make-baseline OUT.json] [--window N] [--db FILE] [--json]",
        summary: "Stream inputs through a model and print per-window drift of its features against a baseline (PSI, Jensen-Shannon distance, binned KS; verdict by PSI: < 0.1 stable, 0.1-0.25 moderate, > 0.25 major), recording inference records and drift windows in a telemetry store. With --make-baseline, build the baseline from reference inputs instead. Input directories hold ONNX test-data sets (input_<i>.pb), subdirectories of them, or .npy/.pb files of a single-input model; a batch of N counts as N samples.",
        options: [
            ("--input-dir DIR", "Inputs to stream (repeatable, in order)."),
            ("--baseline FILE", "Drift baseline JSON (from --make-baseline); a package carries its own in the manifest."),
            ModelFile.trustedKeyOption,
            ("--make-baseline OUT", "Build a baseline from the inputs and write it to OUT (JSON)."),
            ("--bins N", "Bins per continuous feature for --make-baseline (default 10)."),
            ("--window N", "Samples per drift window (default 500; under ~200 PSI's sampling noise alone crosses 0.1)."),
            ("--window-seconds S", "Close windows by time instead: every S seconds of wall clock."),
            ("--sample-rate R", "Keep this fraction of input samples in the store for retraining (default 0: off)."),
            ("--db FILE", "Telemetry store (SQLite; default: none)."),
            ("--model-name NAME", "Model name in telemetry records (default: the file name)."),
            ("--model-version V", "Model version in telemetry records (default 0.0.0)."),
            ("--psi-moderate X", "PSI from which a feature is 'moderate' (default 0.1)."),
            ("--psi-major X", "PSI above which a feature is 'major' (default 0.25)."),
            ("--threads N", "Kernel threads (default: the CPUs available)."),
        ],
        flags: [
            ("--json", "Print each window report as one JSON line instead of a table."),
        ])

    static func main(_ args: [String]) throws(OutpostError) -> Int {
        let a = try parseArguments(args, spec)
        if a.wantsHelp { Console.out(spec.help); return 0 }
        guard a.positionals.count == 1 else { throw .usage("expected exactly one MODEL argument (see 'outpost monitor --help')") }
        let dirs = a.all("--input-dir")
        guard !dirs.isEmpty else { throw .usage("give at least one --input-dir DIR") }
        let path = a.positionals[0]
        // A signed package brings its model, name, version and drift baseline (verified first).
        var packageInfo: (name: String, version: String, baseline: DriftBaseline?)?
        let model: Model
        if ModelPackage.isPackage(path: path) {
            let keys: [PublicKey]
            do { keys = try PackageCommand.trustedKeys(a.all("--trusted-key")) } catch { throw .io(path: path, reason: error.description) }
            if keys.isEmpty {
                throw .usage("\(path) is a signed package: give the publisher's key with --trusted-key PUB (or set OUTPOST_TRUSTED_KEYS)")
            }
            do {
                let package = try ModelPackage.open(path: path, policy: VerificationPolicy(trustedKeys: keys))
                model = try package.loadModel()
                packageInfo = (package.manifest.name, package.manifest.version, package.manifest.driftBaseline)
            } catch {
                if case let .runtime(inner) = error { throw inner }
                throw .io(path: path, reason: "package refused: " + error.description)
            }
        } else {
            model = try ModelFile.load(path)
        }
        let session = try Session(model: model, options: SessionOptions(threads: try a.int("--threads", default: 0, min: 0)))
        let samples = try InputStream.collect(dirs, inputs: session.inputs)
        guard !samples.isEmpty else { throw .usage("no inputs found in \(dirs.count == 1 ? dirs[0] : "the input directories")") }

        if let out = a.value("--make-baseline") {
            return try makeBaseline(session, samples, out: out, bins: try a.int("--bins", default: 10, min: 2))
        }
        let baseline: DriftBaseline
        if let baselinePath = a.value("--baseline") {
            baseline = try readBaseline(baselinePath)
        } else if let info = packageInfo {
            guard let packaged = info.baseline else {
                throw .usage("\(path) has no drift baseline in its manifest (build it with --reference-data, or give --baseline FILE.json)")
            }
            baseline = packaged
        } else {
            throw .usage("give --baseline FILE.json (or --make-baseline OUT.json to build one from reference inputs, or monitor a package)")
        }
        let thresholds = DriftThresholds(psiModerate: try a.double("--psi-moderate", default: 0.1),
                                         psiMajor: try a.double("--psi-major", default: 0.25))
        let window = try a.int("--window", default: 500, min: 1)
        let seconds = try a.double("--window-seconds", default: 0)
        let policy: WindowPolicy = seconds > 0 ? .duration(Int64(seconds * 1000)) : .count(window)
        let sampleRate = try a.double("--sample-rate", default: 0)
        guard sampleRate >= 0 && sampleRate <= 1 else { throw .usage("--sample-rate expects a fraction in [0, 1]") }
        var store: TelemetryStore?
        if let db = a.value("--db") {
            do { store = try TelemetryStore(path: db, options: TelemetryOptions(sampleRate: sampleRate)) } catch {
                // Telemetry never stops inference: report and carry on without a store.
                Console.error("warning: \(error.description); continuing without telemetry")
            }
        }
        let recorder = try DriftRecorder(baseline: baseline, policy: policy, thresholds: thresholds, store: store,
                                         modelName: a.value("--model-name") ?? packageInfo?.name ?? FileSystem.basename(path),
                                         modelVersion: a.value("--model-version") ?? packageInfo?.version ?? "0.0.0")
        let json = a.has("--json")
        if !json {
            let windows = seconds > 0 ? "windows of \(Format.significant(seconds, 6)) s" : "windows of \(window) samples"
            Console.out("monitoring \(path): \(baseline.features.count) features, \(windows), baseline of \(baseline.sampleCount) samples")
        }
        var runs = 0
        for feeds in samples {
            let t0 = Clock.nowNanos()
            let outputs = try session.run(feeds)
            let latency = op_monotonic_ns() - t0
            runs += 1
            for report in try recorder.record(inputs: feeds, outputs: outputs, latencyNanos: latency) {
                show(report, json: json, partial: false)
            }
        }
        if case .duration = policy, let r = recorder.poll() { show(r, json: json, partial: false) }
        if let last = recorder.finish() { show(last, json: json, partial: true) }
        if !json {
            Console.out("\(runs) runs, \(recorder.samples) samples, \(recorder.windows) window(s)")
            if let store {
                var line = "telemetry \(store.path):"
                for s in store.stats() where s.lastSeq > 0 {
                    line += " \(s.stream.name) \(s.lastSeq) (held \(s.rows), evicted \(s.evictedRows))"
                }
                Console.out(line)
            }
            if recorder.telemetryFailures > 0 {
                Console.out("telemetry failures: \(recorder.telemetryFailures) (first: \(recorder.firstTelemetryError ?? ""))")
            }
        }
        return 0
    }

    static func readBaseline(_ path: String) throws(OutpostError) -> DriftBaseline {
        let buffer = try Buffer(mappingFile: path)
        let text = String(decoding: UnsafeRawBufferPointer(start: buffer.base, count: buffer.byteCount), as: UTF8.self)
        do { return try DriftBaseline(json: text) } catch {
            throw .io(path: path, reason: error.description)
        }
    }

    static func makeBaseline(_ session: Session, _ samples: [[Tensor]], out: String, bins: Int) throws(OutpostError) -> Int {
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
            try bindAll(extractor, feeds, outputs)
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

    static func bindAll(_ x: FeatureExtractor, _ inputs: [Tensor], _ outputs: [Tensor]) throws(OutpostError) {
        do {
            for (i, t) in inputs.enumerated() where t.dtype == .float32 {
                try x.bind(.input(i), data: UnsafePointer(t.floats), shape: t.shape)
            }
            for (i, t) in outputs.enumerated() where t.dtype == .float32 {
                try x.bind(.output(i), data: UnsafePointer(t.floats), shape: t.shape)
            }
        } catch {
            throw .inputMismatch(error.description)
        }
    }

    static func show(_ r: DriftWindowReport, json: Bool, partial: Bool) {
        if json { Console.out(r.json()); return }
        let verdict = r.verdict == .major ? "MAJOR DRIFT" : r.verdict.name
        Console.out("")
        Console.out("window \(r.index)\(partial ? " (partial)" : "")  samples \(r.count)  verdict \(verdict)")
        Console.out("  " + Format.pad("feature", 30) + Format.pad("psi", 9, right: true) + Format.pad("js", 9, right: true)
                    + Format.pad("ks", 9, right: true) + "  verdict")
        for f in r.features {
            Console.out("  " + Format.pad(f.name, 30) + Format.pad(Format.fixed(f.psi, 4), 9, right: true)
                        + Format.pad(Format.fixed(f.jensenShannon, 4), 9, right: true)
                        + Format.pad(Format.fixed(f.kolmogorovSmirnov, 4), 9, right: true) + "  " + f.verdict.name)
        }
    }
}

/// What one inference costs the monitoring side: bind tensors, extract features
/// per sample, update the window histograms, buffer the inference record (the
/// store is written in batches), and store each closed window.
final class DriftRecorder {
    let extractor: FeatureExtractor
    let monitor: DriftMonitor
    let store: TelemetryStore?
    let modelName: String
    let modelVersion: String
    /// Inference records are appended in batches of this many (one transaction),
    /// or when the oldest buffered one is `flushIntervalMs` old.
    let batchSize: Int
    let flushIntervalMs: Int64
    private var firstPendingTime: Int64 = Int64.max
    private var pending: [InferenceRecord] = []
    private var pendingWindows: [DriftWindowRecord] = []
    private var pendingSamples: [SampledInput] = []
    private(set) var samples = 0
    private(set) var windows = 0
    private(set) var telemetryFailures = 0
    private(set) var firstTelemetryError: String?

    init(baseline: DriftBaseline, policy: WindowPolicy, thresholds: DriftThresholds, store: TelemetryStore?,
         modelName: String, modelVersion: String, batchSize: Int = 4096, flushIntervalMs: Int64 = 10_000) throws(OutpostError) {
        extractor = FeatureExtractor(specs: baseline.specs)
        monitor = DriftMonitor(baseline: baseline, policy: policy, thresholds: thresholds)
        self.store = store
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.batchSize = batchSize
        self.flushIntervalMs = flushIntervalMs
        pending.reserveCapacity(batchSize)
    }

    /// Records one run (all its batch samples). Returns the windows it closed.
    func record(inputs: [Tensor], outputs: [Tensor], latencyNanos: UInt64) throws(OutpostError) -> [DriftWindowReport] {
        try MonitorCommand.bindAll(extractor, inputs, outputs)
        let n = max(1, extractor.sampleCount)
        let now = op_unix_time_s() * 1000
        var closed = [DriftWindowReport]()
        // Output summary from the first float output of rank 2 (class scores).
        var classes = 0
        var scores: UnsafeMutablePointer<Float>?
        if let o = outputs.first, o.dtype == .float32, o.rank == 2 { classes = o.shape[1]; scores = o.floats }
        for s in 0..<n {
            extractor.extract(sample: s)
            if let r = monitor.observe(UnsafePointer(extractor.values.baseAddress!), time: now) {
                closed.append(r)
                windows += 1
                pendingWindows.append(DriftWindowRecord(timeMs: now, model: modelName, version: modelVersion,
                                                        verdict: r.verdict.name, report: r.json()))
            }
            samples += 1
            if store != nil {
                var top: Int32 = -1
                var score = 0.0
                if let p = scores, classes > 0 {
                    let row = p + s * classes
                    var best = 0
                    for k in 1..<classes where row[k] > row[best] { best = k }
                    top = Int32(best)
                    score = Double(row[best])
                }
                if pending.isEmpty { firstPendingTime = now }
                pending.append(InferenceRecord(timeMs: now, model: modelName, version: modelVersion,
                                               latencyMicros: Int64(latencyNanos / 1000) / Int64(n), status: 0,
                                               topClass: top, score: score))
                if store!.shouldSampleInput(), let input = inputs.first, input.dtype == .float32 {
                    // One sample's slice of the first input, raw little-endian float32.
                    let per = input.count / n
                    var shape = input.shape
                    if shape.count >= 2 { shape[0] = 1 }
                    let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(input.floats + s * per), count: per * 4)
                    pendingSamples.append(SampledInput(timeMs: now, model: modelName, version: modelVersion,
                                                       descriptor: "\(input.dtype.name)\(formatShape(shape))", payload: [UInt8](bytes)))
                }
                if pending.count >= batchSize { flushRecords() }
            }
        }
        // Commit by count (batchSize) or age (flushIntervalMs), never per inference:
        // each commit is an fsync. Closed windows wait for the next commit too.
        if store != nil && now - firstPendingTime >= flushIntervalMs { flushRecords() }
        return closed
    }

    /// Closes a time window that is due (duration policy), storing it.
    func poll() -> DriftWindowReport? {
        let now = op_unix_time_s() * 1000
        guard let r = monitor.poll(now: now) else { return nil }
        windows += 1
        pendingWindows.append(DriftWindowRecord(timeMs: now, model: modelName, version: modelVersion, verdict: r.verdict.name, report: r.json()))
        flushRecords()
        return r
    }

    /// Flushes buffered records and returns the partial last window, if any.
    func finish() -> DriftWindowReport? {
        let last = monitor.flush()
        if let r = last {
            windows += 1
            pendingWindows.append(DriftWindowRecord(timeMs: op_unix_time_s() * 1000, model: modelName, version: modelVersion,
                                                    verdict: r.verdict.name, report: r.json()))
        }
        flushRecords()
        return last
    }

    /// Appends the buffered inference records and drift windows in one transaction
    /// (one fsync). A failure is reported once and counted; inference goes on.
    func flushRecords() {
        defer {
            firstPendingTime = Int64.max
            pending.removeAll(keepingCapacity: true)
            pendingWindows.removeAll(keepingCapacity: true)
            pendingSamples.removeAll()
        }
        guard let store, !pending.isEmpty || !pendingWindows.isEmpty || !pendingSamples.isEmpty else { return }
        do {
            try store.batch { () throws(TelemetryError) in
                try store.append(pending)
                try store.append(pendingWindows)
                try store.append(pendingSamples)
            }
        } catch { failed(error) }
    }

    private func failed(_ e: TelemetryError) {
        telemetryFailures += 1
        if firstTelemetryError == nil {
            firstTelemetryError = e.description
            Console.error("warning: \(e.description) (inference continues)")
        }
    }
}

/// Enumerates the inputs under `--input-dir` directories, in order.
enum InputStream {
    static func collect(_ dirs: [String], inputs: [ValueInfo]) throws(OutpostError) -> [[Tensor]] {
        var out = [[Tensor]]()
        for dir in dirs {
            guard FileSystem.isDirectory(dir) else { throw .io(path: dir, reason: "not a directory") }
            if FileSystem.exists(FileSystem.join(dir, "input_0.pb")) {
                out.append(try InputFiles.load(inputs: inputs, inputDir: dir, named: []))
                continue
            }
            for name in try FileSystem.list(dir) {
                let p = FileSystem.join(dir, name)
                if FileSystem.isDirectory(p) {
                    if FileSystem.exists(FileSystem.join(p, "input_0.pb")) {
                        out.append(try InputFiles.load(inputs: inputs, inputDir: p, named: []))
                    }
                } else if name.hasSuffix(".npy") || (name.hasSuffix(".pb") && !name.hasPrefix("output_")) {
                    guard inputs.count == 1 else {
                        throw .inputMismatch("\(p): loose tensor files are only for single-input models (this one has \(inputs.count)); use input_<i>.pb sets")
                    }
                    out.append([try InputFiles.readTensorFile(p)])
                }
            }
        }
        return out
    }
}
