import Foundation
import Testing

@testable import PorticoApp

/// HTTPS served by Portico itself (`server.tls_certificate`, `server.tls_key`):
/// a real `portico serve` with a certificate the test made, spoken to by
/// Python's `ssl` module verifying against that certificate.
@Suite(.requires(.python3))
struct HTTPSTests {
    /// GET /healthz over verified TLS; prints the status, the SHA-256 of the certificate the server presented and the TLS version.
    static let probe = """
        import hashlib, http.client, ssl, sys
        port, cafile = int(sys.argv[1]), sys.argv[2]
        context = ssl.create_default_context(cafile=cafile)
        context.check_hostname = False  # the chain is still verified against cafile
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        der = connection.sock.getpeercert(binary_form=True)
        print(response.status, hashlib.sha256(der).hexdigest(), connection.sock.version())
        """

    static func probe(port: Int, trusting certificate: String) async throws -> [String] {
        try await PorticoProcess.python(probe, [String(port), certificate]).split(whereSeparator: \.isWhitespace).map(String.init)
    }

    @Test func servesHTTPSAndPutsARenewedCertificateInForceOnSIGHUP() async throws {
        let directory = try PorticoProcess.temporaryDirectory("https")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try TestCertificate.make()
        let files = try first.write(to: directory)
        let server = try PorticoProcess.Running(
            ["serve", "--port", "0", "--database", directory.appendingPathComponent("portico.sqlite").path],
            environment: ["PORTICO_SERVER_TLS_CERTIFICATE": files.certificate, "PORTICO_SERVER_TLS_KEY": files.key]
        )
        server.drainStderr()
        defer { server.end() }
        let line = await server.firstLine()
        #expect(line.hasPrefix("Portico is listening on https://127.0.0.1:"), "the banner names the https address: \(line)")
        let port = try #require(Int(line.split(separator: ":").last ?? ""))

        let served = try await Self.probe(port: port, trusting: files.certificate)
        #expect(served.first == "200")
        #expect(served.dropFirst().first == first.fingerprint, "the configured certificate is the one presented")
        #expect(["TLSv1.2", "TLSv1.3"].contains(served.last ?? ""))

        // Plain HTTP to the HTTPS port gets no HTTP answer.
        let plain = try? await HTTP.exchange("GET", "http://127.0.0.1:\(port)/healthz", timeout: 10)
        #expect(plain == nil || plain?.status != 200)

        // A renewal: new files, then SIGHUP; new connections get the new certificate.
        let second = try TestCertificate.make()
        try second.write(to: directory)
        server.child.signal(SIGHUP)
        var presented = ""
        for _ in 0..<100 where presented != second.fingerprint {
            presented = (try? await Self.probe(port: port, trusting: files.certificate).dropFirst().first) ?? ""
            if presented != second.fingerprint { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(presented == second.fingerprint, "after SIGHUP the renewed certificate is presented")

        // A half-written renewal is refused on reload and the running certificate stays.
        try Data("-----BEGIN CERTIFICATE-----\nnot base64\n".utf8).write(to: URL(fileURLWithPath: files.certificate))
        server.child.signal(SIGHUP)
        try await Task.sleep(for: .milliseconds(500))
        try second.write(to: directory, name: "trusted")
        let after = try await Self.probe(port: port, trusting: directory.appendingPathComponent("trusted.crt").path)
        #expect(after.first == "200" && after.dropFirst().first == second.fingerprint)
    }

    @Test func aStartWithUnusableCertificateFilesExitsWithStatusTwoNamingTheSetting() async throws {
        let directory = try PorticoProcess.temporaryDirectory("https")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("portico.sqlite").path
        let files = try TestCertificate.make().write(to: directory)
        let other = try TestCertificate.make().write(to: directory, name: "other")

        let cases: [(environment: [String: String], names: String)] = [
            (["PORTICO_SERVER_TLS_CERTIFICATE": files.certificate], "server.tls_key"),
            (
                ["PORTICO_SERVER_TLS_CERTIFICATE": directory.appendingPathComponent("missing.crt").path, "PORTICO_SERVER_TLS_KEY": files.key],
                "server.tls_certificate"
            ),
            (["PORTICO_SERVER_TLS_CERTIFICATE": files.certificate, "PORTICO_SERVER_TLS_KEY": files.certificate], "server.tls_key"),
            (["PORTICO_SERVER_TLS_CERTIFICATE": files.certificate, "PORTICO_SERVER_TLS_KEY": other.key], "server.tls_key"),
        ]
        for (environment, names) in cases {
            let (status, _, stderr) = try await PorticoProcess.run(["serve", "--port", "0", "--database", database], environment: environment)
            #expect(status == 2, "\(environment): \(stderr)")
            #expect(stderr.contains(names), "the message names \(names): \(stderr)")
        }
    }

    @Test func sessionCookiesAreHostPrefixedAndSecureWhenPorticoServesHTTPS() async throws {
        let directory = try PorticoProcess.temporaryDirectory("https")
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try TestCertificate.make().write(to: directory)
        let portico = try await TestPortico.make {
            $0.server.tlsCertificate = files.certificate
            $0.server.tlsKey = files.key
        }
        #expect(portico.runtime.baseURL.value.hasPrefix("https://"), "links and problem types use https")
        try await portico.run(.router) { (api: APIClient) in
            let browser = Browser(api.client)
            _ = try await browser.get("/dashboard/login")
            let form = try #require(browser.lastSetCookies.first { $0.hasPrefix("portico_form=") })
            #expect(form.contains("; Secure") && form.contains("HttpOnly"), "the sign-in form's token cookie too: \(form)")
            try await browser.signIn(portico.seed.ownerEmail, portico.seed.ownerPassword)
            let session = try #require(browser.lastSetCookies.first { $0.hasPrefix("__Host-portico_session=") })
            #expect(session.contains("; Secure") && session.contains("Path=/"))
        }
    }
}
