import ArgumentParser
import Foundation
import PorticoApp

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Bring the database to the current schema (serve also does this at start).")

    @OptionGroup var options: GlobalOptions

    @Flag(help: "List the migrations that would be applied, and change nothing; exit 1 when the database is newer than this build.")
    var dryRun = false

    @Option(help: "Copy this SQLite database (sqlite:PATH), live or stopped, into the database --to names.")
    var from: String?

    @Option(help: "An empty PostgreSQL database (postgres://user@host:port/db; password from PGPASSWORD or ~/.pgpass) to copy --from into.")
    var to: String?

    func run() async throws {
        if from != nil || to != nil {
            try await copy()
            return
        }
        if dryRun {
            let config = try options.loadConfig()
            let plan: (pending: [String], unknown: [String])
            if let postgres = try await PorticoRuntime.migrationPlan(config: config, logger: CLI.bootstrapLogging(config)) {
                plan = postgres
            } else {
                let path = config.database.path
                guard FileManager.default.fileExists(atPath: path) else { CLI.fail("no database at \(path)", code: 1) }
                plan = try PorticoRuntime.migrationPlan(databasePath: path)
            }
            if !plan.unknown.isEmpty {
                CLI.fail(
                    "the database is newer than this build: it has \(plan.unknown.joined(separator: ", ")), which this Portico does not know",
                    code: 1
                )
            }
            print(
                plan.pending.isEmpty ? "schema is current; nothing to apply" : "pending:\n" + plan.pending.map { "  \($0)" }.joined(separator: "\n")
            )
            return
        }
        let runtime = try await options.openRuntime(migrate: false)
        let applied: [String]
        do {
            applied = try await runtime.migrate()
        } catch {
            if let failure = StartupFailure.schemaNewer(error) { CLI.fail(failure) }
            throw error
        }
        print(applied.isEmpty ? "schema is current" : "applied: \(applied.joined(separator: ", "))")
    }
}

extension Migrate {
    /// The way across to PostgreSQL: one consistent snapshot of the SQLite file, copied in one
    /// transaction and verified by count and checksum per table (docs/scaling.md).
    private func copy() async throws {
        guard let from, let to else { CLI.fail("--from and --to go together: --from sqlite:PATH --to postgres://…") }
        let config = try options.loadConfig()
        let started = ContinuousClock.now
        let tables: [String]
        do {
            tables = try await PorticoRuntime.copyDatabase(from: from, to: to, config: config, logger: CLI.bootstrapLogging(config)) { line in
                CLI.printError(line)
            }
        } catch {
            CLI.fail("copy failed, nothing was written: \(error)", code: 1)
        }
        for table in tables { print(table) }
        print(
            "copied and verified \(tables.count) tables in \(started.duration(to: .now).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))"
        )
        let keyFile = String(from.dropFirst("sqlite:".count)) + ".key"
        if config.secrets.keyFile == nil, FileManager.default.fileExists(atPath: keyFile) {
            print("webhook secrets are sealed with \(keyFile): set secrets.key_file to a copy of it on every PostgreSQL instance")
        }
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the database's integrity and schema version; exits 1 when either is wrong."
    )

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let runtime = try await options.openRuntime(migrate: false, existing: true)
        let result = try await runtime.check()
        print(result.report)
        guard result.integrityOK, result.schemaCurrent else { throw ExitCode(1) }
        print("ok")
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent, integrity-checked copy of the live database to FILE (atomically: never a half-written file)."
    )

    @OptionGroup var options: GlobalOptions

    @Option(help: "Destination file; replaced atomically if it exists.")
    var to: String

    func run() async throws {
        let runtime = try await options.openRuntime(migrate: false, existing: true)
        do {
            try await runtime.backup(to: to)
        } catch {
            CLI.fail("backup failed: \(error)", code: 1)
        }
        print("backup written to \(to)")
    }
}
