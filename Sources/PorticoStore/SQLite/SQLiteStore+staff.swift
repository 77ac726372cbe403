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
