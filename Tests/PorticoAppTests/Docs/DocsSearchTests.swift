import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import PorticoApp

/// The docs site's search, its testing guide, and inline code rendered as
/// code on every page (no Markdown backticks left in the HTML).
@Suite struct DocsSearchTests {
    @Test func searchFindsPagesByEveryTermAndEscapesTheQuery() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            let idempotency = try await api.send(.get, "/docs/search?q=Idempotency-Key%20first%20response")
            #expect(idempotency.status == .ok)
            #expect(idempotency.text.contains("href=\"/docs\""), "the quickstart explains idempotent POSTs")
            #expect(idempotency.text.contains("<mark>"))

            let code = try await api.send(.get, "/docs/search?q=rate_limited")
            #expect(code.text.contains("href=\"/docs/errors/rate_limited\""))
            #expect(!code.text.contains("`"), "snippets are text, not Markdown")
            #expect(code.text.contains("href=\"\(TestingGuide.path)\""), "the testing guide forces rate_limited")

            let forced = try await api.send(.get, "/docs/search?q=fail.portico.test")
            let firstHit = try #require(forced.text.firstMatch(of: /<ol class="search-results"><li><a href="([^"]+)"/)?.1)
            #expect(firstHit == TestingGuide.path)

            let hostile = try await api.send(.get, "/docs/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
            #expect(hostile.status == .ok)
            #expect(!hostile.text.contains("<script>alert(1)"))
            #expect(hostile.text.contains("Nothing in the docs"))

            // The docs' own form sends a space as `+`.
            let formEncoded = try await api.send(.get, "/docs/search?q=rate+limit")
            #expect(formEncoded.text.contains("search-results"), "rate+limit is two words")
            #expect(formEncoded.text.contains(#"value="rate limit""#))

            // A character with many combining marks is one Character but many bytes: the term is dropped, not scanned.
            let marks = "e" + String(repeating: "%CC%81", count: 1_300)
            let combining = try await api.send(.get, "/docs/search?q=\(marks)")
            #expect(combining.status == .ok)
            #expect(DocsSearch.terms("e" + String(repeating: "\u{301}", count: 1_300)).isEmpty)
            #expect(DocsSearch.terms(String(repeating: "word ", count: 50)).count == DocsSearch.maxTerms)

            let empty = try await api.send(.get, "/docs/search")
            #expect(empty.status == .ok)
            #expect(!empty.text.contains("search-results"))
            let long = try await api.send(.get, "/docs/search?q=" + String(repeating: "a%20", count: 2_000))
            #expect(long.status == .ok)
        }
    }

    @Test func noPageShowsMarkdownBackticks() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            var paths = ["/docs", "/docs/api", "/docs/webhooks", "/docs/errors", "/docs/changelog", TestingGuide.path, LeakedKeysGuide.path]
            paths += ErrorCode.allCases.map { "/docs/errors/\($0.rawValue)" }
            for path in paths {
                let page = try await api.send(.get, path)
                #expect(page.status == .ok, "\(path)")
                // Inside <pre> a backtick may be code (shell, JavaScript); in prose it is unrendered Markdown.
                let prose = page.text.replacing(/<pre>[\s\S]*?<\/pre>/, with: "")
                #expect(!prose.contains("`"), "\(path) shows a raw backtick")
            }
            let testing = try await api.send(.get, TestingGuide.path)
            #expect(testing.text.contains("Portico-Test-Outcome"))
            #expect(testing.text.contains("https://fail.portico.test/410"))
        }
    }
}
