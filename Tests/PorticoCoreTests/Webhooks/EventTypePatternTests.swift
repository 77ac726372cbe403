import Testing

@testable import PorticoCore

struct EventTypePatternTests {
    @Test(arguments: [
        ("*", "customer.created", true), ("*", "webhook_endpoint.disabled", true),
        ("customer.*", "customer.created", true), ("customer.*", "customer.tax_id.updated", true),
        ("customer.*", "customers.created", false), ("customer.*", "customer", false),
        ("customer.created", "customer.created", true), ("customer.created", "customer.updated", false),
        ("webhook_delivery.*", "webhook_delivery.exhausted", true),
    ])
    func matching(pattern: String, type: String, expected: Bool) throws {
        #expect(try #require(EventTypePattern(pattern)).matches(type) == expected)
    }

    @Test(arguments: ["", "customer", "Customer.created", "customer..created", ".created", "customer.", "customer.*.x", "**", "customer created"])
    func invalidPatternsAreRefused(text: String) {
        #expect(EventTypePattern(text) == nil)
    }

    @Test func typesAreDotDelimitedLowercase() {
        #expect(EventTypePattern.isValidType("invoice.payment_failed"))
        #expect(EventTypePattern.isValidType("a.b.c"))
        #expect(!EventTypePattern.isValidType("invoice"))
        #expect(!EventTypePattern.isValidType("invoice.Paid"))
        #expect(!EventTypePattern.isValidType(String(repeating: "a.", count: 60) + "a"))
    }
}
