import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// Keys that leaked: revoking with `reason: "leaked"` audits the reason and
/// mails the owners once; `portico key check` judges a string offline; the
/// published patterns find real keys with Python's `re` (the engine family
/// gitleaks' and GitHub's are closest to).
@Suite struct LeakedKeyTests {
    @Test func revokingAsLeakedAuditsAndMailsOwnersOnce() async throws {
        let portico = try await TestPortico.make()
        try await AlertMailTests.addMembers(portico)
        try await portico.run { api in
            let leaked = try await portico.issue(
                NewKeyRequest(
                    organizationID: portico.organizationID,
                    livemode: true,
                    kind: .secret,
                    label: "CI <deploy>",
                    scopes: [],
                    allowedCIDRs: [],
                    expiresAt: nil
                )
            )
            // A reason that is not one: refused, and the key still works.
            let refused = try await api.send(.post, "/v1/keys/\(leaked.id)/revoke", key: portico.liveKey, json: #"{"reason":"stolen"}"#)
            #expect(refused.status == .badRequest)
            #expect(refused.json["param"] as? String == "reason")
            #expect(try await api.send(.get, "/v1/customers", key: leaked.secret).status == .ok)

            let revoked = try await api.send(.post, "/v1/keys/\(leaked.id)/revoke", key: portico.liveKey, json: #"{"reason":"leaked"}"#)
            #expect(revoked.status == .ok, "\(revoked.text)")
            #expect(revoked.json["status"] as? String == "revoked")
            #expect(try await api.send(.get, "/v1/customers", key: leaked.secret).status == .unauthorized)
            // Again: nothing changes, nobody is mailed twice.
            #expect(try await api.send(.post, "/v1/keys/\(leaked.id)/revoke", key: portico.liveKey, json: #"{"reason":"leaked"}"#).status == .ok)

            let audit = try await portico.store.auditEntries(targetId: leaked.id).filter { $0.action == "api_key.revoked" }
            #expect(audit.count == 1)
            #expect(audit.first?.details.contains(#""reason":"leaked""#) == true, "\(audit)")

            let mails = try await portico.store.mails(status: nil, recipient: nil, page: PageRequest(limit: 100)).items.filter {
                $0.kind == "api_key.leaked"
            }
            #expect(mails.map(\.recipients) == ["owner@acme.test"], "owners only, once: \(mails.map(\.recipients))")
            let body = try #require(mails.first.map { try portico.runtime.mail.content(of: $0) })
            #expect(body.text.contains("\(leaked.record.prefix)…\(leaked.record.last4)"))
            #expect(body.text.contains("CI <deploy>"))
            #expect(body.html?.contains("CI &lt;deploy&gt;") == true)
            #expect(!body.text.contains(leaked.secret) && body.html?.contains(leaked.secret) == false, "never the key itself")

            // Revoked without a reason: audited without one, no mail.
            let other = try await portico.issue(
                NewKeyRequest(
                    organizationID: portico.organizationID,
                    livemode: false,
                    kind: .secret,
                    label: nil,
                    scopes: [],
                    allowedCIDRs: [],
                    expiresAt: nil
                )
            )
            #expect(try await api.send(.post, "/v1/keys/\(other.id)/revoke", key: portico.testKey).status == .ok)
            #expect(try await portico.store.auditEntries(targetId: other.id).first { $0.action == "api_key.revoked" }?.details == "{}")
            let after = try await portico.store.mails(status: nil, recipient: nil, page: PageRequest(limit: 100)).items
            #expect(after.filter { $0.kind == "api_key.leaked" }.count == 1)
        }
    }

    @Test func theDocsPublishPatternsThatFindKeys() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            let page = try await api.send(.get, "/docs/leaked-keys")
            #expect(page.status == .ok)
            for rule in KeyPatterns.rules { #expect(page.text.contains(HTML.escape(rule.format)), "\(rule.id)") }
            let config = try await api.send(.get, "/docs/leaked-keys/gitleaks.toml")
            #expect(config.status == .ok)
            #expect(config.text == KeyPatterns.gitleaksConfig)
            let keys =
                (APIKeyKind.allCases.flatMap { kind in [true, false].map { APIKeyFormat.generate(kind: kind, livemode: $0) } }
                + [true, false].map { APIKeyFormat.generatePlatformKey(livemode: $0) }).map(\.token)
            // Python's tomllib reads the file; its `re` finds each key with exactly the rule of its prefix.
            let script = """
                import json, re, sys, tomllib
                config = tomllib.loads(sys.stdin.read())
                keys = json.loads(sys.argv[1])
                found = {}
                for key in keys:
                    text = f'token = "{key}"\\nnoise sk_live_{key[8:]}x\\n'
                    hits = [r["id"] for r in config["rules"] if any(m.group(r["secretGroup"]) == key for m in re.finditer(r["regex"], text))]
                    found[key] = hits
                print(json.dumps(found))
                """
            let output = try await PorticoProcess.python(
                script,
                [String(decoding: try JSONSerialization.data(withJSONObject: keys), as: UTF8.self)],
                input: Data(config.text.utf8)
            )
            let found = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String]])
            for key in keys {
                let prefix = String(key.prefix(8))
                let expected = try #require(KeyPatterns.rules.first { $0.prefix == prefix }?.id)
                #expect(found[key] == [expected], "\(key): \(found[key] ?? [])")
            }
        }
    }

    @Test func keyCheckJudgesAStringWithoutADatabase() async throws {
        let key = APIKeyFormat.generate(kind: .restricted, livemode: false).token
        let good = try await PorticoProcess.run(["key", "check", "-"], stdin: key + "\n")
        #expect(good.status == 0)
        #expect(good.stdout.contains("restricted key, test mode"))
        #expect(!good.stdout.contains(key), "the key is not echoed whole")
        let mistyped = String(key.dropLast()) + (key.last == "A" ? "B" : "A")
        let bad = try await PorticoProcess.run(["key", "check", mistyped])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("checksum"))
        #expect(!bad.stdout.contains(mistyped.suffix(4)), "what is not a key is not echoed at all: \(bad.stdout)")
        let empty = try await PorticoProcess.run(["key", "check", "-"], stdin: "")
        #expect(empty.status == 1)
    }
}
