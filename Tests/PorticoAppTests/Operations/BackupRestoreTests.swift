import Foundation
import PorticoStore
import Testing

@testable import PorticoApp

/// Scheduled backups and `portico restore`: the restore drill of
/// docs/deployment.md, run against real processes.
struct BackupRestoreTests {
    static func createCustomer(_ url: String, key: String, name: String) async throws -> String {
        let created = try await HTTP.request("POST", "\(url)/v1/customers", key: key, json: #"{"name":"\#(name)"}"#)
        #expect(created.status == 200)
        return try #require(created.body["id"] as? String)
    }

    @Test func theRestoreDrillBringsBackExactlyTheBackedUpState() async throws {
        let directory = try PorticoProcess.temporaryDirectory("restore")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("portico.sqlite").path
        let backup = directory.appendingPathComponent("drill.sqlite").path
        let environment = ["PORTICO_ACCOUNTS_PASSWORD_HASH_COST": "10"]

        // 1. Write, 2. back up (online), 3. write more.
        var server = try PorticoProcess.Running(["serve", "--port", "0", "--database", database], environment: environment)
        server.drainStderr()
        var url = try #require(await server.firstLine().split(separator: " ").last.map(String.init))
        let key = try await server.bannerTestKey()
        let kept = try await Self.createCustomer(url, key: key, name: "Backed up")
        #expect(try await PorticoProcess.run(["backup", "--to", backup, "--database", database]).status == 0)
        let lost = try await Self.createCustomer(url, key: key, name: "Written after the backup")

        // A restore while the server holds the database is refused and changes nothing.
        let refused = try await PorticoProcess.run(["restore", backup, "--database", database])
        #expect(refused.status == 1 && refused.stderr.contains("a running Portico holds"), "\(refused.stderr)")
        #expect(try await HTTP.request("GET", "\(url)/v1/customers/\(lost)", key: key).status == 200)
        #expect(await server.stop() == 0)
        let wal = (try? FileManager.default.attributesOfItem(atPath: database + "-wal"))?[.size] as? NSNumber
        #expect((wal?.intValue ?? 0) == 0, "a stopped server's commits are all in the database file")

        // 4. Restore, with the server stopped.
        let restored = try await PorticoProcess.run(["restore", backup, "--database", database])
        #expect(restored.status == 0, "\(restored.stderr)")
        let replaced = try #require(
            restored.stdout.split(separator: "\n").first { $0.hasPrefix("the database it replaced is at ") }
                .map { String($0.dropFirst("the database it replaced is at ".count).prefix { $0 != ";" }) }
        )
        #expect(FileManager.default.fileExists(atPath: replaced), "the replaced database is kept aside, not deleted")

        // 5. See exactly the backed-up state: the first customer, not the second; the key still works.
        server = try PorticoProcess.Running(["serve", "--port", "0", "--database", database], environment: environment)
        server.drainStderr()
        defer { server.end() }
        url = try #require(await server.firstLine().split(separator: " ").last.map(String.init))
        #expect(try await HTTP.request("GET", "\(url)/v1/customers/\(kept)", key: key).status == 200)
        #expect(try await HTTP.request("GET", "\(url)/v1/customers/\(lost)", key: key).status == 404)
        let list = try await HTTP.request("GET", "\(url)/v1/customers", key: key)
        #expect((list.body["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [kept])
        let check = try await PorticoProcess.run(["check", "--database", database])
        #expect(check.status == 0)
    }

    @Test func restoreRefusesAFileThatIsNotAWholePorticoDatabaseOfThisVersion() async throws {
        let directory = try PorticoProcess.temporaryDirectory("restore")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("portico.sqlite").path
        #expect(try await PorticoProcess.run(["org", "create", "--name", "Kept", "--database", database]).status == 0)
        let good = directory.appendingPathComponent("good.sqlite").path
        #expect(try await PorticoProcess.run(["backup", "--to", good, "--database", database]).status == 0)
        let original = try Data(contentsOf: URL(fileURLWithPath: database))

        let garbage = directory.appendingPathComponent("garbage.sqlite")
        try Data(repeating: 0x41, count: 8_192).write(to: garbage)
        let truncated = directory.appendingPathComponent("truncated.sqlite")
        let goodBytes = try Data(contentsOf: URL(fileURLWithPath: good))
        try goodBytes.prefix(goodBytes.count / 2).write(to: truncated)
        let newer = directory.appendingPathComponent("newer.sqlite")
        try goodBytes.write(to: newer)
        _ = try await PorticoProcess.python(
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO grdb_migrations VALUES ('2099-01-01-future')\"); c.commit()",
            [newer.path]
        )
        for (file, reason) in [
            (garbage.path, "not a readable SQLite database"), (truncated.path, "malformed"), (newer.path, "newer than this build"),
            (directory.appendingPathComponent("absent.sqlite").path, "no file"),
        ] {
            let outcome = try await PorticoProcess.run(["restore", file, "--database", database])
            #expect(outcome.status == 1, "\(file): \(outcome.stdout)")
            #expect(outcome.stderr.contains("restore refused") && outcome.stderr.contains(reason), "\(outcome.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == original, "a refused restore changes nothing")
        let contents = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(!contents.contains { $0.contains(".replaced-") || $0.contains(".restore-") })
    }

    @Test func restoreCopiesTheWholeBackupAndKeepsEveryDatabaseItReplaced() async throws {
        let directory = try PorticoProcess.temporaryDirectory("restore")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("portico.sqlite").path
        #expect(try await PorticoProcess.run(["org", "create", "--name", "Current", "--database", database]).status == 0)
        let good = directory.appendingPathComponent("good.sqlite").path
        #expect(try await PorticoProcess.run(["backup", "--to", good, "--database", database]).status == 0)

        // A copy whose last commit is still only in its WAL (the writer died before a checkpoint).
        let withWAL = directory.appendingPathComponent("with-wal.sqlite").path
        try FileManager.default.copyItem(atPath: good, toPath: withWAL)
        _ = try await PorticoProcess.python(
            """
            import os, sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            c.execute("PRAGMA journal_mode = WAL")
            c.execute("PRAGMA wal_autocheckpoint = 0")
            c.execute("UPDATE organizations SET name = 'Only in the WAL'")
            c.commit()
            os._exit(0)  # no close, no checkpoint: the change stays in with-wal.sqlite-wal
            """,
            [withWAL]
        )
        #expect(FileManager.default.fileExists(atPath: withWAL + "-wal"))
        let names = "import sqlite3, sys; print([r[0] for r in sqlite3.connect(sys.argv[1]).execute('SELECT name FROM organizations')])"
        let first = try await PorticoProcess.run(["restore", withWAL, "--database", database])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try await PorticoProcess.python(names, [database]).contains("Only in the WAL"), "the WAL's commit came along")

        // Through a symbolic link: the database becomes a plain file, not the link.
        let link = directory.appendingPathComponent("link.sqlite").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: good)
        let second = try await PorticoProcess.run(["restore", link, "--database", database])
        #expect(second.status == 0, "\(second.stderr)")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: database)) == nil, "the database is not a link to the backup")
        #expect(try await PorticoProcess.python(names, [database]).contains("Current"))

        // Two restores in one second each kept what they replaced, under its own name.
        let replaced = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.contains(".replaced-") && !$0.hasSuffix("-wal")
        }
        #expect(replaced.count == 2, "\(replaced)")

        // A path where no database is: refused unless --create (a mistyped --config would otherwise restore into the dark).
        let elsewhere = directory.appendingPathComponent("new/portico.sqlite").path
        try FileManager.default.createDirectory(atPath: (elsewhere as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let missing = try await PorticoProcess.run(["restore", good, "--database", elsewhere])
        #expect(missing.status == 1 && missing.stderr.contains("--create"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere))
        #expect(try await PorticoProcess.run(["restore", good, "--database", elsewhere, "--create"]).status == 0)
        #expect(try await PorticoProcess.run(["check", "--database", elsewhere]).status == 0)
        let created = try FileManager.default.attributesOfItem(atPath: elsewhere)
        #expect((created[.posixPermissions] as? NSNumber)?.intValue == 0o600, "a new database is private")
        let beside = try FileManager.default.contentsOfDirectory(atPath: (elsewhere as NSString).deletingLastPathComponent)
        #expect(!beside.contains { $0.contains(".replaced-") }, "nothing to set aside: \(beside)")

        // A database reached through a link: the file it points to is replaced, keeping its mode; the link stays.
        let real = directory.appendingPathComponent("real.sqlite").path
        #expect(try await PorticoProcess.run(["org", "create", "--name", "Behind a link", "--database", real]).status == 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: real)
        let linked = directory.appendingPathComponent("linked.sqlite").path
        try FileManager.default.createSymbolicLink(atPath: linked, withDestinationPath: real)
        #expect(try await PorticoProcess.run(["restore", good, "--database", linked]).status == 0)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: linked)) == real, "the link is still a link")
        #expect((try FileManager.default.attributesOfItem(atPath: real)[.posixPermissions] as? NSNumber)?.intValue == 0o640)
        #expect(try await PorticoProcess.python(names, [real]).contains("Current"))
    }

    @Test func scheduledBackupsAreVerifiedNamedByTimeAndRotated() async throws {
        let backups = try PorticoProcess.temporaryDirectory("restore")
        defer { try? FileManager.default.removeItem(at: backups) }
        try Data("not a backup".utf8).write(to: backups.appendingPathComponent("notes.txt"))
        let portico = try await TestPortico.make {
            $0.backup.directory = backups.path
            $0.backup.everyHours = 6
            $0.backup.keep = 2
        }
        try await portico.run { (api: APIClient) in
            let schedule = try #require(portico.runtime.backups)
            // The scheduler's own run at start, or this call, makes the first; never both.
            _ = try await schedule.runIfDue()
            for _ in 0..<200 where try schedule.backups().isEmpty { try await Task.sleep(for: .milliseconds(50)) }
            try await Task.sleep(for: .milliseconds(200))
            #expect(try schedule.backups().count == 1)
            #expect(try await schedule.runIfDue() == nil, "within six hours, no other")

            var written: [String] = []
            for hours in [6, 6, 6] {
                try await portico.advance(seconds: TimeInterval(hours) * 3_600)
                written.append(try #require(try await schedule.runIfDue()))
            }
            let names = try schedule.backups().map(\.name)
            #expect(names == written.suffix(2).map { ($0 as NSString).lastPathComponent }, "the newest two are kept")
            for name in names {
                #expect(try SQLiteStore.verifyBackup(at: backups.appendingPathComponent(name).path) == SQLiteStore.currentSchemaVersion)
            }
            #expect(FileManager.default.fileExists(atPath: backups.appendingPathComponent("notes.txt").path), "other files are left alone")

            let metrics = try await api.send(.get, "/metrics")
            let newest = try #require(try schedule.backups().last?.time)
            let gauge = metrics.text.split(separator: "\n").first { $0.hasPrefix("portico_backup_last_success_timestamp_seconds ") }
            let recorded: Double? = gauge.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
            #expect(recorded == Double(newest) / 1_000)
        }
    }
}
