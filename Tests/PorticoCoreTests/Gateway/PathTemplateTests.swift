import PorticoCore
import Testing

struct PathTemplateTests {
    @Test(arguments: [
        ("/v1/orders/{id}", "/v1/orders/7", true),
        ("/v1/orders/{id}", "/v1/orders/7/items", false),
        ("/v1/orders/{id}", "/v1/orders/", false),
        ("/v1/orders/{id}", "/v1/orders", false),
        ("/v1/orders/{id}/items", "/v1/orders/7/items", true),
        ("/v1/orders/*", "/v1/orders", true),
        ("/v1/orders/*", "/v1/orders/7", true),
        ("/v1/orders/*", "/v1/orders/7/items/3", true),
        ("/v1/orders/*", "/v1/orders/", false),
        ("/v1/orders/*", "/v1/ordersx", false),
        ("/v1/orders", "/v1/orders", true),
        ("/v1/orders", "/v1/Orders", false),
        ("/v1/orders", "/v1//orders", false),
    ])
    func matches(template: String, path: String, expected: Bool) throws {
        #expect(try PathTemplate(template).matches(path) == expected)
    }

    @Test(arguments: [
        ("/v1/customers/{id}", "/v1/customers/{id}", true),
        ("/v1/{thing}", "/v1/customers", true),
        ("/v1/{thing}", "/v1/customers/{id}", false),
        ("/v1/customers/*", "/v1/customers/{id}", true),
        ("/v1/customers/*", "/v1/customers", true),
        ("/v1/orders/*", "/v1/customers", false),
        ("/v1/customers/{id}/orders", "/v1/customers/{id}", false),
        ("/v1/*", "/v1/openapi.json", true),
    ])
    func overlaps(first: String, second: String, expected: Bool) throws {
        let (a, b) = (try PathTemplate(first), try PathTemplate(second))
        #expect(a.overlaps(b) == expected)
        #expect(b.overlaps(a) == expected)
    }

    @Test(arguments: ["orders", "/v1//x", "/v1/{id}/{id}", "/v1/{a b}", "/v1/../x", "/v1/a%2Fb", "/v1/*/x", "/*"])
    func refuses(template: String) {
        #expect(throws: PathTemplate.Invalid.self) { try PathTemplate(template) }
    }

    @Test func literalPrefixStopsAtTheFirstParameter() throws {
        #expect(try PathTemplate("/v1/orders/{id}/items").literalPrefix == "/v1/orders")
        #expect(try PathTemplate("/v1/orders/*").literalPrefix == "/v1/orders")
    }

    @Test(arguments: [
        ("/v1/orders/../admin", true), ("/v1/orders/%2e%2E/admin", true), ("/v1/orders/.%2e", true),
        ("/v1/orders/./x", true), ("/v1/orders/a%2fb", true), ("/v1/orders/a%5Cb", true), ("/v1/orders/a\\b", true),
        ("/v1/orders/...", false), ("/v1/orders/v1.2", false), ("/v1/orders/%41", false), ("/v1/orders/7", false),
    ])
    func escapesRoute(path: String, expected: Bool) {
        #expect(PathTemplate.escapesRoute(path) == expected)
    }
}
