import FleetCore
import Foundation
import OutpostJSON
import OutpostPackage
import Testing

@Suite struct RegistryTests {
    @Test(arguments: Backend.available)
    func uploadValidatesStoresAndServesRanges(_ backend: Backend) async throws {
        let h = try await Harness(backend)
        let digest = try await h.uploadGood()
        #expect(digest == Fixture.goodDigest)
        let uploaded = h.json(await h.call("GET", "/v1/models/tiny", token: h.admin))
        let v = uploaded["versions"]?.arrayValue?.first
        #expect(v?["version"]?.stringValue == "1.2.0")
        #expect(v?["parent_version"]?.stringValue == "1.1.0")
        #expect((v?["golden_cases"]?.intValue ?? 0) > 0)
        #expect(v?["lineage"]?["training_data_ref"] != nil || v?["lineage"]?.objectValue?.isEmpty == false)

        // Same bytes again: idempotent, 200.
        #expect(await h.call("POST", "/v1/packages", token: h.admin, body: Fixture.good).status == 200)
        // Same version, different bytes: immutable → 409.
        let again = Fixture.build(createdAt: "2026-11-28T05:00:00Z")
        let r409 = await h.call("POST", "/v1/packages", token: h.admin, body: again)
        #expect(r409.status == 409 && r409.text.contains("immutable"), "\(r409.text)")
        // A child version: lineage links both ways.
        #expect(await h.call("POST", "/v1/packages", token: h.admin, body: Fixture.build(version: "1.3.0", release: 6, parent: "1.2.0")).status == 201)
        let lineage = h.json(await h.call("GET", "/v1/models/tiny", token: h.admin))["versions"]!.arrayValue!
        #expect(lineage[0]["version"]?.stringValue == "1.3.0")
        #expect(lineage[1]["children"] == .array([.string("1.3.0")]))

        // Download with and without Range.
        let full = await h.call("GET", "/v1/packages/" + digest, token: h.admin)
        #expect(full.status == 200 && full.body == Fixture.good)
        let size = Fixture.good.count
        let part = await h.call("GET", "/v1/packages/" + digest, token: h.admin, headers: ["range": "bytes=10-19"])
        #expect(part.status == 206 && part.body == Array(Fixture.good[10..<20]))
        #expect(part.header("Content-Range") == "bytes 10-19/\(size)")
        let tail = await h.call("GET", "/v1/packages/" + digest, token: h.admin, headers: ["range": "bytes=-7"])
        #expect(tail.status == 206 && tail.body == Array(Fixture.good[(size - 7)...]))
        let open = await h.call("GET", "/v1/packages/" + digest, token: h.admin, headers: ["range": "bytes=\(size - 3)-"])
        #expect(open.status == 206 && open.body.count == 3)
        let bad = await h.call("GET", "/v1/packages/" + digest, token: h.admin, headers: ["range": "bytes=\(size)-"])
        #expect(bad.status == 416 && bad.header("Content-Range") == "bytes */\(size)")
        #expect(await h.call("GET", "/v1/packages/sha256:" + String(repeating: "0", count: 64), token: h.admin).status == 404)
    }

    @Test(arguments: Backend.available)
    func rejectsTamperedUntrustedAndUnvalidated(_ backend: Backend) async throws {
        let h = try await Harness(backend)
        var tampered = Fixture.good
        tampered[tampered.count - 5] ^= 0x40
        let r1 = await h.call("POST", "/v1/packages", token: h.admin, body: tampered)
        #expect(r1.status == 422 && r1.text.contains("package rejected"), "\(r1.text)")
        let r2 = await h.call("POST", "/v1/packages", token: h.admin, body: Fixture.build(key: Fixture.keyB))
        #expect(r2.status == 422 && r2.text.contains("package rejected"), "\(r2.text)")
        let r3 = await h.call("POST", "/v1/packages", token: h.admin, body: Array("not a package".utf8))
        #expect(r3.status == 422, "\(r3.text)")
        // After trusting key B through the admin API, its package is accepted.
        let add = await h.call("POST", "/v1/publisher-keys", token: h.admin,
                               json: #"{"name":"team-b","public_key":"\#(Fixture.keyB.publicKey.fileText.trimmingCharacters(in: .newlines))"}"#)
        #expect(add.status == 201, "\(add.text)")
        #expect(await h.call("POST", "/v1/packages", token: h.admin, body: Fixture.build(key: Fixture.keyB)).status == 201)
        let audit = h.json(await h.call("GET", "/v1/audit", token: h.admin))["entries"]!.arrayValue!
        #expect(audit.contains { $0["action"]?.stringValue == "package.upload" })
        #expect(audit.contains { $0["action"]?.stringValue == "publisher_key.add" })
    }

    @Test func migrationsAreVersionedAndIdempotent() async throws {
        let db = try await Backend.sqlite.makeDatabase()
        #expect(try await Migrations.migrate(db, now: 1) == [1, 2, 3, 4, 5])
        #expect(try await Migrations.migrate(db, now: 2) == [])
        let rows = try await db.query("SELECT version FROM schema_migrations ORDER BY version")
        #expect(rows.map { $0.int("version") } == [1, 2, 3, 4, 5])
    }
}
