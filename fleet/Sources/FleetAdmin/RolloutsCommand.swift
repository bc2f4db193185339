import ArgumentParser
import Foundation
import OutpostJSON

public struct RolloutsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rollouts", abstract: "Create staged rollouts, watch their gates, and steer them.",
        subcommands: [Create.self, List.self, Status.self,
                      Action<Promote>.self, Action<Pause>.self, Action<Resume>.self, Action<Abort>.self,
                      Action<Rollback>.self, Action<Evaluate>.self])
    public init() {}

    static let gateNames = ["min_devices", "max_activation_failure_rate", "max_error_rate", "max_latency_ratio",
                            "min_shadow_agreement", "max_psi", "min_drift_samples"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a staged rollout of a registered model version.")
        @OptionGroup var connection: Connection
        @Option(help: "Model name.") var model: String
        @Option(help: "Version to roll out (must be in the registry).") var version: String
        @Option(help: "Device label the rollout targets, key=value (repeatable; all must match).") var selector: [String] = []
        @Option(help: "Stage percentages, comma-separated, ending at 100.") var stages = "1,10,50,100"
        @Option(help: "Minimum soak time per stage, seconds.") var soakSeconds = 3600
        @Option(help: "active or shadow.") var mode = "active"
        @Option(help: "On a gate breach: pause or rollback.") var onBreach = "pause"
        @Option(help: "Gate setting name=value (repeatable; 'off' disables a gate): \(RolloutsCommand.gateNames.joined(separator: ", ")).")
        var gate: [String] = []

        func validate() throws {
            for s in stages.split(separator: ",") where Int(s.trimmingCharacters(in: .whitespaces)) == nil {
                throw ValidationError("--stages expects comma-separated whole percentages such as 1,10,50,100, got '\(stages)'")
            }
            guard ["active", "shadow"].contains(mode) else { throw ValidationError("--mode must be active or shadow, got '\(mode)'") }
            guard ["pause", "rollback"].contains(onBreach) else { throw ValidationError("--on-breach must be pause or rollback, got '\(onBreach)'") }
            for (k, v) in try parsePairs(gate, option: "--gate") {
                guard RolloutsCommand.gateNames.contains(k) else {
                    throw ValidationError("unknown gate '\(k)'; known: \(RolloutsCommand.gateNames.joined(separator: ", "))")
                }
                guard v == "off" || Double(v) != nil else { throw ValidationError("--gate \(k) expects a number or 'off', got '\(v)'") }
            }
        }

        func run() async throws {
            let client = try connection.client()
            var gates = [(String, JSONValue)]()
            for (k, v) in try parsePairs(gate, option: "--gate") { gates.append((k, v == "off" ? .null : .number(Double(v)!))) }
            let body = JSONValue.object([
                ("model", .string(model)), ("version", .string(version)),
                ("selector", .object(try parsePairs(selector, option: "--selector").map { ($0.0, JSONValue.string($0.1)) })),
                ("stages", .array(stages.split(separator: ",").map { .number(Double(Int($0.trimmingCharacters(in: .whitespaces))!)) })),
                ("soak_seconds", .number(Double(soakSeconds))), ("mode", .string(mode)), ("on_breach", .string(onBreach)),
                ("gates", .object(gates)),
            ])
            let r = try await client.call("POST", "/v1/rollouts", json: body)
            if connection.json { return Output.json(r) }
            Output.line("created rollout \(Fmt.str(r["id"]))")
            RolloutsCommand.printStatus(r)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "All rollouts, newest first.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let r = try await connection.client().call("GET", "/v1/rollouts")
            if connection.json { return Output.json(r) }
            Output.table(["ID", "MODEL", "VERSION", "STATE", "STAGE", "REPORTING", "REASON"], (r["rollouts"]?.arrayValue ?? []).map { x in
                let g = x["gate_values"]
                return [Fmt.str(x["id"]), Fmt.str(x["model"]), Fmt.str(x["version"]), Fmt.str(x["state"]), RolloutsCommand.stage(x),
                        "\(Fmt.str(g?["reporting_devices"]))/\(Fmt.str(g?["cohort_devices"]))", Fmt.str(x["reason"])]
            })
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One rollout: stage progress and the measured gate values.")
        @OptionGroup var connection: Connection
        @Argument(help: "Rollout id (r-…).") var id: String

        func run() async throws {
            let r = try await connection.client().call("GET", "/v1/rollouts/" + segment(id))
            if connection.json { return Output.json(r) }
            RolloutsCommand.printStatus(r)
        }
    }

    static func stage(_ r: JSONValue) -> String {
        let stages = r["stages"]?.arrayValue ?? []
        let i = r["stage_index"]?.intValue ?? 0
        guard i < stages.count else { return "-" }
        return "\(i + 1)/\(stages.count) (\(Fmt.str(stages[i]))%)"
    }

    static func printStatus(_ r: JSONValue) {
        let g = r["gate_values"], gates = r["gates"]
        Output.line("rollout \(Fmt.str(r["id"])): \(Fmt.str(r["model"])) \(Fmt.str(r["version"])), state \(Fmt.str(r["state"])), stage \(stage(r)) of \((r["stages"]?.arrayValue ?? []).map { Fmt.str($0) + "%" }.joined(separator: " → "))")
        Output.line("  selector \(Fmt.labels(r["selector"])), mode \(Fmt.str(r["mode"])), on breach \(Fmt.str(r["on_breach"])), soak \(Fmt.str(r["soak_seconds"])) s, stage started \(Fmt.time(r["stage_started_at"]))")
        Output.line("  reason: \(Fmt.str(r["reason"]))")
        Output.line("  devices: \(Fmt.str(g?["reporting_devices"])) of \(Fmt.str(g?["cohort_devices"])) in this stage reporting (gates need \(Fmt.str(gates?["min_devices"])))")
        let attempts = (g?["activated"]?.intValue ?? 0) + (g?["activation_failures"]?.intValue ?? 0)
        Output.line("  activation failures \(Fmt.str(g?["activation_failures"])) of \(attempts) (max \(Fmt.percent(gates?["max_activation_failure_rate"])))")
        Output.line("  inference errors \(Fmt.str(g?["errors"])) of \(Fmt.str(g?["records"])) records (max \(Fmt.percent(gates?["max_error_rate"])))")
        Output.line("  p95 latency \(Fmt.str(g?["p95_latency_us"])) us, previous version \(Fmt.str(g?["previous_p95_latency_us"])) us (max ratio \(Fmt.str(gates?["max_latency_ratio"])))")
        if Fmt.str(r["mode"]) == "shadow" {
            Output.line("  shadow agreement \(Fmt.str(g?["shadow_agreed"])) of \(Fmt.str(g?["shadow_records"])) (min \(Fmt.percent(gates?["min_shadow_agreement"])))")
        }
        let at = Fmt.str(g?["max_psi_at"])
        Output.line("  drift max PSI \(Fmt.str(g?["max_psi"]))\(at.isEmpty ? "" : " at " + at) (max \(Fmt.str(gates?["max_psi"])))")
        let breaches = (g?["breaches"]?.arrayValue ?? []).map { Fmt.str($0) }
        Output.line("  breaches: \(breaches.isEmpty ? "none" : breaches.joined(separator: "; "))")
    }
}

/// The manual transitions share one shape: `rollouts <action> ID [--reason R]`.
protocol RolloutActionName { static var name: String { get }; static var help: String { get } }
enum Promote: RolloutActionName { static let name = "promote", help = "Advance to the next stage now." }
enum Pause: RolloutActionName { static let name = "pause", help = "Pause: no further stages until resumed." }
enum Resume: RolloutActionName { static let name = "resume", help = "Resume a paused rollout." }
enum Abort: RolloutActionName { static let name = "abort", help = "Stop the rollout; devices keep what they run." }
enum Rollback: RolloutActionName { static let name = "rollback", help = "Assign the previous version to every device of the rollout." }
enum Evaluate: RolloutActionName { static let name = "evaluate", help = "Measure the gates now (pause/roll back on a breach, advance after the soak time)." }

struct Action<A: RolloutActionName>: AsyncParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: A.name, abstract: A.help) }
    @OptionGroup var connection: Connection
    @Argument(help: "Rollout id (r-…).") var id: String
    @Option(help: "Why (goes to the audit log).") var reason: String?

    func run() async throws {
        let body: JSONValue? = reason.map { .object([("reason", .string($0))]) }
        let r = try await connection.client().call("POST", "/v1/rollouts/\(segment(id))/\(A.name)", json: body)
        if connection.json { return Output.json(r) }
        RolloutsCommand.printStatus(r)
    }
}
