import ArgumentParser
import Foundation
import PorticoApp

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the API, docs and metrics server until SIGTERM/SIGINT.",
        discussion: """
            On a database with no organization yet, serve creates one with an owner user, a test \
            and a live secret key and prints them once, so a fresh install is usable at once.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Option(help: "Address to listen on; overrides server.host.")
    var host: String?

    @Option(help: "Port to listen on (0 picks a free one); overrides server.port.")
    var port: Int?

    func run() async throws {
        let runtime = try await options.openRuntime(server: true) { config in
            if let host { config.server.host = host }
            if let port { config.server.port = port }
        }
        // Seeded once the listener is bound: a start that fails (port taken) must not
        // create credentials that were never shown.
        try await CLI.serve(runtime) {
            try await buildApplication(runtime: runtime) { port in
                let url = runtime.config.listenURL(port: port)
                CLI.printLine("Portico is listening on \(url)")
                CLI.printLine("  Dashboard:  \(url)/dashboard\n  Docs:       \(url)/docs")
                if runtime.config.mail.smtpHost == nil {
                    CLI.printLine(
                        "Mail is not configured (mail.smtp_host): mails are kept in the outbox and listed for staff at /admin/mail."
                    )
                }
                do {
                    if let firstRun = try await FirstRun.seedIfEmpty(runtime) { CLI.printLine(firstRun.banner(url: url)) }
                } catch {
                    runtime.logger.error("could not create the first organization", metadata: ["error": "\(error)"])
                }
                // systemd's Type=notify: ready once requests are answered and a first start's keys exist.
                SystemdNotify.send("READY=1\nSTATUS=Listening on \(url)")
            }
        }
    }
}

/// The organization, owner and first keys a fresh database is given by `serve`.
struct FirstRun {
    var organization: String
    var email: String
    var password: String
    var testKey: String
    var liveKey: String

    static func seedIfEmpty(_ runtime: PorticoRuntime) async throws -> FirstRun? {
        guard try await runtime.organizations().isEmpty else { return nil }
        let seed = try await Seeder(runtime: runtime).seedOrganization(name: "Default organization", ownerEmail: "owner@portico.local")
        return FirstRun(
            organization: seed.organization.id,
            email: seed.ownerEmail,
            password: seed.ownerPassword,
            testKey: seed.keys.testSecret,
            liveKey: seed.keys.liveSecret
        )
    }

    func banner(url: String) -> String {
        """

        First start: created organization \(organization).
          Dashboard owner:  \(email) / \(password)
          Test secret key:  \(testKey)
          Live secret key:  \(liveKey)
        These are shown once (Portico keeps only their hashes). Try:
          curl -s \(url)/v1/customers -H 'Authorization: Bearer \(testKey)' -H 'Content-Type: application/json' -d '{"name":"Ada"}'

        """
    }
}
