import OutpostCLICore
import OutpostRuntime

/// The `outpost` command, what a device runs: dispatch to subcommands, errors on
/// stderr, exit codes. Developer tools (conformance, kernel and telemetry
/// benchmarks, package building and signing, baselines) are `outpost-dev`
/// (docs/size-budget.md: they kept the device binary over its 1 MB budget).
enum OutpostCLI {
    static let help = """
    OVERVIEW: Outpost — run quantized and float ONNX models on edge devices.

    USAGE: outpost <subcommand> [options]

    SUBCOMMANDS:
      run            Run a model once on input files and write or print its outputs.
      bench          Measure load time, latency and peak memory of a model.
      inspect        Describe a model: inputs, outputs, operators, parameters, quantization.
      package        Verify and inspect signed model packages.
      monitor        Stream inputs through a model and print per-window drift against a baseline.
      version        Print the version.

      See 'outpost <subcommand> --help' for details. Developer tools (conformance,
      bench-kernels, bench-telemetry, keys, package build, make-baseline) are in
      'outpost-dev'.
    """

    static func run(_ args: [String]) -> Int {
        CommandLineTool.dispatch(program: "outpost", help: help, args) { (command, rest) throws(OutpostError) -> Int? in
            switch command {
            case "run": return try RunCommand.main(rest)
            case "bench": return try BenchCommand.main(rest)
            case "inspect": return try InspectCommand.main(rest)
            case "package": return try PackageCommand.main(rest)
            case "monitor": return try MonitorCommand.main(rest)
            case "conformance", "bench-kernels", "bench-telemetry", "keys", "make-baseline":
                throw .usage(String(outlined: "'\(command)' is a developer tool: use 'outpost-dev \(command)'"))
            default: return nil
            }
        }
    }
}
