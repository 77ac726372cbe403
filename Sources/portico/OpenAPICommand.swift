import ArgumentParser
import PorticoApp

struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi",
        abstract: "Print the OpenAPI 3.1 document of the /v1 API (the one served at /v1/openapi.json and kept as openapi.json)."
    )

    func run() {
        print(PorticoDocuments.openAPI, terminator: "")
    }
}
