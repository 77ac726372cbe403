import Foundation
import Testing

/// `portico sandbox --gateway-config`: Portico in front of the API under
/// test, reloaded on SIGHUP, as CI would run it.
struct GatewayCLITests {
    static func write(_ routes: [(path: String, scope: String)], upstream: String, to path: String) throws {
        let list = routes.map { route in
            #"{"path": "\#(route.path)", "methods": ["GET"], "upstream": "\#(upstream)", "test_upstream": "\#(upstream)", "scopes": ["\#(route.scope)"]}"#
        }
        let text = #"{"gateway": {"scopes": {"orders:read": "Read orders"}, "routes": [\#(list.joined(separator: ","))]}}"#
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func theSandboxFrontsTheAPIUnderTestAndSIGHUPReloadsItsRoutes() async throws {
        try await TestUpstream.with(["api"]) { upstreams in
            let upstream = upstreams[0].base
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-\(UUID().uuidString).json").path
            defer { try? FileManager.default.removeItem(atPath: file) }
            try Self.write([("/v1/orders/{id}", "orders:read")], upstream: upstream, to: file)

            let sandbox = try PorticoProcess.Running(["sandbox", "--port", "0", "--gateway-config", file])
            let line = try await #require(try JSONSerialization.jsonObject(with: Data(sandbox.firstLine().utf8)) as? [String: Any])
            let url = try #require(line["url"] as? String)
            let organization = try #require((line["organizations"] as? [[String: Any]])?.first)
            let key = try #require((organization["keys"] as? [String: String])?["test_secret"])

            // The line's platform key acts for a seeded organization.
            let platform = try #require(line["platform_key"] as? String)
            #expect(platform.hasPrefix("tk_test_"))
            let event = try await HTTP.request(
                "POST",
                url + "/v1/events",
                key: platform,
                json: #"{"type":"order.shipped","data":{"order":"o1"}}"#,
                headers: ["Portico-Organization": try #require(organization["id"] as? String)]
            )
            #expect(event.status == 200)

            let order = try await HTTP.request("GET", url + "/v1/orders/1", key: key)
            #expect(order.status == 200)
            #expect(order.body["upstream"] as? String == "api")
            #expect(try await HTTP.request("GET", url + "/v1/shipments/1", key: key).status == 404)

            // A valid reload adds a route.
            try Self.write([("/v1/orders/{id}", "orders:read"), ("/v1/shipments/{id}", "orders:read")], upstream: upstream, to: file)
            sandbox.child.signal(SIGHUP)
            let deadline = ContinuousClock.now + .seconds(60)
            var shipments = 0
            while shipments != 200, ContinuousClock.now < deadline {
                shipments = try await HTTP.request("GET", url + "/v1/shipments/1", key: key).status
                if shipments != 200 { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(shipments == 200)

            // An invalid one (an undeclared scope) is refused, said so, and the running routes stay.
            try Self.write([("/v1/orders/{id}", "orders:read"), ("/v1/returns/{id}", "returns:read")], upstream: upstream, to: file)
            sandbox.child.signal(SIGHUP)
            let stderr = try #require(sandbox.child.stderr)
            let refusal = await offPool {
                while true {
                    let line = String(decoding: stderr.readLine(), as: UTF8.self)
                    if line.isEmpty || line.contains("not reloaded") { return line }
                }
            }
            #expect(refusal.contains("returns:read"))
            #expect(try await HTTP.request("GET", url + "/v1/shipments/1", key: key).status == 200)
            #expect(try await HTTP.request("GET", url + "/v1/returns/1", key: key).status == 404)
            sandbox.drainStderr()
            await #expect(sandbox.stop() == 0)
        }
    }

    @Test func platformKeysAndSigningKeysAreManagedFromTheCLI() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = ["--database", directory.appendingPathComponent("portico.sqlite").path]

        let created = try await PorticoProcess.run(["platform-key", "create", "--mode", "live", "--label", "billing-worker"] + database)
        #expect(created.status == 0)
        let secret = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secret.hasPrefix("tk_live_"))
        let id = try #require(created.stderr.firstMatch(of: /pkey_[0-9A-Za-z]+/).map { String($0.output) })
        let listed = try await PorticoProcess.run(["platform-key", "list"] + database).stdout
        #expect(listed.contains(id) && listed.contains("tk_live_…\(secret.suffix(4))") && listed.contains("billing-worker"))
        #expect(!listed.contains(secret))
        await #expect(try PorticoProcess.run(["platform-key", "revoke", id] + database).status == 0)
        await #expect(try PorticoProcess.run(["platform-key", "list"] + database).stdout.contains("revoked"))
        await #expect(try PorticoProcess.run(["platform-key", "revoke", "pkey_none"] + database).status == 1)

        let first = try await PorticoProcess.run(["gateway", "rotate-signing-key", "--overlap-hours", "1"] + database)
        let second = try await PorticoProcess.run(["gateway", "rotate-signing-key"] + database)
        #expect(first.status == 0 && second.status == 0)
        #expect(first.stdout.hasPrefix("sigkey_") && second.stdout.hasPrefix("sigkey_") && first.stdout != second.stdout)
    }

    @Test func aRouteShadowingPorticosOwnStopsStartUpNamingBoth() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Self.write([("/v1/customers/{id}", "orders:read")], upstream: "http://127.0.0.1:9", to: file)
        let (status, _, stderr) = try await PorticoProcess.run(["sandbox", "--port", "0", "--gateway-config", file])
        #expect(status == 2)
        #expect(stderr.contains("gateway.routes[0].path"))
        #expect(stderr.contains("Portico's own route \"/v1/customers/{id}\""))
    }
}
