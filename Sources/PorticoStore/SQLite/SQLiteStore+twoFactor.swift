import Foundation
import GRDB
import PorticoCore

// MARK: - Second factor: staff_users and users, with their recovery codes

extension SQLiteStore: TwoFactorStore {
    package func enrollTOTP(
        _ holder: TwoFactorHolder,
        id: String,
        sealedSecret: String,
        step: Int64,
        recoveryCodeHashes: [Data],
        keepingSession: Data,
        at now: Int64,
        audit: AuditEntryRecord
    ) async throws -> Bool {
        let (accounts, codes, owner) = holder.tables
        let (sessions, sessionOwner) = holder.sessions
        return try await writeTransaction { db in
            try db.execute(
                sql: "UPDATE \(accounts) SET totp_secret = ?, totp_enabled_at = ?, totp_last_step = ? WHERE id = ? AND totp_enabled_at IS NULL",
                arguments: [sealedSecret, now, step, id]
            )
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: "DELETE FROM \(codes) WHERE \(owner) = ?", arguments: [id])
            for hash in recoveryCodeHashes {
                try db.execute(sql: "INSERT INTO \(codes) (\(owner), code_hash) VALUES (?, ?)", arguments: [id, hash])
            }
            // Sessions that signed in without the second factor end with its arrival.
            try db.execute(sql: "DELETE FROM \(sessions) WHERE \(sessionOwner) = ? AND id_hash != ?", arguments: [id, keepingSession])
            try audit.insert(db)
            return true
        }
    }

    package func useTOTPStep(_ holder: TwoFactorHolder, id: String, step: Int64) async throws -> Bool {
        let (accounts, _, _) = holder.tables
        return try await writeTransaction { db in
            try db.execute(
                sql: "UPDATE \(accounts) SET totp_last_step = ? WHERE id = ? AND totp_last_step < ? AND totp_enabled_at IS NOT NULL",
                arguments: [step, id, step]
            )
            return db.changesCount == 1
        }
    }

    package func useRecoveryCode(_ holder: TwoFactorHolder, id: String, codeHash: Data, at now: Int64, audit: AuditEntryRecord) async throws -> Bool {
        let (_, codes, owner) = holder.tables
        return try await writeTransaction { db in
            try db.execute(
                sql: "UPDATE \(codes) SET used_at = ? WHERE \(owner) = ? AND code_hash = ? AND used_at IS NULL",
                arguments: [now, id, codeHash]
            )
            guard db.changesCount == 1 else { return false }
            try audit.insert(db)
            return true
        }
    }

    package func unusedRecoveryCodes(_ holder: TwoFactorHolder, id: String) async throws -> Int {
        let (_, codes, owner) = holder.tables
        return try await read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM \(codes) WHERE \(owner) = ? AND used_at IS NULL", arguments: [id]) ?? 0
        }
    }

    package func removeTOTP(_ holder: TwoFactorHolder, id: String, audit: AuditEntryRecord, mail: MailRecord?) async throws {
        let (accounts, codes, owner) = holder.tables
        try await writeTransaction { db in
            try db.execute(sql: "UPDATE \(accounts) SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = 0 WHERE id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM \(codes) WHERE \(owner) = ?", arguments: [id])
            try audit.insert(db)
            if let mail { try self.insertMailInTransaction(mail, db) }
        }
    }
}
