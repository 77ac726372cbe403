import Foundation
import Testing

/// The API contract as CI checks it: `Scripts/api-contract.sh` validates
/// openapi.json and runs schemathesis (PyPI) against a real `portico
/// sandbox`; any server error or schema violation fails this test with
/// schemathesis's report.
struct ContractTests {
    @Test func schemathesisFindsNoServerErrorsOrSchemaViolations() throws {
        let sandbox = try PorticoProcess.Running(["sandbox", "--port", "0"])
        defer { _ = sandbox.stop(SIGTERM) }
        sandbox.drainStderr()
        let line = try #require(try JSONSerialization.jsonObject(with: Data(sandbox.firstLine().utf8)) as? [String: Any])
        let url = try #require(line["url"] as? String)
        let organizations = try #require(line["organizations"] as? [[String: Any]])
        let key = try #require((organizations.first?["keys"] as? [String: String])?["test_secret"])

        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let (status, report, _) = try ChildProcess.run(
            "/usr/bin/env", ["bash", root.appendingPathComponent("Scripts/api-contract.sh").path, url, key], joinStderr: true)
        #expect(status == 0, "\(report)")
        #expect(report.contains("openapi.json: valid OpenAPI 3.1"))
    }
}
