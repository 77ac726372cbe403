import ArgumentParser
import Foundation
import PorticoApp

/// `portico mail`: checking the mail relay.
struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail",
        abstract: "Check mail delivery (mail.* settings; the SMTP password from PORTICO_MAIL_SMTP_PASSWORD).",
        subcommands: [Test.self]
    )

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a test mail through the configured relay now; exits 1 with the relay's answer when it fails."
        )

        @OptionGroup var options: GlobalOptions

        @Argument(help: "Where to send it.")
        var address: String

        func run() async throws {
            let runtime = try await options.openRuntime()
            switch try await CLI.report({ try await MailCheck(runtime: runtime).send(to: address) }) {
            case .sent(let id, let relay):
                print("Sent a test mail to \(address) through \(relay) (\(id)).")
            case .kept(let id):
                print("Mail is not configured (mail.smtp_host): the test mail is kept in the outbox as \(id); staff read it at /admin/mail.")
            case .failed(let id, let error):
                CLI.fail("the test mail was not sent (\(id)): \(error)", code: 1)
            }
        }
    }
}
