import ArgumentParser
import PorticoApp

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print Portico's version, the commit it was built from and when."
    )

    func run() {
        print(BuildInfo.description)
    }
}
