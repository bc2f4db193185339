import COutpostSystem
import OutpostCLICore
import OutpostJSON
import OutpostRuntime

/// `outpost bench`: load time, latency distribution and peak memory of a model.
enum BenchCommand {
    static let spec = CommandSpec(
        name: "outpost bench",
        usage: "outpost bench MODEL|PKG [--input-dir DIR] [--threads N] [--warmup W] [--iterations K] [--json] [--profile]",
        summary: "Measure a model: load time (parse + optimise + plan), latency over K timed runs after W warm-up runs, and peak RSS. Without inputs, random ones of the declared shapes are used (symbolic dimensions = 1).",
        options: [
            ("--input-dir DIR", "Directory with input_<i>.pb files."),
            ("--input NAME=FILE", "Feed input NAME from a .npy or .pb file (repeatable)."),
            ("--threads N", "Kernel threads (default: the CPUs available)."),
            ModelFile.trustedKeyOption,
            ("--warmup W", "Untimed runs first (default 5)."),
            ("--iterations K", "Timed runs (default 50)."),
        ],
        flags: [
            ("--json", "Print one JSON object (load_ms, median_ms, p90_ms, min_ms, mean_ms, max_ms, peak_rss_kb, …)."),
            ("--profile", "Also print the time per operator type (sorted, node count, % of total) and per node (slowest 25); with --json, a \"profile\" array per operator type."),
        ])

    static func main(_ args: [String]) throws(OutpostError) -> Int {
        let a = try parseArguments(args, spec)
        if a.wantsHelp { Console.out(spec.help); return 0 }
        guard a.positionals.count == 1 else { throw .usage("expected exactly one MODEL argument (see 'outpost bench --help')") }
        let threads = try a.int("--threads", default: 0, min: 0)
        let warmup = try a.int("--warmup", default: 5, min: 0)
        let iterations = try a.int("--iterations", default: 50, min: 1)
        let path = a.positionals[0]

        let t0 = Clock.nowNanos()
        let model = try ModelFile.load(path, trustedKeys: a.all("--trusted-key"))
        let session = try Session(model: model, options: SessionOptions(threads: threads, profile: a.has("--profile")))
        let loadMs = Clock.millis(since: t0)

        let feeds: [Tensor]
        if a.value("--input-dir") != nil || !a.all("--input").isEmpty {
            feeds = try InputFiles.load(inputs: session.inputs, inputDir: a.value("--input-dir"), named: a.all("--input"))
        } else {
            feeds = try InputFiles.random(for: session.inputs)
        }
        for _ in 0..<warmup { _ = try session.run(feeds) }
        session.resetProfile()
        var times = [Double]()
        times.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let s = Clock.nowNanos()
            _ = try session.run(feeds)
            times.append(Clock.millis(since: s))
        }
        times = stableSorted(times, by: <)
        var sum = 0.0
        for t in times { sum += t }
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        let p90 = times[min(times.count - 1, Int((Double(times.count) * 0.9).rounded(.up)) - 1)]
        let rss = Int(op_peak_rss_kb())

        if a.has("--json") {
            var w = JSONWriter()
            w.beginObject()
            w.field("model", path)
            w.field("threads", session.threads)
            w.field("warmup", warmup)
            w.field("iterations", iterations)
            w.field("load_ms", round3(loadMs))
            w.field("median_ms", round4(median))
            w.field("p90_ms", round4(p90))
            w.field("min_ms", round4(times[0]))
            w.field("max_ms", round4(times[times.count - 1]))
            w.field("mean_ms", round4(sum / Double(times.count)))
            w.field("peak_rss_kb", rss)
            if let plan = session.planSummary {
                w.field("steps", plan.steps)
                w.field("arena_bytes", plan.arenaBytes)
            }
            if a.has("--profile") {
                // Per operator type: nodes, mean ms per run (slowest first).
                w.key("profile")
                w.beginArray()
                for t in ProfileReport.byType(session) {
                    w.beginObject()
                    w.field("op", t.op)
                    w.field("count", t.count)
                    w.field("ms", round4(Double(t.nanoseconds) / 1e6 / Double(iterations)))
                    w.endObject()
                }
                w.endArray()
            }
            w.endObject()
            Console.out(w.output)
        } else {
            Console.out("model       \(path)")
            Console.out("threads     \(session.threads)")
            Console.out("load        \(Format.fixed(loadMs, 2)) ms")
            Console.out("latency     median \(Format.fixed(median, 4)) ms, p90 \(Format.fixed(p90, 4)) ms, min \(Format.fixed(times[0], 4)) ms, mean \(Format.fixed(sum / Double(times.count), 4)) ms (\(iterations) runs after \(warmup) warm-up)")
            Console.out("peak RSS    \(rss) KiB")
            if let plan = session.planSummary {
                Console.out("plan        \(plan.steps) steps, arena \(Format.bytes(plan.arenaBytes)) (\(Format.bytes(plan.unsharedBytes)) without reuse)")
            }
        }
        if a.has("--profile") && !a.has("--json") { ProfileReport.print(session, runs: iterations) }
        return 0
    }

    private static func round3(_ d: Double) -> Double { (d * 1000).rounded() / 1000 }
    /// Latencies to 0.1 us: the small fixtures run in 2-40 us, where 1 us steps hid
    /// differences of 10-25 %.
    private static func round4(_ d: Double) -> Double { (d * 10000).rounded() / 10000 }
}
