import FleetCore
import Foundation
import OutpostJSON
import OutpostProtocol
import Testing

/// Rollouts driven through every transition with simulated device reports.
@Suite struct RolloutTests {
    struct Fleet {
        let h: Harness
        var lab: [(id: String, token: String)] = []
        var other: [(id: String, token: String)] = []
        var v12 = "", v13 = ""
        var eventID = 0

        init(_ backend: Backend, labDevices: Int = 40) async throws {
            h = try await Harness(backend)
            v12 = try await h.uploadGood()
            let r = await h.call("POST", "/v1/packages", token: h.admin, body: Fixture.build(version: "1.3.0", release: 6, parent: "1.2.0"))
            v13 = h.json(r)["digest"]?.stringValue ?? ""
            let t = h.json(await h.call("POST", "/v1/enrollment-tokens", token: h.admin, json: #"{"labels":{"group":"lab"},"max_uses":1000}"#))["token"]!.stringValue!
            let o = h.json(await h.call("POST", "/v1/enrollment-tokens", token: h.admin, json: #"{"labels":{"group":"other"},"max_uses":10}"#))["token"]!.stringValue!
            for i in 0..<(labDevices + 3) {
                let e = try EnrollResponse.decode(await h.call("POST", "/v1/enroll", json: EnrollRequest(token: i < labDevices ? t : o, hardwareID: "hw\(i)", agentVersion: "1").encoded()).text)
                if i < labDevices { lab.append((e.deviceID, e.credential)) } else { other.append((e.deviceID, e.credential)) }
            }
        }

        func rollout(_ id: String) async -> JSONValue { h.json(await h.call("GET", "/v1/rollouts/" + id, token: h.admin)) }

        func act(_ id: String, _ action: String, expect status: Int = 200) async -> JSONValue {
            let r = await h.call("POST", "/v1/rollouts/\(id)/\(action)", token: h.admin, json: #"{"reason":"test \#(action)"}"#)
            #expect(r.status == status, "\(action): \(r.text)")
            return h.json(r)
        }

        /// Devices currently assigned `digest` for model tiny.
        func assigned(_ digest: String) async throws -> Set<String> {
            Set(try await h.api.db.query("SELECT device_id FROM assignments WHERE model = 'tiny' AND digest = ?", [.text(digest)]).map { $0.text("device_id") })
        }

        mutating func report(_ d: (id: String, token: String), kind: DeploymentEventKind, errors: Int = 0, records: Int = 20, agreed: Bool? = nil) async {
            eventID += 1
            let ev = DeploymentEventBatch(events: [DeploymentEvent(eventID: eventID, model: "tiny", version: "1.3.0", digest: v13, kind: kind, reason: nil, time: h.clock.now)])
            #expect(await h.call("POST", "/v1/devices/\(d.id)/events", token: d.token, json: ev.encoded()).status == 200)
            let base = eventID * 1000
            let recs = (1...records).map { TelemetryRecord(sequence: base + $0, time: h.clock.now, model: "tiny", version: "1.3.0", latencyMicros: 900,
                                                           status: $0 <= errors ? .error : .ok, agreed: agreed) }
            #expect(await h.call("POST", "/v1/devices/\(d.id)/telemetry", token: d.token, json: TelemetryBatch(stream: "inference", records: recs).encoded()).status == 200)
        }
    }

    @Test func bucketingIsDeterministicAndRoughlyUniform() {
        #expect(FleetAPI.bucket(rollout: "r-1", device: "d-1") == FleetAPI.bucket(rollout: "r-1", device: "d-1"))
        let below10 = (0..<10_000).filter { FleetAPI.bucket(rollout: "r-x", device: "dev\($0)") < 10 }.count
        #expect(below10 > 850 && below10 < 1150)
    }

    @Test(arguments: Backend.available)
    func stagesSoakGatesPausePromoteRollback(_ backend: Backend) async throws {
        var f = try await Fleet(backend)
        let h = f.h
        let created = await h.call("POST", "/v1/rollouts", token: h.admin, json: """
            {"model":"tiny","version":"1.3.0","selector":{"group":"lab"},"stages":[25,50,100],"soak_seconds":600,
             "gates":{"min_devices":2,"max_activation_failure_rate":0.05,"max_error_rate":0.1},"on_breach":"pause"}
            """)
        #expect(created.status == 201, "\(created.text)")
        let id = h.json(created)["id"]!.stringValue!
        #expect(h.json(created)["previous_digest"]?.stringValue == f.v12)
        // A second active rollout of the same model is refused.
        #expect(await h.call("POST", "/v1/rollouts", token: h.admin, json: #"{"model":"tiny","version":"1.2.0"}"#).status == 409)

        // Stage 0 (25%): exactly the lab devices bucketed below 25.
        let expected0 = Set(f.lab.filter { FleetAPI.bucket(rollout: id, device: $0.id) < 25 }.map(\.id))
        #expect(try await f.assigned(f.v13) == expected0)
        #expect(expected0.count >= 2)
        let cohort0 = f.lab.filter { expected0.contains($0.id) }
        // The cohort sees the assignment at check-in; a device outside does not.
        let ci = CheckInRequest(agentVersion: "1", running: [], buffer: BufferState(pendingRecords: 0, pendingBytes: 0, evictedRecords: 0), health: Health(status: .ok, uptimeSeconds: 1)).encoded()
        let seen = try CheckInResponse.decode(await h.call("POST", "/v1/devices/\(cohort0[0].id)/checkin", token: cohort0[0].token, json: ci).text)
        #expect(seen.assignments.first?.digest == f.v13 && seen.assignments.first?.rolloutID == id)
        #expect(try CheckInResponse.decode(await h.call("POST", "/v1/devices/\(f.other[0].id)/checkin", token: f.other[0].token, json: ci).text).assignments.isEmpty)

        // Soak not over, nobody reporting: stays.
        #expect(await f.act(id, "evaluate")["stage_index"]?.intValue == 0)
        // Soak over but nobody reports (offline): not a failure, and no advance.
        h.clock.advance(601)
        let quiet = await f.act(id, "evaluate")
        #expect(quiet["stage_index"]?.intValue == 0 && quiet["state"]?.stringValue == "running")
        #expect(quiet["gate_values"]?["reporting_devices"]?.intValue == 0)
        // Healthy reports from the cohort: advances to 50%.
        for d in cohort0 { await f.report(d, kind: .activated, errors: 1) }
        let s1 = await f.act(id, "evaluate")
        #expect(s1["stage_index"]?.intValue == 1 && s1["state"]?.stringValue == "running", "\(s1.serialized())")
        let expected1 = Set(f.lab.filter { FleetAPI.bucket(rollout: id, device: $0.id) < 50 }.map(\.id))
        #expect(try await f.assigned(f.v13) == expected1)

        // Stage 1: activation failures above the gate → automatic pause.
        h.clock.advance(10)
        let cohort1 = f.lab.filter { expected1.contains($0.id) && !expected0.contains($0.id) }
        for (i, d) in cohort1.enumerated() { await f.report(d, kind: i < 2 ? .selfTestFailed : .activated) }
        let paused = await f.act(id, "evaluate")
        if cohort1.count >= 2 {
            #expect(paused["state"]?.stringValue == "paused", "\(paused.serialized())")
            #expect(paused["reason"]?.stringValue?.contains("activation failure rate") == true)
            // Paused: evaluation changes nothing; pause again is a conflict.
            #expect(await f.act(id, "evaluate")["state"]?.stringValue == "paused")
            _ = await f.act(id, "pause", expect: 409)
            #expect(await f.act(id, "resume")["state"]?.stringValue == "running")
        }
        // Manual promote to 100%: every lab device, no other device.
        let full = await f.act(id, "promote")
        #expect(full["stage_index"]?.intValue == 2)
        #expect(try await f.assigned(f.v13) == Set(f.lab.map(\.id)))
        // Manual rollback: a new assignment of the previous version (1.2.0) for the whole cohort.
        let back = await f.act(id, "rollback")
        #expect(back["state"]?.stringValue == "rolled_back")
        #expect(try await f.assigned(f.v12) == Set(f.lab.map(\.id)))
        #expect(try await f.assigned(f.v13).isEmpty)
        _ = await f.act(id, "resume", expect: 409)
        _ = await f.act(id, "abort", expect: 409)

        let audit = h.json(await h.call("GET", "/v1/audit?limit=1000", token: h.admin))["entries"]!.arrayValue!
        let actions = Set(audit.filter { $0["subject"]?.stringValue == id }.compactMap { $0["action"]?.stringValue })
        #expect(actions.isSuperset(of: ["rollout.create", "rollout.evaluate", "rollout.promote", "rollout.rollback"]))
        #expect(audit.contains { $0["subject"]?.stringValue == id && $0["detail"]?.stringValue?.contains("soak time passed") == true })
    }

    @Test(arguments: Backend.available)
    func errorRateBreachRollsBackAutomaticallyAndAbortStops(_ backend: Backend) async throws {
        var f = try await Fleet(backend, labDevices: 12)
        let h = f.h
        let r = h.json(await h.call("POST", "/v1/rollouts", token: h.admin, json: """
            {"model":"tiny","version":"1.3.0","selector":{"group":"lab"},"stages":[100],"soak_seconds":0,
             "gates":{"min_devices":3,"max_error_rate":0.05},"on_breach":"rollback"}
            """))
        let id = r["id"]!.stringValue!
        #expect(try await f.assigned(f.v13).count == 12)
        // Two reporting devices: below the minimum sample, even with errors → no judgement.
        await f.report(f.lab[0], kind: .activated, errors: 10)
        await f.report(f.lab[1], kind: .activated, errors: 10)
        #expect(await f.act(id, "evaluate")["state"]?.stringValue == "running")
        await f.report(f.lab[2], kind: .activated, errors: 10)
        let rolled = await f.act(id, "evaluate")
        #expect(rolled["state"]?.stringValue == "rolled_back" && rolled["reason"]?.stringValue?.contains("inference error rate") == true, "\(rolled.serialized())")
        #expect(try await f.assigned(f.v12).count == 12)

        // A shadow rollout with poor agreement pauses; abort ends it, devices keep their assignment.
        let s = h.json(await h.call("POST", "/v1/rollouts", token: h.admin, json: """
            {"model":"tiny","version":"1.3.0","selector":{"group":"lab"},"stages":[100],"soak_seconds":0,"mode":"shadow",
             "gates":{"min_devices":1,"min_shadow_agreement":0.9}}
            """))
        let sid = s["id"]!.stringValue!
        h.clock.advance(5)
        await f.report(f.lab[3], kind: .activated, records: 10, agreed: false)
        let p = await f.act(sid, "evaluate")
        #expect(p["state"]?.stringValue == "paused" && p["reason"]?.stringValue?.contains("shadow agreement") == true, "\(p.serialized())")
        #expect(await f.act(sid, "abort")["state"]?.stringValue == "aborted")
        #expect(try await f.assigned(f.v13).count == 12)
    }
}

/// Two fleet managers on one database: concurrent promotes of one rollout advance
/// it exactly one stage per successful call, never skipping or double-applying;
/// concurrent evaluations after the soak advance it once.
@Suite struct ReplicaTests {
    @Test(arguments: Backend.available)
    func twoReplicasAdvanceARolloutOnce(_ backend: Backend) async throws {
        let f = try await RolloutTests.Fleet(backend, labDevices: 8)
        let h = f.h
        let replica = FleetAPI(db: try h.reopen(), config: h.api.config, logger: h.api.logger)
        let clock = h.clock
        replica.clock = { clock.now }
        let r = h.json(await h.call("POST", "/v1/rollouts", token: h.admin, json: """
            {"model":"tiny","version":"1.3.0","selector":{"group":"lab"},"stages":[10,20,30,40,50,60,70,80,90,100],"soak_seconds":100,
             "gates":{"min_devices":1}}
            """))
        let id = r["id"]!.stringValue!
        // Make every stage judgeable: one device of the rollout reports.
        var g = f
        h.clock.advance(1)
        for d in f.lab where FleetAPI.bucket(rollout: id, device: d.id) < 10 { await g.report(d, kind: .activated) }
        _ = await h.call("POST", "/v1/rollouts/\(id)/promote", token: h.admin, json: "{}")  // stage 1: 20%, everyone in bucket<20
        // 8 concurrent promotes, half through each replica: stage index goes up by exactly the number of 200s.
        let statuses = await withTaskGroup(of: Int.self) { group in
            for i in 0..<8 {
                group.addTask {
                    let api = i % 2 == 0 ? h.api : replica
                    var req = FleetRequest(method: "POST", path: "/v1/rollouts/\(id)/promote", headers: ["authorization": "Bearer " + h.admin], body: Array("{}".utf8))
                    req.params = [:]
                    return await api.handle(req).status
                }
            }
            var s = [Int]()
            for await x in group { s.append(x) }
            return s
        }
        let after = h.json(await h.call("GET", "/v1/rollouts/" + id, token: h.admin))
        #expect(statuses.filter { $0 == 200 }.count == 8, "\(statuses)")
        #expect(after["stage_index"]?.intValue == 9 && after["state"]?.stringValue == "running", "\(after.serialized())")
        let promotes = try await h.api.db.query("SELECT detail FROM audit_log WHERE subject = ? AND action = 'rollout.promote'", [.text(id)])
        #expect(promotes.count == 9)
        // Concurrent evaluations on both replicas after the soak: exactly one completes the rollout.
        h.clock.advance(101)
        for d in f.lab { await g.report(d, kind: .activated) }
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<6 { group.addTask { await (i % 2 == 0 ? h.api : replica).evaluateRollouts() } }
        }
        let done = h.json(await h.call("GET", "/v1/rollouts/" + id, token: h.admin))
        #expect(done["state"]?.stringValue == "completed")
        let completions = try await h.api.db.query("SELECT id FROM audit_log WHERE subject = ? AND detail LIKE '%-> completed%'", [.text(id)])
        #expect(completions.count == 1)
    }
}

@Suite struct DriftGateTests {
    @Test(arguments: Backend.available)
    func psiAgainstTheBaselinePausesARollout(_ backend: Backend) async throws {
        var f = try await RolloutTests.Fleet(backend, labDevices: 4)
        let h = f.h
        let stored = try #require(try await h.api.db.one("SELECT drift_baseline FROM packages WHERE version = '1.3.0'")?.optionalText("drift_baseline"))
        let baseline = try JSONReader.parse(stored)
        let feature = try #require(baseline["features"]?.arrayValue?.first)
        let name = feature["name"]!.stringValue!
        let props = feature["proportions"]!.arrayValue!.map { $0.doubleValue! }
        let like = props.map { Int(($0 * 1000).rounded()) }
        var skew = Array(repeating: 0, count: props.count)
        skew[0] = 1000
        #expect(try #require(FleetAPI.psi(like, baseline, feature: name)) < 0.01)
        #expect(try #require(FleetAPI.psi(skew, baseline, feature: name)) > 1)
        #expect(FleetAPI.psi([1, 2], baseline, feature: name) == nil || props.count == 2)

        let r = h.json(await h.call("POST", "/v1/rollouts", token: h.admin, json: """
            {"model":"tiny","version":"1.3.0","selector":{"group":"lab"},"stages":[100],"soak_seconds":0,"gates":{"min_devices":1,"max_psi":0.25}}
            """))
        let id = r["id"]!.stringValue!
        h.clock.advance(1)
        await f.report(f.lab[0], kind: .activated)
        let w = DriftWindow(model: "tiny", version: "1.3.0", windowStart: h.clock.now, windowSeconds: 600, sampleCount: 1000,
                            features: [FeatureHistogram(feature: name, counts: skew)])
        #expect(await h.call("POST", "/v1/devices/\(f.lab[0].id)/drift", token: f.lab[0].token, json: DriftUpload(windows: [w]).encoded()).status == 200)
        let merged = h.json(await h.call("GET", "/v1/drift?model=tiny&version=1.3.0", token: h.admin))["histograms"]!.arrayValue!
        #expect((merged.first?["psi"]?.doubleValue ?? 0) > 1)
        let p = await f.act(id, "evaluate")
        #expect(p["state"]?.stringValue == "paused" && p["reason"]?.stringValue?.contains("drift PSI") == true, "\(p.serialized())")
        #expect((p["gate_values"]?["max_psi"]?.doubleValue ?? 0) > 1)
    }
}
