import Foundation
import GRDB
import Testing

@testable import PorticoStore

struct BackupTests {
    @Test func backupIsAConsistentVerifiedCopy() async throws {
        let source = try SQLiteStore(configuration: StoreConfiguration(path: MigrationTests.temporaryPath()))
        try await source.pool.write { db in
            for index in 0..<500 {
                try db.execute(
                    sql: "INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)",
                    arguments: ["org_\(index)", "Org \(index)", index]
                )
            }
        }
        let destination = MigrationTests.temporaryPath()
        try await source.backup(to: destination)

        let copy = try SQLiteStore(configuration: StoreConfiguration(path: destination), migrate: false)
        let check = try await copy.check()
        #expect(check.integrityOK)
        #expect(check.schemaCurrent)
        #expect(try await copy.organizations().count == 500)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.contains(URL(fileURLWithPath: destination).lastPathComponent + ".partial") }
        #expect(leftovers.isEmpty)
    }

    @Test func failedBackupLeavesNoFile() async throws {
        let source = try SQLiteStore(configuration: StoreConfiguration(path: MigrationTests.temporaryPath()))
        let destination = "/proc/portico-cannot-write-here/backup.sqlite"
        await #expect(throws: (any Error).self) { try await source.backup(to: destination) }
        #expect(!FileManager.default.fileExists(atPath: destination))
    }
}
