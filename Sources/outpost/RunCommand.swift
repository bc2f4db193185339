import OutpostCLICore
import OutpostONNX
import OutpostRuntime

/// `outpost run`: one inference, inputs from files, outputs to files or the terminal.
enum RunCommand {
    static let spec = CommandSpec(
        name: "outpost run",
        usage: "outpost run MODEL|PKG [--input-dir DIR] [--input NAME=FILE ...] [--output-dir DIR] [--threads N]",
        summary: "Run a model once. Inputs come from DIR/input_<i>.pb (ONNX test-data layout, graph-input order) and/or --input NAME=FILE.npy|.pb; outputs go to DIR/output_<j>.pb (graph-output order) or are summarised on stdout.",
        options: [
            ("--input-dir DIR", "Directory with input_0.pb, input_1.pb, … (ONNX TensorProto files)."),
            ("--input NAME=FILE", "Feed input NAME from a .npy or .pb file (repeatable)."),
            ("--output-dir DIR", "Write output_<j>.pb files here (created if missing)."),
            ("--threads N", "Kernel threads (default: the CPUs available)."),
            ModelFile.trustedKeyOption,
        ],
        flags: [
            ("--trace", "Print the time spent in each operator."),
        ])

    static func main(_ args: [String]) throws(OutpostError) -> Int {
        let a = try parseArguments(args, spec)
        if a.wantsHelp { Console.out(spec.help); return 0 }
        guard a.positionals.count == 1 else { throw .usage("expected exactly one MODEL argument (see 'outpost run --help')") }
        let threads = try a.int("--threads", default: 0, min: 0)
        let model = try ModelFile.load(a.positionals[0], trustedKeys: a.all("--trusted-key"))
        let session = try Session(model: model, options: SessionOptions(threads: threads, profile: a.has("--trace")))
        let feeds: [Tensor]
        if a.value("--input-dir") == nil && a.all("--input").isEmpty {
            throw .usage("give the inputs with --input-dir DIR or --input NAME=FILE (see 'outpost run --help')")
        }
        feeds = try InputFiles.load(inputs: session.inputs, inputDir: a.value("--input-dir"), named: a.all("--input"))
        let outputs = try session.run(feeds)
        if let dir = a.value("--output-dir") {
            try FileSystem.makeDirectories(dir)
            for (j, t) in outputs.enumerated() {
                try TensorProtoFile.write(t, name: session.outputs[j].name, path: FileSystem.join(dir, String(outlined: "output_\(j).pb")))
            }
            Console.out("wrote \(outputs.count) output(s) to \(dir)")
        } else {
            let labels = ModelFile.labels(besides: a.positionals[0])
            for (j, t) in outputs.enumerated() {
                Console.out(OutputSummary.describe(name: session.outputs[j].name, tensor: t, labels: labels))
            }
        }
        if a.has("--trace") { ProfileReport.print(session) }
        return 0
    }
}

/// One-line human summaries of output tensors.
enum OutputSummary {
    /// `labels` name the classes of a score vector (labels.txt beside the model).
    static func describe(name: String, tensor t: Tensor, labels: [String] = []) -> String {
        var s = String(outlined: "\(name): \(t.typeDescription)")
        let n = t.count
        if n == 0 { return s }
        // A class-score vector: show the top entries.
        let classes = t.shape.last ?? n
        if t.dtype == .float32 && n == classes && n > 1 {
            var best = [(Int, Float)]()
            for i in 0..<n {
                let v = t.floats[i]
                best.append((i, v))
            }
            best = stableSorted(best) { $0.1 > $1.1 }
            s += "  top:"
            for (k, (i, v)) in best.prefix(5).enumerated() {
                let label = i < labels.count ? labels[i] : String(outlined: "#\(i)")
                s += (k == 0 ? " " : ", ") + "\(label)=\(Format.significant(Double(v), 4))"
            }
            return s
        }
        s += "  values:"
        for i in 0..<min(n, 8) { s += " " + Format.significant(Double(t.float(at: i)), 5) }
        if n > 8 { s += " …" }
        return s
    }
}

/// Per-operator timing table (`--trace`, `bench --profile`): time per operator
/// type (sorted, with node count and % of the total) and per node (slowest first,
/// with % of the total), per run.
enum ProfileReport {
    static func key(_ opType: String, _ domain: String) -> String {
        domain.isEmpty ? opType : String(outlined: "\(domain == "com.microsoft" ? "ms" : domain)::\(opType)")
    }

    static func rows(_ session: Session) -> [(opType: String, domain: String, node: String, nanoseconds: UInt64)] {
        var domains = [String: String]()
        for n in session.graph.nodes where !n.domain.isEmpty { domains[n.displayName] = n.domain }
        return session.profile.map { (opType: $0.opType, domain: domains[$0.node] ?? "", node: $0.node, nanoseconds: $0.nanoseconds) }
    }

    /// Total nanoseconds per operator type (with node counts), slowest first.
    static func byType(_ session: Session) -> [(op: String, count: Int, nanoseconds: UInt64)] {
        // Totals in first-seen order, found through a [String: Int] index (not a
        // dictionary specialisation of their own); equal totals keep that order.
        var index = [String: Int]()
        var totals = [(op: String, count: Int, nanoseconds: UInt64)]()
        for r in rows(session) {
            let k = key(r.opType, r.domain)
            if let i = index[k] {
                totals[i].count += 1
                totals[i].nanoseconds &+= r.nanoseconds
            } else {
                index[k] = totals.count
                totals.append((op: k, count: 1, nanoseconds: r.nanoseconds))
            }
        }
        return stableSorted(totals, by: { $0.nanoseconds > $1.nanoseconds })
    }

    static func print(_ session: Session, runs: Int = 1, nodes limit: Int = 25) {
        let rows = rows(session)
        var total: UInt64 = 0
        for r in rows { total &+= r.nanoseconds }
        let perRun = 1e6 * Double(max(runs, 1))
        Console.out("time per operator type (mean of \(runs) run(s), total \(Format.fixed(Double(total) / perRun, 4)) ms):")
        for v in byType(session) {
            let pct = total > 0 ? Double(v.nanoseconds) * 100 / Double(total) : 0
            Console.out("  " + Format.pad(v.op, 30) + Format.pad("\(v.count)x", 6, right: true)
                        + Format.pad(Format.fixed(Double(v.nanoseconds) / perRun, 4), 10, right: true) + " ms "
                        + Format.pad(Format.fixed(pct, 1), 6, right: true) + "%")
        }
        let shown = min(limit, rows.count)
        Console.out("time per node (slowest \(shown) of \(rows.count)):")
        for r in stableSorted(rows, by: { $0.nanoseconds > $1.nanoseconds }).prefix(shown) {
            let pct = total > 0 ? Double(r.nanoseconds) * 100 / Double(total) : 0
            Console.out("  " + Format.pad(key(r.opType, r.domain), 30)
                        + Format.pad(Format.fixed(Double(r.nanoseconds) / perRun, 4), 10, right: true) + " ms "
                        + Format.pad(Format.fixed(pct, 1), 6, right: true) + "%  " + r.node)
        }
    }
}
