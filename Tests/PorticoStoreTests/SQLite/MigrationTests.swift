import Foundation
import GRDB
import PorticoCore
import Testing

@testable import PorticoStore

struct MigrationTests {
    static let schemaURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("schema.sql")

    /// Every schema object as (type, name) → SQL with comments dropped and whitespace collapsed.
    static func objects(_ db: Database) throws -> [String: String] {
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'grdb_%' AND name NOT LIKE 'sqlite_%'"
        )
        var result: [String: String] = [:]
        for row in rows {
            let sql: String = row["sql"]
            let stripped = sql.split(separator: "\n").map { line in
                line.split(separator: "--", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            }
            .joined(separator: " ")
            result["\(row["type"] as String) \(row["name"] as String)"] = stripped.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                .replacingOccurrences(of: " ,", with: ",")
                // A table rebuilt and renamed keeps its name quoted ("audit_log"); schema.sql does not quote.
                .replacingOccurrences(of: "\"", with: "")
        }
        return result
    }

    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("portico-store-\(UUID().uuidString).sqlite").path
    }

    @Test func migratedDatabaseEqualsSchemaFile() async throws {
        let store = try SQLiteStore(configuration: StoreConfiguration(path: Self.temporaryPath()))
        let migrated = try await store.pool.read { try Self.objects($0) }

        let reference = try DatabaseQueue()
        let schema = try String(contentsOf: Self.schemaURL, encoding: .utf8)
        try await reference.write { try $0.execute(sql: schema) }
        let expected = try await reference.read { try Self.objects($0) }

        #expect(!expected.isEmpty)
        #expect(Set(migrated.keys) == Set(expected.keys))
        for (name, sql) in expected {
            #expect(migrated[name] == sql, "\(name) differs from schema.sql")
        }
    }

    @Test func olderDatabaseIsBroughtToCurrentKeepingItsData() async throws {
        let path = Self.temporaryPath()
        let old = try SQLiteStore(configuration: StoreConfiguration(path: path), migrate: false)
        try old.migrate(upTo: Migrations.identifiers[0])
        try await old.pool.write { db in
            try db.execute(sql: "INSERT INTO organizations (id, name, created_at) VALUES ('org_1', 'Old Co', 1)")
        }
        #expect(try await old.readiness() == false)
        try old.close()

        let upgraded = try SQLiteStore(configuration: StoreConfiguration(path: path))
        #expect(try await upgraded.readiness())
        #expect(try await upgraded.organization(id: "org_1")?.name == "Old Co")
        let check = try await upgraded.check()
        #expect(check.schemaCurrent)
        #expect(check.appliedMigrations == Migrations.identifiers)
        #expect(try upgraded.migrate().isEmpty)
    }

    /// The alerts migration counts existing usage into its periods (UTC month, and UTC day for
    /// requests), so the current month's thresholds are judged on all of it.
    @Test func usageBeforeTheAlertsMigrationIsCountedIntoItsPeriods() async throws {
        let path = Self.temporaryPath()
        let old = try SQLiteStore(configuration: StoreConfiguration(path: path), migrate: false)
        try old.migrate(upTo: "2026-12-07-user-two-factor")
        // 2025-11-30T23:00Z, 2025-12-01T00:00Z and 01:00Z: two months, two days.
        let hours: [Int64] = [1_764_543_600_000, 1_764_547_200_000, 1_764_550_800_000]
        try await old.pool.write { db in
            try db.execute(sql: "INSERT INTO organizations (id, name, created_at) VALUES ('org_1', 'Old Co', 1)")
            for (index, hour) in hours.enumerated() {
                for metric in ["requests", "tokens"] {
                    try db.execute(
                        sql:
                            "INSERT INTO usage_buckets (organization_id, livemode, hour_start, metric, key_id, quantity) VALUES ('org_1', 1, ?, ?, 'key', ?)",
                        arguments: [hour, metric, index + 1]
                    )
                }
            }
        }
        try old.close()
        let upgraded = try SQLiteStore(configuration: StoreConfiguration(path: path))
        let rows = try await upgraded.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT metric, period, period_start, quantity FROM usage_periods ORDER BY metric, period, period_start")
                .map { "\($0["metric"] as String) \($0["period"] as String) \($0["period_start"] as Int64) \($0["quantity"] as Int64)" }
        }
        #expect(
            rows == [
                "requests day 1764460800000 1", "requests day 1764547200000 5",
                "requests month 1761955200000 1", "requests month 1764547200000 5",
                "tokens month 1761955200000 1", "tokens month 1764547200000 5",
            ]
        )
    }

    /// An upgrade from the schema that kept idempotent responses in the clear:
    /// a stored response is re-sealed (and still replays for its key), an
    /// in-flight claim is dropped, and neither the old plaintext body nor the
    /// old CSRF token is left in the file or its WAL.
    @Test func upgradeSealsStoredResponsesAndLeavesNoPlaintext() async throws {
        let path = Self.temporaryPath()
        let old = try SQLiteStore(configuration: StoreConfiguration(path: path), migrate: false)
        try old.migrate(upTo: "2026-11-25-request-stats")
        let secret = "sk_live_PLAINTEXTSECRETPLAINTEXTSE1234"
        try await old.pool.write { db in
            try db.execute(sql: "INSERT INTO organizations (id, name, created_at) VALUES ('org_1', 'Old Co', 1)")
            try db.execute(sql: "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ('usr_1', 'a@b.c', 'A', 'x', 1)")
            try db.execute(
                sql: """
                    INSERT INTO idempotency_keys (organization_id, livemode, key, request_hash, state, response_status, response_content_type, response_body, created_at, expires_at)
                    VALUES ('org_1', 1, 'done-key', x'01', 'complete', 200, 'application/json', ?, 1, 9999999999999),
                           ('org_1', 1, 'busy-key', x'02', 'in_flight', NULL, NULL, NULL, 1, 9999999999999)
                    """,
                arguments: [Data(#"{"secret":"\#(secret)"}"#.utf8)]
            )
            try db.execute(
                sql:
                    "INSERT INTO dashboard_sessions (id_hash, user_id, organization_id, csrf_token, created_at, last_seen_at) VALUES (x'AA', 'usr_1', 'org_1', 'CSRFTOKENCSRFTOKENCSRFTOKEN12345', 1, 1)"
            )
        }
        try old.close()

        let upgraded = try SQLiteStore(configuration: StoreConfiguration(path: path))
        let scope = TenantScope(organizationId: "org_1", livemode: true)
        let done = IdempotentRequest(scope: scope, key: "done-key", requestHash: Data([1]), createdAt: 2, expiresAt: 3)
        let replay = try #require(try await upgraded.idempotentResponse(for: done, now: 2))
        #expect(String(decoding: replay.response.body, as: UTF8.self).contains(secret))
        let busy = IdempotentRequest(scope: scope, key: "busy-key", requestHash: Data([2]), createdAt: 2, expiresAt: 3)
        #expect(try await upgraded.idempotentResponse(for: busy, now: 2) == nil)
        try upgraded.close()
        var bytes = Data()
        for file in [path, path + "-wal"] { bytes.append((try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()) }
        #expect(bytes.firstRange(of: Data(secret.utf8)) == nil, "the old plaintext response is still in the file")
        #expect(bytes.firstRange(of: Data("CSRFTOKENCSRFTOKENCSRFTOKEN12345".utf8)) == nil, "the old CSRF token is still in the file")
    }

    @Test(arguments: [(StoreConfiguration.Synchronous.normal, 1), (.full, 2)])
    func synchronousLevelIsAppliedToConnections(level: StoreConfiguration.Synchronous, expected: Int) async throws {
        let store = try SQLiteStore(configuration: StoreConfiguration(path: Self.temporaryPath(), synchronous: level))
        #expect(try await store.synchronousLevel() == expected)
        let readerLevel = try await store.pool.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(readerLevel == expected)
    }

    @Test func databaseRunsInWALWithForeignKeysAndBusyTimeout() async throws {
        let store = try SQLiteStore(configuration: StoreConfiguration(path: Self.temporaryPath(), busyTimeoutMilliseconds: 1_234))
        let (journal, foreignKeys, timeout) = try await store.pool.write { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"),
                try Int.fetchOne(db, sql: "PRAGMA busy_timeout")
            )
        }
        #expect(journal == "wal")
        #expect(foreignKeys == 1)
        #expect(timeout == 1_234)
        await #expect(throws: DatabaseError.self) {
            try await store.pool.write { db in
                try db.execute(
                    sql: "INSERT INTO customers (id, organization_id, livemode, created_at, updated_at) VALUES ('cus_1', 'org_missing', 0, 1, 1)"
                )
            }
        }
    }
}
