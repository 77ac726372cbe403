import Testing

@testable import PorticoCore

struct APIPathTests {
    @Test(arguments: [
        ("/v1", true), ("/v1/", true), ("/v1/customers", true), ("/v1/openapi.json", true),
        ("/v10", false), ("/v1customers", false), ("/", false), ("/dashboard", false), ("/docs/v1", false),
    ])
    func anAPIPathIsV1OrBelow(path: String, isAPI: Bool) {
        #expect(APIPath.contains(path) == isAPI)
    }
}
