import ArgumentParser
import Foundation
import PorticoApp

struct InvoiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoice",
        abstract: "Invoices from metered usage.",
        subcommands: [Generate.self]
    )

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Invoice every organization (test and live) for a month; running it again creates nothing new.",
            discussion: "serve does this by itself for each finished month (billing.invoice_check_interval_seconds)."
        )

        @OptionGroup var options: GlobalOptions

        @Option(help: "Month as YYYY-MM (UTC); defaults to the previous month.")
        var month: String?

        func run() async throws {
            let runtime = try await options.openRuntime()
            let start = try monthStart(month, runtime: runtime)
            let created = try await CLI.report { try await runtime.billing.generateInvoiceSummaries(monthStart: start) }
            for line in created { print(line) }
            print("\(created.count) invoice(s) created")
        }
    }
}

struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Usage metering.",
        subcommands: [Reconcile.self]
    )

    struct Reconcile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare each tenant's metered usage with its request-log rows for a month; exits 1 on any difference.",
            discussion:
                "Rows in partitions already dropped by retention are missing from the log side, so reconcile within retention.request_logs_days."
        )

        @OptionGroup var options: GlobalOptions

        @Option(help: "Month as YYYY-MM (UTC); defaults to the current month.")
        var month: String?

        func run() async throws {
            let runtime = try await options.openRuntime()
            let start = try month == nil ? runtime.billing.currentMonthStart : monthStart(month, runtime: runtime)
            let lines = try await runtime.billing.reconcile(monthStart: start)
            var differences = 0
            for line in lines {
                if line.difference != 0 { differences += 1 }
                print(
                    [
                        line.organizationID, line.livemode ? "live" : "test", "usage=\(line.usage)", "logged=\(line.logged)",
                        line.difference == 0 ? "ok" : "DIFFERENCE \(line.difference)",
                    ].joined(separator: "\t")
                )
            }
            print(differences == 0 ? "reconciled: \(lines.count) tenant(s), no differences" : "\(differences) tenant(s) differ")
            if differences > 0 { throw ExitCode(1) }
        }
    }
}

private func monthStart(_ text: String?, runtime: PorticoRuntime) throws -> Int64 {
    guard let text else { return runtime.billing.previousMonthStart }
    guard let start = BillingService.monthStart(text) else { CLI.fail("--month must be YYYY-MM, e.g. 2026-10") }
    return start
}
