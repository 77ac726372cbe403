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
            let line = try #require(try JSONSerialization.jsonObject(with: Data(sandbox.firstLine().utf8)) as? [String: Any])
            let url = try #require(line["url"] as? String)
            let organization = try #require((line["organizations"] as? [[String: Any]])?.first)
            let key = try #require((organization["keys"] as? [String: String])?["test_secret"])

            let order = try await HTTP.request("GET", url + "/v1/orders/1", key: key)
            #expect(order.status == 200)
            #expect(order.body["upstream"] as? String == "api")
            #expect(try await HTTP.request("GET", url + "/v1/shipments/1", key: key).status == 404)

            // A valid reload adds a route.
            try Self.write([("/v1/orders/{id}", "orders:read"), ("/v1/shipments/{id}", "orders:read")], upstream: upstream, to: file)
            sandbox.child.signal(SIGHUP)
            let deadline = ContinuousClock.now + .seconds(15)
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
            let refusal = await Task.detached {
                while true {
                    let line = String(decoding: stderr.readLine(), as: UTF8.self)
                    if line.isEmpty || line.contains("not reloaded") { return line }
                }
            }.value
            #expect(refusal.contains("returns:read"))
            #expect(try await HTTP.request("GET", url + "/v1/shipments/1", key: key).status == 200)
            #expect(try await HTTP.request("GET", url + "/v1/returns/1", key: key).status == 404)
            sandbox.drainStderr()
            #expect(sandbox.stop() == 0)
        }
    }

    @Test func aRouteShadowingPorticosOwnStopsStartUpNamingBoth() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Self.write([("/v1/customers/{id}", "orders:read")], upstream: "http://127.0.0.1:9", to: file)
        let (status, _, stderr) = try PorticoProcess.run(["sandbox", "--port", "0", "--gateway-config", file])
        #expect(status == 2)
        #expect(stderr.contains("gateway.routes[0].path"))
        #expect(stderr.contains("Portico's own route \"/v1/customers/{id}\""))
    }
}
