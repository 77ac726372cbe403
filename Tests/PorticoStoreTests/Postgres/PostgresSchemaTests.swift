import Foundation
import PorticoTestSupport
import PostgresNIO
import Testing

@testable import PorticoPostgres

/// schema.postgres.sql is what the PostgreSQL migrations build, as schema.sql
/// is for SQLite: one database from the file, one through the migrations,
/// compared by their catalogs (columns with types, nullability, defaults and
/// collations; indexes; constraints; partitioned tables).
@Suite(.enabled(if: TestPostgres.isWanted, "no PostgreSQL test cluster (Scripts/test-postgres.sh start)"))
struct PostgresSchemaTests {
    static let schemaURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("schema.postgres.sql")

    static let catalogQueries: [String] = [
        """
        SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' '
            || coalesce(column_default, '-') || ' ' || coalesce(collation_name, '-') || ' ' || is_identity
        FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'portico_migrations'
        """,
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename <> 'portico_migrations'",
        """
        SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
        WHERE connamespace = current_schema()::regnamespace AND conrelid <> 'portico_migrations'::regclass
        """,
        "SELECT relname::text || ' ' || relkind::text FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p')",
    ]

    static func catalog(of url: PostgresURL) async throws -> Set<String> {
        let store = TestPostgres.store(url, maximumConnections: 1)
        defer { try? store.close() }
        // Not bounded by the operation timeout: information_schema is slow on a loaded test cluster.
        return try await store.read(bounded: false) { connection in
            var lines = Set<String>()
            for query in catalogQueries {
                for line in try await connection.column(String.self, PostgresQuery(unsafeSQL: query), logger: store.logger) {
                    lines.insert(line)
                }
            }
            return lines
        }
    }

    @Test func migratedDatabaseEqualsSchemaFile() async throws {
        let migratedURL = try await TestPostgres.shared.createDatabase()
        let referenceURL = try await TestPostgres.shared.createDatabase()
        defer {
            Task {
                try? await TestPostgres.shared.dropDatabase(migratedURL.database)
                try? await TestPostgres.shared.dropDatabase(referenceURL.database)
            }
        }
        let migrated = TestPostgres.store(migratedURL, maximumConnections: 1)
        #expect(try await migrated.migrate() == PostgresMigrations.identifiers)
        try migrated.close()

        let reference = TestPostgres.store(referenceURL, maximumConnections: 1)
        let schema = try String(contentsOf: Self.schemaURL, encoding: .utf8)
        // portico_migrations is the migrator's own table: build it the same way on both sides.
        // Not bounded, as migrations are not: the whole schema in one transaction passed the
        // 30 s operation timeout once under CI's load.
        try await reference.write(bounded: false) { connection in
            try await connection.run("CREATE TABLE portico_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)", logger: reference.logger)
            for statement in PostgresMigrations.statements(schema) {
                try await connection.run(PostgresQuery(unsafeSQL: statement), logger: reference.logger)
            }
        }
        try reference.close()

        let expected = try await Self.catalog(of: referenceURL)
        let actual = try await Self.catalog(of: migratedURL)
        #expect(expected.count > 300)
        #expect(actual.subtracting(expected).sorted() == [], "in the migrated database, not in schema.postgres.sql")
        #expect(expected.subtracting(actual).sorted() == [], "in schema.postgres.sql, not in the migrated database")
    }

    @Test func statementsSplitAtLineEndingSemicolonsAndDropComments() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (x TEXT DEFAULT 'a;b'); -- trailing
            CREATE INDEX a_x ON a (x);
            """
        #expect(PostgresMigrations.statements(script) == ["CREATE TABLE a (x TEXT DEFAULT 'a;b')", "CREATE INDEX a_x ON a (x)"])
    }
}
