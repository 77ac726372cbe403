import Foundation
import PorticoCore
import PorticoStore
import PostgresNIO

// MARK: - Health, integrity and backup

extension PostgresStore {
    /// A round trip through a pooled connection plus the schema version: what `/readyz` needs.
    package func readiness() async throws -> Bool {
        try await read { connection in
            let current = PostgresMigrations.identifiers.last ?? ""
            return try await connection.value(Bool.self, "SELECT EXISTS (SELECT 1 FROM portico_migrations WHERE id = \(current))", logger: logger)
                ?? false
        }
    }

    /// A small real write (one row of `storage_probe`), to learn whether writes succeed again.
    package func probeWrite(now: Int64) async throws {
        _ = try await write { connection in
            try await connection.run(
                "INSERT INTO storage_probe (id, at) VALUES (1, \(now)) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                logger: logger
            )
        }
    }

    /// The schema version and a pass over every table (each is read whole, so a
    /// damaged page fails the check); `journalMode` reports the server's
    /// version, PostgreSQL's WAL being always on.
    package func check() async throws -> StoreCheck {
        let unknown = try await unknownMigrations()
        // Reads every table whole: may rightly take longer than one operation's timeout.
        return try await readSnapshot(bounded: false) { connection in
            let recorded = try await connection.column(String.self, "SELECT id FROM portico_migrations", logger: logger)
            var problems: [String] = []
            let tables = try await connection.column(
                String.self,
                "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
                logger: logger
            )
            for table in tables {
                do {
                    try await connection.run(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \"\(table)\""), logger: logger)
                } catch {
                    problems.append("\(table): \(String(reflecting: error))")
                }
            }
            let version = try await connection.value(String.self, "SHOW server_version", logger: logger) ?? "?"
            return StoreCheck(
                integrity: problems.isEmpty ? ["ok"] : problems,
                appliedMigrations: PostgresMigrations.identifiers.filter(recorded.contains),
                expectedSchemaVersion: PostgresMigrations.identifiers.last ?? "",
                journalMode: "postgresql \(version)",
                unknownMigrations: unknown
            )
        }
    }
}

// MARK: - Backup

extension PostgresStore {
    /// A consistent online copy at `destination`: `pg_dump`'s custom format (one
    /// snapshot of the whole database, restored with `pg_restore`), written
    /// beside the destination, listed back by `pg_restore --list` as its check,
    /// fsynced, then renamed into place. A failure leaves no file there.
    package func backup(to destination: String) async throws {
        let destinationURL = URL(fileURLWithPath: destination)
        let directory = destinationURL.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(destinationURL.lastPathComponent).partial-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temporary) }

        var environment = ProcessInfo.processInfo.environment
        if let password = url.password { environment["PGPASSWORD"] = password }
        environment["PGSSLMODE"] = url.tls.rawValue
        try await PostgresTools.run(
            "pg_dump",
            [
                "--format=custom", "--no-owner", "--file", temporary.path, "--host", url.host, "--port", String(url.port), "--username", url.user,
                url.database,
            ],
            environment: environment
        )
        try await PostgresTools.run("pg_restore", ["--list", temporary.path], environment: environment)
        try PostgresTools.fsync(path: temporary.path)
        if rename(temporary.path, destination) != 0 {
            throw StoreError.integrity("could not move the backup into place: \(String(cString: strerror(errno)))")
        }
        try PostgresTools.fsync(path: directory.path)
    }
}

/// PostgreSQL's own client programs (Debian's postgresql-client), run as child processes.
enum PostgresTools {
    /// The program on PATH, else the newest of Debian's /usr/lib/postgresql/*/bin.
    static func path(of program: String) -> String? {
        let environment = ProcessInfo.processInfo.environment
        let searchPath = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        let debian = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted { $0.compare($1, options: .numeric) == .orderedDescending }.map { "/usr/lib/postgresql/\($0)/bin" }
        return (debian + searchPath).map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `program` to its end; a non-zero exit throws with its standard error.
    static func run(_ program: String, _ arguments: [String], environment: [String: String]) async throws {
        guard let path = path(of: program) else {
            throw StoreError.integrity("\(program) is not installed (apt-get install postgresql-client)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard status == 0 else {
            throw StoreError.integrity("\(program) failed (exit \(status)): \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    static func fsync(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError.integrity("cannot open \(path) to sync it") }
        defer { Foundation.close(fd) }
        _ = Foundation.fsync(fd)
    }
}
