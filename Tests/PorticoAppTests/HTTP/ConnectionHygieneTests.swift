import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PorticoApp

/// Hostile and broken clients cannot hold a connection: silence, half a
/// request line, headers without their body and idle keep-alives are all
/// closed after their timeout; oversize request lines and headers get 414
/// and 431; connections beyond `server.max_connections` are closed at once.
struct ConnectionHygieneTests {
    static func make(_ adjust: @escaping (inout PorticoConfig) -> Void = { _ in }) async throws -> TestPortico {
        try await TestPortico.make { config in
            config.server.requestHeadTimeoutSeconds = 1
            config.server.bodyTimeoutSeconds = 1
            config.server.idleTimeoutSeconds = 1
            adjust(&config)
        }
    }

    @Test(arguments: ["", "GET /v1/cust", "GET /v1/customers HTTP/1.1\r\nHost: x\r\n"])
    func anIncompleteHeadIsClosedAfterItsTimeout(sent: String) async throws {
        let portico = try await Self.make()
        try await portico.run { (api: APIClient) async throws in
            let connection = try RawHTTPConnection(port: try #require(api.client.port))
            if !sent.isEmpty { connection.send(sent) }
            #expect(await connection.blocking { $0.waitForClose() }, "the server kept a connection that sent \(sent.debugDescription)")
        }
    }

    @Test func headersWithoutTheirBodyAreClosedAndNotCountedAsServerErrors() async throws {
        // Only the body timeout is short: the live client's own connection must outlive it.
        let portico = try await TestPortico.make { $0.server.bodyTimeoutSeconds = 1 }
        try await portico.run { (api: APIClient) async throws in
            let connection = try RawHTTPConnection(port: try #require(api.client.port))
            connection.send(
                "POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(portico.testKey)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":"
            )
            #expect(await connection.blocking { $0.waitForClose() })
            // The handler counts the 499 after the close the client sees: read until it is there.
            let deadline = ContinuousClock.now + .seconds(60)
            var metrics = ""
            repeat {
                metrics = try await api.send(.get, "/metrics").text
                if metrics.contains(#"route="/v1/customers",method="POST",status="499""#) { break }
                try await Task.sleep(for: .milliseconds(50))
            } while ContinuousClock.now < deadline
            #expect(!metrics.contains(#"status="500""#), "a client that stopped sending was counted as a server error")
            #expect(metrics.contains(#"route="/v1/customers",method="POST",status="499""#))
        }
    }

    @Test func anIdleKeepAliveIsClosedAfterTheIdleTimeout() async throws {
        let portico = try await Self.make { $0.server.requestHeadTimeoutSeconds = 30 }
        try await portico.run { (api: APIClient) async throws in
            let connection = try RawHTTPConnection(port: try #require(api.client.port))
            connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await connection.blocking { $0.read(until: "ok\n") }.hasPrefix("HTTP/1.1 200"))
            #expect(await connection.blocking { $0.waitForClose() }, "the idle keep-alive was kept open")
        }
    }

    @Test func anOversizeRequestLineIs414AndOversizeHeadersAre431() async throws {
        let portico = try await Self.make()
        try await portico.run { (api: APIClient) async throws in
            let port = try #require(api.client.port)
            let long = try RawHTTPConnection(port: port)
            long.send("GET /v1/customers?q=\(String(repeating: "a", count: 9_000)) HTTP/1.1\r\nHost: x\r\n\r\n")
            let tooLong = await long.blocking { $0.readAll() }
            #expect(tooLong.hasPrefix("HTTP/1.1 414"), "\(tooLong.prefix(100))")
            #expect(tooLong.contains("application/problem+json"))

            let big = try RawHTTPConnection(port: port)
            big.send("GET /v1/customers HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 40_000))\r\n\r\n")
            let tooBig = await big.blocking { $0.readAll() }
            #expect(tooBig.hasPrefix("HTTP/1.1 431"), "\(tooBig.prefix(100))")
            #expect(tooBig.contains("request_header_fields_too_large"))

            // Just under both limits is served.
            let fine = try RawHTTPConnection(port: port)
            fine.send(
                "GET /healthz?q=\(String(repeating: "a", count: 8_000)) HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 30_000))\r\nConnection: close\r\n\r\n"
            )
            #expect(await fine.blocking { $0.readAll() }.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func connectionsBeyondTheLimitAreClosedAtOnce() async throws {
        let portico = try await TestPortico.make { $0.server.maxConnections = 4 }
        try await portico.run { (api: APIClient) async throws in
            let port = try #require(api.client.port)
            // The live test client holds one connection; three more fill the limit.
            var held: [RawHTTPConnection] = []
            for _ in 0..<3 {
                let connection = try RawHTTPConnection(port: port)
                connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(await connection.blocking { $0.read(until: "ok\n") }.hasPrefix("HTTP/1.1 200"))
                held.append(connection)
            }
            let refused = try RawHTTPConnection(port: port, receiveTimeout: 10)
            refused.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await refused.blocking { $0.waitForClose() }, "a connection beyond the limit was served")
            // The connections already open are still served.
            #expect(try await api.send(.get, "/healthz").status == .ok)
            held.removeAll()
            // The server counts a closed connection down once it has seen the close: how soon
            // depends on the machine's load, so a refused try is made again (for up to a minute).
            let deadline = ContinuousClock.now + .seconds(60)
            var answer = ""
            repeat {
                try await Task.sleep(for: .milliseconds(100))
                let later = try RawHTTPConnection(port: port)
                later.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answer = await later.blocking { $0.readAll() }
            } while !answer.hasPrefix("HTTP/1.1 200") && ContinuousClock.now < deadline
            #expect(answer.hasPrefix("HTTP/1.1 200"), "a connection under the limit again is served")
        }
    }

    @Test func theDefaultLimitLeavesRoomBelowTheDescriptorLimit() {
        #expect(ConnectionLimits.fitted(descriptorLimit: 1_024) == 896)
        #expect(ConnectionLimits.fitted(descriptorLimit: 20_000) == 17_500)
        #expect(ConnectionLimits.fitted(descriptorLimit: 64) == 16)
    }
}

/// `Date` is the second the response was made, not a value refreshed on a timer.
struct DateHeaderTests {
    @Test func dateIsExactToTheSecond() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            for _ in 0..<20 {
                let before = Date().timeIntervalSince1970.rounded(.down)
                let response = try await api.send(.get, "/healthz")
                let after = Date().timeIntervalSince1970.rounded(.down)
                let header = try #require(response.headers[.date])
                let stamped = try #require(formatter.date(from: header)).timeIntervalSince1970
                #expect(before <= stamped && stamped <= after, "Date \(header) is outside [\(before), \(after)]")
                try await Task.sleep(for: .milliseconds(70))
            }
        }
    }

    @Test func formatsIMFFixdate() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
    }
}
