/// Versioned schema migrations, applied in order inside one transaction each and
/// recorded in `schema_migrations`. Statements are written once with
/// `{BIGINT}`, `{BLOB}`, `{REAL}`, `{SERIAL}` standing for the dialect's types.
public enum Migrations {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let statements: [String]
    }

    public static let all: [Migration] = [
        Migration(version: 1, name: "initial schema", statements: [
            """
            CREATE TABLE admin_tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL,
              created_at {BIGINT} NOT NULL, revoked_at {BIGINT})
            """,
            """
            CREATE TABLE publisher_keys (key_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, name TEXT NOT NULL,
              added_at {BIGINT} NOT NULL)
            """,
            """
            CREATE TABLE packages (digest TEXT PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL,
              release {BIGINT} NOT NULL, size {BIGINT} NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL,
              parent_version TEXT, lineage TEXT NOT NULL, golden_cases {BIGINT} NOT NULL, golden_max_diff {REAL} NOT NULL,
              uploaded_at {BIGINT} NOT NULL, uploaded_by TEXT NOT NULL, bytes {BLOB} NOT NULL,
              UNIQUE (model, version))
            """,
            """
            CREATE TABLE enrollment_tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL, labels TEXT NOT NULL,
              expires_at {BIGINT} NOT NULL, max_uses {BIGINT} NOT NULL, uses {BIGINT} NOT NULL,
              created_at {BIGINT} NOT NULL, revoked_at {BIGINT})
            """,
            """
            CREATE TABLE devices (id TEXT PRIMARY KEY, hash TEXT NOT NULL, hardware_id TEXT NOT NULL, labels TEXT NOT NULL,
              enrolled_at {BIGINT} NOT NULL, enrolled_with TEXT NOT NULL, last_seen {BIGINT}, agent_version TEXT NOT NULL,
              health TEXT NOT NULL, health_message TEXT, running TEXT NOT NULL, buffer TEXT NOT NULL, revoked_at {BIGINT})
            """,
            """
            CREATE TABLE assignments (device_id TEXT NOT NULL REFERENCES devices(id), model TEXT NOT NULL,
              digest TEXT NOT NULL REFERENCES packages(digest), mode TEXT NOT NULL, rollout_id TEXT,
              assigned_at {BIGINT} NOT NULL, PRIMARY KEY (device_id, model))
            """,
            """
            CREATE TABLE deployment_events (device_id TEXT NOT NULL, event_id {BIGINT} NOT NULL, model TEXT NOT NULL,
              version TEXT NOT NULL, digest TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT, time {BIGINT} NOT NULL,
              received_at {BIGINT} NOT NULL, PRIMARY KEY (device_id, event_id))
            """,
            """
            CREATE TABLE telemetry_streams (device_id TEXT NOT NULL, stream TEXT NOT NULL, acked_seq {BIGINT} NOT NULL,
              PRIMARY KEY (device_id, stream))
            """,
            """
            CREATE TABLE telemetry_records (device_id TEXT NOT NULL, stream TEXT NOT NULL, seq {BIGINT} NOT NULL,
              time {BIGINT} NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, latency_us {BIGINT} NOT NULL,
              status TEXT NOT NULL, agreed {BIGINT}, PRIMARY KEY (device_id, stream, seq))
            """,
            "CREATE INDEX telemetry_by_version ON telemetry_records (model, version)",
            """
            CREATE TABLE drift_received (device_id TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL,
              window_start {BIGINT} NOT NULL, PRIMARY KEY (device_id, model, version, window_start))
            """,
            """
            CREATE TABLE drift_merged (model TEXT NOT NULL, version TEXT NOT NULL, label_group TEXT NOT NULL,
              bucket_start {BIGINT} NOT NULL, feature TEXT NOT NULL, counts TEXT NOT NULL, windows {BIGINT} NOT NULL,
              PRIMARY KEY (model, version, label_group, bucket_start, feature))
            """,
            """
            CREATE TABLE audit_log (id {SERIAL}, time {BIGINT} NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
              subject TEXT NOT NULL, detail TEXT NOT NULL)
            """,
        ]),
        Migration(version: 2, name: "drift sample counts", statements: [
            "ALTER TABLE drift_merged ADD COLUMN sample_count {BIGINT} NOT NULL DEFAULT 0",
        ]),
        Migration(version: 3, name: "staged rollouts", statements: [
            """
            CREATE TABLE rollouts (id TEXT PRIMARY KEY, model TEXT NOT NULL, digest TEXT NOT NULL REFERENCES packages(digest),
              previous_digest TEXT, selector TEXT NOT NULL, stages TEXT NOT NULL, stage_index {BIGINT} NOT NULL,
              state TEXT NOT NULL, stage_started_at {BIGINT} NOT NULL, soak_seconds {BIGINT} NOT NULL, gates TEXT NOT NULL,
              on_breach TEXT NOT NULL, mode TEXT NOT NULL, reason TEXT NOT NULL, created_at {BIGINT} NOT NULL,
              created_by TEXT NOT NULL, updated_at {BIGINT} NOT NULL)
            """,
        ]),
        Migration(version: 4, name: "drift baselines", statements: [
            "ALTER TABLE packages ADD COLUMN drift_baseline TEXT",
        ]),
        // Alerts themselves are derived on each request; what was notified is
        // stored so an alert is sent once when it fires and once when it clears,
        // across restarts and replicas. Deliveries are an outbox retried until
        // the receiver answers 2xx or the attempts run out.
        Migration(version: 5, name: "alert webhooks", statements: [
            """
            CREATE TABLE alert_notifications (alert_key TEXT PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL,
              severity TEXT NOT NULL, message TEXT NOT NULL, link TEXT NOT NULL, since {BIGINT} NOT NULL,
              fired_at {BIGINT} NOT NULL, resolved_at {BIGINT})
            """,
            """
            CREATE TABLE webhook_deliveries (id {SERIAL}, url TEXT NOT NULL, event TEXT NOT NULL, alert_key TEXT NOT NULL,
              payload TEXT NOT NULL, created_at {BIGINT} NOT NULL, state TEXT NOT NULL, attempts {BIGINT} NOT NULL,
              next_attempt_at {BIGINT} NOT NULL, lease_until {BIGINT} NOT NULL, last_status {BIGINT}, last_error TEXT,
              delivered_at {BIGINT})
            """,
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at)",
        ]),
    ]

    public static func translate(_ sql: String, _ dialect: SQLDialect) -> String {
        switch dialect {
        case .sqlite:
            return sql.replacingOccurrences(of: "{BIGINT}", with: "INTEGER").replacingOccurrences(of: "{BLOB}", with: "BLOB")
                .replacingOccurrences(of: "{REAL}", with: "REAL").replacingOccurrences(of: "{SERIAL}", with: "INTEGER PRIMARY KEY AUTOINCREMENT")
        case .postgres:
            return sql.replacingOccurrences(of: "{BIGINT}", with: "BIGINT").replacingOccurrences(of: "{BLOB}", with: "BYTEA")
                .replacingOccurrences(of: "{REAL}", with: "DOUBLE PRECISION").replacingOccurrences(of: "{SERIAL}", with: "BIGSERIAL PRIMARY KEY")
        }
    }

    /// Applies every migration newer than the database's version; returns the
    /// versions applied. Replicas starting together are serialised by the
    /// migration lock (PostgreSQL advisory lock; SQLite's write lock).
    @discardableResult
    public static func migrate(_ db: any FleetDatabase, now: Int) async throws -> [Int] {
        try await db.query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
        var applied = [Int]()
        for m in all {
            let did = try await db.transaction { tx -> Bool in
                try await tx.lock("outpost-fleet-migrations")
                if try await tx.one("SELECT version FROM schema_migrations WHERE version = ?", [.int(m.version)]) != nil { return false }
                for s in m.statements { try await tx.query(translate(s, tx.dialect)) }
                try await tx.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                                   [.int(m.version), .text(m.name), .int(now)])
                return true
            }
            if did { applied.append(m.version) }
        }
        return applied
    }
}
