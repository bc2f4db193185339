import ArgumentParser
import Foundation
import OutpostJSON

public struct DevicesCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "Enrolled devices: labels, last seen, running versions, health.",
        subcommands: [List.self, Show.self, Revoke.self])
    public init() {}

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "All devices.")
        @OptionGroup var connection: Connection
        @Option(help: "Only devices with this label, key=value (repeatable).") var label: [String] = []

        func run() async throws {
            let want = try parsePairs(label, option: "--label")
            let r = try await connection.client().call("GET", "/v1/devices")
            let devices = (r["devices"]?.arrayValue ?? []).filter { d in want.allSatisfy { d["labels"]?[$0.0]?.stringValue == $0.1 } }
            if connection.json { return Output.json(.object([("devices", .array(devices))])) }
            Output.table(["ID", "LABELS", "HEALTH", "LAST SEEN", "AGENT", "RUNNING", "PENDING", "REVOKED"], devices.map { d in
                [Fmt.str(d["id"]), Fmt.labels(d["labels"]), Fmt.str(d["health"]), Fmt.time(d["last_seen"]), Fmt.str(d["agent_version"]),
                 DevicesCommand.running(d), Fmt.str(d["buffer"]?["pending_records"]), Fmt.str(d["revoked"])]
            })
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One device with its desired assignments.")
        @OptionGroup var connection: Connection
        @Argument(help: "Device id.") var id: String

        func run() async throws {
            let client = try connection.client()
            let d = try await client.call("GET", "/v1/devices/" + segment(id))
            let a = try await client.call("GET", "/v1/devices/\(segment(id))/assignments")
            if connection.json { return Output.json(.object([("device", d), ("assignments", a["assignments"] ?? .array([]))])) }
            Output.line("device \(Fmt.str(d["id"])) (hardware \(Fmt.str(d["hardware_id"]))), labels \(Fmt.labels(d["labels"]))")
            Output.line("  health \(Fmt.str(d["health"]))\(d["health_message"]?.stringValue.map { ": " + $0 } ?? ""), last seen \(Fmt.time(d["last_seen"])), agent \(Fmt.str(d["agent_version"]))")
            Output.line("  running \(DevicesCommand.running(d)); buffer \(Fmt.str(d["buffer"]?["pending_records"])) pending, \(Fmt.str(d["buffer"]?["evicted_records"])) evicted")
            for x in a["assignments"]?.arrayValue ?? [] {
                Output.line("  assigned \(Fmt.str(x["model"])) \(Fmt.str(x["version"])) \(Fmt.str(x["mode"])) \(Fmt.str(x["digest"]))\(x["rollout_id"].map { " (rollout \(Fmt.str($0)))" } ?? "")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a device's credential.")
        @OptionGroup var connection: Connection
        @Argument(help: "Device id.") var id: String

        func run() async throws {
            _ = try await connection.client().call("DELETE", "/v1/devices/" + segment(id))
            if connection.json { return Output.json(.object([("revoked", .string(id))])) }
            Output.line("revoked device \(id)")
        }
    }

    static func running(_ d: JSONValue) -> String {
        let r = (d["running"]?.arrayValue ?? []).map { "\(Fmt.str($0["model"]))@\(Fmt.str($0["version"]))" + ($0["mode"]?.stringValue == "shadow" ? "(shadow)" : "") }
        return r.isEmpty ? "-" : r.joined(separator: ",")
    }
}
