import COutpostSystem
import OutpostCLICore
import OutpostDrift
import OutpostJSON
import OutpostPackage
import OutpostRuntime
import OutpostTelemetry

/// `outpost monitor`: streams inputs through a model, prints per-window drift per
/// feature (PSI, Jensen-Shannon, KS, verdict) and records inference records and
/// drift windows in the telemetry store. The baseline comes from a package's
/// manifest or a JSON file (`outpost-dev make-baseline` builds one on a
/// developer machine, like `outpost-dev package build` does for packages).
enum MonitorCommand {
    static let spec = CommandSpec(
        name: "outpost monitor",
        usage: "outpost monitor MODEL_OR_PKG --input-dir DIR... [--baseline FILE.json] [--window N] [--db FILE] [--json]",
        summary: "Stream inputs through a model and print per-window drift of its features against a baseline (PSI, Jensen-Shannon distance, binned KS; verdict by PSI: < 0.1 stable, 0.1-0.25 moderate, > 0.25 major), recording inference records and drift windows in a telemetry store. Input directories hold ONNX test-data sets (input_<i>.pb), subdirectories of them, or .npy/.pb files of a single-input model; a batch of N counts as N samples.",
        options: [
            ("--input-dir DIR", "Inputs to stream (repeatable, in order)."),
            ("--baseline FILE", "Drift baseline JSON (from 'outpost-dev make-baseline'); a package carries its own in the manifest."),
            ModelFile.trustedKeyOption,
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
            do { keys = try ModelFile.trustedKeys(a.all("--trusted-key")) } catch { throw .io(path: path, reason: error.description) }
            if keys.isEmpty {
                throw .usage(String(outlined: "\(path) is a signed package: give the publisher's key with --trusted-key PUB (or set OUTPOST_TRUSTED_KEYS)"))
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
        guard !samples.isEmpty else { throw .usage(String(outlined: "no inputs found in \(dirs.count == 1 ? dirs[0] : "the input directories")")) }

        let baseline: DriftBaseline
        if let baselinePath = a.value("--baseline") {
            baseline = try readBaseline(baselinePath)
        } else if let info = packageInfo {
            guard let packaged = info.baseline else {
                throw .usage(String(outlined: "\(path) has no drift baseline in its manifest (build it with --reference-data, or give --baseline FILE.json)"))
            }
            baseline = packaged
        } else {
            throw .usage("give --baseline FILE.json (build one from reference inputs with 'outpost-dev make-baseline'), or monitor a package")
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
            let windows = seconds > 0 ? String(outlined: "windows of \(Format.significant(seconds, 6)) s") : String(outlined: "windows of \(window) samples")
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
                var line = String(outlined: "telemetry \(store.path):")
                for s in store.stats() where s.lastSeq > 0 {
                    line += String(outlined: " \(s.stream.name) \(s.lastSeq) (held \(s.rows), evicted \(s.evictedRows))")
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
