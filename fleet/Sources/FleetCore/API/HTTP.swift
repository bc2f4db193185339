import OutpostJSON
import OutpostProtocol

/// A request as the API layer sees it (independent of the HTTP server, so the
/// same handlers run under Hummingbird and in tests).
public struct FleetRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]
    public var params: [String: String] = [:]

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method; self.path = path; self.query = query; self.headers = headers; self.body = body
    }

    public func param(_ name: String) -> String { params[name] ?? "" }

    /// Decodes the body as one wire message; any problem is a 400 naming the field.
    public func decode<T: WireMessage>(_ type: T.Type) throws -> T {
        let result: Result<T, WireError> = body.withUnsafeBytes { (p: UnsafeRawBufferPointer) -> Result<T, WireError> in
            do throws(WireError) { return .success(try T.decode(bytes: p)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let v): return v
        case .failure(let e): throw APIError.invalid(e)
        }
    }

    /// The body as a JSON object (admin endpoints without a wire type).
    public func jsonObject() throws -> WireObject {
        do {
            let r: Result<JSONValue, JSONError> = body.withUnsafeBytes { (p: UnsafeRawBufferPointer) -> Result<JSONValue, JSONError> in
                do throws(JSONError) { return .success(try JSONReader.parse(bytes: p)) } catch { return .failure(error) }
            }
            let v = try r.get()
            return try WireObject(v, path: "")
        } catch let e as JSONError {
            throw APIError.badRequest("malformed JSON at byte \(e.offset): \(e.message)")
        } catch let e as WireError {
            throw APIError.invalid(e)
        }
    }
}

public struct FleetResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status; self.headers = headers; self.body = body
    }

    public static func json(_ value: JSONValue, status: Int = 200) -> FleetResponse {
        FleetResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(value.serialized().utf8))
    }

    public static func message<T: WireMessage>(_ m: T, status: Int = 200) -> FleetResponse { json(m.jsonValue(), status: status) }

    public static func error(_ e: APIError) -> FleetResponse { json(e.body.jsonValue(), status: e.status) }

    public var text: String { String(decoding: body, as: UTF8.self) }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}
