import Foundation
import Logging
import PorticoStore
import PostgresNIO

/// The PostgreSQL schema's history, applied in order, each in its own
/// transaction with its row in `portico_migrations` (PostgreSQL's DDL is
/// transactional, so a migration is applied whole or not at all).
enum PostgresMigrations {
    static let all: [(id: String, sql: String)] = [
        ("2026-12-01-initial", initial),
        ("2026-12-02-rate-limit-slots", rateLimitSlots),
        (
            "2026-12-02-delivery-leases-index",
            "CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (lease_until) WHERE lease_until IS NOT NULL;"
        ),
    ]

    /// Shared rate limits and quotas (`LimitReservationStore`). Not released before
    /// `expires_at` was added, so changed in place.
    static let rateLimitSlots = """
        CREATE UNLOGGED TABLE rate_limit_slots (
            subject TEXT COLLATE "C" NOT NULL,
            slot BIGINT NOT NULL,
            reserved BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            PRIMARY KEY (subject, slot)
        );
        """

    static var identifiers: [String] { all.map(\.id) }

    /// Serialises migrations of several instances starting at once (an advisory
    /// lock held to the end of the migrating transaction).
    static let lockKey: Int64 = 0x706f_7274_6963_6f00  // "portico\0"
}

extension PostgresStore {
    /// Applies pending migrations; returns those applied. Throws `StoreError.schemaNewer`
    /// rather than touch a database a newer build has migrated.
    @discardableResult
    package func migrate() async throws -> [String] {
        try await write(bounded: false) { connection in
            try await connection.run(
                "CREATE TABLE IF NOT EXISTS portico_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                logger: logger
            )
        }
        var applied: [String] = []
        for migration in PostgresMigrations.all {
            let ran = try await write(bounded: false) { connection -> Bool in
                try await connection.run("SELECT pg_advisory_xact_lock(\(PostgresMigrations.lockKey))", logger: logger)
                let recorded = try await connection.column(String.self, "SELECT id FROM portico_migrations", logger: logger)
                let unknown = PostgresMigrations.unknown(in: recorded)
                guard unknown.isEmpty else { throw StoreError.schemaNewer(unknown: unknown) }
                guard !recorded.contains(migration.id) else { return false }
                for statement in PostgresMigrations.statements(migration.sql) {
                    try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let now = Int64(Date().timeIntervalSince1970 * 1_000)
                try await connection.run("INSERT INTO portico_migrations (id, applied_at) VALUES (\(migration.id), \(now))", logger: logger)
                return true
            }
            if ran { applied.append(migration.id) }
        }
        return applied
    }

    /// Migrations recorded in the database that this build does not know (a newer schema).
    package func unknownMigrations() async throws -> [String] {
        try await read { connection in
            let exists = try await connection.value(Bool.self, "SELECT to_regclass('portico_migrations') IS NOT NULL", logger: logger) ?? false
            guard exists else { return [] }
            return PostgresMigrations.unknown(in: try await connection.column(String.self, "SELECT id FROM portico_migrations", logger: logger))
        }
    }
}

extension PostgresMigrations {
    static func unknown(in recorded: [String]) -> [String] {
        recorded.filter { !identifiers.contains($0) }.sorted()
    }
}

extension PostgresMigrations {
    /// A script's statements, one by one: PostgresNIO sends every query as a
    /// prepared statement, which holds one command. Splits at a `;` that ends a
    /// line, after dropping `--` comments; the schema has no `;` in a string or
    /// a function body (a migration that needs one must be split by hand).
    static func statements(_ script: String) -> [String] {
        let uncommented = script.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            (line.range(of: "--").map { line[..<$0.lowerBound] } ?? line[...]).trimmingCharacters(in: .whitespaces)
        }
        .joined(separator: "\n")
        return uncommented.components(separatedBy: ";\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .map { $0.hasSuffix(";") ? String($0.dropLast()) : $0 }
            .filter { !$0.isEmpty }
    }
}

extension PostgresStore {
    /// What `migrate()` would apply, and the migrations the database has that this build
    /// does not know; reads only (a dry run writes nothing).
    package func migrationPlan() async throws -> (pending: [String], unknown: [String]) {
        try await read { connection in
            let exists = try await connection.value(Bool.self, "SELECT to_regclass('portico_migrations') IS NOT NULL", logger: logger) ?? false
            let recorded = exists ? try await connection.column(String.self, "SELECT id FROM portico_migrations", logger: logger) : []
            return (PostgresMigrations.identifiers.filter { !recorded.contains($0) }, PostgresMigrations.unknown(in: recorded))
        }
    }
}
