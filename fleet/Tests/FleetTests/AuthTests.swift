import FleetCore
import Foundation
import OutpostJSON
import OutpostProtocol
import Testing

@Suite struct AuthTests {
    static let checkIn = CheckInRequest(agentVersion: "0.1.0", running: [],
                                        buffer: BufferState(pendingRecords: 0, pendingBytes: 0, evictedRecords: 0),
                                        health: Health(status: .ok, uptimeSeconds: 1)).encoded()

    @Test(arguments: Backend.available)
    func enrollmentTokensAreScopedExpiringAndLimited(_ backend: Backend) async throws {
        let h = try await Harness(backend)
        let t = h.json(await h.call("POST", "/v1/enrollment-tokens", token: h.admin,
                                    json: #"{"labels":{"group":"store-7","hw":"pi4"},"max_uses":2,"expires_in_seconds":3600}"#))
        let token = t["token"]!.stringValue!
        func enroll(_ tok: String) async -> FleetResponse {
            await h.call("POST", "/v1/enroll", json: EnrollRequest(token: tok, hardwareID: "x", agentVersion: "1").encoded())
        }
        let e1 = await enroll(token)
        #expect(e1.status == 201)
        #expect(try EnrollResponse.decode(e1.text).labels == ["group": "store-7", "hw": "pi4"])
        #expect(await enroll(token).status == 201)
        let used = await enroll(token)
        #expect(used.status == 401 && used.text.contains("used up"))

        let t2 = h.json(await h.call("POST", "/v1/enrollment-tokens", token: h.admin, json: #"{"expires_in_seconds":60}"#))["token"]!.stringValue!
        h.clock.advance(61)
        let expired = await enroll(t2)
        #expect(expired.status == 401 && expired.text.contains("expired"))

        let t3 = h.json(await h.call("POST", "/v1/enrollment-tokens", token: h.admin, json: "{}"))
        #expect(await h.call("DELETE", "/v1/enrollment-tokens/" + t3["id"]!.stringValue!, token: h.admin).status == 204)
        let revoked = await enroll(t3["token"]!.stringValue!)
        #expect(revoked.status == 401 && revoked.text.contains("revoked"))
        // A guessed token with a valid id shape but wrong secret.
        let forged = t3["token"]!.stringValue!.dropLast(4) + "zzzz"
        #expect(await enroll(String(forged)).status == 401)
    }

    @Test(arguments: Backend.available)
    func everyCrossDeviceAndDeviceToAdminAccessIsForbidden(_ backend: Backend) async throws {
        let h = try await Harness(backend)
        let digest = try await h.uploadGood()
        let a = try await h.enroll(hardware: "a"), b = try await h.enroll(hardware: "b")
        #expect(await h.call("PUT", "/v1/devices/\(b.id)/assignments/tiny", token: h.admin, json: #"{"version":"1.2.0"}"#).status == 200)

        // Device A on every route that names device B.
        for route in h.api.routes where route.pattern.contains("{id}") && route.pattern.hasPrefix("/v1/devices/") {
            let path = route.pattern.replacingOccurrences(of: "{id}", with: b.id).replacingOccurrences(of: "{model}", with: "tiny")
            let r = await h.call(route.method, path, token: a.token, json: Self.checkIn)
            #expect(r.status == 403, "\(route.method) \(path) as device A: \(r.status) \(r.text)")
        }
        // A device on every admin route.
        for route in h.api.routes where route.access == .admin {
            let path = route.pattern.replacingOccurrences(of: "{id}", with: a.id).replacingOccurrences(of: "{model}", with: "tiny")
            let r = await h.call(route.method, path, token: a.token, json: "{}")
            #expect(r.status == 403, "\(route.method) \(path) as a device: \(r.status) \(r.text)")
        }
        // The admin may not impersonate a device on its sync endpoints.
        for route in h.api.routes where route.access == .ownDevice {
            let r = await h.call(route.method, route.pattern.replacingOccurrences(of: "{id}", with: a.id), token: h.admin, json: Self.checkIn)
            #expect(r.status == 403, "\(route.method) \(route.pattern) as admin: \(r.status)")
        }
        // Own resources work; packages by digest are readable by any device.
        #expect(await h.call("POST", "/v1/devices/\(a.id)/checkin", token: a.token, json: Self.checkIn).status == 200)
        #expect(await h.call("GET", "/v1/devices/\(b.id)/assignments", token: b.token).status == 200)
        #expect(await h.call("GET", "/v1/packages/" + digest, token: a.token).status == 200)
        // No token, a malformed header, an unknown token: 401.
        #expect(await h.call("GET", "/v1/devices").status == 401)
        #expect(await h.call("GET", "/v1/devices", headers: ["authorization": "Basic abc"]).status == 401)
        #expect(await h.call("GET", "/v1/devices", token: "opa_aaaaaaaaaaaa_" + String(repeating: "a", count: 40)).status == 401)
        // Revoked device credential and revoked admin token: 401 with the reason.
        #expect(await h.call("DELETE", "/v1/devices/" + a.id, token: h.admin).status == 204)
        let r = await h.call("POST", "/v1/devices/\(a.id)/checkin", token: a.token, json: Self.checkIn)
        #expect(r.status == 401 && r.text.contains("revoked"))
        let second = h.json(await h.call("POST", "/v1/admin-tokens", token: h.admin, json: #"{"name":"ci"}"#))
        let secondToken = second["token"]!.stringValue!
        #expect(await h.call("GET", "/v1/devices", token: secondToken).status == 200)
        #expect(await h.call("DELETE", "/v1/admin-tokens/" + second["id"]!.stringValue!, token: h.admin).status == 204)
        let revoked = await h.call("GET", "/v1/devices", token: secondToken)
        #expect(revoked.status == 401 && revoked.text.contains("revoked"))
    }

    @Test func tokensAreHashedAndComparedInConstantTime() async throws {
        let h = try await Harness(.sqlite)
        let rows = try await h.api.db.query("SELECT hash FROM admin_tokens")
        #expect(rows.count == 1 && rows[0].text("hash") == Tokens.hash(h.admin) && !rows[0].text("hash").contains(h.admin))
        #expect(Tokens.constantTimeEqual("abc", "abc") && !Tokens.constantTimeEqual("abc", "abd") && !Tokens.constantTimeEqual("abc", "ab"))
    }

    @Test(arguments: Backend.available)
    func concurrentEnrollmentsRespectTheUsageLimit(_ backend: Backend) async throws {
        let h = try await Harness(backend)
        let token = h.json(await h.call("POST", "/v1/enrollment-tokens", token: h.admin, json: #"{"max_uses":5}"#))["token"]!.stringValue!
        let body = EnrollRequest(token: token, hardwareID: "x", agentVersion: "1").encoded()
        let statuses = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { await h.call("POST", "/v1/enroll", json: body).status } }
            var s = [Int]()
            for await x in group { s.append(x) }
            return s
        }
        #expect(statuses.filter { $0 == 201 }.count == 5)
        #expect(statuses.filter { $0 == 401 }.count == 15)
    }
}

extension Access: Equatable {
    public static func == (a: Access, b: Access) -> Bool { "\(a)" == "\(b)" }
}
