import ArgumentParser
import Foundation
import PorticoApp

struct PlatformKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "platform-key",
        abstract: "Manage platform keys: your own backend acting for any organization (Portico-Organization header).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a platform key and print it (shown once; only its hash is stored).")

        @OptionGroup var options: GlobalOptions
        @Option(help: "test or live.") var mode: String = "test"
        @Option(help: "A label to recognise the key by.") var label: String?

        func validate() throws {
            guard ["test", "live"].contains(mode) else { throw ValidationError("--mode must be test or live") }
        }

        func run() async throws {
            let runtime = try await options.openRuntime()
            let (id, secret) = try await runtime.platformKeys.create(livemode: mode == "live", label: label, by: .cli)
            print(secret)
            CLI.printError("created \(id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List platform keys (never their secrets).")

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let runtime = try await options.openRuntime()
            for line in try await runtime.platformKeys.describe() { print(line) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a platform key at once.")

        @OptionGroup var options: GlobalOptions
        @Argument(help: "Platform key id (pkey_…).") var id: String

        func run() async throws {
            let runtime = try await options.openRuntime()
            guard try await runtime.platformKeys.revoke(id: id, by: .cli) else { CLI.fail("no platform key \(id)", code: 1) }
            CLI.printError("revoked \(id)")
        }
    }
}

struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "The gateway in front of your own API.",
        subcommands: [RotateSigningKey.self]
    )

    struct RotateSigningKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new Portico-Identity signing key; the current one stays in /.well-known/jwks.json for the overlap.",
            discussion: "Running instances sign with the new key within 10 seconds."
        )

        @OptionGroup var options: GlobalOptions
        @Option(help: "Hours the previous key stays published, so tokens it signed still verify.") var overlapHours: Int = 24

        func validate() throws {
            guard (0...720).contains(overlapHours) else { throw ValidationError("--overlap-hours must be from 0 to 720") }
        }

        func run() async throws {
            let runtime = try await options.openRuntime()
            let id = try await runtime.rotateSigningKey(overlapSeconds: overlapHours * 3_600)
            print(id)
            CLI.printError("signing with \(id); the previous key stays published for \(overlapHours) h")
        }
    }
}
