import PorticoCore

/// `/docs/leaked-keys`: how to find Portico keys before they leak (the
/// scanner patterns, from `KeyPatterns`) and what to do when one has.
/// `/docs/leaked-keys/gitleaks.toml` serves the gitleaks rules as a file.
enum LeakedKeysGuide {
    static let path = "/docs/leaked-keys"
    static let gitleaksPath = "/docs/leaked-keys/gitleaks.toml"

    static var html: HTML {
        let rows = KeyPatterns.rules.map { rule -> HTML in
            "<tr><td><code>\(rule.prefix)</code></td><td>\(rule.description)</td><td>\(rule.severity)</td><td><code>\(rule.format)</code></td></tr>"
        }
        return """
            <h1>Leaked keys</h1>
            <p>Every Portico key is <code>{sk|pk|rk|tk}_{test|live}_</code> followed by 30 letters and digits, the last six a checksum.
            The fixed prefix lets secret scanners find keys in code and commits, and the checksum tells a real key from a lookalike.</p>
            <h2>Patterns</h2>
            <table><caption>One pattern per key kind and mode</caption>
            <thead><tr><th scope="col">Prefix</th><th scope="col">Key</th><th scope="col">A leak allows</th><th scope="col">Pattern</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            <p>The patterns use no look-around or back-references, so they work in RE2 (gitleaks), Hyperscan (GitHub) and PCRE alike.</p>
            <h2>gitleaks</h2>
            <p>Save <a href="\(gitleaksPath)">gitleaks.toml</a> as <code>.gitleaks.toml</code> in a repository (it extends gitleaks' own rules), then run
            <code>gitleaks detect</code> or <code>gitleaks protect --staged</code> in a pre-commit hook:</p>
            <pre>\(KeyPatterns.gitleaksConfig)</pre>
            <h2>GitHub push protection</h2>
            <p>In a repository's or organization's <em>Settings → Code security → Secret scanning → Custom patterns</em>, add one pattern per row
            of the table: the <strong>secret format</strong> is the row's pattern, <strong>before secret</strong> <code>\(KeyPatterns.githubBefore)</code>
            and <strong>after secret</strong> <code>\(KeyPatterns.githubAfter)</code>. Turn on push protection for the live-mode patterns at least.</p>
            <h2>Checking a string</h2>
            <p><code>portico key check -</code> reads a string on standard input and says whether it is a well-formed Portico key, which kind and mode,
            checksum included, without a database (exit status 0 when it is). Whether the key exists or is revoked is for the instance to say:
            <code>POST /v1/keys/verify</code>.</p>
            <h2>When a key leaked</h2>
            <ol>
            <li>Revoke it at once with the reason <code>leaked</code>: <code>POST /v1/keys/{id}/revoke</code> with <code>{"reason": "leaked"}</code>,
            the dashboard's revoke button with “Leaked”, or <code>portico key revoke ID --org ORG --reason leaked</code>. The revocation and its
            reason go in the audit log, and the organization's owners are mailed once.</li>
            <li>Make a new key (or roll another one) and move whatever used the old key to it.</li>
            <li>Read the audit log and the request log filtered by the key's id for what it did between the leak and the revocation.</li>
            <li>Remove the key from the repository's history; it is revoked, but a scanner will keep finding it.</li>
            </ol>
            """
    }
}
