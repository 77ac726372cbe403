import Foundation
import Testing

/// The process dies right after an idempotent request's transaction commits
/// and before any response (`TEST_PORTICO_FAULTS=after-commit=crash`, an
/// exit as abrupt as kill -9). Restarted on the same file, the retry with the
/// same `Idempotency-Key` gets the stored response and nothing is created twice.
@Suite struct IdempotencyCrashTests {
    @Test func crashBetweenCommitAndResponseNeverRunsTheKeyTwice() async throws {
        let database = CLITests.temporaryDatabase()
        let crashing = try PorticoProcess.Running(
            ["sandbox", "--port", "0", "--database", database],
            environment: ["TEST_PORTICO_FAULTS": "after-commit=crash"]
        )
        let line = try await #require(try JSONSerialization.jsonObject(with: Data(crashing.firstLine().utf8)) as? [String: Any])
        let url = try #require(line["url"] as? String)
        let key = try #require(((line["organizations"] as? [[String: Any]])?.first?["keys"] as? [String: String])?["test_secret"])
        let headers = ["Idempotency-Key": "crash-1"]
        let body = #"{"name":"Crash"}"#

        await #expect(throws: (any Error).self) {
            _ = try await HTTP.request("POST", "\(url)/v1/customers", key: key, json: body, headers: headers)
        }
        await #expect(crashing.child.exited() == 86, "the fault ends the process right after the commit")

        let restarted = try PorticoProcess.Running(["sandbox", "--port", "0", "--database", database])
        let second = try await #require(try JSONSerialization.jsonObject(with: Data(restarted.firstLine().utf8)) as? [String: Any])
        let newURL = try #require(second["url"] as? String)
        let retry = try await HTTP.request("POST", "\(newURL)/v1/customers", key: key, json: body, headers: headers)
        #expect(retry.status == 200)
        #expect(retry.body["name"] as? String == "Crash")
        let customers = try await HTTP.request("GET", "\(newURL)/v1/customers?limit=100", key: key).body["data"] as? [[String: Any]]
        #expect(customers?.count == 1, "the retry replayed the stored response instead of creating a second customer")
        #expect(customers?.first?["id"] as? String == retry.body["id"] as? String)
        await #expect(restarted.stop(SIGTERM) == 0)
    }
}
