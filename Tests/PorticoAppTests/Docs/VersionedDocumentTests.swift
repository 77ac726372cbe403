import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import Testing

@testable import PorticoApp

/// One OpenAPI document and one reference page per dated version: each
/// describes that version's shapes and pins generated clients to it.
@Suite struct VersionedDocumentTests {
    @Test func everyDatedVersionHasItsOwnDocumentAndReference() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            let newest = try await api.send(.get, "/v1/openapi.json")
            #expect(newest.text == OpenAPI.json)
            for version in APIVersions.all {
                let document = try await api.send(.get, "/v1/openapi.json?version=\(version.id)")
                #expect(document.status == .ok)
                let info = try #require(document.json["info"] as? [String: Any])
                #expect(info["version"] as? String == version.id)
                let schemas = try #require((document.json["components"] as? [String: Any])?["schemas"] as? [String: Any])
                let verification = try #require((schemas["KeyVerification"] as? [String: Any])?["properties"] as? [String: Any])
                let old = version.id < "2026-11-22"
                #expect((verification["organization"] != nil) == old, "\(version.id)")
                #expect((verification["organization_id"] != nil) == !old, "\(version.id)")
                let required = try #require((schemas["KeyVerification"] as? [String: Any])?["required"] as? [String])
                #expect(required.contains(old ? "organization" : "organization_id"))
                // Every operation's Portico-Version defaults to the document's own version.
                let paths = try #require(document.json["paths"] as? [String: [String: Any]])
                for (path, methods) in paths {
                    for case let (method, operation as [String: Any]) in methods {
                        let header = (operation["parameters"] as? [[String: Any]])?.first { $0["name"] as? String == "Portico-Version" }
                        #expect((header?["schema"] as? [String: Any])?["default"] as? String == version.id, "\(method) \(path)")
                    }
                }
                let reference = try await api.send(.get, "/docs/api?version=\(version.id)")
                #expect(reference.status == .ok)
                #expect(reference.text.contains("OpenAPI 3.1, version \(version.id)"))
                #expect(reference.text.contains(old ? "<code>organization</code>" : "<code>organization_id</code>"))
                #expect(reference.text.contains("Since then") == old)
            }
            let unknown = try await api.send(.get, "/v1/openapi.json?version=2020-01-01")
            #expect(unknown.status == .badRequest)
            #expect(unknown.json["param"] as? String == "version")
        }
    }
}
