import ArgumentParser
import Foundation
import PorticoApp

struct Erase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase a person's data (--customer or --email) or a whole organization, wherever it lives; audited.",
        discussion: """
            --customer deletes the customer and blanks every copy of its id and email: event data (and so \
            webhook payloads), delivery attempts' response excerpts, captured request and response bodies \
            and logged paths, audit details, mail. --email does the same for every customer with that \
            address in any organization, and also removes a dashboard account, invitations and mail for it. \
            --organization removes an organization and everything in it, request logs included. Deleted \
            content is overwritten and the WAL emptied, so backups taken afterwards hold none of it; older \
            backups do until they are rotated out. Refused while a server holds the database (its caches \
            would keep serving what was erased): stop it, erase, start it.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Option(help: "A customer id (cus_…).")
    var customer: String?

    @Option(help: "An email address.")
    var email: String?

    @Option(help: "An organization id (org_…).")
    var organization: String?

    func validate() throws {
        guard [customer, email, organization].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --customer, --email or --organization")
        }
    }

    func run() async throws {
        let config = try options.loadConfig()
        // SQLite's erasure rewrites the file (VACUUM): no server may hold it. PostgreSQL's runs beside them.
        var lock: DatabaseLock?
        if case .sqlite(let path) = try config.databaseEngine {
            guard FileManager.default.fileExists(atPath: path) else { CLI.fail("no database at \(path)", code: 1) }
            guard let held = try DatabaseLock.exclusive(path: path) else {
                CLI.fail("a running Portico holds \(path): stop it, erase, then start it again", code: 1)
            }
            lock = held
        }
        defer { lock?.release() }
        let runtime = try await options.openRuntime()
        let subject: PersonalDataErasure.Subject =
            if let customer { .customer(customer) } else if let email { .email(email) } else { .organization(organization ?? "") }
        do {
            let outcome = try await PersonalDataErasure(runtime: runtime).erase(subject)
            for (place, count) in outcome.removed.sorted(by: { $0.key < $1.key }) where count > 0 {
                print("\(place): \(count)")
            }
            print("erased; audited as personal_data.erased")
            if !outcome.walEmptied, !runtime.isPostgres {
                CLI.printError(
                    "warning: the write-ahead log could not be emptied (another process reads the database); old pages stay in it until the next checkpoint"
                )
            }
        } catch {
            CLI.fail("erase failed, nothing was changed: \(error)", code: 1)
        }
    }
}
