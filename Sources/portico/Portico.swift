import ArgumentParser
import PorticoApp

/// `portico`: a self-hosted developer API platform in one binary.
@main
struct Portico: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portico",
        abstract: "A self-hosted developer API platform: keys, idempotency, audit, webhooks and more over one SQLite file.",
        version: BuildInfo.description,
        subcommands: [
            Serve.self, Sandbox.self, Migrate.self, Check.self, Backup.self, Restore.self, Erase.self,
            OrgCommand.self, UserCommand.self, StaffCommand.self, KeyCommand.self, PlatformKeyCommand.self, GatewayCommand.self, InvoiceCommand.self,
            UsageCommand.self, MailCommand.self,
            Listen.self, LogsCommand.self, Trigger.self,
            OpenAPICommand.self, VersionCommand.self,
        ]
    )
}
