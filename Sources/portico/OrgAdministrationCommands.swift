import ArgumentParser
import Foundation
import PorticoApp
import PorticoCore
import PorticoStore

/// `portico org list|show|suspend|reactivate`: the operator console's view and actions from a shell.
extension OrgCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List organizations (by name), with this month's live requests.")

        @OptionGroup var options: GlobalOptions

        @Option(help: "Part of a name, an org_ id, or a member's email.")
        var search: String?

        @Flag(help: "One JSON object per line.")
        var json = false

        func run() async throws {
            let runtime = try await options.openRuntime()
            var offset = 0
            while true {
                let (rows, total) = try await runtime.organizations.list(search: search, limit: 500, offset: offset)
                for row in rows { print(json ? CommandJSON.summary(row) : CommandJSON.line(row)) }
                offset += rows.count
                if rows.isEmpty || offset >= total { break }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one organization: plan, status, members and key metadata.")

        @OptionGroup var options: GlobalOptions

        @Argument(help: "The org_ id.")
        var organization: String

        @Flag(help: "As one JSON object.")
        var json = false

        func run() async throws {
            let runtime = try await options.openRuntime()
            guard let (record, members, keys) = try await runtime.organizations.show(organization) else {
                CLI.fail("no organization \(organization)", code: 1)
            }
            if json {
                print(CommandJSON.detail(record, members, keys))
                return
            }
            print("\(record.id)  \(record.name)")
            print(
                "plan: \(record.plan)   status: \(record.isSuspended ? "suspended" : "active")   created: \(RFC3339.string(milliseconds: record.createdAt))"
            )
            print("members:")
            for member in members { print("  \(member.user.email)  \(member.membership.role)") }
            print("keys:")
            for key in keys {
                let state = key.revokedAt != nil ? "revoked" : "active"
                print("  \(key.id)  \(key.prefix)…\(key.last4)  \(key.livemode ? "live" : "test")  \(key.kind)  \(state)")
            }
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suspend an organization: its keys answer 403 organization_suspended; nothing is deleted."
        )

        @OptionGroup var options: GlobalOptions

        @Argument(help: "The org_ id.")
        var organization: String

        func run() async throws {
            let runtime = try await options.openRuntime()
            guard try await runtime.organizations.setSuspended(organization, true, by: .cli) != nil else {
                CLI.fail("no organization \(organization)", code: 1)
            }
            print("\(organization) suspended")
        }
    }

    struct Reactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reactivate a suspended organization.")

        @OptionGroup var options: GlobalOptions

        @Argument(help: "The org_ id.")
        var organization: String

        func run() async throws {
            let runtime = try await options.openRuntime()
            guard try await runtime.organizations.setSuspended(organization, false, by: .cli) != nil else {
                CLI.fail("no organization \(organization)", code: 1)
            }
            print("\(organization) reactivated")
        }
    }
}

/// What the `--json` flags of the org and staff commands print.
enum CommandJSON {
    static func line(_ row: OrganizationSummary) -> String {
        let organization = row.organization
        return
            "\(organization.id)  \(organization.name)  \(organization.plan)  \(organization.isSuspended ? "suspended" : "active")  \(row.requestsThisMonth) requests this month"
    }

    static func summary(_ row: OrganizationSummary) -> String {
        encode([
            "id": row.organization.id, "name": row.organization.name, "plan": row.organization.plan,
            "status": row.organization.isSuspended ? "suspended" : "active",
            "requests_this_month": row.requestsThisMonth, "requests_24h": row.requests24h, "server_errors_24h": row.serverErrors24h,
            "webhook_attempts_24h": row.webhookAttempts24h, "webhook_failures_24h": row.webhookFailures24h,
            "created_at": RFC3339.string(milliseconds: row.organization.createdAt),
        ])
    }

    static func detail(_ organization: OrganizationRecord, _ members: [Member], _ keys: [APIKeyRecord]) -> String {
        encode([
            "id": organization.id, "name": organization.name, "plan": organization.plan,
            "status": organization.isSuspended ? "suspended" : "active",
            "created_at": RFC3339.string(milliseconds: organization.createdAt),
            "members": members.map { ["email": $0.user.email, "role": $0.membership.role, "user_id": $0.user.id] },
            "keys": keys.map { key -> [String: Any] in
                [
                    "id": key.id, "livemode": key.livemode, "kind": key.kind, "prefix": key.prefix, "last4": key.last4,
                    "revoked": key.revokedAt != nil,
                ]
            },
        ])
    }

    /// One JSON object on one line, keys sorted (what every `--json` prints).
    static func encode(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
