import COutpostSystem
import OutpostRuntime

/// What the `outpost` and `outpost-dev` entry points share: the command line, and
/// the error convention (message on stderr; exit 2 for usage errors, 1 otherwise).
package enum CommandLineTool {
    /// The version both programs print (`outpost version`, `outpost-dev version`).
    package static let version = "0.1.0"

    /// The arguments after the program name.
    package static func arguments() -> [String] {
        var arguments = [String]()
        var i: Int32 = 1
        while i < op_argc() {
            arguments.append(String(cString: op_argv(i)))
            i += 1
        }
        return arguments
    }

    /// The top level both programs share: no subcommand prints the help to stderr
    /// (exit 2); `help`/`--help` and `version` are answered here; any other name goes
    /// to `subcommand`, which returns nil for names it does not know (a usage error
    /// naming the program's --help).
    package static func dispatch(program: String, help: String, _ args: [String],
                                 _ subcommand: (String, [String]) throws(OutpostError) -> Int?) -> Int {
        guard let command = args.first else {
            Console.error(help)
            return 2
        }
        let rest = Array(args.dropFirst())
        return exitCode { () throws(OutpostError) -> Int in
            switch command {
            case "-h", "--help", "help":
                Console.out(help)
                return 0
            case "version", "--version":
                Console.out(program + " " + version)
                return 0
            default:
                if let code = try subcommand(command, rest) { return code }
                throw .usage(String(outlined: "unknown subcommand '\(command)' (see '\(program) --help')"))
            }
        }
    }

    /// Runs a command; a thrown error is printed as `error: …` on stderr.
    package static func exitCode(_ command: () throws(OutpostError) -> Int) -> Int {
        do {
            return try command()
        } catch {
            Console.error("error: \(error.description)")
            if case .usage = error { return 2 }
            return 1
        }
    }
}
