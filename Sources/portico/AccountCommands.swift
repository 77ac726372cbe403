import ArgumentParser
import Foundation
import PorticoApp
import PorticoCore

struct OrgCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org",
        abstract: "Manage organizations.",
        subcommands: [Create.self, Update.self, List.self, Show.self, Suspend.self, Reactivate.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an organization and print its id.")

        @OptionGroup var options: GlobalOptions

        @Option(help: "Display name.")
        var name: String

        func run() async throws {
            let runtime = try await options.openRuntime()
            let organization = try await CLI.report { try await runtime.accounts.createOrganization(name: name, by: .cli) }
            print(organization.id)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Change an organization's plan, request-body capture or default API version. A running server applies it within keys.cache_refresh_ms."
        )

        @OptionGroup var options: GlobalOptions

        @Argument(help: "Organization id (org_…).")
        var organization: String

        @Option(help: "Plan name from config (free, starter, growth, enterprise or your own).")
        var plan: String?

        @Option(help: "on or off: keep redacted request and response bodies in this organization's request logs.")
        var bodyCapture: String?

        @Option(help: "Dated API version (YYYY-MM-DD) used when a request sends no Portico-Version header.")
        var apiVersion: String?

        func validate() throws {
            guard plan != nil || bodyCapture != nil || apiVersion != nil else {
                throw ValidationError("give at least one of --plan, --body-capture, --api-version")
            }
            if let bodyCapture, !["on", "off"].contains(bodyCapture) { throw ValidationError("--body-capture must be on or off") }
        }

        func run() async throws {
            let runtime = try await options.openRuntime()
            try await CLI.report {
                try await runtime.billing.updateOrganization(
                    id: organization,
                    plan: plan,
                    bodyCapture: bodyCapture.map { $0 == "on" },
                    apiVersion: apiVersion,
                    by: .cli
                )
            }
            print("updated \(organization)")
        }
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage dashboard users.",
        subcommands: [Create.self, ResetTwoFactor.self]
    )

    struct ResetTwoFactor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-two-factor",
            abstract: "Turn a user's two-factor sign-in off (they lost the app and the recovery codes); a notice is mailed to them."
        )

        @OptionGroup var options: GlobalOptions

        @Argument(help: "The user's email.")
        var email: String

        func run() async throws {
            let runtime = try await options.openRuntime()
            let id = try await CLI.report { try await runtime.resetTwoFactor(email: email, by: .cli).get() }
            print("\(id) two-factor sign-in off; they set it up again from their account page")
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user, optionally a member of an organization; the password is read from stdin."
        )

        @OptionGroup var options: GlobalOptions

        @Option(help: "Login email.")
        var email: String

        @Option(help: "Organization to join.")
        var org: String?

        @Option(help: "Role in the organization: owner, admin, developer or viewer.")
        var role: String = "owner"

        @Option(help: "Display name.")
        var name: String?

        func run() async throws {
            let runtime = try await options.openRuntime()
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                CLI.fail("pipe the password on stdin, e.g. `echo \"$PASSWORD\" | portico user create --email …`")
            }
            let user = try await CLI.report {
                try await runtime.accounts.createUser(email: email, password: password, name: name, organizationID: org, role: role, by: .cli)
            }
            print(user.id)
        }
    }
}

extension CLI {
    /// Runs an action and turns its refusal into a one-line error and exit 1.
    static func report<T>(_ action: () async throws -> T) async throws -> T {
        do {
            return try await action()
        } catch let error as KeyRequestError {
            fail("\(error.param): \(error.description)", code: 1)
        } catch {
            fail("\(error)", code: 1)
        }
    }
}
