import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import Testing

@testable import PorticoApp

struct CustomersTests {
    @Test func createRetrieveUpdateDeleteRoundTrip() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let created = try await api.send(
                .post,
                "/v1/customers",
                key: portico.testKey,
                json: #"{"name":"Ada Lovelace","email":"ada@example.com","description":"first","metadata":{"plan":"gold","team":"x"}}"#
            )
            #expect(created.status == .ok)
            let customer = created.json
            let id = try #require(customer["id"] as? String)
            #expect(id.hasPrefix("cus_"))
            #expect(customer["object"] as? String == "customer")
            #expect(customer["livemode"] as? Bool == false)
            #expect(customer["name"] as? String == "Ada Lovelace")
            #expect((customer["metadata"] as? [String: String]) == ["plan": "gold", "team": "x"])
            let createdAt = try #require(customer["created_at"] as? String)
            #expect(createdAt.hasSuffix("Z") && RFC3339.date(createdAt) != nil)

            let fetched = try await api.send(.get, "/v1/customers/\(id)", key: portico.testKey)
            #expect(fetched.text == created.text)

            let updated = try await api.send(
                .patch,
                "/v1/customers/\(id)",
                key: portico.testKey,
                json: #"{"description":null,"metadata":{"team":null,"tier":"1"}}"#
            )
            #expect(updated.status == .ok)
            #expect(updated.json["description"] is NSNull)
            #expect(updated.json["name"] as? String == "Ada Lovelace")
            #expect((updated.json["metadata"] as? [String: String]) == ["plan": "gold", "tier": "1"])

            let deleted = try await api.send(.delete, "/v1/customers/\(id)", key: portico.testKey)
            #expect(deleted.json["deleted"] as? Bool == true)
            #expect(try await api.send(.get, "/v1/customers/\(id)", key: portico.testKey).status == .notFound)
            #expect(try await api.send(.delete, "/v1/customers/\(id)", key: portico.testKey).status == .notFound)
        }
    }

    @Test(arguments: ["id", "livemode", "organization", "object", "created_at"])
    func serverOwnedFieldsCannotBeSet(field: String) async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let response = try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":"x","\#(field)":"y"}"#)
            ErrorTests.expectProblem(response, status: .badRequest, code: "parameter_unknown", param: field)
            let list = try await api.send(.get, "/v1/customers", key: portico.testKey).json
            #expect((list["data"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func unknownFieldsAreRefusedByName() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let response = try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":"x","nmae":"typo"}"#)
            ErrorTests.expectProblem(response, status: .badRequest, code: "parameter_unknown", param: "nmae")
            let patch = try await api.send(.patch, "/v1/customers/cus_x", key: portico.testKey, json: #"{"phone":"1"}"#)
            ErrorTests.expectProblem(patch, status: .badRequest, code: "parameter_unknown", param: "phone")
        }
    }

    @Test func metadataIsBounded() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let tooMany = (0..<51).map { "\"k\($0)\":\"v\"" }.joined(separator: ",")
            ErrorTests.expectProblem(
                try await api.send(.post, "/v1/customers", key: portico.testKey, json: "{\"metadata\":{\(tooMany)}}"),
                status: .badRequest,
                code: "parameter_invalid",
                param: "metadata"
            )
            ErrorTests.expectProblem(
                try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"metadata":{"k":1}}"#),
                status: .badRequest,
                code: "parameter_invalid",
                param: "metadata[k]"
            )
            let longValue = String(repeating: "v", count: 501)
            ErrorTests.expectProblem(
                try await api.send(.post, "/v1/customers", key: portico.testKey, json: "{\"metadata\":{\"k\":\"\(longValue)\"}}"),
                status: .badRequest,
                code: "parameter_invalid",
                param: "metadata[k]"
            )
        }
    }

    @Test func otherTenantsAndModesSeeAnIdentical404() async throws {
        let portico = try await TestPortico.make()
        let other = try await portico.seedOtherOrganization()
        try await portico.run { (api: APIClient) async throws in
            let id = try #require(try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":"mine"}"#).json["id"] as? String)
            let unknown = try await api.send(.get, "/v1/customers/cus_doesnotexist000000000000", key: portico.testKey)
            func normalized(_ response: TestResponse) -> [String: String] {
                var problem = response.problemWithoutRequestID
                problem["detail"] = problem["detail"]?.replacingOccurrences(of: id, with: "ID")
                    .replacingOccurrences(of: "cus_doesnotexist000000000000", with: "ID")
                return problem
            }
            #expect(unknown.status == .notFound)
            for key in [portico.liveKey, other.keys.testSecret, other.keys.liveSecret] {
                for method in [HTTPRequest.Method.get, .delete] {
                    let response = try await api.send(method, "/v1/customers/\(id)", key: key)
                    #expect(response.status == .notFound)
                    #expect(normalized(response) == normalized(unknown))
                }
                let patch = try await api.send(.patch, "/v1/customers/\(id)", key: key, json: #"{"name":"stolen"}"#)
                #expect(patch.status == .notFound)
                let list = try await api.send(.get, "/v1/customers", key: key)
                #expect((list.json["data"] as? [Any])?.isEmpty == true)
            }
            #expect(try await api.send(.get, "/v1/customers/\(id)", key: portico.testKey).json["name"] as? String == "mine")
        }
    }

    @Test func listPaginatesWithCursorsNewestFirst() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            var ids: [String] = []
            for index in 0..<5 {
                let id = try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":"c\#(index)"}"#).json["id"] as? String
                ids.append(try #require(id))
            }
            let newestFirst = Array(ids.reversed())
            func page(_ query: String) async throws -> ([String], Bool) {
                let json = try await api.send(.get, "/v1/customers?\(query)", key: portico.testKey).json
                #expect(json["object"] as? String == "list")
                let data = json["data"] as? [[String: Any]] ?? []
                return (data.compactMap { $0["id"] as? String }, json["has_more"] as? Bool ?? false)
            }
            let first = try await page("limit=2")
            #expect(first.0 == Array(newestFirst[0..<2]) && first.1)
            let second = try await page("limit=2&starting_after=\(first.0[1])")
            #expect(second.0 == Array(newestFirst[2..<4]) && second.1)
            let last = try await page("limit=2&starting_after=\(second.0[1])")
            #expect(last.0 == [newestFirst[4]] && !last.1)
            let back = try await page("limit=2&ending_before=\(last.0[0])")
            #expect(back.0 == Array(newestFirst[2..<4]) && back.1)
            #expect(try await page("").0 == newestFirst)
        }
    }

    @Test(arguments: ["limit=0", "limit=101", "limit=abc", "starting_after=a&ending_before=b", "colour=red"])
    func badListQueriesAre400(query: String) async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let response = try await api.send(.get, "/v1/customers?\(query)", key: portico.testKey)
            #expect(response.status == .badRequest)
            #expect(response.json["param"] as? String != nil)
        }
    }

    @Test func listFiltersByEmail() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            for email in ["a@example.com", "b@example.com", "a@example.com"] {
                try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"email":"\#(email)"}"#)
            }
            let json = try await api.send(.get, "/v1/customers?email=a@example.com", key: portico.testKey).json
            let emails = (json["data"] as? [[String: Any]])?.compactMap { $0["email"] as? String }
            #expect(emails == ["a@example.com", "a@example.com"])
        }
    }
}

extension CustomersTests {
    @Test func repeatedReadsSeeEveryWrite() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let id = try #require(try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":"v1"}"#).json["id"] as? String)
            for version in 2...4 {
                #expect(try await api.send(.get, "/v1/customers/\(id)", key: portico.testKey).json["name"] as? String == "v\(version - 1)")
                try await api.send(.patch, "/v1/customers/\(id)", key: portico.testKey, json: #"{"name":"v\#(version)"}"#)
                #expect(try await api.send(.get, "/v1/customers/\(id)", key: portico.testKey).json["name"] as? String == "v\(version)")
            }
            try await api.send(.delete, "/v1/customers/\(id)", key: portico.testKey)
            #expect(try await api.send(.get, "/v1/customers/\(id)", key: portico.testKey).status == .notFound)
        }
    }
}
