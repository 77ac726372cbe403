import Testing

@testable import PorticoCore

struct EmailAddressTests {
    @Test(arguments: [
        ("ada@example.com", true),
        ("a.b+tag@sub.example.co", true),
        ("ada@example", false),
        ("@example.com", false),
        ("ada@.example.com", false),
        ("ada@example.com.", false),
        ("ada @example.com", false),
        ("a@b@example.com", false),
        (String(repeating: "a", count: 250) + "@x.io", false),
    ])
    func plausibleAddressesOnly(email: String, plausible: Bool) {
        #expect(EmailAddress.isPlausible(email) == plausible)
    }
}
