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
