import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Runs the fleet API over Hummingbird 2: every request goes through the
/// route table of `FleetAPI` (the same table tests and the OpenAPI check use).
public enum FleetServer {
    /// Opens the configured database (SQLite file in the data directory unless a
    /// PostgreSQL URL is given).
    public static func openDatabase(_ config: FleetConfig, logger: Logger) throws -> any FleetDatabase {
        if let url = config.databaseURL {
            return try PostgresDatabase(url: url, logger: logger)
        }
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true)
        return try SQLiteDatabase(path: (config.dataDir as NSString).appendingPathComponent("fleet.sqlite"))
    }

    /// Writes the bootstrap admin token to DATA/admin-token (mode 0600).
    public static func writeAdminToken(_ token: String, dataDir: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let path = (dataDir as NSString).appendingPathComponent("admin-token")
        FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return path
    }

    static func request(_ r: Request, body: [UInt8]) -> FleetRequest {
        var headers = [String: String]()
        for f in r.headers { headers[f.name.canonicalName.lowercased()] = f.value }
        var query = [String: String]()
        for (k, v) in r.uri.queryParameters { query[String(k).removingPercentEncoding ?? String(k)] = String(v).removingPercentEncoding ?? String(v) }
        return FleetRequest(method: r.method.rawValue, path: r.uri.path, query: query, headers: headers, body: body)
    }

    static func response(_ f: FleetResponse) -> Response {
        var headers = HTTPFields()
        for (name, value) in f.headers { if let n = HTTPField.Name(name) { headers.append(HTTPField(name: n, value: value)) } }
        headers.append(HTTPField(name: .contentLength, value: "\(f.body.count)"))
        return Response(status: HTTPResponse.Status(code: f.status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: f.body)))
    }

    /// Builds the Hummingbird application. `onReady` receives the bound port.
    public static func application(api: FleetAPI, onReady: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let limit = max(api.config.maxJSONBytes, api.config.maxPackageBytes)
        let jsonLimit = api.config.maxJSONBytes
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var r = request
            let bytes: [UInt8]
            do {
                // Uploads may be large; everything else is held to the JSON limit.
                let cap = r.uri.path == "/v1/packages" ? limit : jsonLimit
                var buf = try await r.collectBody(upTo: cap)
                bytes = buf.readBytes(length: buf.readableBytes) ?? []
            } catch {
                let cap = r.uri.path == "/v1/packages" ? limit : jsonLimit
                return response(.error(.tooLarge(cap)))
            }
            return response(await api.handle(FleetServer.request(request, body: bytes)))
        }
        return Application(
            responder: responder,
            configuration: .init(address: .hostname(api.config.host, port: api.config.port), serverName: "outpost-fleet"),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? api.config.port) },
            logger: api.logger)
    }

    /// Migrates, bootstraps, serves until SIGTERM/SIGINT, then closes the database.
    public static func serve(config: FleetConfig, logger: Logger, onReady: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let db = try openDatabase(config, logger: logger)
        let api = FleetAPI(db: db, config: config, logger: logger)
        if let token = try await api.start() {
            let path = try writeAdminToken(token, dataDir: config.dataDir)
            print("outpost-fleet: first start: the bootstrap admin token is in \(path) (mode 0600).")
            print("  Use it as:  curl -H \"Authorization: Bearer $(cat \(path))\" http://\(config.host):\(config.port)/v1/devices")
            print("  Create named admin tokens with POST /v1/admin-tokens, then revoke the bootstrap one.")
            fflush(stdout)
        }
        logger.info("outpost-fleet starting", metadata: ["backend": "\(db.dialect)", "host": "\(config.host)", "port": "\(config.port)"])
        let app = application(api: api, onReady: onReady)
        // Rollout gates are evaluated on a timer (safe with several replicas: each
        // evaluation holds the rollout's lock).
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 30_000_000_000)
                if Task.isCancelled { break }
                await api.evaluateRollouts()
            }
        }
        defer { ticker.cancel() }
        // Alert webhooks: compare open alerts with the notified ones every
        // alert_check_seconds, send due deliveries every second.
        let notifier = Task {
            guard !api.config.alertWebhooks.isEmpty else { return }
            logger.info("alert webhooks", metadata: ["count": "\(api.config.alertWebhooks.count)"])
            var lastCheck = 0
            while !Task.isCancelled {
                if api.now - lastCheck >= api.config.alertCheckSeconds {
                    lastCheck = api.now
                    do { try await api.notifyAlerts() } catch { logger.error("alert check failed", metadata: ["error": "\(error)"]) }
                }
                do { try await api.deliverWebhooks() } catch { logger.error("webhook delivery pass failed", metadata: ["error": "\(error)"]) }
                try? await Task.sleep(nanoseconds: 1_000_000_000)
            }
        }
        defer { notifier.cancel() }
        try await app.runService()
        await db.close()
        logger.info("outpost-fleet stopped")
    }
}
