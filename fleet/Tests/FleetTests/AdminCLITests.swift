import FleetAdmin
import FleetCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import OutpostJSON
import OutpostProtocol
import Testing

/// A real fleet manager on 127.0.0.1 (ephemeral port, scratch data dir), serving
/// until the test cancels it.
final class LiveServer: @unchecked Sendable {
    let dataDir: String
    let task: Task<Void, Error>
    let base: String

    init(configure: (inout FleetConfig) -> Void = { _ in }) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-cli-\(UUID().uuidString)").path
        var config = FleetConfig()
        config.port = 0
        config.dataDir = dir
        config.trustedKeys = [Fixture.keyA.publicKey.fileText]
        configure(&config)
        var logger = Logger(label: "live")
        logger.logLevel = .warning
        let port = LiveServerTests.Port()
        task = Task { try await FleetServer.serve(config: config, logger: logger) { port.set($0) } }
        for _ in 0..<500 where port.get() == 0 { try await Task.sleep(nanoseconds: 20_000_000) }
        dataDir = dir
        base = "http://127.0.0.1:\(port.get())"
    }

    var adminToken: String {
        (try? String(contentsOfFile: dataDir + "/admin-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? ""
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }

    func post(_ path: String, token: String? = nil, body: String) async throws -> (Int, String) {
        var r = URLRequest(url: URL(string: base + path)!)
        r.httpMethod = "POST"
        r.httpBody = Data(body.utf8)
        if let t = token { r.setValue("Bearer " + t, forHTTPHeaderField: "Authorization") }
        let (data, resp) = try await URLSession.shared.data(for: r)
        return ((resp as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }
}

/// The admin CLI's code, run in-process against a live server: every subcommand
/// group, --json output, token from the data dir or --token, and errors that
/// name the problem with a non-zero exit status.
@Suite struct AdminCLITests {
    func json(_ s: String) -> JSONValue { (try? JSONReader.parse(s)) ?? .null }

    @Test func subcommandsDriveTheServer() async throws {
        let server = try await LiveServer()
        defer { Task { await server.stop() } }
        let conn = ["--server", server.base, "--data", server.dataDir]
        func cli(_ args: [String]) async -> (status: Int32, output: String, error: String) { await AdminCLI.run(args + conn) }

        let pkg = server.dataDir + "/tiny-1.2.0.opkg"
        FileManager.default.createFile(atPath: pkg, contents: Data(Fixture.good))
        let up = await cli(["models", "upload", pkg])
        #expect(up.status == 0 && up.output.contains("accepted tiny 1.2.0 (release 5)") && up.output.contains("golden self-test"), "\(up)")
        let child = server.dataDir + "/tiny-1.3.0.opkg"
        FileManager.default.createFile(atPath: child, contents: Data(Fixture.build(version: "1.3.0", release: 6, parent: "1.2.0")))
        let upJSON = await cli(["models", "upload", child, "--json"])
        #expect(json(upJSON.output)["digest"]?.stringValue?.hasPrefix("sha256:") == true, "\(upJSON)")

        let models = json(await cli(["models", "list", "--json"]).output)
        #expect(models["models"]?.arrayValue?.first?["model"]?.stringValue == "tiny")
        #expect(models["models"]?.arrayValue?.first?["versions"]?.intValue == 2)
        let versions = await cli(["models", "list", "tiny"])
        #expect(versions.output.contains("VERSION") && versions.output.contains("1.3.0") && versions.output.contains("1.2.0"), "\(versions)")

        // An enrollment token from the CLI enrolls a device over the API.
        let tok = json(await cli(["tokens", "create", "enrollment", "--label", "group=lab", "--label", "hw=pi4", "--max-uses", "2", "--json"]).output)
        let enrollToken = try #require(tok["token"]?.stringValue)
        #expect(tok["labels"]?["hw"]?.stringValue == "pi4" && tok["max_uses"]?.intValue == 2)
        let (s, body) = try await server.post("/v1/enroll", body: EnrollRequest(token: enrollToken, hardwareID: "hw-1", agentVersion: "0.1").encoded())
        #expect(s == 201, "\(body)")
        let device = try EnrollResponse.decode(body)
        let devices = json(await cli(["devices", "list", "--json"]).output)["devices"]?.arrayValue ?? []
        #expect(devices.count == 1 && devices.first?["labels"]?["group"]?.stringValue == "lab")
        #expect(await cli(["devices", "list", "--label", "group=other", "--json"]).output.contains(#""devices":[]"#))
        let table = await cli(["devices", "list"])
        #expect(table.output.contains(device.deviceID) && table.output.contains("group=lab"), "\(table)")

        // A rollout through its manual transitions.
        let created = json(await cli(["rollouts", "create", "--model", "tiny", "--version", "1.3.0", "--selector", "group=lab",
                                      "--stages", "50,100", "--soak-seconds", "0", "--gate", "max_psi=off", "--gate", "min_devices=1", "--json"]).output)
        let id = try #require(created["id"]?.stringValue)
        #expect(created["state"]?.stringValue == "running" && created["gates"]?["max_psi"] == .null)
        let status = await cli(["rollouts", "status", id])
        #expect(status.status == 0 && status.output.contains("state running") && status.output.contains("stage 1/2 (50%)"), "\(status)")
        let paused = await cli(["rollouts", "pause", id, "--reason", "checking dashboards"])
        #expect(paused.output.contains("state paused") && paused.output.contains("checking dashboards"), "\(paused)")
        #expect(await cli(["rollouts", "resume", id]).output.contains("state running"))
        let promoted = json(await cli(["rollouts", "promote", id, "--json"]).output)
        #expect(promoted["stage_index"]?.intValue == 1 && promoted["state"]?.stringValue == "running")
        #expect(await cli(["rollouts", "evaluate", id]).status == 0)
        #expect(await cli(["rollouts", "abort", id]).output.contains("state aborted"))
        let rolled = await cli(["rollouts", "rollback", id, "--reason", "bad batch"])
        #expect(rolled.output.contains("state rolled_back"), "\(rolled)")
        let list = await cli(["rollouts", "list"])
        #expect(list.output.contains(id) && list.output.contains("rolled_back"), "\(list)")
        let alerts = json(await cli(["alerts", "--json"]).output)["alerts"]?.arrayValue ?? []
        #expect(alerts.contains { $0["kind"]?.stringValue == "rollout_rolled_back" && $0["subject"]?.stringValue == id }, "\(alerts)")
        let audit = await cli(["audit", "--limit", "100"])
        #expect(audit.output.contains("rollout.rollback") && audit.output.contains("bad batch"), "\(audit)")

        // A named admin token works with --token; keys list shows the configured key.
        let admin = json(await cli(["tokens", "create", "admin", "--name", "ci", "--json"]).output)
        let named = try #require(admin["token"]?.stringValue)
        let withToken = await AdminCLI.run(["keys", "list", "--server", server.base, "--token", named])
        #expect(withToken.status == 0 && withToken.output.contains("config"), "\(withToken)")
        let adminID = try #require(admin["id"]?.stringValue)
        #expect(await cli(["tokens", "revoke", "admin", adminID]).status == 0)
        let revoked = await AdminCLI.run(["devices", "list", "--server", server.base, "--token", named])
        #expect(revoked.status != 0 && revoked.error.contains("401") && revoked.error.contains("revoked"), "\(revoked)")
        await server.stop()
    }

    @Test func errorsNameTheProblem() async throws {
        let server = try await LiveServer()
        defer { Task { await server.stop() } }
        let conn = ["--server", server.base, "--data", server.dataDir]
        func cli(_ args: [String]) async -> (status: Int32, output: String, error: String) { await AdminCLI.run(args + conn) }

        let missing = await cli(["rollouts", "status", "r-nope"])
        #expect(missing.status != 0 && missing.error.contains("404") && missing.error.contains("no rollout 'r-nope'"), "\(missing)")
        let noPkg = await cli(["rollouts", "create", "--model", "tiny", "--version", "9.9.9"])
        #expect(noPkg.status != 0 && noPkg.error.contains("no package for tiny 9.9.9"), "\(noPkg)")
        let badGate = await cli(["rollouts", "create", "--model", "tiny", "--version", "1", "--gate", "max_speed=2"])
        #expect(badGate.status != 0 && badGate.error.contains("unknown gate 'max_speed'"), "\(badGate)")
        let badStages = await cli(["rollouts", "create", "--model", "tiny", "--version", "1", "--stages", "1,ten"])
        #expect(badStages.status != 0 && badStages.error.contains("--stages"), "\(badStages)")
        let serverStages = await cli(["rollouts", "create", "--model", "tiny", "--version", "1", "--stages", "10,50"])
        #expect(serverStages.status != 0 && serverStages.error.contains("the last stage must be 100"), "\(serverStages)")
        let noFile = await cli(["models", "upload", "/nonexistent/x.opkg"])
        #expect(noFile.status != 0 && noFile.error.contains("cannot read the package file /nonexistent/x.opkg"), "\(noFile)")
        let garbage = server.dataDir + "/garbage.opkg"
        FileManager.default.createFile(atPath: garbage, contents: Data("not a package".utf8))
        let rejected = await cli(["models", "upload", garbage])
        #expect(rejected.status != 0 && rejected.error.contains("422"), "\(rejected)")
        let badLabel = await cli(["tokens", "create", "enrollment", "--label", "nolabel"])
        #expect(badLabel.status != 0 && badLabel.error.contains("key=value"), "\(badLabel)")

        let wrongToken = await AdminCLI.run(["devices", "list", "--server", server.base, "--token", "opa_aaaaaaaaaaaa_" + String(repeating: "b", count: 40)])
        #expect(wrongToken.status != 0 && wrongToken.error.contains("401") && wrongToken.error.contains("unknown admin token"), "\(wrongToken)")
        let notAToken = await AdminCLI.run(["devices", "list", "--server", server.base, "--token", "hunter2"])
        #expect(notAToken.status != 0 && notAToken.error.contains("does not look like"), "\(notAToken)")
        let noToken = await AdminCLI.run(["devices", "list", "--server", server.base, "--data", "/nonexistent-dir"])
        #expect(noToken.status != 0 && noToken.error.contains("no admin token") && noToken.error.contains("/nonexistent-dir/admin-token"), "\(noToken)")
        let unreachable = await AdminCLI.run(["devices", "list", "--server", "http://127.0.0.1:1", "--token", server.adminToken])
        #expect(unreachable.status != 0 && unreachable.error.contains("cannot reach the fleet manager at http://127.0.0.1:1"), "\(unreachable)")
        let badURL = await AdminCLI.run(["devices", "list", "--server", "ftp//x", "--token", server.adminToken])
        #expect(badURL.status != 0 && badURL.error.contains("--server must be an http(s) URL"), "\(badURL)")
        await server.stop()
    }
}
