import ArgumentParser
import FleetAdmin
import FleetCore
import Foundation
import Logging

@main
struct OutpostFleet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outpost-fleet",
        abstract: "The Outpost fleet manager: model registry, enrollment, device sync, staged rollouts, dashboard.",
        discussion: """
            `serve` runs the server; the other subcommands are admin clients of its HTTP API. They take \
            --server URL (or $OUTPOST_FLEET_SERVER), the admin token from --token, $OUTPOST_FLEET_TOKEN \
            or DATA/admin-token (--data DIR, default ./fleet-data), and --json for scripts.
            """,
        subcommands: ([Serve.self, Load.self] as [ParsableCommand.Type]) + AdminCLI.commands)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP API (SQLite in --data by default, or PostgreSQL).")

    @Option(help: "JSON config file (port, host, data_dir, database_url, trusted_keys, check_in_seconds, alert_webhooks, ...; see docs/fleet.md).")
    var config: String?
    @Option(help: "TCP port (default 8080).")
    var port: Int?
    @Option(help: "Address to bind (default 127.0.0.1).")
    var host: String?
    @Option(help: "Data directory: SQLite file and the bootstrap admin token (default ./fleet-data).")
    var data: String?
    @Option(help: "PostgreSQL URL postgres://user:password@host:port/database instead of SQLite.")
    var database: String?
    @Option(help: "POST alerts (firing and resolved) to this http(s) URL; repeat for several (adds to the config file's alert_webhooks).")
    var alertWebhook: [String] = []
    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        var c = FleetConfig()
        if let path = config { c = try FleetConfig.load(path: path) }
        if let p = port { c.port = p }
        if let h = host { c.host = h }
        if let d = data { c.dataDir = d }
        if let u = database ?? ProcessInfo.processInfo.environment["OUTPOST_FLEET_DATABASE"] { c.databaseURL = u }
        for url in alertWebhook {
            try FleetConfig.checkWebhookURL(url, what: "--alert-webhook")
            c.alertWebhooks.append(url)
        }
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        try await FleetServer.serve(config: c, logger: Logger(label: "outpost-fleet"))
    }
}
