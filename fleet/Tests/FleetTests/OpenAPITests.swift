import FleetCore
import Foundation
import Logging
import Testing

/// fleet/openapi.yaml documents exactly the server's routes (method + path), and
/// each operation names the security the route enforces.
@Suite struct OpenAPITests {
    static var specPath: String { Fixture.root.appendingPathComponent("fleet/openapi.yaml").path }

    /// "METHOD /path" → security ("admin", "device", "none", …) from the YAML text.
    static func operations() throws -> [String: String] {
        let text = try String(contentsOfFile: specPath, encoding: .utf8)
        var ops = [String: String]()
        var inPaths = false, path = "", op = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            if inPaths, !line.isEmpty, !line.hasPrefix(" "), !line.hasPrefix("#") { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") { path = String(line.dropFirst(2).dropLast()); continue }
            let t = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("    "), !line.hasPrefix("     "), ["get:", "post:", "put:", "delete:"].contains(t) {
                op = t.dropLast().uppercased() + " " + path
                ops[op] = "none"
            }
            if t.hasPrefix("x-outpost-access:") { ops[op] = t.dropFirst("x-outpost-access:".count).trimmingCharacters(in: .whitespaces) }
        }
        return ops
    }

    @Test func specMatchesRouteTable() async throws {
        let db = try await Backend.sqlite.makeDatabase()
        let api = FleetAPI(db: db, config: FleetConfig(), logger: Logger(label: "t"))
        let spec = try Self.operations()
        var routes = [String: String]()
        for r in api.routes { routes["\(r.method) \(r.pattern)"] = "\(r.access)" }
        #expect(Set(spec.keys) == Set(routes.keys), "only in spec: \(Set(spec.keys).subtracting(routes.keys)); only in server: \(Set(routes.keys).subtracting(spec.keys))")
        for (op, access) in routes { #expect(spec[op] == access, "\(op): spec says \(spec[op] ?? "-"), server enforces \(access)") }
    }
}
