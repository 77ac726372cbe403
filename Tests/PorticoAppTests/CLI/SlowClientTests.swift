import Foundation
import Testing

/// Hundreds of connections that send nothing or dribble half a request line
/// hold no more than their head timeout, and meanwhile a normal client is
/// served as usual (the real binary, its own descriptor table).
@Suite struct SlowClientTests {
    @Test func fiveHundredSlowConnectionsDoNotStopANormalClient() async throws {
        let sandbox = try PorticoProcess.Running(
            ["sandbox", "--port", "0"],
            environment: ["PORTICO_SERVER_REQUEST_HEAD_TIMEOUT_SECONDS": "5"]
        )
        sandbox.drainStderr()
        let line = try await #require(try JSONSerialization.jsonObject(with: Data(sandbox.firstLine().utf8)) as? [String: Any])
        let url = try #require(line["url"] as? String)
        let port = try #require(Int(url.split(separator: ":").last ?? ""))
        let key = try #require(((line["organizations"] as? [[String: Any]])?.first?["keys"] as? [String: String])?["test_secret"])

        var slow: [RawHTTPConnection] = []
        for index in 0..<500 {
            let connection = try RawHTTPConnection(port: port)
            if index.isMultiple(of: 2) { connection.send("GET /v1/customers HT") }
            slow.append(connection)
        }
        for _ in 0..<20 {
            #expect(try await HTTP.request("GET", "\(url)/v1/customers", key: key).status == 200)
        }
        let closed = await withTaskGroup(of: Bool.self) { group in
            for connection in slow { group.addTask { await connection.blocking { $0.waitForClose() } } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(closed == 500, "every slow connection was closed after the head timeout")
        slow.removeAll()
        #expect(try await Self.openDescriptors(url) < 100)
        #expect(try await HTTP.request("GET", "\(url)/v1/customers", key: key).status == 200)
        await #expect(sandbox.stop(SIGTERM) == 0)
    }

    static func openDescriptors(_ url: String) async throws -> Int {
        var request = URLRequest(url: URL(string: "\(url)/metrics")!)
        request.cachePolicy = .reloadIgnoringLocalCacheData
        let (data, _) = try await URLSession.shared.data(for: request)
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("process_open_fds ") }
        return Int(line?.split(separator: " ").last ?? "") ?? -1
    }
}

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
