import FleetCore
import Foundation
import OutpostJSON
import OutpostProtocol
import Testing

@Suite struct SyncTests {
    static func records(_ range: ClosedRange<Int>) -> [TelemetryRecord] {
        range.map { TelemetryRecord(sequence: $0, time: 1000 + $0, model: "tiny", version: "1.2.0", latencyMicros: 800 + $0, status: $0 % 10 == 0 ? .error : .ok) }
    }

    @Test(arguments: Backend.available)
    func checkInReportsStateAndReceivesAssignments(_ backend: Backend) async throws {
        let h = try await Harness(backend)
        let digest = try await h.uploadGood()
        let d = try await h.enroll()
        let req = CheckInRequest(agentVersion: "0.2.0", running: [RunningModel(model: "tiny", version: "1.1.0", digest: digest, mode: .active)],
                                 buffer: BufferState(pendingRecords: 12, pendingBytes: 4096, evictedRecords: 1),
                                 health: Health(status: .degraded, uptimeSeconds: 99, message: "thermal throttling"))
        let first = try CheckInResponse.decode(await h.call("POST", "/v1/devices/\(d.id)/checkin", token: d.token, json: req.encoded()).text)
        #expect(first.assignments.isEmpty && first.nextCheckInSeconds == 60 && first.deviceID == d.id)

        #expect(await h.call("PUT", "/v1/devices/\(d.id)/assignments/tiny", token: h.admin, json: #"{"version":"1.2.0","mode":"shadow"}"#).status == 200)
        let second = try CheckInResponse.decode(await h.call("POST", "/v1/devices/\(d.id)/checkin", token: d.token, json: req.encoded()).text)
        let a = try #require(second.assignments.first)
        #expect(a.digest == digest && a.size == Fixture.good.count && a.mode == .shadow && a.version == "1.2.0")
        #expect(a.keyID == Fixture.keyA.publicKey.keyID && a.signature.count == 128)

        let dev = h.json(await h.call("GET", "/v1/devices/" + d.id, token: h.admin))
        #expect(dev["health"]?.stringValue == "degraded" && dev["health_message"]?.stringValue == "thermal throttling")
        #expect(dev["last_seen"]?.intValue == h.clock.now && dev["agent_version"]?.stringValue == "0.2.0")
        #expect(dev["running"]?.arrayValue?.first?["version"]?.stringValue == "1.1.0")
        #expect(dev["buffer"]?["pending_records"]?.intValue == 12)
        #expect(dev["labels"]?["group"]?.stringValue == "lab")
    }

    @Test(arguments: Backend.available)
    func deploymentEventsAreDeduplicated(_ backend: Backend) async throws {
        let h = try await Harness(backend)
        let d = try await h.enroll()
        let events = DeploymentEventBatch(events: [
            DeploymentEvent(eventID: 1, model: "tiny", version: "1.2.0", digest: Fixture.goodDigest, kind: .downloading, reason: nil, time: 1),
            DeploymentEvent(eventID: 2, model: "tiny", version: "1.2.0", digest: Fixture.goodDigest, kind: .selfTestFailed, reason: "case 0 output 3 off by 0.2", time: 2),
        ]).encoded()
        #expect(try EventAck.decode(await h.call("POST", "/v1/devices/\(d.id)/events", token: d.token, json: events).text) == EventAck(accepted: 2, duplicates: 0))
        #expect(try EventAck.decode(await h.call("POST", "/v1/devices/\(d.id)/events", token: d.token, json: events).text) == EventAck(accepted: 0, duplicates: 2))
        let rows = try await h.api.db.query("SELECT kind, reason FROM deployment_events ORDER BY event_id")
        #expect(rows.map { $0.text("kind") } == ["downloading", "self_test_failed"] && rows[1].text("reason").contains("off by"))
    }

    @Test(arguments: Backend.available)
    func telemetryBatchesAreIdempotentBySequenceRange(_ backend: Backend) async throws {
        let h = try await Harness(backend)
        let d = try await h.enroll()
        func send(_ r: ClosedRange<Int>, stream: String = "inference") async throws -> TelemetryAck {
            let resp = await h.call("POST", "/v1/devices/\(d.id)/telemetry", token: d.token, json: TelemetryBatch(stream: stream, records: Self.records(r)).encoded())
            #expect(resp.status == 200, "\(resp.text)")
            return try TelemetryAck.decode(resp.text)
        }
        #expect(try await send(1...10) == TelemetryAck(stream: "inference", acknowledgedSequence: 10, stored: 10, duplicate: false))
        // The acknowledgement was lost; the device sends the same batch again.
        #expect(try await send(1...10) == TelemetryAck(stream: "inference", acknowledgedSequence: 10, stored: 0, duplicate: true))
        // Overlap: only the new part is stored.
        #expect(try await send(6...15) == TelemetryAck(stream: "inference", acknowledgedSequence: 15, stored: 5, duplicate: false))
        // A gap (records evicted on the device) is accepted.
        #expect(try await send(20...21).acknowledgedSequence == 21)
        // Streams are independent.
        #expect(try await send(1...3, stream: "shadow").stored == 3)
        let n = try await h.api.db.one("SELECT COUNT(*) AS n FROM telemetry_records WHERE device_id = ? AND stream = 'inference'", [.text(d.id)])!
        #expect(n.int("n") == 17)

        // Many copies of one batch at once still store each record once.
        let body = TelemetryBatch(stream: "burst", records: Self.records(1...50)).encoded()
        await withTaskGroup(of: Void.self) { g in
            for _ in 0..<8 { g.addTask { await h.call("POST", "/v1/devices/\(d.id)/telemetry", token: d.token, json: body) } }
        }
        let m = try await h.api.db.one("SELECT COUNT(*) AS n FROM telemetry_records WHERE stream = 'burst'")!
        #expect(m.int("n") == 50)
    }

    @Test(arguments: Backend.available)
    func driftWindowsMergePerVersionGroupAndBucket(_ backend: Backend) async throws {
        let h = try await Harness(backend)
        let a = try await h.enroll(labels: #"{"group":"north"}"#), b = try await h.enroll(labels: #"{"group":"north"}"#)
        let c = try await h.enroll(labels: #"{"group":"south"}"#)
        func window(_ start: Int, _ counts: [Int], version: String = "1.2.0") -> DriftWindow {
            DriftWindow(model: "tiny", version: version, windowStart: start, windowSeconds: 600, sampleCount: counts.reduce(0, +),
                        features: [FeatureHistogram(feature: "input.mean", counts: counts)])
        }
        func upload(_ d: (id: String, token: String), _ w: [DriftWindow]) async throws -> DriftAck {
            let r = await h.call("POST", "/v1/devices/\(d.id)/drift", token: d.token, json: DriftUpload(windows: w).encoded())
            #expect(r.status == 200, "\(r.text)")
            return try DriftAck.decode(r.text)
        }
        let hour = 1_800_000_000 - 1_800_000_000 % 3600
        #expect(try await upload(a, [window(hour, [1, 2, 3]), window(hour + 600, [1, 0, 0])]) == DriftAck(merged: 2, duplicates: 0))
        #expect(try await upload(b, [window(hour + 1200, [10, 20, 30])]).merged == 1)
        #expect(try await upload(a, [window(hour, [1, 2, 3])]) == DriftAck(merged: 0, duplicates: 1))
        #expect(try await upload(c, [window(hour, [5, 5, 5]), window(hour + 3600, [7, 0, 0])]).merged == 2)
        #expect(try await upload(c, [window(hour, [1, 1, 1], version: "1.3.0")]).merged == 1)

        let merged = h.json(await h.call("GET", "/v1/drift?model=tiny&version=1.2.0", token: h.admin))["histograms"]!.arrayValue!
        #expect(merged.count == 3)
        let north = try #require(merged.first { $0["group"]?.stringValue == "north" })
        #expect(north["counts"] == .array([.number(12), .number(22), .number(33)]))
        #expect(north["windows"]?.intValue == 3 && north["sample_count"]?.intValue == 67 && north["bucket_start"]?.intValue == hour)
        let south = merged.filter { $0["group"]?.stringValue == "south" }
        #expect(south.map { $0["bucket_start"]?.intValue ?? 0 } == [hour, hour + 3600])

        // Different bin counts for the same version: refused, nothing merged.
        let bad = await h.call("POST", "/v1/devices/\(b.id)/drift", token: b.token,
                               json: DriftUpload(windows: [window(hour + 1800, [1, 2])]).encoded())
        #expect(bad.status == 400 && bad.text.contains("bins"))
        #expect(try await upload(b, [window(hour + 1800, [1, 1, 1])]).merged == 1)
    }
}
