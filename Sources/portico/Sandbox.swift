import ArgumentParser
import Foundation
import PorticoApp
import PorticoCore

struct Sandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a throwaway instance for CI: seed organizations, print one JSON line of URL and keys on stdout, serve until stopped.",
        discussion: """
            The line's shape: {"url":"http://127.0.0.1:PORT","platform_key":"tk_test_…",\
            "staff":{"email":"…","password":"…","totp_secret":"BASE32…"},"organizations":[{"id":"org_…","name":"…",\
            "owner":{"email":"…","password":"…"},"keys":{"test_secret":"sk_test_…","live_secret":"sk_live_…",\
            "test_publishable":"pk_test_…","live_publishable":"pk_live_…"}}]}. Logs go to stderr. Without \
            --database the data lives in a temporary directory removed at exit.
            """
    )

    @Option(help: "Port to listen on; 0 (the default) picks a free one.")
    var port: Int = 0

    @Option(help: "How many organizations to seed.")
    var organizations: Int = 1

    @Option(help: "Keep the data in this SQLite file instead of a temporary one.")
    var database: String?

    @Option(help: "Path to a JSON config file for any other setting.")
    var config: String?

    @Option(help: "A JSON file with the gateway section ({\"gateway\": {...}}): Portico in front of the API under test. SIGHUP reloads it.")
    var gatewayConfig: String?

    @Flag(help: "Fill each organization with about 30 days of sample customers, events, deliveries, request logs, usage and an invoice.")
    var seedData = false

    @Option(help: "Plan of the seeded organizations. Enterprise (the default) keeps a CI suite clear of rate limits; pick free to exercise them.")
    var plan: String = "enterprise"

    func validate() throws {
        guard (1...100).contains(organizations) else { throw ValidationError("--organizations must be from 1 to 100") }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
    }

    func run() async throws {
        let parent = getppid()
        SandboxDirectory.removeAbandoned()
        let temporaryDirectory: URL? = database == nil ? try SandboxDirectory.make() : nil
        defer { temporaryDirectory.map { try? FileManager.default.removeItem(at: $0) } }
        let path = database ?? temporaryDirectory!.appendingPathComponent("portico.sqlite").path

        let options = try GlobalOptions.parse(config.map { ["--config", $0] } ?? [])
        let runtime = try await options.openRuntime(sandbox: true, server: true, gatewayFile: gatewayConfig) { config in
            config.server.host = "127.0.0.1"
            config.server.port = port
            config.database.path = path
            // Throwaway data: cheap password hashes keep start-up well under a second.
            config.accounts.passwordHashCost = 10
            config.billing.defaultPlan = plan
            // CI runs its webhook receiver on this machine.
            config.webhooks.allowedCidrs += ["127.0.0.0/8", "::1/128"]
            // Every mail is caught in the sandbox mailbox (GET /v1/sandbox/emails), never sent.
            config.mail.smtpHost = nil
        }
        // Seeded once the listener is bound (a port in use fails before anything is written).
        let watch = ParentWatch(
            parent: parent,
            logger: runtime.logger,
            exitAfter: .seconds(runtime.config.server.shutdownGraceSeconds + 20)
        )
        try await CLI.serve(runtime, watchers: [watch]) {
            try await buildApplication(runtime: runtime) { [organizations, seedData] port in
                do {
                    // The staff account's password hash runs beside the organizations' (each takes a tenth of a second).
                    async let staff = Self.seedStaff(runtime)
                    let seeded = try await Self.seed(runtime, organizations: organizations)
                    if seedData { for organization in seeded { try await Seeder(runtime: runtime).seedSampleData(organization) } }
                    let platform = try await runtime.platformKeys.create(livemode: false, label: "sandbox", by: .system)
                    let line = SandboxLine(
                        url: "http://127.0.0.1:\(port)",
                        platformKey: platform.secret,
                        staff: try await staff,
                        organizations: seeded.map(SandboxLine.Organization.init)
                    )
                    CLI.printLine(line.json)
                } catch {
                    CLI.fail("could not seed the sandbox: \(error)", code: 1)
                }
            }
        }
    }

    /// A console account already enrolled in two-factor, so CI can sign in at /admin with its secret.
    private static func seedStaff(_ runtime: PorticoRuntime) async throws -> SandboxLine.Staff {
        let email = "staff-\(String(UUID().uuidString.lowercased().prefix(6)))@sandbox.portico.local"
        let password = Base62.random(count: 24)
        let totp = try await runtime.staff.createEnrolled(email: email, password: password, by: .system)
        return SandboxLine.Staff(email: email, password: password, totpSecret: totp.base32Secret)
    }

    private static func seed(_ runtime: PorticoRuntime, organizations: Int) async throws -> [SeededOrganization] {
        var seeded: [SeededOrganization] = []
        // A tag per run keeps owner emails unique when --database points at a file an earlier run seeded.
        let tag = String(UUID().uuidString.lowercased().prefix(6))
        for index in 1...organizations {
            seeded.append(
                try await Seeder(runtime: runtime).seedOrganization(
                    name: "Sandbox organization \(index)",
                    ownerEmail: "owner\(index)-\(tag)@sandbox.portico.local"
                )
            )
        }
        return seeded
    }
}

/// The one JSON line CI parses.
struct SandboxLine {
    struct Owner: Sendable {
        var email: String
        var password: String
    }

    struct Organization: Sendable {
        var id: String
        var name: String
        var owner: Owner
        var keys: SeededKeys

        init(_ seeded: SeededOrganization) {
            id = seeded.organizationID
            name = seeded.organizationName
            owner = Owner(email: seeded.ownerEmail, password: seeded.ownerPassword)
            keys = seeded.keys
        }
    }

    /// An operator-console account with two-factor on (`totp_secret` in base32, as authenticator apps take it).
    struct Staff: Sendable {
        var email: String
        var password: String
        var totpSecret: String
    }

    var url: String
    /// A test-mode platform key (`tk_test_…`), for the team's backend under test.
    var platformKey: String
    var staff: Staff
    var organizations: [Organization]

    /// Fields in the documented order (url first), which JSONEncoder does not promise.
    var json: String {
        let organizations = organizations.map { org in
            "{\"id\":\(Self.quote(org.id)),\"name\":\(Self.quote(org.name)),"
                + "\"owner\":{\"email\":\(Self.quote(org.owner.email)),\"password\":\(Self.quote(org.owner.password))},"
                + "\"keys\":{\"test_secret\":\(Self.quote(org.keys.testSecret)),\"live_secret\":\(Self.quote(org.keys.liveSecret)),"
                + "\"test_publishable\":\(Self.quote(org.keys.testPublishable)),\"live_publishable\":\(Self.quote(org.keys.livePublishable))}}"
        }
        let staff =
            "{\"email\":\(Self.quote(staff.email)),\"password\":\(Self.quote(staff.password)),\"totp_secret\":\(Self.quote(staff.totpSecret))}"
        return "{\"url\":\(Self.quote(url)),\"platform_key\":\(Self.quote(platformKey)),\"staff\":\(staff),"
            + "\"organizations\":[\(organizations.joined(separator: ","))]}"
    }

    private static func quote(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
