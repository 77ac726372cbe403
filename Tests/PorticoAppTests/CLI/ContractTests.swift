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
        // Keep reading its log so a full pipe never stalls the server under thousands of requests.
        sandbox.err.fileHandleForReading.readabilityHandler = { _ = $0.availableData }
        let line = try #require(try JSONSerialization.jsonObject(with: Data(sandbox.firstLine().utf8)) as? [String: Any])
        let url = try #require(line["url"] as? String)
        let organizations = try #require(line["organizations"] as? [[String: Any]])
        let key = try #require((organizations.first?["keys"] as? [String: String])?["test_secret"])

        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bash", root.appendingPathComponent("Scripts/api-contract.sh").path, url, key]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(report)")
        #expect(report.contains("openapi.json: valid OpenAPI 3.1"))
    }
}
