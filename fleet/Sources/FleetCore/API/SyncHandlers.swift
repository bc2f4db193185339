import Foundation
import OutpostJSON
import OutpostProtocol

extension FleetAPI {
    /// POST /v1/devices/{id}/checkin: records what the device runs and how it is,
    /// answers with the desired assignments and the next check-in interval.
    func checkIn(_ req: FleetRequest) async throws -> FleetResponse {
        let c = try req.decode(CheckInRequest.self)
        let id = req.param("id")
        try await db.query("""
            UPDATE devices SET last_seen = ?, agent_version = ?, health = ?, health_message = ?, running = ?, buffer = ? WHERE id = ?
            """, [.int(now), .text(c.agentVersion), .text(c.health.status.rawValue), c.health.message.map { .text($0) } ?? .null,
                  .text(wireArray(c.running).serialized()), .text(c.buffer.jsonValue().serialized()), .text(id)])
        let response = CheckInResponse(deviceID: id, assignments: try await assignments(db, id),
                                       nextCheckInSeconds: config.checkInSeconds, serverTime: now)
        return .message(response)
    }

    /// POST /v1/devices/{id}/events: deployment events, deduplicated by (device, event_id).
    func events(_ req: FleetRequest) async throws -> FleetResponse {
        let batch = try req.decode(DeploymentEventBatch.self)
        let id = req.param("id"), now = self.now
        let accepted = try await db.transaction { tx -> Int in
            var n = 0
            for e in batch.events {
                let rows = try await tx.query("""
                    INSERT INTO deployment_events (device_id, event_id, model, version, digest, kind, reason, time, received_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, event_id) DO NOTHING RETURNING event_id
                    """, [.text(id), .int(e.eventID), .text(e.model), .text(e.version), .text(e.digest), .text(e.kind.rawValue),
                          e.reason.map { .text($0) } ?? .null, .int(e.time), .int(now)])
                n += rows.count
            }
            return n
        }
        return .message(EventAck(accepted: accepted, duplicates: batch.events.count - accepted))
    }

    /// POST /v1/devices/{id}/telemetry: stores the records past the stream's
    /// acknowledged sequence and moves it to the batch's last sequence. A re-sent
    /// (or overlapping) batch stores nothing twice and is acknowledged again.
    func telemetry(_ req: FleetRequest) async throws -> FleetResponse {
        let batch = try req.decode(TelemetryBatch.self)
        let id = req.param("id")
        let ack = try await db.transaction { tx -> TelemetryAck in
            try await tx.lock("telemetry|\(id)|\(batch.stream)")
            let acked = try await tx.one("SELECT acked_seq FROM telemetry_streams WHERE device_id = ? AND stream = ?" + tx.forUpdate,
                                         [.text(id), .text(batch.stream)])?.int("acked_seq") ?? 0
            if batch.lastSequence <= acked {
                return TelemetryAck(stream: batch.stream, acknowledgedSequence: acked, stored: 0, duplicate: true)
            }
            let fresh = batch.records.filter { $0.sequence > acked }
            var i = 0
            while i < fresh.count {
                let chunk = fresh[i..<min(i + 400, fresh.count)]
                var sql = "INSERT INTO telemetry_records (device_id, stream, seq, time, model, version, latency_us, status, agreed) VALUES "
                var binds = [SQLValue]()
                binds.reserveCapacity(chunk.count * 9)
                for (k, r) in chunk.enumerated() {
                    sql += k == 0 ? "(?, ?, ?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    binds += [.text(id), .text(batch.stream), .int(r.sequence), .int(r.time), .text(r.model), .text(r.version),
                              .int(r.latencyMicros), .text(r.status.rawValue), r.agreed.map { .int($0 ? 1 : 0) } ?? .null]
                }
                try await tx.query(sql + " ON CONFLICT (device_id, stream, seq) DO NOTHING", binds)
                i += chunk.count
            }
            try await tx.query("""
                INSERT INTO telemetry_streams (device_id, stream, acked_seq) VALUES (?, ?, ?)
                ON CONFLICT (device_id, stream) DO UPDATE SET acked_seq = excluded.acked_seq
                """, [.text(id), .text(batch.stream), .int(batch.lastSequence)])
            return TelemetryAck(stream: batch.stream, acknowledgedSequence: batch.lastSequence, stored: fresh.count, duplicate: false)
        }
        return .message(ack)
    }

    /// POST /v1/devices/{id}/drift: each window is merged (counts added) into the
    /// bucket of its model version, the device's label group and its time bucket.
    /// A window already received from this device is not counted twice.
    func drift(_ req: FleetRequest) async throws -> FleetResponse {
        let upload = try req.decode(DriftUpload.self)
        let id = req.param("id")
        let bucketSeconds = config.driftBucketSeconds
        guard let dev = try await db.one("SELECT labels FROM devices WHERE id = ?", [.text(id)]) else { throw APIError.notFound("no device '\(id)'") }
        let group = labelsFrom(dev.text("labels"))[config.groupLabel] ?? "all"
        for (wi, w) in upload.windows.enumerated() {
            var seen = Set<String>()
            for f in w.features where !seen.insert(f.feature).inserted {
                throw APIError.badRequest("windows[\(wi)]: feature '\(f.feature)' appears twice")
            }
        }
        let ack = try await db.transaction { tx -> DriftAck in
            var merged = 0
            for (wi, w) in upload.windows.enumerated() {
                let fresh = try await tx.query("""
                    INSERT INTO drift_received (device_id, model, version, window_start) VALUES (?, ?, ?, ?)
                    ON CONFLICT (device_id, model, version, window_start) DO NOTHING RETURNING window_start
                    """, [.text(id), .text(w.model), .text(w.version), .int(w.windowStart)])
                if fresh.isEmpty { continue }
                merged += 1
                let bucket = w.windowStart - w.windowStart % bucketSeconds
                try await tx.lock("drift|\(w.model)|\(w.version)|\(group)|\(bucket)")
                for f in w.features {
                    let key: [SQLValue] = [.text(w.model), .text(w.version), .text(group), .int(bucket), .text(f.feature)]
                    if let row = try await tx.one("""
                        SELECT counts, windows, sample_count FROM drift_merged
                        WHERE model = ? AND version = ? AND label_group = ? AND bucket_start = ? AND feature = ?
                        """ + tx.forUpdate, key) {
                        var h = FeatureHistogram(feature: f.feature, counts: FleetAPI.counts(row.text("counts")))
                        guard h.merge(f) else {
                            throw APIError.badRequest("windows[\(wi)]: feature '\(f.feature)' has \(f.counts.count) bins, the merged histogram \(h.counts.count); the same model version has the same bins")
                        }
                        try await tx.query("""
                            UPDATE drift_merged SET counts = ?, windows = windows + 1, sample_count = sample_count + ?
                            WHERE model = ? AND version = ? AND label_group = ? AND bucket_start = ? AND feature = ?
                            """, [.text(FleetAPI.countsText(h.counts)), .int(w.sampleCount)] + key)
                    } else {
                        try await tx.query("""
                            INSERT INTO drift_merged (model, version, label_group, bucket_start, feature, counts, windows, sample_count)
                            VALUES (?, ?, ?, ?, ?, ?, 1, ?)
                            """, key + [.text(FleetAPI.countsText(f.counts)), .int(w.sampleCount)])
                    }
                }
            }
            return DriftAck(merged: merged, duplicates: upload.windows.count - merged)
        }
        return .message(ack)
    }

    static func countsText(_ c: [Int]) -> String {
        var a = [JSONValue]()
        for n in c { a.append(jint(n)) }
        return JSONValue.array(a).serialized()
    }

    static func counts(_ text: String) -> [Int] {
        guard let v = try? JSONReader.parse(text), let a = v.arrayValue else { return [] }
        return a.compactMap { $0.intValue }
    }

    /// GET /v1/drift?model=M&version=V[&group=G]: merged histograms per group and bucket.
    func mergedDrift(_ req: FleetRequest) async throws -> FleetResponse {
        guard let model = req.query["model"], let version = req.query["version"] else {
            throw APIError.badRequest("query parameters 'model' and 'version' are required")
        }
        var sql = "SELECT label_group, bucket_start, feature, counts, windows, sample_count FROM drift_merged WHERE model = ? AND version = ?"
        var binds: [SQLValue] = [.text(model), .text(version)]
        if let g = req.query["group"] { sql += " AND label_group = ?"; binds.append(.text(g)) }
        let baseline = try await driftBaseline(model: model, version: version)
        var items = [JSONValue]()
        for row in try await db.query(sql + " ORDER BY label_group, bucket_start, feature", binds) {
            let psi = baseline.flatMap { FleetAPI.psi(FleetAPI.counts(row.text("counts")), $0, feature: row.text("feature")) }
            var counts = [JSONValue]()
            for n in FleetAPI.counts(row.text("counts")) { counts.append(jint(n)) }
            items.append(.object([("group", .string(row.text("label_group"))), ("bucket_start", jint(row.int("bucket_start"))),
                                  ("bucket_seconds", jint(config.driftBucketSeconds)), ("feature", .string(row.text("feature"))),
                                  ("counts", .array(counts)), ("windows", jint(row.int("windows"))),
                                  ("sample_count", jint(row.int("sample_count"))), ("psi", psi.map { .number($0) } ?? .null)]))
        }
        return .json(.object([("model", .string(model)), ("version", .string(version)), ("histograms", .array(items))]))
    }

    /// The drift baseline stored from the package manifest (nil: none).
    func driftBaseline(_ ex: (any SQLExecutor)? = nil, model: String, version: String) async throws -> JSONValue? {
        guard let row = try await (ex ?? db).one("SELECT drift_baseline FROM packages WHERE model = ? AND version = ?", [.text(model), .text(version)]),
              let text = row.optionalText("drift_baseline") else { return nil }
        return try? JSONReader.parse(text)
    }

    /// PSI of merged counts against the baseline's proportions for `feature`:
    /// sum over bins of (q - p) ln(q / p), with the baseline's additive smoothing
    /// on the observed counts. nil when the feature is unknown or the bins differ.
    public static func psi(_ counts: [Int], _ baseline: JSONValue, feature: String) -> Double? {
        let smoothing = baseline["smoothing"]?.doubleValue ?? 0.5
        guard let features = baseline["features"]?.arrayValue,
              let f = features.first(where: { $0["name"]?.stringValue == feature }),
              let props = f["proportions"]?.arrayValue?.compactMap({ $0.doubleValue }), props.count == counts.count, !counts.isEmpty else { return nil }
        let total = Double(counts.reduce(0, +)) + smoothing * Double(counts.count)
        guard total > 0 else { return nil }
        var sum = 0.0
        for i in 0..<counts.count {
            let q = (Double(counts[i]) + smoothing) / total, p = max(props[i], 1e-12)
            sum += (q - p) * log(q / p)
        }
        return sum
    }
}
