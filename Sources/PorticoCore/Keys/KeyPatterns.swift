/// Regular expressions that find Portico keys in code, logs and commits,
/// published on the docs site (`/docs/leaked-keys`) for secret scanners:
/// gitleaks rules and GitHub push-protection custom patterns. Built from the
/// key format's own constants, so they cannot drift from what `APIKeyFormat`
/// issues.
///
/// The patterns are plain enough for every engine these tools use (Go RE2
/// in gitleaks, Hyperscan at GitHub, PCRE elsewhere): no look-around, no
/// back-references. A match is only a candidate; `portico key check` (the
/// checksum) tells a real key from a lookalike.
package enum KeyPatterns {
    /// One key kind in one mode as a scanner rule.
    package struct Rule: Sendable, Equatable {
        /// `sk_live_` …
        package let prefix: String
        /// A stable rule id (`portico-secret-key-live`).
        package let id: String
        package let description: String
        /// What a leak of it allows, for the docs page.
        package let severity: String

        /// The key itself, as GitHub's "secret format" and the inner group of gitleaks' rule.
        package var format: String { "\(prefix)[0-9A-Za-z]{\(APIKeyFormat.randomLength + APIKeyFormat.checksumLength)}" }

        /// The gitleaks `regex`: the key between non-alphanumeric boundaries, captured as group 1.
        package var gitleaksRegex: String { "(?:^|[^0-9A-Za-z_])(\(format))(?:$|[^0-9A-Za-z_])" }
    }

    /// GitHub custom patterns: what may stand before and after a secret (their defaults, spelled out).
    package static let githubBefore = #"\A|[^0-9A-Za-z_]"#
    package static let githubAfter = #"\z|[^0-9A-Za-z_]"#

    package static let rules: [Rule] = [
        (APIKeyKind.secret.prefixCode, "secret-key", "Portico secret API key", "full access to the organization's data in its mode"),
        (APIKeyKind.restricted.prefixCode, "restricted-key", "Portico restricted API key", "the key's scopes in its mode"),
        (APIKeyFormat.platformCode, "platform-key", "Portico platform key", "acting for every organization of the instance"),
        (APIKeyKind.publishable.prefixCode, "publishable-key", "Portico publishable API key", "read-only; meant to ship in clients"),
    ].flatMap { code, name, description, severity in
        ["live", "test"].map { mode in
            Rule(
                prefix: "\(code)_\(mode)_",
                id: "portico-\(name)-\(mode)",
                description: "\(description) (\(mode) mode)",
                severity: mode == "live" ? severity : "\(severity), test data only"
            )
        }
    }

    /// A gitleaks configuration (TOML) with every rule, extending gitleaks' default rules.
    package static var gitleaksConfig: String {
        var lines = ["# Portico keys, for gitleaks (https://github.com/gitleaks/gitleaks).", "[extend]", "useDefault = true", ""]
        for rule in rules {
            lines += [
                "[[rules]]",
                "id = \"\(rule.id)\"",
                "description = \"\(rule.description)\"",
                "regex = '''\(rule.gitleaksRegex)'''",
                "secretGroup = 1",
                "keywords = [\"\(rule.prefix)\"]",
                "",
            ]
        }
        return lines.joined(separator: "\n")
    }
}
