import ArgumentParser
import Foundation
import PorticoApp
import PorticoCore

/// `portico staff`: accounts of the operator console (`/admin`).
struct StaffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff",
        abstract: "Manage operator-console staff accounts (two-factor is set up at their first sign-in at /admin).",
        subcommands: [Create.self, List.self, Disable.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a staff account; the password is read from stdin.")

        @OptionGroup var options: GlobalOptions

        @Argument(help: "Sign-in email.")
        var email: String

        func run() async throws {
            let runtime = try await options.openRuntime()
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                CLI.fail("pipe the password on stdin, e.g. `echo \"$PASSWORD\" | portico staff create ops@example.com`")
            }
            let staff = try await CLI.report { try await runtime.staff.create(email: email, password: password, by: .cli) }
            print(staff.id)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List staff accounts.")

        @OptionGroup var options: GlobalOptions

        @Flag(help: "One JSON object per line.")
        var json = false

        func run() async throws {
            let runtime = try await options.openRuntime()
            for staff in try await runtime.staff.list() {
                let state = staff.isDisabled ? "disabled" : staff.isEnrolled ? "active" : "not enrolled"
                if json {
                    let object: [String: Any] = [
                        "id": staff.id, "email": staff.email, "status": state,
                        "two_factor": staff.isEnrolled, "created_at": RFC3339.string(milliseconds: staff.createdAt),
                    ]
                    print(CommandJSON.encode(object))
                } else {
                    print("\(staff.id)  \(staff.email)  \(state)")
                }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a staff account (by email or id) and end its sessions.")

        @OptionGroup var options: GlobalOptions

        @Argument(help: "Email or stf_ id.")
        var account: String

        func run() async throws {
            let runtime = try await options.openRuntime()
            guard let staff = try await CLI.report({ try await runtime.staff.disable(account, by: .cli) }) else {
                CLI.fail("no staff account \(account)", code: 1)
            }
            print("\(staff.id) disabled")
        }
    }
}
