import ArgumentParser
import Foundation
import PorticoApp

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace the database with a backup, after checking it; refused while a server holds the database.",
        discussion: """
            FILE must pass SQLite's integrity check and have no migration newer than this build. \
            The database it replaces (with its WAL) is moved aside to <database>.replaced-<time>, \
            not deleted. The next `serve` migrates an older backup to the current schema. \
            Webhook signing secrets in the backup open only with the key file they were sealed \
            with (secrets.key_file, else <database>.key).
            """
    )

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The backup: a file from `portico backup --to` or from backup.directory.")
    var file: String

    @Flag(help: "Restore even though no database exists at the path yet (a new machine).")
    var create = false

    func run() async throws {
        let config = try options.loadConfig()
        if case .postgres = try config.databaseEngine {
            CLI.fail("restore replaces a SQLite file; on PostgreSQL restore a pg_dump backup with pg_restore (docs/scaling.md)", code: 1)
        }
        do {
            let outcome = try DatabaseRestore.run(backup: file, database: config.database.path, create: create)
            print("restored \(file) (schema \(outcome.schemaVersion)) to \(URL(fileURLWithPath: config.database.path).path)")
            if let replaced = outcome.replacedPath {
                print("the database it replaced is at \(replaced); delete it once you no longer need it")
            }
            if !FileManager.default.fileExists(atPath: config.secretsKeyPath) {
                CLI.printError(
                    "warning: no key file at \(config.secretsKeyPath): the backup's webhook signing secrets, TOTP secrets and "
                        + "signing keys open only with the key file of the Portico that wrote it; copy it there before starting"
                )
            }
        } catch {
            CLI.fail("restore refused: \(error)", code: 1)
        }
    }
}
