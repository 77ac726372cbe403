import Foundation
import Synchronization

/// `/docs/search`: a server-side search over every docs page (the quickstart,
/// the API reference with the gateway's routes, webhooks, every error code,
/// leaked keys, testing, the changelog), so the docs site needs no script.
///
/// Pages are reduced to plain text once and kept until the gateway's
/// operations change (the reference includes them); a query is a scan of a
/// few hundred kilobytes, bounded by `maxQueryLength` and `maxTerms`.
final class DocsSearch: Sendable {
    struct Page: Sendable {
        var path: String
        var title: String
        var text: String
        /// `text` lowercased, for case-insensitive matching (same length in `Character`s is not assumed: see `snippet`).
        var folded: String
    }

    struct Hit: Sendable, Equatable {
        var path: String
        var title: String
        var snippet: String
    }

    static let maxQueryLength = 200
    static let maxTerms = 8
    static let maxHits = 20

    private let index = Mutex<(key: Int, pages: [Page])?>(nil)

    /// The pages for `key` (the gateway document's hash), built by `pages` when the key changed.
    func pages(key: Int, _ pages: () -> [(path: String, title: String, body: HTML)]) -> [Page] {
        if let cached = index.withLock({ $0 }), cached.key == key { return cached.pages }
        let built = pages().map { path, title, body in
            let text = Self.plainText(body.text)
            return Page(path: path, title: title, text: text, folded: (title + " " + text).lowercased())
        }
        index.withLock { $0 = (key, built) }
        return built
    }

    /// The longest term kept, in UTF-8 bytes (no word in the docs is near it).
    static let maxTermBytes = 64

    /// The query's terms: lowercased words, at most `maxTerms`, each at most `maxTermBytes`.
    /// Bounded in bytes, not characters: one character can hold any number of combining
    /// marks, and a term's cost grows with its length.
    static func terms(_ query: String) -> [String] {
        let bounded = String(decoding: query.utf8.prefix(maxQueryLength * 4), as: UTF8.self)
        return Array(
            bounded.lowercased().split(whereSeparator: { $0.isWhitespace }).map(String.init)
                .filter { $0.utf8.count <= maxTermBytes }.prefix(maxTerms)
        )
    }

    /// Pages holding every term, best first: a term in the title counts ten times one in the text.
    static func search(_ query: String, in pages: [Page]) -> [Hit] {
        let terms = terms(query)
        guard !terms.isEmpty else { return [] }
        let scored = pages.compactMap { page -> (Int, Hit)? in
            var score = 0
            for term in terms {
                let count = Self.occurrences(of: Array(term.utf8), in: page.folded)
                guard count > 0 else { return nil }
                score += count + (page.title.lowercased().contains(term) ? 10 : 0)
            }
            return (score, Hit(path: page.path, title: page.title, snippet: snippet(page.text, around: terms[0])))
        }
        return scored.sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1.path < $1.1.path }.prefix(maxHits).map(\.1)
    }

    /// How often `needle` occurs in `text`, byte for byte (both lowercased already): a plain
    /// scan whose cost is the text's length times at most `maxTermBytes`, whatever the Unicode.
    static func occurrences(of needle: [UInt8], in text: String) -> Int {
        guard !needle.isEmpty else { return 0 }
        var text = text
        return text.withUTF8 { haystack in
            var count = 0
            var index = 0
            let last = haystack.count - needle.count
            let first = needle[0]
            while index <= last {
                if haystack[index] == first {
                    var matched = 1
                    while matched < needle.count, haystack[index + matched] == needle[matched] { matched += 1 }
                    if matched == needle.count {
                        count += 1
                        index += needle.count
                        continue
                    }
                }
                index += 1
            }
            return count
        }
    }

    /// About 200 characters of `text` around the first occurrence of `term`.
    static func snippet(_ text: String, around term: String) -> String {
        guard let range = text.range(of: term, options: .caseInsensitive) else { return String(text.prefix(200)) }
        let start = text.index(range.lowerBound, offsetBy: -80, limitedBy: text.startIndex) ?? text.startIndex
        let end = text.index(range.upperBound, offsetBy: 120, limitedBy: text.endIndex) ?? text.endIndex
        return (start > text.startIndex ? "…" : "") + text[start..<end] + (end < text.endIndex ? "…" : "")
    }

    /// Markup to text: tags dropped, the five entities `HTML` writes decoded, whitespace collapsed.
    static func plainText(_ html: String) -> String {
        var text = ""
        text.reserveCapacity(html.utf8.count)
        var inTag = false
        for character in html {
            switch character {
            case "<": inTag = true
            case ">" where inTag:
                inTag = false
                text.append(" ")
            default: if !inTag { text.append(character) }
            }
        }
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            text = text.replacingOccurrences(of: entity, with: character)
        }
        return text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// `snippet` as HTML with every occurrence of a term in `<mark>`.
    static func highlighted(_ snippet: String, terms: [String]) -> HTML {
        var parts: [HTML] = []
        var rest = snippet[...]
        while !rest.isEmpty {
            let next = terms.compactMap { rest.range(of: $0, options: .caseInsensitive) }.min { $0.lowerBound < $1.lowerBound }
            guard let next else {
                parts.append("\(rest)")
                break
            }
            parts.append("\(rest[rest.startIndex..<next.lowerBound])<mark>\(rest[next])</mark>")
            rest = rest[next.upperBound...]
        }
        return parts.joined()
    }
}
