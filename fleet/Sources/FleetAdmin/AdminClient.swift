import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OutpostJSON

/// What went wrong talking to the fleet manager, worded for the person at the
/// terminal: which request, what the server said, or why it could not be reached.
public struct AdminError: Error, CustomStringConvertible {
    public var description: String
    /// HTTP status of the server's answer (nil: no answer, or a local problem).
    public var status: Int?
    public init(_ description: String, status: Int? = nil) {
        self.description = description
        self.status = status
    }
}

/// A thin client for the admin half of the HTTP API (`/v1/…` with an admin token).
public struct AdminClient: Sendable {
    public let server: String
    public let token: String

    public init(server: String, token: String) {
        var s = server
        while s.hasSuffix("/") { s.removeLast() }
        self.server = s
        self.token = token
    }

    /// Sends one request; returns the parsed JSON answer (`.null` for an empty body).
    /// A 4xx/5xx answer becomes an `AdminError` carrying the server's message.
    public func call(_ method: String, _ path: String, json: JSONValue? = nil, body: Data? = nil,
                     contentType: String = "application/json") async throws -> JSONValue {
        guard let url = URL(string: server + path), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw AdminError("--server must be an http(s) URL such as http://127.0.0.1:8080, not '\(server)'")
        }
        var r = URLRequest(url: url)
        r.httpMethod = method
        r.timeoutInterval = 300
        r.setValue("Bearer " + token, forHTTPHeaderField: "Authorization")
        if let j = json {
            r.httpBody = Data(j.serialized().utf8)
            r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let b = body {
            r.httpBody = b
            r.setValue(contentType, forHTTPHeaderField: "Content-Type")
        }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: r)
        } catch {
            throw AdminError("cannot reach the fleet manager at \(server) (\(error.localizedDescription)); is `outpost-fleet serve` running? Set --server or OUTPOST_FLEET_SERVER")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let text = String(decoding: data, as: UTF8.self)
        let parsed: JSONValue? = text.isEmpty ? .null : try? JSONReader.parse(text)
        guard (200..<300).contains(status) else {
            if let p = parsed, let code = p["error"]?.stringValue, let message = p["message"]?.stringValue {
                throw AdminError("\(method) \(path): the server answered \(status) \(code): \(message)", status: status)
            }
            throw AdminError("\(method) \(path): the server answered \(status): \(text.prefix(300))", status: status)
        }
        guard let value = parsed else {
            throw AdminError("\(method) \(path): the answer is not JSON: \(text.prefix(300))", status: status)
        }
        return value
    }
}
