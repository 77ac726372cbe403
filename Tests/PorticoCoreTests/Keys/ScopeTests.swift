import Testing

@testable import PorticoCore

/// Scopes as a type: parsing, the catalogue, and what a key's set covers.
struct ScopeTests {
    @Test func scopesParseFromTheirNameAndBack() {
        #expect(Scope("customers:read") == .customersRead)
        #expect(Scope("orders:write")?.name == "orders:write")
        for bad in ["customers", "customers:admin", ":read", "a:b:read", ""] { #expect(Scope(bad) == nil, "\(bad)") }
        #expect(Scope.customersRead.description == "customers:read")
    }

    @Test func readOnlyIsTheAccessAndForNamesTheSuffix() {
        #expect(Scope.eventsRead.isReadOnly && !Scope.eventsWrite.isReadOnly)
        // A requested name is judged by its suffix, whatever its resource.
        #expect(Scope.isReadOnly("orders:v2:read") && !Scope.isReadOnly("orders:write"))
    }

    @Test func theCatalogueListsPorticosScopesInOrder() {
        #expect(
            ScopeCatalogue.builtIn.scopes.map(\.name) == [
                "customers:read", "customers:write", "events:read", "events:write", "webhooks:read", "webhooks:write",
                "logs:read", "usage:read", "invoices:read", "keys:read", "keys:write",
            ]
        )
        #expect(ScopeCatalogue.builtIn.contains(.keysWrite) && !ScopeCatalogue.builtIn.contains(Scope("orders", .read)))
        #expect(ScopeCatalogue.publishableDefaults == [.customersRead, .eventsRead])
    }

    @Test func aSetHoldsWhatWasStoredAndTheWildcardEverything() {
        let restricted = ScopeSet(stored: "customers:read events:read")
        #expect(restricted.contains(.customersRead) && !restricted.contains(.customersWrite))
        let secret = ScopeSet(stored: Scope.wildcard)
        #expect(secret.contains(.keysWrite) && secret.listed == ["*"])
        #expect(secret.covers(restricted) && !restricted.covers(secret))
        #expect(restricted.covers(ScopeSet(stored: "events:read")) && !restricted.covers(ScopeSet(stored: "keys:read")))
        #expect(restricted.listed == ["customers:read", "events:read"])
    }
}
