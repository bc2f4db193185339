import OutpostJSON

/// POST /v1/enroll: a one-time enrollment token exchanged for a device identity.
public struct EnrollRequest: WireMessage, Equatable {
    public var token: String
    /// A stable hardware identifier (serial, MAC); informational.
    public var hardwareID: String
    public var agentVersion: String

    public init(token: String, hardwareID: String, agentVersion: String) {
        self.token = token; self.hardwareID = hardwareID; self.agentVersion = agentVersion
    }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        token = try o.string("token", maxLength: 200)
        hardwareID = try o.string("hardware_id", maxLength: 200)
        agentVersion = try o.string("agent_version", maxLength: 64)
    }

    public func jsonValue() -> JSONValue {
        .object([("token", .string(token)), ("hardware_id", .string(hardwareID)), ("agent_version", .string(agentVersion))])
    }
}

/// The device's identity and credential (shown once; the server keeps only its hash).
public struct EnrollResponse: WireMessage, Equatable {
    public var deviceID: String
    public var credential: String
    public var labels: [String: String]
    public var checkInSeconds: Int

    public init(deviceID: String, credential: String, labels: [String: String], checkInSeconds: Int) {
        self.deviceID = deviceID; self.credential = credential; self.labels = labels; self.checkInSeconds = checkInSeconds
    }

    public init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path)
        deviceID = try o.string("device_id")
        credential = try o.string("credential")
        labels = try wireLabels(o, "labels")
        checkInSeconds = try o.int("check_in_seconds", min: 1)
    }

    public func jsonValue() -> JSONValue {
        .object([("device_id", .string(deviceID)), ("credential", .string(credential)),
                 ("labels", wireLabelsValue(labels)), ("check_in_seconds", wireInt(checkInSeconds))])
    }
}

/// Labels are a flat object of strings; encoded with sorted keys (stable output).
public func wireLabels(_ o: WireObject, _ key: String) throws(WireError) -> [String: String] {
    guard let v = o.value(key) else { return [:] }
    let lo = try WireObject(v, path: o.sub(key))
    if lo.members.count > 64 { throw WireError(path: o.sub(key), message: "more than 64 labels") }
    var out = [String: String]()
    for m in lo.members {
        if m.key.isEmpty || m.key.utf8.count > 64 { throw WireError(path: lo.sub(m.key), message: "label names have 1 to 64 bytes") }
        out[m.key] = try WireObject.string(m.value, path: lo.sub(m.key), maxLength: 256)
    }
    return out
}

public func wireLabelsValue(_ labels: [String: String]) -> JSONValue {
    var m = [(key: String, value: JSONValue)]()
    for k in labels.keys.sorted() { m.append((k, .string(labels[k]!))) }
    return .object(m)
}
