import OutpostProtocol

/// An HTTP error answer: status, stable code and a message that says what to fix.
/// Every handler throws these; anything else is an internal error (500, logged).
public struct APIError: Error, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String

    public init(_ status: Int, _ code: String, _ message: String) {
        self.status = status; self.code = code; self.message = message
    }

    public var description: String { "\(status) \(code): \(message)" }
    public var body: ErrorBody { ErrorBody(error: code, message: message) }

    public static func badRequest(_ m: String) -> APIError { APIError(400, "bad_request", m) }
    public static func invalid(_ e: WireError) -> APIError { APIError(400, "invalid_body", e.description) }
    public static func unauthorized(_ m: String) -> APIError { APIError(401, "unauthorized", m) }
    public static func forbidden(_ m: String) -> APIError { APIError(403, "forbidden", m) }
    public static func notFound(_ m: String) -> APIError { APIError(404, "not_found", m) }
    public static func conflict(_ m: String) -> APIError { APIError(409, "conflict", m) }
    public static func tooLarge(_ limit: Int) -> APIError { APIError(413, "body_too_large", "the request body exceeds \(limit) bytes") }
    public static func unprocessable(_ m: String) -> APIError { APIError(422, "rejected", m) }
}
