import ArgumentParser
import Foundation
import OutpostJSON

/// Trusted publisher keys: an upload is accepted only if signed by one of them.
public struct KeysCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Trusted publisher keys.", subcommands: [Add.self, List.self])
    public init() {}

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Trust a publisher key (a .pub file from `outpost keys generate`, or 64 hex digits).")
        @OptionGroup var connection: Connection
        @Option(help: "A name for the key (e.g. the team).") var name: String
        @Argument(help: "Public key file or hex.") var key: String

        func run() async throws {
            let text = FileManager.default.fileExists(atPath: key)
                ? try String(contentsOfFile: key, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) : key
            let r = try await connection.client().call("POST", "/v1/publisher-keys", json: .object([("name", .string(name)), ("public_key", .string(text))]))
            if connection.json { return Output.json(r) }
            Output.line("trusted key \(Fmt.str(r["key_id"])) (\(Fmt.str(r["name"])))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Trusted publisher keys.")
        @OptionGroup var connection: Connection
        func run() async throws {
            let r = try await connection.client().call("GET", "/v1/publisher-keys")
            if connection.json { return Output.json(r) }
            Output.table(["KEY ID", "NAME", "ADDED"], (r["keys"]?.arrayValue ?? []).map { [Fmt.str($0["key_id"]), Fmt.str($0["name"]), Fmt.time($0["added_at"])] })
        }
    }
}

public struct AuditCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "audit", abstract: "The audit log, newest first (who, what, why).")
    @OptionGroup var connection: Connection
    @Option(help: "Entries to show (1 ... 1000).") var limit = 50
    public init() {}

    public func run() async throws {
        let r = try await connection.client().call("GET", "/v1/audit?limit=\(limit)")
        if connection.json { return Output.json(r) }
        Output.table(["TIME", "ACTOR", "ACTION", "SUBJECT", "DETAIL"], (r["entries"]?.arrayValue ?? []).map {
            [Fmt.time($0["time"]), Fmt.str($0["actor"]), Fmt.str($0["action"]), Fmt.str($0["subject"]), Fmt.str($0["detail"])]
        })
    }
}

public struct AlertsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "alerts", abstract: "Open alerts: gate breaches, paused or rolled-back rollouts, failing or silent devices, drift above threshold.")
    @OptionGroup var connection: Connection
    public init() {}

    public func run() async throws {
        let r = try await connection.client().call("GET", "/v1/alerts")
        if connection.json { return Output.json(r) }
        Output.table(["SEVERITY", "KIND", "SUBJECT", "SINCE", "MESSAGE"], (r["alerts"]?.arrayValue ?? []).map {
            [Fmt.str($0["severity"]), Fmt.str($0["kind"]), Fmt.str($0["subject"]), Fmt.time($0["since"]), Fmt.str($0["message"])]
        })
    }
}

/// The admin subcommands, for the executable's root command and for tests.
public enum AdminCLI {
    public static let commands: [any ParsableCommand.Type] = [
        ModelsCommand.self, RolloutsCommand.self, DevicesCommand.self, TokensCommand.self, KeysCommand.self,
        AlertsCommand.self, AuditCommand.self,
    ]

    struct Root: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "outpost-fleet", subcommands: AdminCLI.commands)
    }

    /// Runs one admin command line in-process the way the executable does:
    /// output captured, errors as ArgumentParser would print them, the exit code.
    public static func run(_ arguments: [String]) async -> (status: Int32, output: String, error: String) {
        let buffer = OutputBuffer()
        do {
            var command = try Root.parseAsRoot(arguments)
            try await Output.$capture.withValue(buffer) {
                if var c = command as? AsyncParsableCommand { try await c.run() } else { try command.run() }
            }
            return (0, buffer.text, "")
        } catch {
            return (Root.exitCode(for: error).rawValue, buffer.text, Root.fullMessage(for: error))
        }
    }
}
