import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PorticoStore
import Testing

@testable import PorticoApp

/// The docs site: quickstart with the viewer's own test key, the reference from the OpenAPI document,
/// webhook verification code that really verifies, error pages and the changelog.
struct DocsTests {
    @Test func theQuickstartCarriesANewTestKeyForASignedInUserAndAPlaceholderOtherwise() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let anonymous = try await api.send(.get, "/docs")
            #expect(anonymous.status == .ok && anonymous.text.contains("Bearer \(DocsController.placeholderKey)"))
            #expect(!anonymous.text.contains("Fill in a new test key"))

            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            let page = try await owner.get("/docs")
            #expect(page.text.contains("Fill in a new test key"))
            let token = try #require(Browser.field("csrf_token", in: page.text))
            let filled = try await owner.post("/docs/quickstart-key", [("csrf_token", token)])
            #expect(filled.status == .ok && !filled.text.contains(DocsController.placeholderKey))
            let range = try #require(filled.text.range(of: "Bearer sk_test_"))
            let key = "sk_test_" + filled.text[range.upperBound...].prefix { $0.isLetter || $0.isNumber }
            // The key in the examples works, in test mode.
            let call = try await api.send(.get, "/v1/customers", key: key)
            #expect(call.status == .ok && call.json["object"] as? String == "list")
            let stored = try await portico.store.apiKeys(organizationId: portico.organizationID, livemode: false)
            #expect(stored.contains { $0.label == "Docs quickstart" })

            // The form is CSRF-protected like every dashboard form.
            let before = stored.count
            #expect(try await owner.post("/docs/quickstart-key", [("csrf_token", "wrong")]).status == .forbidden)
            #expect(
                try await owner.post("/docs/quickstart-key", [("csrf_token", token)], headers: [.secFetchSite: "cross-site"]).status == .forbidden
            )
            #expect(try await portico.store.apiKeys(organizationId: portico.organizationID, livemode: false).count == before)
            // A viewer gets no key.
            let viewer = try await DashboardPagesTests.invite("viewer@acme.test", as: "viewer", owner: owner, portico: portico)
            let viewerPage = try await viewer.get("/docs")
            #expect(!viewerPage.text.contains("Fill in a new test key"))
            #expect(
                try await viewer.post(
                    "/docs/quickstart-key",
                    [("csrf_token", try #require(Browser.field("csrf_token", in: try await viewer.get("/dashboard").text)))]
                ).status == .forbidden
            )
        }
    }

    @Test func theReferenceShowsEveryOperationWithThreeExamples() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let page = try await api.send(.get, "/docs/api")
            #expect(page.status == .ok)
            for operation in OpenAPI.operations {
                #expect(page.text.contains("id=\"\(operation.id)\""), "\(operation.id) is missing")
            }
            // Event streams never end: curl (with -N) only, no Python or JavaScript that would wait for a JSON body.
            let streams = OpenAPI.operations.filter(\.eventStream).count
            #expect(streams == 2)
            for (language, count) in [
                ("curl", OpenAPI.operations.count), ("Python", OpenAPI.operations.count - streams),
                ("JavaScript", OpenAPI.operations.count - streams),
            ] {
                #expect(page.text.components(separatedBy: "<summary>\(language)</summary>").count - 1 == count, "\(language)")
            }
            #expect(page.text.components(separatedBy: "curl -N").count - 1 == streams)
            #expect(
                page.text.contains("json={&quot;email&quot;:&quot;ada@example.com&quot;")
                    || page.text.contains("&quot;name&quot;:&quot;Ada Lovelace&quot;")
            )
        }
    }

    @Test(.requires(.python3))
    func theGuidesPythonVerifierAcceptsARealDeliveryAndRejectsATamperedOne() async throws {
        let portico = try await TestPortico.make()
        try await WebhookReceiver.with { receiver in
            try await portico.run { (api: APIClient) in
                let guide = try await api.send(.get, "/docs/webhooks")
                #expect(guide.status == .ok && guide.text.contains("Node.js") && guide.text.contains("Go"))
                let endpoint = try await api.createEndpoint(key: portico.testKey, url: receiver.url)
                try await api.postEvent(key: portico.testKey)
                let delivery = try #require(try await receiver.waitFor(1).first)
                let script =
                    WebhookGuide.pythonVerifier + """

                        import json, sys
                        data = json.load(sys.stdin)
                        print(verify(data["secret"], data["headers"], data["body"].encode()), verify(data["secret"], data["headers"], data["body"].encode() + b" "))
                        """
                let input = try JSONSerialization.data(withJSONObject: [
                    "secret": endpoint.secret, "body": delivery.body,
                    "headers": [
                        "webhook-id": delivery.webhookID ?? "", "webhook-timestamp": delivery.timestamp ?? "",
                        "webhook-signature": delivery.signature ?? "",
                    ],
                ])
                let output = try await PorticoProcess.python(script, input: input)
                #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "True False", "verifier printed: \(output)")
            }
        }
    }

    @Test func errorPagesAndTheChangelogExist() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            // A real problem's type URL resolves to its page.
            let problem = try await api.send(.get, "/v1/customers/cus_nope", key: portico.testKey)
            let type = try #require(problem.json["type"] as? String)
            let path = String(type[try #require(type.range(of: "/docs/errors/")).lowerBound...])
            let page = try await api.send(.get, path)
            #expect(page.status == .ok && page.text.contains("resource_not_found"))
            let index = try await api.send(.get, "/docs/errors")
            for code in ErrorCode.allCases { #expect(index.text.contains("/docs/errors/\(code.rawValue)")) }

            let changelog = try await api.send(.get, "/docs/changelog")
            for version in APIVersions.all { #expect(changelog.text.contains("id=\"v\(version.id)\"")) }
            #expect(changelog.text.contains("<code>organization_id</code>") && changelog.text.contains("Deprecated"))
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
        }
    }
}
