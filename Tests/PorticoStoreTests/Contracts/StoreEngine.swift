import Foundation
import PorticoCore
import Testing

@testable import PorticoStore

/// A storage engine the contract suite runs against. Every contract test
/// takes `StoreEngine.all` as its arguments, so a second engine (PostgreSQL)
/// runs the whole suite by adding one line to `all`.
struct StoreEngine: Sendable, CustomTestStringConvertible {
    let name: String
    /// A fresh, empty, migrated store of this engine, and how to dispose of it.
    let make: @Sendable () throws -> (store: any PorticoStorage, dispose: @Sendable () -> Void)

    var testDescription: String { name }

    static let all: [StoreEngine] = [.sqlite]

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

    /// Runs `body` with a fresh store of this engine, disposed of afterwards.
    func with<T>(_ body: (any PorticoStorage) async throws -> T) async throws -> T {
        let (store, dispose) = try make()
        defer { dispose() }
        return try await body(store)
    }
}
