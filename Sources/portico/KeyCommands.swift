import ArgumentParser
import Foundation
import PorticoApp
import PorticoCore

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Manage API keys.",
        subcommands: [Create.self, List.self, Roll.self, Revoke.self, Check.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it (shown once; only its hash is stored).")

        @OptionGroup var options: GlobalOptions
        @Option(help: "Organization id.") var org: String
        @Option(help: "test or live.") var mode: String = "test"
        @Option(help: "secret, publishable or restricted.") var kind: String = "secret"
        @Option(name: .customLong("scope"), help: "A scope (repeat for several); restricted and publishable keys.") var scopes: [String] = []
        @Option(name: .customLong("allow-ip"), help: "An allowed IPv4/IPv6 address or CIDR (repeatable).") var allowIPs: [String] = []
        @Option(help: "Expire after this many days.") var expiresInDays: Int?
        @Option(help: "A label to recognise the key by.") var label: String?

        func validate() throws {
            guard ["test", "live"].contains(mode) else { throw ValidationError("--mode must be test or live") }
            guard APIKeyKind(rawValue: kind) != nil else { throw ValidationError("--kind must be secret, publishable or restricted") }
        }

        func run() async throws {
            let runtime = try await options.openRuntime()
            let request = NewKeyRequest(
                organizationID: org,
                livemode: mode == "live",
                kind: APIKeyKind(rawValue: kind)!,
                label: label,
                scopes: scopes,
                allowedCIDRs: allowIPs,
                expiresAt: expiresInDays.map { Date().addingTimeInterval(Double($0) * 86_400) }
            )
            let issued = try await CLI.report { try await runtime.keys.create(request, by: .cli) }
            print(issued.secret)
            CLI.printError("created \(issued.id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an organization's keys (never their secrets).")

        @OptionGroup var options: GlobalOptions
        @Option(help: "Organization id.") var org: String

        func run() async throws {
            let runtime = try await options.openRuntime()
            for line in try await runtime.describeKeys(organizationID: org) { print(line) }
        }
    }

    struct Roll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace a key with a new secret; the old one keeps working for the overlap, then expires."
        )

        @OptionGroup var options: GlobalOptions
        @Argument(help: "Key id (key_…).") var id: String
        @Option(help: "Organization id.") var org: String
        @Option(help: "Hours the old key keeps working (default keys.default_roll_overlap_hours).") var overlapHours: Double?

        func run() async throws {
            let runtime = try await options.openRuntime()
            let overlap = (overlapHours ?? Double(runtime.config.keys.defaultRollOverlapHours)) * 3_600
            guard let issued = try await CLI.report({ try await runtime.keys.roll(id: id, organizationID: org, overlap: overlap, by: .cli) })
            else { CLI.fail("no key \(id) in organization \(org)", code: 1) }
            print(issued.secret)
            CLI.printError("rolled \(id) to \(issued.id)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key at once.")

        @OptionGroup var options: GlobalOptions
        @Argument(help: "Key id (key_…).") var id: String
        @Option(help: "Organization id.") var org: String
        @Option(help: "Why: leaked (mails the organization's owners), unused or other.") var reason: String?

        func validate() throws {
            if let reason, RevocationReason(rawValue: reason) == nil { throw ValidationError("--reason must be leaked, unused or other") }
        }

        func run() async throws {
            let runtime = try await options.openRuntime()
            let why = reason.flatMap(RevocationReason.init(rawValue:))
            guard try await CLI.report({ try await runtime.keys.revoke(id: id, organizationID: org, reason: why, by: .cli) }) != nil
            else { CLI.fail("no key \(id) in organization \(org)", code: 1) }
            print("revoked \(id)")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say whether a string is a well-formed Portico key (prefix, mode, length, checksum), without a database.",
            discussion: """
                Exit status 0 for a well-formed key, 1 otherwise. Pass - to read the string from standard input \
                (a key on the command line is visible to other users in the process list). Whether the key \
                exists or is revoked is for the instance to say (POST /v1/keys/verify).
                """
        )

        @Argument(help: "The string to check, or - to read it from standard input.") var string: String

        func run() async throws {
            let text = string == "-" ? (readLine(strippingNewline: true) ?? "") : string
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let check = KeyCheck(trimmed)
            // Never echo a secret back: a key is shown as its prefix and last four, anything else not at all
            // (it may be some other secret pasted by mistake).
            let shown = if case .wellFormed = check { "\(trimmed.prefix(8))…\(trimmed.suffix(4))" } else { "the string" }
            print("\(shown): \(check.description)")
            if case .malformed = check { throw ExitCode(1) }
        }
    }
}
