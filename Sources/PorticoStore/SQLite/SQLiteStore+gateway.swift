import GRDB
import PorticoCore

// MARK: - Gateway identity signing keys

extension SigningKeyRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "gateway_signing_keys"
}

extension SQLiteStore {
    package func signingKeys(now: Int64) async throws -> [SigningKeyRecord] {
        try await read { db in
            try SigningKeyRecord
                .filter(Column("retires_at") == nil || Column("retires_at") > now)
                .order(Column("created_at").desc, Column("id").desc)
                .fetchAll(db)
        }
    }

    @discardableResult
    package func addSigningKey(_ key: SigningKeyRecord, retireOthersAt: Int64, onlyIfNone: Bool) async throws -> Bool {
        try await writeTransaction { db in
            let signing = SigningKeyRecord.filter(Column("retires_at") == nil)
            if onlyIfNone, try signing.fetchCount(db) > 0 { return false }
            try signing.updateAll(db, Column("retires_at").set(to: retireOthersAt))
            try key.insert(db)
            return true
        }
    }
}
