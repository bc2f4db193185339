import COutpostSystem
import OutpostCLICore
import OutpostDrift
import OutpostRuntime
import OutpostTelemetry

/// `outpost-dev bench-telemetry`: telemetry records per second with batching, and
/// the cost of monitoring one inference (feature extraction + drift histograms +
/// the inference record) relative to the inference itself.
enum TelemetryBenchCommand {
    static let spec = CommandSpec(
        name: "outpost-dev bench-telemetry",
        usage: "outpost-dev bench-telemetry [--model M] [--records N] [--batch B] [--iterations K] [--dir DIR]",
        summary: "Measure (1) sustained telemetry append throughput in batches (synchronous=FULL, WAL, one fsync per batch) and one record per transaction for comparison; (2) the per-inference monitoring cost (bind tensors, extract drift features, update window histograms, buffer + batch-append the inference record) relative to the model's median inference time.",
        options: [
            ("--model M", "Model for the per-inference cost (default models/mobilenet/model.onnx)."),
            ("--records N", "Records for the throughput run (default 200000)."),
            ("--batch B", "Records per transaction (default: 1000 and 5000)."),
            ("--iterations K", "Inferences timed; also the record batch committed at the end (default 1000)."),
            ("--dir DIR", "Directory for the temporary databases (default /tmp)."),
            ("--threads N", "Kernel threads (default 1)."),
        ],
        flags: [])

    static func main(_ args: [String]) throws(OutpostError) -> Int {
        let a = try parseArguments(args, spec)
        if a.wantsHelp { Console.out(spec.help); return 0 }
        let records = try a.int("--records", default: 200_000, min: 1)
        let batch = try a.int("--batch", default: 1000, min: 1)
        let iterations = try a.int("--iterations", default: 1000, min: 10)
        let dir = a.value("--dir") ?? "/tmp"
        let modelPath = a.value("--model") ?? "models/mobilenet/model.onnx"

        // 1. Throughput, per batch size (one transaction = one fsync per batch).
        var batches = [batch]
        if a.value("--batch") == nil { batches = [1000, 5000] }
        for b in batches {
            let path = TelemetryStore.temporaryPath(directory: dir, tag: "bench-telemetry")
            TelemetryStore.removeDatabase(path: path)
            defer { TelemetryStore.removeDatabase(path: path) }
            do {
                let store = try TelemetryStore(path: path, options: TelemetryOptions(budget: .unlimited))
                var buffer = [InferenceRecord]()
                buffer.reserveCapacity(b)
                let t0 = Clock.nowNanos()
                var written = 0
                while written < records {
                    buffer.removeAll(keepingCapacity: true)
                    for i in 0..<min(b, records - written) {
                        buffer.append(InferenceRecord(timeMs: 1_764_300_000_000 + Int64(written + i), model: "mobilenet", version: "1.4.2",
                                                      latencyMicros: 1900, status: 0, topClass: Int32((written + i) % 100), score: 0.83))
                    }
                    try store.append(buffer)
                    written += buffer.count
                }
                let seconds = Double(Clock.nowNanos() - t0) / 1e9
                let fileBytes = try store.fileBytes()
                store.close()
                Console.out("telemetry append, batches of \(b): \(records) records in \(Format.fixed(seconds, 3)) s = \(Int(Double(records) / seconds)) records/s (target ≥ 100000/s; database \(Format.bytes(Int(fileBytes))))")
            } catch {
                throw .io(path: path, reason: error.description)
            }
        }
        // One record per transaction (one fsync each), for comparison.
        do {
            let path = TelemetryStore.temporaryPath(directory: dir, tag: "bench-telemetry-single")
            TelemetryStore.removeDatabase(path: path)
            defer { TelemetryStore.removeDatabase(path: path) }
            let store = try TelemetryStore(path: path, options: TelemetryOptions(budget: .unlimited))
            let single = 300
            let t1 = Clock.nowNanos()
            for i in 0..<single {
                try store.append(InferenceRecord(timeMs: Int64(i), model: "mobilenet", version: "1.4.2", latencyMicros: 1900))
            }
            let singleSeconds = Double(Clock.nowNanos() - t1) / 1e9
            store.close()
            Console.out("telemetry append, 1 per transaction: \(Int(Double(single) / singleSeconds)) records/s (\(Format.fixed(singleSeconds * 1e6 / Double(single), 0)) µs per commit: the fsync of synchronous=FULL)")
        } catch {
            throw .io(path: dir, reason: error.description)
        }

        // 2. Monitoring cost per inference.
        let model = try ModelFile.load(modelPath)
        let session = try Session(model: model, options: SessionOptions(threads: try a.int("--threads", default: 1, min: 0)))
        let feeds = try InputFiles.random(for: session.inputs)
        let first = try session.run(feeds)
        var ins = [(name: String, shape: [Int])](), outs = [(name: String, shape: [Int])]()
        for (i, t) in feeds.enumerated() where t.dtype == .float32 { ins.append((session.inputs[i].name, t.shape)) }
        for (i, t) in first.enumerated() where t.dtype == .float32 { outs.append((session.outputs[i].name, t.shape)) }
        let specs = FeatureSpec.defaults(inputs: ins, outputs: outs)
        var builder = DriftBaselineBuilder(specs: specs)
        let x = FeatureExtractor(specs: specs)
        for _ in 0..<50 {
            try bindFeatures(x, feeds, first)
            x.extract(sample: 0)
            do { try builder.add(UnsafeBufferPointer(x.values)) } catch { throw .usage(error.description) }
        }
        let baseline: DriftBaseline
        do { baseline = try builder.build() } catch { throw .usage(error.description) }

        let costPath = TelemetryStore.temporaryPath(directory: dir, tag: "bench-monitor")
        TelemetryStore.removeDatabase(path: costPath)
        defer { TelemetryStore.removeDatabase(path: costPath) }
        let store: TelemetryStore
        do { store = try TelemetryStore(path: costPath) } catch { throw .io(path: costPath, reason: error.description) }
        // `outpost monitor`'s configuration (windows of 500, closed inside the
        // timed loop) except that the batch commit (records + windows, one
        // transaction with fsync) is held until after the loop, timed on its own
        // and amortised over the inferences: the monitor commits every 4096
        // records or 10 s, so a batch of `iterations` records is the dearer case.
        let recorder = try DriftRecorder(baseline: baseline, policy: .count(500), thresholds: DriftThresholds(), store: store,
                                         modelName: "mobilenet", modelVersion: "1.4.2", batchSize: iterations + 100,
                                         flushIntervalMs: Int64.max / 2)
        for _ in 0..<10 {
            let o = try session.run(feeds)
            _ = try recorder.record(inputs: feeds, outputs: o, latencyNanos: 1)
        }
        recorder.flushRecords()
        var inference = [Double](), monitoring = [Double]()
        inference.reserveCapacity(iterations)
        monitoring.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let t0 = Clock.nowNanos()
            let o = try session.run(feeds)
            let t1 = Clock.nowNanos()
            _ = try recorder.record(inputs: feeds, outputs: o, latencyNanos: t1 - t0)
            let t2 = Clock.nowNanos()
            inference.append(Double(t1 - t0) / 1e3)
            monitoring.append(Double(t2 - t1) / 1e3)
        }
        let t3 = Clock.nowNanos()
        _ = recorder.finish()  // closes the window (statistics + JSON) and commits records + window
        let commit = Double(Clock.nowNanos() - t3) / 1e3
        store.close()
        if recorder.telemetryFailures > 0 { Console.error("warning: telemetry failures: \(recorder.firstTelemetryError ?? "")") }
        inference = stableSorted(inference, by: <)
        monitoring = stableSorted(monitoring, by: <)
        let median = inference[iterations / 2]
        let perInference = monitoring[iterations / 2]
        let amortised = commit / Double(iterations)
        let total = perInference + amortised
        Console.out("model \(modelPath): median inference \(Format.fixed(median, 1)) µs over \(iterations) runs, \(specs.count) drift features")
        Console.out("monitoring per inference: \(Format.fixed(perInference, 2)) µs median (bind + extract features + histograms + buffer the record; p90 \(Format.fixed(monitoring[iterations * 9 / 10], 2)) µs)")
        Console.out("  + commit of \(iterations) records and \(recorder.windows) drift window(s) in one transaction: \(Format.fixed(commit / 1000, 2)) ms = \(Format.fixed(amortised, 2)) µs per inference")
        Console.out("  = \(Format.fixed(total, 2)) µs = \(Format.fixed(100 * total / median, 2))% of the median inference (target ≤ 2%)")
        return 0
    }
}
