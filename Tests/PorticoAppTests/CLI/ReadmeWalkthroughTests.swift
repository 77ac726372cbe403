import Foundation
import Testing

/// The README's newcomer path, as a newcomer takes it: a fresh `portico
/// serve` prints where the dashboard and docs are, the owner's sign-in and
/// a test and a live key; `/` leads to the dashboard; and the curl
/// walk-through, pasted into bash in order with those keys, does what its
/// comments say.
struct ReadmeWalkthroughTests {
    /// The shell blocks of the walk-through: every ```sh block from "The API with curl" to the gateway section.
    static func walkthrough() throws -> [String] {
        let readme = try String(contentsOf: PorticoProcess.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "### The API with curl"))
        let end = try #require(readme.range(of: "### Your own API behind Portico"))
        let section = readme[start.upperBound..<end.lowerBound]
        return section.components(separatedBy: "```sh\n").dropFirst().compactMap { $0.components(separatedBy: "```").first }
    }

    @Test(.requires(.curl))
    func aFreshServeAndThePastedWalkthroughWork() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try PorticoProcess.Running(
            ["serve", "--port", "0", "--database", directory.appendingPathComponent("portico.sqlite").path],
            environment: ["PORTICO_ACCOUNTS_PASSWORD_HASH_COST": "10"]
        )
        defer { server.end() }
        server.drainStderr()
        var banner: [String] = []
        while banner.last?.contains("Live secret key:") != true, banner.count < 40 { banner.append(await server.firstLine()) }
        let text = banner.joined(separator: "\n")
        let url = try #require(text.firstMatch(of: /listening on (http:\/\/[0-9.]+:[0-9]+)/)?.1).description
        #expect(text.contains("Dashboard:  \(url)/dashboard"))
        #expect(text.contains("Docs:       \(url)/docs"))
        #expect(text.contains("Dashboard owner:  owner@portico.local / "))
        let testKey = try #require(text.firstMatch(of: /Test secret key:  (sk_test_[0-9A-Za-z]+)/)?.1).description
        let liveKey = try #require(text.firstMatch(of: /Live secret key:  (sk_live_[0-9A-Za-z]+)/)?.1).description

        let root = try await ChildProcess.run("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", url + "/"])
        #expect(root.stdout == "303 \(url)/dashboard")

        let blocks = try Self.walkthrough()
        #expect(blocks.count >= 2)
        // The first block's placeholders are the lines a reader replaces with what the start printed.
        let pasted = blocks.joined(separator: "\n").split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line.hasPrefix("URL=") { return "URL=\(url)" }
            if line.hasPrefix("KEY=") { return "KEY=\(testKey)" }
            if line.hasPrefix("LIVE_KEY=") { return "LIVE_KEY=\(liveKey)" }
            return String(line)
        }.joined(separator: "\n")
        let run = try await ChildProcess.run("/usr/bin/env", ["bash", "-euo", "pipefail", "-c", pasted])
        #expect(run.status == 0, "\(run.stderr)")
        let output = run.stdout
        for expected in [
            #""object":"customer""#, "Idempotent-Replayed: true", #""code":"resource_not_found""#, "HTTP/1.1 429", "Retry-After: 1",
            #""secret":"whsec_"#, #""type":"order.shipped""#, #""object":"webhook_delivery""#,
        ] {
            #expect(output.contains(expected), "the walk-through's output lacks \(expected):\n\(output)")
        }
        #expect(output.components(separatedBy: #""object":"customer""#).count - 1 == 3, "Ada and Grace once each, Grace's replay the same bytes")
    }
}
