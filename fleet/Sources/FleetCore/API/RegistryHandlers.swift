import Foundation
import OutpostJSON
import OutpostPackage
import OutpostProtocol
import OutpostRuntime

extension FleetAPI {
    /// POST /v1/packages, body = the package file. Accepted only after: the
    /// signature verifies against a trusted publisher key, every blob digest
    /// matches, and the golden self-test passes with the real runtime. Stored
    /// under its SHA-256; a version's bytes never change.
    func uploadPackage(_ req: FleetRequest, _ p: Principal) async throws -> FleetResponse {
        guard !req.body.isEmpty else { throw APIError.badRequest("the body must be the package file (application/octet-stream)") }
        let digest = "sha256:" + Hex.encode(OutpostPackage.SHA256.digest(req.body))
        if let existing = try await db.one("SELECT digest, model, version FROM packages WHERE digest = ?", [.text(digest)]) {
            return .json(try await packageJSON(existing.text("digest")), status: 200)
        }
        var keys = [PublicKey]()
        for row in try await db.query("SELECT public_key FROM publisher_keys") { keys.append(try FleetConfig.parseKey(row.text("public_key"))) }
        if keys.isEmpty { throw APIError.unprocessable("no trusted publisher keys: add one with POST /v1/publisher-keys first") }

        let validated = try validate(req.body, keys: keys)
        let m = validated.package.manifest
        let lineage = m.jsonValue()["lineage"] ?? .object([])
        let now = self.now
        let size = req.body.count
        let bytes = req.body
        try await db.transaction { tx in
            try await tx.lock("package|\(m.name)")
            if let other = try await tx.one("SELECT digest FROM packages WHERE model = ? AND version = ?", [.text(m.name), .text(m.version)]) {
                throw APIError.conflict("\(m.name) \(m.version) already exists with digest \(other.text("digest")); versions are immutable, publish a new version")
            }
            try await tx.query("""
                INSERT INTO packages (digest, model, version, release, size, key_id, signature, parent_version, lineage,
                  golden_cases, golden_max_diff, uploaded_at, uploaded_by, bytes, drift_baseline)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(digest), .text(m.name), .text(m.version), .int(m.release), .int(size), .text(m.keyID),
                      .text(validated.signature), m.lineage.parentVersion.map { .text($0) } ?? .null, .text(lineage.serialized()),
                      .int(validated.cases), .double(validated.maxDiff), .int(now), .text(p.actor), .blob(bytes),
                      m.driftBaseline.map { .text($0.jsonValue().serialized()) } ?? .null])
            try await FleetAPI.audit(tx, now: now, actor: p.actor, action: "package.upload", subject: digest,
                                     detail: "\(m.name) \(m.version) release \(m.release); golden self-test \(validated.cases) case(s) passed")
        }
        logger.info("package accepted", metadata: ["model": "\(m.name)", "version": "\(m.version)", "digest": "\(digest)"])
        return .json(try await packageJSON(digest), status: 201)
    }

    struct Validated {
        var package: ModelPackage
        var signature: String
        var cases: Int
        var maxDiff: Double
    }

    func validate(_ bytes: [UInt8], keys: [PublicKey]) throws -> Validated {
        let buffer = bytes.withUnsafeBytes { Buffer(copying: $0.baseAddress!, count: $0.count) }
        do {
            // Requirements (ISA, runtime version) describe devices, not this server.
            let pkg = try ModelPackage.open(buffer: buffer, policy: VerificationPolicy(trustedKeys: keys, checkRequirements: false))
            guard pkg.manifest.golden != nil else {
                throw APIError.unprocessable("\(pkg.manifest.name) \(pkg.manifest.version) has no golden self-test; the registry accepts only validated packages")
            }
            let model = try pkg.loadModel()
            let session: Session
            do { session = try Session(model: model, options: SessionOptions(threads: 1)) } catch { throw PackageError.runtime(error) }
            let result = try pkg.runGoldenSelfTest(session: session)
            let sig = pkg.layout.signatureRange!
            let signature = Hex.encode(Array(bytes[(sig.lowerBound + PackageFormat.keyIDBytes)..<sig.upperBound]))
            return Validated(package: pkg, signature: signature, cases: result.cases, maxDiff: result.maxAbsDiff)
        } catch let e as PackageError {
            throw APIError.unprocessable("package rejected: \(e.description)")
        }
    }

    func packageJSON(_ digest: String) async throws -> JSONValue {
        guard let row = try await db.one("""
            SELECT digest, model, version, release, size, key_id, parent_version, lineage, golden_cases, golden_max_diff,
              uploaded_at, uploaded_by FROM packages WHERE digest = ?
            """, [.text(digest)]) else { throw APIError.notFound("no package \(digest)") }
        return FleetAPI.packageJSON(row)
    }

    static func packageJSON(_ row: SQLRow) -> JSONValue {
        let lineage = (try? JSONReader.parse(row.text("lineage"))) ?? .object([])
        return .object([
            ("digest", .string(row.text("digest"))), ("model", .string(row.text("model"))), ("version", .string(row.text("version"))),
            ("release", jint(row.int("release"))), ("size", jint(row.int("size"))), ("key_id", .string(row.text("key_id"))),
            ("parent_version", jopt(row.optionalText("parent_version"))), ("lineage", lineage),
            ("golden_cases", jint(row.int("golden_cases"))), ("golden_max_abs_diff", .number(row["golden_max_diff"].double ?? 0)),
            ("uploaded_at", jint(row.int("uploaded_at"))), ("uploaded_by", .string(row.text("uploaded_by"))),
            ("download", .string("/v1/packages/" + row.text("digest"))),
        ])
    }

    func listModels() async throws -> FleetResponse {
        var items = [JSONValue]()
        for row in try await db.query("SELECT model, COUNT(*) AS versions, MAX(release) AS latest_release FROM packages GROUP BY model ORDER BY model") {
            items.append(.object([("model", .string(row.text("model"))), ("versions", jint(row.int("versions"))),
                                  ("latest_release", jint(row.int("latest_release")))]))
        }
        return .json(.object([("models", .array(items))]))
    }

    /// Versions of one model, newest release first, each with its lineage; `children` lists versions naming it as parent.
    func modelVersions(_ req: FleetRequest) async throws -> FleetResponse {
        let model = req.param("model")
        let rows = try await db.query("""
            SELECT digest, model, version, release, size, key_id, parent_version, lineage, golden_cases, golden_max_diff,
              uploaded_at, uploaded_by FROM packages WHERE model = ? ORDER BY release DESC, version
            """, [.text(model)])
        if rows.isEmpty { throw APIError.notFound("no model named '\(model)'") }
        var items = [JSONValue]()
        for row in rows {
            guard case .object(var m) = FleetAPI.packageJSON(row) else { continue }
            var children = [JSONValue]()
            for c in rows where c.optionalText("parent_version") == row.text("version") { children.append(.string(c.text("version"))) }
            m.append(("children", .array(children)))
            items.append(.object(m))
        }
        return .json(.object([("model", .string(model)), ("versions", .array(items))]))
    }

    /// GET /v1/packages/{digest} with optional `Range: bytes=…` (one range).
    func downloadPackage(_ req: FleetRequest) async throws -> FleetResponse {
        let digest = req.param("digest")
        guard isWireDigest(digest) else { throw APIError.badRequest("expected a digest sha256:<64 lowercase hex digits>") }
        guard let row = try await db.one("SELECT bytes FROM packages WHERE digest = ?", [.text(digest)]), let bytes = row["bytes"].blob else {
            throw APIError.notFound("no package \(digest)")
        }
        let size = bytes.count
        var headers: [(String, String)] = [("Content-Type", "application/octet-stream"), ("Accept-Ranges", "bytes"), ("ETag", "\"\(digest)\"")]
        guard let range = req.headers["range"] else {
            return FleetResponse(status: 200, headers: headers, body: bytes)
        }
        guard let r = FleetAPI.parseRange(range, size: size) else {
            headers.append(("Content-Range", "bytes */\(size)"))
            var resp = FleetResponse.error(APIError(416, "range_not_satisfiable", "cannot serve '\(range)' of a \(size)-byte package; use one range bytes=first-last"))
            resp.headers += headers.filter { $0.0 == "Content-Range" }
            return resp
        }
        headers.append(("Content-Range", "bytes \(r.lowerBound)-\(r.upperBound - 1)/\(size)"))
        return FleetResponse(status: 206, headers: headers, body: Array(bytes[r]))
    }

    /// One byte range (RFC 9110 §14.1.2): `a-b`, `a-`, `-n`. nil: unsatisfiable or malformed.
    static func parseRange(_ header: String, size: Int) -> Range<Int>? {
        guard header.hasPrefix("bytes="), size > 0 else { return nil }
        let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        if spec.contains(",") { return nil }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        if parts[0].isEmpty {
            guard let n = Int(parts[1]), n > 0 else { return nil }
            return max(0, size - n)..<size
        }
        guard let first = Int(parts[0]), first >= 0, first < size else { return nil }
        if parts[1].isEmpty { return first..<size }
        guard let last = Int(parts[1]), last >= first else { return nil }
        return first..<(min(last, size - 1) + 1)
    }
}
