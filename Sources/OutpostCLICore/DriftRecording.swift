import COutpostSystem
import OutpostDrift
import OutpostRuntime
import OutpostTelemetry

/// Hands a run's float32 inputs and outputs to the drift feature extractor.
package func bindFeatures(_ x: FeatureExtractor, _ inputs: [Tensor], _ outputs: [Tensor]) throws(OutpostError) {
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

/// What one inference costs the monitoring side: bind tensors, extract features
/// per sample, update the window histograms, buffer the inference record (the
/// store is written in batches), and store each closed window.
package final class DriftRecorder {
    package let extractor: FeatureExtractor
    package let monitor: DriftMonitor
    package let store: TelemetryStore?
    package let modelName: String
    package let modelVersion: String
    /// Inference records are appended in batches of this many (one transaction),
    /// or when the oldest buffered one is `flushIntervalMs` old.
    package let batchSize: Int
    package let flushIntervalMs: Int64
    private var firstPendingTime: Int64 = Int64.max
    private var pending: [InferenceRecord] = []
    private var pendingWindows: [DriftWindowRecord] = []
    private var pendingSamples: [SampledInput] = []
    package private(set) var samples = 0
    package private(set) var windows = 0
    package private(set) var telemetryFailures = 0
    package private(set) var firstTelemetryError: String?

    package init(baseline: DriftBaseline, policy: WindowPolicy, thresholds: DriftThresholds, store: TelemetryStore?,
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
    package func record(inputs: [Tensor], outputs: [Tensor], latencyNanos: UInt64) throws(OutpostError) -> [DriftWindowReport] {
        try bindFeatures(extractor, inputs, outputs)
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
                                                       descriptor: String(outlined: "\(input.dtype.name)\(shape: shape)"), payload: [UInt8](bytes)))
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
    package func poll() -> DriftWindowReport? {
        let now = op_unix_time_s() * 1000
        guard let r = monitor.poll(now: now) else { return nil }
        windows += 1
        pendingWindows.append(DriftWindowRecord(timeMs: now, model: modelName, version: modelVersion, verdict: r.verdict.name, report: r.json()))
        flushRecords()
        return r
    }

    /// Flushes buffered records and returns the partial last window, if any.
    package func finish() -> DriftWindowReport? {
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
    package func flushRecords() {
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
package enum InputStream {
    package static func collect(_ dirs: [String], inputs: [ValueInfo]) throws(OutpostError) -> [[Tensor]] {
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
                        throw .inputMismatch(String(outlined: "\(p): loose tensor files are only for single-input models (this one has \(inputs.count)); use input_<i>.pb sets"))
                    }
                    out.append([try InputFiles.readTensorFile(p)])
                }
            }
        }
        return out
    }
}
