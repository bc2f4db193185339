import ArgumentParser
import Foundation
import OutpostJSON

/// Enrollment tokens (for devices) and admin tokens (for this CLI and the API).
public struct TokensCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Create and revoke enrollment and admin tokens (a token is shown once).",
        subcommands: [Create.self, Revoke.self])
    public init() {}

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token.", subcommands: [Enrollment.self, Admin.self])
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id.", subcommands: [RevokeEnrollment.self, RevokeAdmin.self])
    }

    struct Enrollment: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "enrollment", abstract: "A token devices exchange for their credential; its labels become theirs.")
        @OptionGroup var connection: Connection
        @Option(help: "Label given to devices enrolled with it, key=value (repeatable).") var label: [String] = []
        @Option(help: "How many devices may enroll with it.") var maxUses = 1
        @Option(help: "Seconds until it expires (60 ... 31536000).") var expiresIn = 86400

        func run() async throws {
            let labels = try parsePairs(label, option: "--label").map { ($0.0, JSONValue.string($0.1)) }
            let r = try await connection.client().call("POST", "/v1/enrollment-tokens", json: .object([
                ("labels", .object(labels)), ("max_uses", .number(Double(maxUses))), ("expires_in_seconds", .number(Double(expiresIn))),
            ]))
            if connection.json { return Output.json(r) }
            Output.line(Fmt.str(r["token"]))
            Output.line("  id \(Fmt.str(r["id"])), labels \(Fmt.labels(r["labels"])), \(Fmt.str(r["max_uses"])) use(s), expires \(Fmt.time(r["expires_at"])) UTC")
        }
    }

    struct Admin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "admin", abstract: "A named admin token (for people and scripts).")
        @OptionGroup var connection: Connection
        @Option(help: "Who or what will use it (goes to the audit log).") var name: String

        func run() async throws {
            let r = try await connection.client().call("POST", "/v1/admin-tokens", json: .object([("name", .string(name))]))
            if connection.json { return Output.json(r) }
            Output.line(Fmt.str(r["token"]))
            Output.line("  id \(Fmt.str(r["id"])), name \(Fmt.str(r["name"]))")
        }
    }

    struct RevokeEnrollment: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "enrollment", abstract: "Revoke an enrollment token.")
        @OptionGroup var connection: Connection
        @Argument(help: "Token id (the part after ope_).") var id: String
        func run() async throws {
            _ = try await connection.client().call("DELETE", "/v1/enrollment-tokens/" + segment(id))
            if connection.json { return Output.json(.object([("revoked", .string(id))])) }
            Output.line("revoked enrollment token \(id)")
        }
    }

    struct RevokeAdmin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "admin", abstract: "Revoke an admin token.")
        @OptionGroup var connection: Connection
        @Argument(help: "Token id (the part after opa_).") var id: String
        func run() async throws {
            _ = try await connection.client().call("DELETE", "/v1/admin-tokens/" + segment(id))
            if connection.json { return Output.json(.object([("revoked", .string(id))])) }
            Output.line("revoked admin token \(id)")
        }
    }
}
