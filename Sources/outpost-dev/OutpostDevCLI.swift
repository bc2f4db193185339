import OutpostCLICore
import OutpostRuntime

/// `outpost-dev`: the developer tools, kept out of the device binary `outpost`
/// (docs/size-budget.md): conformance runs, kernel and telemetry benchmarks,
/// signing keys, package building, drift baselines.
enum OutpostDevCLI {
    static let help = """
    OVERVIEW: Outpost developer tools (the device commands are in 'outpost').

    USAGE: outpost-dev <subcommand> [options]

    SUBCOMMANDS:
      conformance      Run ONNX backend test folders and report pass/fail/skip.
      bench-kernels    Measure the float and int8 GEMM and convolution kernels (per ISA).
      bench-telemetry  Measure telemetry store throughput and the monitoring cost per inference.
      keys             Generate Ed25519 package signing keys.
      package          Build signed model packages ('package build').
      make-baseline    Build a drift baseline (JSON) from reference inputs.
      version          Print the version.

      See 'outpost-dev <subcommand> --help' for details.
    """

    static func run(_ args: [String]) -> Int {
        CommandLineTool.dispatch(program: "outpost-dev", help: help, args) { (command, rest) throws(OutpostError) -> Int? in
            switch command {
            case "conformance": return try ConformanceCommand.main(rest)
            case "bench-kernels": return runKernelBench(rest)
            case "bench-telemetry": return try TelemetryBenchCommand.main(rest)
            case "keys": return try KeysCommand.main(rest)
            case "package": return try PackageBuildCommand.dispatch(rest)
            case "make-baseline": return try MakeBaselineCommand.main(rest)
            case "run", "bench", "inspect", "monitor":
                throw .usage("'\(command)' is a device command: use 'outpost \(command)'")
            default: return nil
            }
        }
    }
}
