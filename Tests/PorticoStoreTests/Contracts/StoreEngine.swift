import Foundation
import PorticoCore
import PorticoPostgres
import PorticoTestSupport
import Testing

@testable import PorticoStore

/// A storage engine the contract suite runs against. Every contract test
/// takes `StoreEngine.all` as its arguments: SQLite, and PostgreSQL when a
/// test cluster is at hand (`TestPostgres`; always under CI, where a missing
/// cluster fails the PostgreSQL cases instead of skipping them).
struct StoreEngine: Sendable, CustomTestStringConvertible {
    let name: String
    /// A fresh, empty, migrated store of this engine, and how to dispose of it.
    let make: @Sendable () async throws -> (store: any PorticoStorage, dispose: @Sendable () async -> Void)

    var testDescription: String { name }

    static let all: [StoreEngine] = TestPostgres.isWanted ? [.sqlite, .postgres] : [.sqlite]

    static let sqlite = StoreEngine(name: "SQLite") {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portico-contract-\(UUID().uuidString).sqlite").path
        let store = try SQLiteStore(configuration: StoreConfiguration(path: path))
        return (
            store,
            {
                try? store.close()
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
        )
    }

    /// A database of its own on the test cluster, migrated by the store, dropped afterwards.
    static let postgres = StoreEngine(name: "PostgreSQL") {
        let url = try await TestPostgres.shared.createDatabase(migrated: true)
        // A copy of a database the migrations built once (`TestPostgres.template`).
        let store = TestPostgres.store(url, maximumConnections: 2)
        return (
            store,
            {
                try? store.close()
                try? await TestPostgres.shared.dropDatabase(url.database)
            }
        )
    }

    /// Runs `body` with a fresh store of this engine, disposed of afterwards.
    func with<T>(_ body: (any PorticoStorage) async throws -> T) async throws -> T {
        let (store, dispose) = try await make()
        do {
            let value = try await body(store)
            await dispose()
            return value
        } catch {
            await dispose()
            throw error
        }
    }
}
