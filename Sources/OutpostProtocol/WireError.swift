import OutpostJSON

/// A wire message that does not match the protocol: malformed JSON, a missing
/// field, a wrong type or a value out of range. `path` names the offending field
/// ("running[2].digest") so a device log or an HTTP 400 says what to fix.
public struct WireError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Every sync message: a plain struct with a JSON form (OutpostJSON, no Codable).
public protocol WireMessage {
    init(json: JSONValue, path: String) throws(WireError)
    func jsonValue() -> JSONValue
}

extension WireMessage {
    /// Parses and validates one message from JSON text.
    public static func decode(_ text: String) throws(WireError) -> Self {
        let value: JSONValue
        do { value = try JSONReader.parse(text) } catch {
            throw WireError(path: "", message: "malformed JSON at byte \(error.offset): \(error.message)")
        }
        return try Self(json: value, path: "")
    }

    /// Parses and validates one message from UTF-8 bytes.
    public static func decode(bytes: UnsafeRawBufferPointer) throws(WireError) -> Self {
        let value: JSONValue
        do { value = try JSONReader.parse(bytes: bytes) } catch {
            throw WireError(path: "", message: "malformed JSON at byte \(error.offset): \(error.message)")
        }
        return try Self(json: value, path: "")
    }

    /// Compact JSON text.
    public func encoded() -> String { jsonValue().serialized() }
}

/// Typed field access over a JSON object with errors that name the field.
public struct WireObject {
    public let members: [(key: String, value: JSONValue)]
    public let path: String

    public init(_ value: JSONValue, path: String) throws(WireError) {
        guard case .object(let m) = value else {
            throw WireError(path: path, message: "expected an object, found \(WireObject.kind(value))")
        }
        members = m
        self.path = path
    }

    public func sub(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    public func value(_ key: String) -> JSONValue? {
        for m in members where m.key == key {
            if case .null = m.value { return nil }
            return m.value
        }
        return nil
    }

    public func string(_ key: String, maxLength: Int = 256) throws(WireError) -> String {
        guard let v = value(key) else { throw WireError(path: sub(key), message: "required string is missing") }
        return try WireObject.string(v, path: sub(key), maxLength: maxLength)
    }

    public func optionalString(_ key: String, maxLength: Int = 1024) throws(WireError) -> String? {
        guard let v = value(key) else { return nil }
        return try WireObject.string(v, path: sub(key), maxLength: maxLength)
    }

    public static func string(_ v: JSONValue, path: String, maxLength: Int) throws(WireError) -> String {
        guard case .string(let s) = v else { throw WireError(path: path, message: "expected a string, found \(kind(v))") }
        if s.utf8.count > maxLength { throw WireError(path: path, message: "longer than \(maxLength) bytes") }
        return s
    }

    public func int(_ key: String, min: Int = 0, max: Int = Int.max) throws(WireError) -> Int {
        guard let v = value(key) else { throw WireError(path: sub(key), message: "required integer is missing") }
        return try WireObject.int(v, path: sub(key), min: min, max: max)
    }

    public func optionalInt(_ key: String, min: Int = 0, max: Int = Int.max) throws(WireError) -> Int? {
        guard let v = value(key) else { return nil }
        return try WireObject.int(v, path: sub(key), min: min, max: max)
    }

    public static func int(_ v: JSONValue, path: String, min: Int, max: Int) throws(WireError) -> Int {
        guard case .number = v else { throw WireError(path: path, message: "expected an integer, found \(kind(v))") }
        guard let n = v.intValue else { throw WireError(path: path, message: "expected an integer, found a fractional or out-of-range number") }
        if n < min || n > max { throw WireError(path: path, message: "\(n) is outside \(min)...\(max)") }
        return n
    }

    public func double(_ key: String) throws(WireError) -> Double {
        guard let v = value(key) else { throw WireError(path: sub(key), message: "required number is missing") }
        guard case .number(let d) = v else { throw WireError(path: sub(key), message: "expected a number, found \(WireObject.kind(v))") }
        return d
    }

    public func optionalDouble(_ key: String) throws(WireError) -> Double? {
        guard let v = value(key) else { return nil }
        guard case .number(let d) = v else { throw WireError(path: sub(key), message: "expected a number, found \(WireObject.kind(v))") }
        return d
    }

    public func bool(_ key: String, default def: Bool) throws(WireError) -> Bool {
        guard let v = value(key) else { return def }
        guard case .bool(let b) = v else { throw WireError(path: sub(key), message: "expected true or false, found \(WireObject.kind(v))") }
        return b
    }

    public func array(_ key: String, maxCount: Int = 10_000, required: Bool = true) throws(WireError) -> [JSONValue] {
        guard let v = value(key) else {
            if required { throw WireError(path: sub(key), message: "required array is missing") }
            return []
        }
        guard case .array(let a) = v else { throw WireError(path: sub(key), message: "expected an array, found \(WireObject.kind(v))") }
        if a.count > maxCount { throw WireError(path: sub(key), message: "more than \(maxCount) items") }
        return a
    }

    public func object(_ key: String) throws(WireError) -> WireObject {
        guard let v = value(key) else { throw WireError(path: sub(key), message: "required object is missing") }
        return try WireObject(v, path: sub(key))
    }

    /// Array items decoded as messages, each with its own path ("running[1]").
    public func messages<T: WireMessage>(_ key: String, _ type: T.Type, maxCount: Int = 10_000, required: Bool = true) throws(WireError) -> [T] {
        var out = [T]()
        for (i, item) in try array(key, maxCount: maxCount, required: required).enumerated() {
            out.append(try T(json: item, path: sub(key) + "[\(i)]"))
        }
        return out
    }

    public func oneOf(_ key: String, _ allowed: [String]) throws(WireError) -> String {
        let s = try string(key, maxLength: 64)
        if !allowed.contains(s) {
            var list = ""
            for a in allowed { list += (list.isEmpty ? "" : ", ") + a }
            throw WireError(path: sub(key), message: "'\(s)' is not one of: \(list)")
        }
        return s
    }

    public static func kind(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Building helpers for the encoders.
@inlinable public func wireInt(_ n: Int) -> JSONValue { .number(Double(n)) }

public func wireStrings(_ items: [String]) -> JSONValue {
    var a = [JSONValue]()
    for s in items { a.append(.string(s)) }
    return .array(a)
}

public func wireArray<T: WireMessage>(_ items: [T]) -> JSONValue {
    var a = [JSONValue]()
    for m in items { a.append(m.jsonValue()) }
    return .array(a)
}

/// Appends `key: value` only when value is non-nil (optional fields are omitted, not null).
public func wireOptional(_ members: inout [(key: String, value: JSONValue)], _ key: String, _ value: String?) {
    if let v = value { members.append((key, .string(v))) }
}

public func wireOptional(_ members: inout [(key: String, value: JSONValue)], _ key: String, _ value: Int?) {
    if let v = value { members.append((key, .number(Double(v)))) }
}
