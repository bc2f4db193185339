import FleetCore
import Foundation
import Logging
import OutpostJSON
import OutpostONNX
import OutpostPackage
import OutpostProtocol
import OutpostRuntime
import Testing

/// The storage backends every suite runs against: SQLite always, PostgreSQL when
/// OUTPOST_TEST_POSTGRES_URL names a server (fleet/scripts/start-postgres.sh prints one).
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }

    static var postgresURL: String? {
        let v = ProcessInfo.processInfo.environment["OUTPOST_TEST_POSTGRES_URL"]
        return (v?.isEmpty ?? true) ? nil : v
    }
    static var available: [Backend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    /// A fresh, empty database of this kind.
    func makeDatabase() async throws -> any FleetDatabase { try await makeDatabaseWithURL().db }

    /// The database and how to open it again (a second "replica").
    func makeDatabaseWithURL() async throws -> (db: any FleetDatabase, url: String) {
        switch self {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let path = dir.appendingPathComponent("fleet.sqlite").path
            return (try SQLiteDatabase(path: path), path)
        case .postgres:
            let base = Backend.postgresURL!
            let admin = try PostgresDatabase(url: base, logger: Logger(label: "test"))
            let name = "fleet_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            try await admin.query("CREATE DATABASE \(name)")
            await admin.close()
            var c = URLComponents(string: base)!
            c.path = "/" + name
            return (try PostgresDatabase(url: c.string!, logger: Logger(label: "test")), c.string!)
        }
    }
}

/// Time the tests control (token expiry, drift buckets).
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var t = 1_800_000_000
    var now: Int { lock.lock(); defer { lock.unlock() }; return t }
    func advance(_ s: Int) { lock.lock(); t += s; lock.unlock() }
}

/// An API on a fresh database with its bootstrap admin token.
struct Harness {
    let api: FleetAPI
    let admin: String
    let clock = TestClock()
    /// Opens the same database again (PostgreSQL URL or SQLite path).
    let reopen: @Sendable () throws -> any FleetDatabase

    init(_ backend: Backend, configure: (inout FleetConfig) -> Void = { _ in }) async throws {
        var config = FleetConfig()
        config.trustedKeys = [Fixture.keyA.publicKey.fileText]
        configure(&config)
        var logger = Logger(label: "fleet-test")
        logger.logLevel = .warning
        let (db, url) = try await backend.makeDatabaseWithURL()
        api = FleetAPI(db: db, config: config, logger: logger)
        if backend == .postgres {
            let log = logger
            reopen = { () throws -> any FleetDatabase in try PostgresDatabase(url: url, logger: log) }
        } else {
            reopen = { () throws -> any FleetDatabase in try SQLiteDatabase(path: url) }
        }
        let clock = self.clock
        api.clock = { clock.now }
        admin = try await api.start()!
    }

    @discardableResult
    func call(_ method: String, _ path: String, token: String? = nil, json: String? = nil, body: [UInt8]? = nil,
              headers: [String: String] = [:]) async -> FleetResponse {
        var h = headers
        if let t = token { h["authorization"] = "Bearer " + t }
        var query = [String: String]()
        var p = path
        if let q = path.firstIndex(of: "?") {
            p = String(path[..<q])
            for pair in path[path.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                query[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
            }
        }
        return await api.handle(FleetRequest(method: method, path: p, query: query, headers: h, body: body ?? Array((json ?? "").utf8)))
    }

    func json(_ r: FleetResponse) -> JSONValue { (try? JSONReader.parse(r.text)) ?? .null }

    /// Uploads the fixture package; returns its digest.
    func uploadGood() async throws -> String {
        let r = await call("POST", "/v1/packages", token: admin, body: Fixture.good)
        #expect(r.status == 201, "\(r.text)")
        return json(r)["digest"]?.stringValue ?? ""
    }

    /// Enrolls one device with `labels`; returns (id, credential).
    func enroll(labels: String = #"{"group":"lab"}"#, hardware: String = "hw") async throws -> (id: String, token: String) {
        let t = await call("POST", "/v1/enrollment-tokens", token: admin, json: #"{"labels":\#(labels),"max_uses":1}"#)
        let token = json(t)["token"]?.stringValue ?? ""
        let r = await call("POST", "/v1/enroll", json: EnrollRequest(token: token, hardwareID: hardware, agentVersion: "0.1.0").encoded())
        #expect(r.status == 201, "\(r.text)")
        let e = try EnrollResponse.decode(r.text)
        return (e.deviceID, e.credential)
    }
}

/// A signed package of models/tiny with golden cases (the real runtime checks them on upload).
enum Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var tinyDir: String { root.appendingPathComponent("models/tiny").path }
    static let keyA = try! PrivateKey(seed: Array(repeating: 0xa1, count: 32))
    static let keyB = try! PrivateKey(seed: Array(repeating: 0xb2, count: 32))
    static let modelBytes: [UInt8] = try! FileIO.read(root.appendingPathComponent("models/tiny/model.onnx").path)
    static let reference: [[Tensor]] = try! ReferenceData.load(directory: tinyDir, inputCount: 1)

    static func build(version: String = "1.2.0", release: Int = 5, parent: String? = "1.1.0", key: PrivateKey = keyA,
                      createdAt: String = "2026-11-28T04:00:00Z") -> [UInt8] {
        var o = PackageBuildOptions(name: "tiny", version: version, release: release)
        o.createdAt = createdAt
        if let p = parent { try! o.lineage.set("parent_version=" + p) }
        try! o.lineage.set("training_data=s3://data/colours-v3")
        return try! PackageBuilder.build(model: modelBytes, reference: reference, options: o, key: key).bytes
    }

    static let good = build()
    static var goodDigest: String { "sha256:" + Hex.encode(OutpostPackage.SHA256.digest(good)) }
}
