import OutpostRuntime

/// The `outpost` command: dispatch to subcommands, errors on stderr, exit codes.
enum OutpostCLI {
    static let version = "0.1.0"

    static let help = """
    OVERVIEW: Outpost — run quantized and float ONNX models on edge devices.

    USAGE: outpost <subcommand> [options]

    SUBCOMMANDS:
      run            Run a model once on input files and write or print its outputs.
      bench          Measure load time, latency and peak memory of a model.
      inspect        Describe a model: inputs, outputs, operators, parameters, quantization.
      conformance    Run ONNX backend test folders and report pass/fail/skip.
      bench-kernels  Measure the float GEMM and convolution kernels (GFLOPS per ISA).
      keys           Generate Ed25519 package signing keys.
      package        Build, verify and inspect signed model packages.
      monitor        Stream inputs through a model and print per-window drift against a baseline.
      bench-telemetry  Measure telemetry store throughput and the monitoring cost per inference.
      version        Print the version.

      See 'outpost <subcommand> --help' for details.
    """

    static func run(_ args: [String]) -> Int {
        guard let command = args.first else {
            Console.error(help)
            return 2
        }
        let rest = Array(args.dropFirst())
        do {
            switch command {
            case "-h", "--help", "help":
                Console.out(help)
                return 0
            case "version", "--version":
                Console.out("outpost \(version)")
                return 0
            case "run": return try RunCommand.main(rest)
            case "bench": return try BenchCommand.main(rest)
            case "inspect": return try InspectCommand.main(rest)
            case "conformance": return try ConformanceCommand.main(rest)
            case "bench-kernels": return runKernelBench(rest)
            case "keys": return try KeysCommand.main(rest)
            case "package": return try PackageCommand.main(rest)
            case "monitor": return try MonitorCommand.main(rest)
            case "bench-telemetry": return try TelemetryBenchCommand.main(rest)
            default:
                Console.error("error: unknown subcommand '\(command)' (see 'outpost --help')")
                return 2
            }
        } catch {
            Console.error("error: \(error.description)")
            if case .usage = error { return 2 }
            return 1
        }
    }
}
