import Foundation
import OutpostJSON
import OutpostProtocol
import Testing

@Suite struct WireTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    @Test func checkInRoundTrip() throws {
        let r = CheckInRequest(agentVersion: "0.1.0",
                               running: [RunningModel(model: "tiny", version: "1.2.0", digest: Self.digest, mode: .active)],
                               buffer: BufferState(pendingRecords: 10, pendingBytes: 2048, evictedRecords: 0),
                               health: Health(status: .ok, uptimeSeconds: 3600))
        #expect(try CheckInRequest.decode(r.encoded()) == r)
        let a = Assignment(model: "tiny", version: "1.2.0", digest: Self.digest, size: 1234, keyID: "0011223344556677",
                           signature: String(repeating: "cd", count: 64), mode: .shadow, rolloutID: "r1")
        let resp = CheckInResponse(deviceID: "d1", assignments: [a], nextCheckInSeconds: 60, serverTime: 1_800_000_000)
        #expect(try CheckInResponse.decode(resp.encoded()) == resp)
    }

    @Test func telemetryAndDriftRoundTrip() throws {
        let recs = (1...3).map { TelemetryRecord(sequence: $0, time: 100 + $0, model: "m", version: "1", latencyMicros: 900, status: .ok, agreed: true) }
        let b = TelemetryBatch(stream: "inference", records: recs)
        #expect(try TelemetryBatch.decode(b.encoded()) == b)
        let w = DriftWindow(model: "m", version: "1", windowStart: 3600, windowSeconds: 3600, sampleCount: 6,
                            features: [FeatureHistogram(feature: "x", counts: [1, 2, 3])], psi: 0.25)
        #expect(try DriftUpload.decode(DriftUpload(windows: [w]).encoded()) == DriftUpload(windows: [w]))
        let ev = DeploymentEvent(eventID: 7, model: "m", version: "1", digest: Self.digest, kind: .selfTestFailed, reason: "case 0 off", time: 5)
        #expect(try DeploymentEventBatch.decode(DeploymentEventBatch(events: [ev]).encoded()).events == [ev])
    }

    @Test func errorsNameTheField() {
        func message(_ text: String) -> String {
            do { _ = try CheckInRequest.decode(text); return "" } catch { return error.description }
        }
        #expect(message("{").contains("malformed JSON"))
        #expect(message("[]").contains("expected an object"))
        #expect(message(#"{"agent_version":1}"#) == "agent_version: expected a string, found a number")
        let bad = #"{"agent_version":"1","running":[{"model":"m","version":"1","digest":"sha256:zz","mode":"active"}],"buffer":{"pending_records":0,"pending_bytes":0,"evicted_records":0},"health":{"status":"ok","uptime_seconds":1}}"#
        #expect(message(bad).hasPrefix("running[0].digest"))
        let badMode = bad.replacingOccurrences(of: "sha256:zz", with: Self.digest).replacingOccurrences(of: "active", with: "live")
        #expect(message(badMode).contains("'live' is not one of: active, shadow"))
    }

    @Test func telemetryBatchConsistency() {
        #expect(throws: WireError.self) {
            try TelemetryBatch.decode(#"{"stream":"s","first_seq":2,"last_seq":1,"records":[]}"#)
        }
        let rec = #"{"seq":5,"time":1,"model":"m","version":"1","latency_us":1,"status":"ok"}"#
        #expect(throws: WireError.self) {
            try TelemetryBatch.decode(#"{"stream":"s","first_seq":4,"last_seq":5,"records":[\#(rec)]}"#)
        }
        #expect((try? TelemetryBatch.decode(#"{"stream":"s","first_seq":5,"last_seq":5,"records":[\#(rec)]}"#)) != nil)
    }

    @Test func histogramsMergeByAddingCounts() {
        var a = FeatureHistogram(feature: "x", counts: [1, 2, 3])
        let merged = a.merge(FeatureHistogram(feature: "x", counts: [4, 5, 6]))
        #expect(merged && a.counts == [5, 7, 9])
        let mismatched = a.merge(FeatureHistogram(feature: "x", counts: [1, 2]))
        #expect(!mismatched && a.counts == [5, 7, 9])
    }
}
