import Foundation
import Testing

/// The API contract as CI checks it: `Scripts/api-contract.sh` validates
/// openapi.json and runs schemathesis (PyPI) against a real `portico
/// sandbox`; any server error or schema violation fails this test with
/// schemathesis's report.
struct ContractTests {
    @Test(.requires(.python3, .pythonModule("openapi_spec_validator"), .pythonModule("schemathesis")))
    func schemathesisFindsNoServerErrorsOrSchemaViolations() async throws {
        let sandbox = try await PorticoProcess.sandbox()
        defer { sandbox.process.end() }
        let (status, report) = try await PorticoProcess.script("bash", "api-contract.sh", [sandbox.url, try #require(sandbox.keys["test_secret"])])
        #expect(status == 0, "\(report)")
        #expect(report.contains("openapi.json: valid OpenAPI 3.1"))
    }
}
