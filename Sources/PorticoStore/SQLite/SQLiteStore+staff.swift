import Foundation
import GRDB
import PorticoCore

// MARK: - Operator console: staff accounts, second factor, sessions

extension SQLiteStore {
    package func createStaff(_ staff: StaffRecord, audit: AuditEntryRecord) async throws {
        try await writeTransaction { db in
            do {
                try staff.insert(db)
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw StoreError.conflict("a staff account with this email already exists")
            }
            try audit.insert(db)
        }
    }

    package func staff(email: String) async throws -> StaffRecord? {
        try await read { db in try StaffRecord.filter(Column("email") == email).fetchOne(db) }
    }

    package func staff(id: String) async throws -> StaffRecord? {
        try await read { db in try StaffRecord.fetchOne(db, key: id) }
    }

    package func allStaff() async throws -> [StaffRecord] {
        try await read { db in try StaffRecord.order(Column("created_at"), Column("id")).fetchAll(db) }
    }

    package func disableStaff(id: String, at now: Int64, audit: AuditEntryRecord) async throws -> Bool {
        try await writeTransaction { db in
            guard var staff = try StaffRecord.fetchOne(db, key: id) else { return false }
            if staff.disabledAt == nil {
                staff.disabledAt = now
                try staff.update(db)
            }
            try StaffSessionRecord.filter(Column("staff_id") == id).deleteAll(db)
            try audit.insert(db)
            return true
        }
    }

    package func setPendingTOTPSecret(staffId: String, sealedSecret: String) async throws {
        try await writeTransaction { db in
            try db.execute(
                sql: "UPDATE staff_users SET totp_secret = ? WHERE id = ? AND totp_enabled_at IS NULL",
                arguments: [sealedSecret, staffId]
            )
        }
    }

    package func enrollTOTP(staffId: String, step: Int64, recoveryCodeHashes: [Data], at now: Int64, audit: AuditEntryRecord) async throws -> Bool {
        try await writeTransaction { db in
            try db.execute(
                sql:
                    "UPDATE staff_users SET totp_enabled_at = ?, totp_last_step = ? WHERE id = ? AND totp_enabled_at IS NULL AND totp_secret IS NOT NULL",
                arguments: [now, step, staffId]
            )
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: "DELETE FROM staff_recovery_codes WHERE staff_id = ?", arguments: [staffId])
            for hash in recoveryCodeHashes {
                try db.execute(sql: "INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES (?, ?)", arguments: [staffId, hash])
            }
            try audit.insert(db)
            return true
        }
    }

    package func useTOTPStep(staffId: String, step: Int64) async throws -> Bool {
        try await writeTransaction { db in
            try db.execute(
                sql: "UPDATE staff_users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ? AND totp_enabled_at IS NOT NULL",
                arguments: [step, staffId, step]
            )
            return db.changesCount == 1
        }
    }

    package func useRecoveryCode(staffId: String, codeHash: Data, at now: Int64, audit: AuditEntryRecord) async throws -> Bool {
        try await writeTransaction { db in
            try db.execute(
                sql: "UPDATE staff_recovery_codes SET used_at = ? WHERE staff_id = ? AND code_hash = ? AND used_at IS NULL",
                arguments: [now, staffId, codeHash]
            )
            guard db.changesCount == 1 else { return false }
            try audit.insert(db)
            return true
        }
    }

    package func unusedRecoveryCodes(staffId: String) async throws -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM staff_recovery_codes WHERE staff_id = ? AND used_at IS NULL", arguments: [staffId]) ?? 0
        }
    }

    package func insertStaffSession(_ session: StaffSessionRecord, audit: AuditEntryRecord) async throws {
        try await writeTransaction { db in
            try session.insert(db)
            try audit.insert(db)
        }
    }

    package func staffSession(idHash: Data) async throws -> (StaffSessionRecord, StaffRecord)? {
        try await read { db in
            guard let session = try StaffSessionRecord.fetchOne(db, key: idHash),
                let staff = try StaffRecord.fetchOne(db, key: session.staffId)
            else { return nil }
            return (session, staff)
        }
    }

    package func saveStaffSession(_ session: StaffSessionRecord, audit: AuditEntryRecord?) async throws {
        try await writeTransaction { db in
            try session.update(db)
            try audit?.insert(db)
        }
    }

    package func deleteStaffSession(idHash: Data, audit: AuditEntryRecord?) async throws {
        try await writeTransaction { db in
            _ = try StaffSessionRecord.deleteOne(db, key: idHash)
            try audit?.insert(db)
        }
    }
}
