import Foundation
import Testing

@testable import PorticoApp

/// Running as a service: systemd's readiness notification, the unit in
/// `deploy/`, and upgrades (`migrate --dry-run`, a schema newer than the binary).
struct DeploymentTests {
    @Test func serveTellsSystemdItIsReadyOnceItAnswers() async throws {
        let directory = try PorticoProcess.temporaryDirectory("deploy")
        defer { try? FileManager.default.removeItem(at: directory) }
        // systemd's side of Type=notify: a datagram socket named by NOTIFY_SOCKET.
        let socketPath = directory.appendingPathComponent("notify").path
        let listener = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(socketPath.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        let server = try PorticoProcess.Running(
            ["serve", "--port", "0", "--database", directory.appendingPathComponent("portico.sqlite").path],
            environment: ["NOTIFY_SOCKET": socketPath, "PORTICO_ACCOUNTS_PASSWORD_HASH_COST": "10"]
        )
        server.drainStderr()
        defer { server.end() }
        let message = await offPool { () -> String in
            var buffer = [UInt8](repeating: 0, count: 512)
            let count = recv(listener, &buffer, buffer.count, 0)
            return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : ""
        }
        let lines = message.split(separator: "\n").map(String.init)
        #expect(lines.contains("READY=1"), "\(message)")
        let status = try #require(lines.first { $0.hasPrefix("STATUS=Listening on http://127.0.0.1:") })
        let url = String(status.dropFirst("STATUS=Listening on ".count))
        // Ready means answering: the first request after the notification succeeds.
        #expect(try await HTTP.exchange("GET", url + "/healthz").status == 200)
        // A first start's keys were made before READY (so a unit started after this one may use them).
        #expect(await server.banner().contains("Test secret key:"))
    }

    @Test(.requires(.systemdAnalyze)) func theUnitFileVerifiesAndIsSandboxed() async throws {
        let directory = try PorticoProcess.temporaryDirectory("deploy")
        defer { try? FileManager.default.removeItem(at: directory) }
        let unit = try String(contentsOf: PorticoProcess.repositoryRoot.appendingPathComponent("deploy/portico.service"), encoding: .utf8)
        #expect(unit.contains("\nType=notify\n") && unit.contains("ExecStart=/usr/local/bin/portico serve "))
        // Exit statuses restarting cannot fix: invalid configuration, cannot listen, newer schema.
        #expect(unit.contains("\nRestartPreventExitStatus=2 3 5\n"))
        for option in [
            "DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "StateDirectory=portico",
        ] {
            #expect(unit.contains("\n\(option)\n"), "\(option)")
        }
        // systemd-analyze checks that ExecStart exists: point it at this build.
        let copy = directory.appendingPathComponent("portico.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/portico", with: PorticoProcess.binary.path).write(
            to: copy,
            atomically: true,
            encoding: .utf8
        )
        let verify = try await ChildProcess.run("/usr/bin/env", ["systemd-analyze", "verify", copy.path], joinStderr: true)
        #expect(verify.status == 0 && verify.stdout.isEmpty, "\(verify.stdout)")
        // systemd's own exposure score (0 best … 10 worst); 1.2 today, "OK" up to 2.0.
        let security = try await ChildProcess.run("/usr/bin/env", ["systemd-analyze", "security", "--offline=true", "--threshold=20", copy.path])
        #expect(security.status == 0, "exposure above 2.0:\n\(security.stdout.suffix(600))")
    }

    @Test func migrateDryRunListsWhatWouldBeAppliedAndANewerSchemaIsRefused() async throws {
        let directory = try PorticoProcess.temporaryDirectory("deploy")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("portico.sqlite").path
        let missing = try await PorticoProcess.run(["migrate", "--dry-run", "--database", database])
        #expect(missing.status != 0 && missing.stderr.contains("no database"), "a dry run creates nothing")
        #expect(!FileManager.default.fileExists(atPath: database))

        #expect(try await PorticoProcess.run(["migrate", "--database", database]).status == 0)
        let current = try await PorticoProcess.run(["migrate", "--dry-run", "--database", database])
        #expect(current.status == 0 && current.stdout.contains("schema is current"))

        // As if the last migration were new to this database: listed, not applied.
        let sql = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        let last = try await PorticoProcess.python(
            sql + "print(c.execute('SELECT identifier FROM grdb_migrations ORDER BY rowid DESC LIMIT 1').fetchone()[0])",
            [database]
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await PorticoProcess.python(
            sql + "c.execute('DELETE FROM grdb_migrations WHERE identifier = ?', (sys.argv[2],)); c.commit()",
            [database, last]
        )
        let pending = try await PorticoProcess.run(["migrate", "--dry-run", "--database", database])
        #expect(pending.status == 0 && pending.stdout.contains("pending:\n  \(last)"), "\(pending.stdout)")
        let stillPending = try await PorticoProcess.run(["migrate", "--dry-run", "--database", database])
        #expect(stillPending.stdout.contains(last), "the dry run applied nothing")
        _ = try await PorticoProcess.python(
            sql + "c.execute('INSERT INTO grdb_migrations VALUES (?)', (sys.argv[2],)); c.commit()",
            [database, last]
        )

        // A newer Portico migrated it (a rollback of the binary alone): serve refuses with 5, changing nothing.
        _ = try await PorticoProcess.python(
            sql + "c.execute(\"INSERT INTO grdb_migrations VALUES ('2099-01-01-from-the-future')\"); c.commit()",
            [database]
        )
        let dump = "import hashlib, sqlite3, sys; print(hashlib.sha256('\\n'.join(sqlite3.connect(sys.argv[1]).iterdump()).encode()).hexdigest())"
        let before = try await PorticoProcess.python(dump, [database])
        let serve = try await PorticoProcess.run(["serve", "--port", "0", "--database", database])
        #expect(serve.status == 5, "\(serve.stderr)")
        #expect(serve.stderr.contains("newer than this build") && serve.stderr.contains("2099-01-01-from-the-future"))
        let migrate = try await PorticoProcess.run(["migrate", "--database", database])
        #expect(migrate.status == 5)
        let dryRun = try await PorticoProcess.run(["migrate", "--dry-run", "--database", database])
        #expect(dryRun.status == 1 && dryRun.stderr.contains("2099-01-01-from-the-future"))
        let check = try await PorticoProcess.run(["check", "--database", database])
        #expect(check.status == 1 && check.stdout.contains("newer than this build"))
        #expect(try await PorticoProcess.python(dump, [database]) == before, "nothing in the database changed")
    }
}
