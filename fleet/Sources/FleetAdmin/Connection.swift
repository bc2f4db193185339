import ArgumentParser
import Foundation

/// Options every admin command shares: where the server is, which admin token
/// to present, and whether to print JSON.
public struct Connection: ParsableArguments {
    @Option(help: "Fleet manager URL (default: $OUTPOST_FLEET_SERVER or http://127.0.0.1:8080).")
    var server: String?
    @Option(help: "Admin token (default: $OUTPOST_FLEET_TOKEN, else the file DATA/admin-token the server wrote).")
    var token: String?
    @Option(help: "The server's data directory, to read its admin-token file (default ./fleet-data).")
    var data: String?
    @Flag(help: "Print the server's JSON answer (one line) instead of a table.")
    var json = false

    public init() {}

    /// The environment is passed in so tests do not depend on the caller's.
    func client(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AdminClient {
        let url = server ?? environment["OUTPOST_FLEET_SERVER"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8080"
        return AdminClient(server: url, token: try resolveToken(environment: environment))
    }

    func resolveToken(environment: [String: String]) throws -> String {
        if let t = token { return try checked(t, from: "--token") }
        if let t = environment["OUTPOST_FLEET_TOKEN"], !t.isEmpty { return try checked(t, from: "OUTPOST_FLEET_TOKEN") }
        let path = ((data ?? "fleet-data") as NSString).appendingPathComponent("admin-token")
        guard FileManager.default.fileExists(atPath: path) else {
            throw AdminError("no admin token: give --token, set OUTPOST_FLEET_TOKEN, or point --data at the server's data directory (\(path) does not exist)")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AdminError("cannot read the admin token file \(path) (it is mode 0600: run as the server's user, or use --token)")
        }
        return try checked(text, from: path)
    }

    private func checked(_ raw: String, from source: String) throws -> String {
        let t = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard t.hasPrefix("opa_") else {
            throw AdminError("the admin token from \(source) does not look like one (expected opa_<id>_<secret>)")
        }
        return t
    }
}

/// Parses repeated `key=value` options (labels, selectors).
func parsePairs(_ pairs: [String], option: String) throws -> [(String, String)] {
    var out = [(String, String)]()
    for p in pairs {
        guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
            throw ValidationError("\(option) expects key=value, got '\(p)'")
        }
        out.append((String(p[..<eq]), String(p[p.index(after: eq)...])))
    }
    return out
}

/// Percent-encodes one path segment (model names, ids).
func segment(_ s: String) -> String {
    var allowed = CharacterSet.urlPathAllowed
    allowed.remove("/")
    return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
}
