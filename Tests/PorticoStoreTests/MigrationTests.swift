import Foundation
import GRDB
import Testing
@testable import PorticoStore

struct MigrationTests {
    static let schemaURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("schema.sql")

    /// Every schema object as (type, name) → SQL with comments dropped and whitespace collapsed.
    static func objects(_ db: Database) throws -> [String: String] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'grdb_%' AND name NOT LIKE 'sqlite_%'")
        var result: [String: String] = [:]
        for row in rows {
            let sql: String = row["sql"]
            let stripped = sql.split(separator: "\n").map { line in line.split(separator: "--", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "" }
                .joined(separator: " ")
            result["\(row["type"] as String) \(row["name"] as String)"] = stripped.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                .replacingOccurrences(of: " ,", with: ",")
        }
        return result
    }

    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("portico-store-\(UUID().uuidString).sqlite").path
    }

    @Test func migratedDatabaseEqualsSchemaFile() async throws {
        let store = try Store(configuration: StoreConfiguration(path: Self.temporaryPath()))
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
        let old = try Store(configuration: StoreConfiguration(path: path), migrate: false)
        try old.migrate(upTo: Migrations.identifiers[0])
        try await old.pool.write { db in
            try db.execute(sql: "INSERT INTO organizations (id, name, created_at) VALUES ('org_1', 'Old Co', 1)")
        }
        #expect(try await old.readiness() == false)
        try old.close()

        let upgraded = try Store(configuration: StoreConfiguration(path: path))
        #expect(try await upgraded.readiness())
        #expect(try await upgraded.organization(id: "org_1")?.name == "Old Co")
        let check = try await upgraded.check()
        #expect(check.schemaCurrent)
        #expect(check.appliedMigrations == Migrations.identifiers)
        #expect(try upgraded.migrate().isEmpty)
    }

    @Test(arguments: [(StoreConfiguration.Synchronous.normal, 1), (.full, 2)])
    func synchronousLevelIsAppliedToConnections(level: StoreConfiguration.Synchronous, expected: Int) async throws {
        let store = try Store(configuration: StoreConfiguration(path: Self.temporaryPath(), synchronous: level))
        #expect(try await store.synchronousLevel() == expected)
        let readerLevel = try await store.pool.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(readerLevel == expected)
    }

    @Test func databaseRunsInWALWithForeignKeysAndBusyTimeout() async throws {
        let store = try Store(configuration: StoreConfiguration(path: Self.temporaryPath(), busyTimeoutMilliseconds: 1_234))
        let (journal, foreignKeys, timeout) = try await store.pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"), try Int.fetchOne(db, sql: "PRAGMA busy_timeout"))
        }
        #expect(journal == "wal")
        #expect(foreignKeys == 1)
        #expect(timeout == 1_234)
        await #expect(throws: DatabaseError.self) {
            try await store.pool.write { db in
                try db.execute(sql: "INSERT INTO customers (id, organization_id, livemode, created_at, updated_at) VALUES ('cus_1', 'org_missing', 0, 1, 1)")
            }
        }
    }
}
