import Foundation
import PorticoCore
import PorticoStore
import PostgresNIO

// MARK: - Dashboard sessions

extension PostgresStore {
    package func insertSession(_ session: DashboardSessionRecord, audit: AuditEntryRecord) async throws {
        try await write { connection in
            try await connection.insert(session, logger: logger)
            try await connection.insert(audit, logger: logger)
        }
    }

    package func session(idHash: Data) async throws -> (DashboardSessionRecord, UserRecord, [UserOrganization])? {
        let found: SessionView? = try await readSnapshot { connection in
            guard
                let session = try await connection.one(
                    DashboardSessionRecord.self,
                    "SELECT * FROM dashboard_sessions WHERE id_hash = \(idHash)",
                    logger: logger
                ),
                let user = try await connection.one(UserRecord.self, "SELECT * FROM users WHERE id = \(session.userId)", logger: logger)
            else { return nil }
            return SessionView(session: session, user: user, organizations: try await Self.organizations(ofUser: user.id, connection, logger))
        }
        return found.map { ($0.session, $0.user, $0.organizations) }
    }

    private struct SessionView: Sendable {
        var session: DashboardSessionRecord
        var user: UserRecord
        var organizations: [UserOrganization]
    }

    package func saveSession(_ session: DashboardSessionRecord, audit: AuditEntryRecord?) async throws {
        try await write { connection in
            try await connection.update(session, key: "id_hash", logger: logger)
            if let audit { try await connection.insert(audit, logger: logger) }
        }
    }

    package func deleteSession(idHash: Data, audit: AuditEntryRecord?) async throws {
        try await write { connection in
            try await connection.run("DELETE FROM dashboard_sessions WHERE id_hash = \(idHash)", logger: logger)
            if let audit { try await connection.insert(audit, logger: logger) }
        }
    }

    package func pruneSessions(idleBefore: Int64, createdBefore: Int64) async throws -> Int {
        try await pruneSessions(in: "dashboard_sessions", idleBefore: idleBefore, createdBefore: createdBefore)
    }

    /// One rule for both session tables (the dashboard's and the console's): idle or too old.
    func pruneSessions(in table: String, idleBefore: Int64, createdBefore: Int64) async throws -> Int {
        try await deleteInBatches(
            from: table,
            key: "id_hash",
            where: "last_seen_at < $1 OR created_at < $2",
            Self.bindings(idleBefore, createdBefore)
        )
    }

    /// Bindings for a statement whose SQL names a table chosen at run time.
    static func bindings(_ values: any PostgresDynamicTypeEncodable...) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { bindings.append(value) }
        return bindings
    }
}

// MARK: - Operator console: staff accounts and their sessions

extension PostgresStore {
    package func createStaff(_ staff: StaffRecord, audit: AuditEntryRecord) async throws {
        try await write { connection in
            let inserted = try await connection.insert(staff, suffix: "ON CONFLICT DO NOTHING", logger: logger)
            if inserted == 0 { throw StoreError.conflict("a staff account with this email already exists") }
            try await connection.insert(audit, logger: logger)
        }
    }

    package func staff(email: String) async throws -> StaffRecord? {
        try await read { connection in
            try await connection.one(StaffRecord.self, "SELECT * FROM staff_users WHERE lower(email) = lower(\(email))", logger: logger)
        }
    }

    package func staff(id: String) async throws -> StaffRecord? {
        try await read { connection in try await connection.one(StaffRecord.self, "SELECT * FROM staff_users WHERE id = \(id)", logger: logger) }
    }

    package func allStaff() async throws -> [StaffRecord] {
        try await read { connection in
            try await connection.all(StaffRecord.self, "SELECT * FROM staff_users ORDER BY created_at, id", logger: logger)
        }
    }

    package func disableStaff(id: String, at now: Int64, audit: AuditEntryRecord) async throws -> Bool {
        try await write { connection in
            guard try await connection.value(String.self, "SELECT id FROM staff_users WHERE id = \(id) FOR UPDATE", logger: logger) != nil else {
                return false
            }
            try await connection.run("UPDATE staff_users SET disabled_at = \(now) WHERE id = \(id) AND disabled_at IS NULL", logger: logger)
            try await connection.run("DELETE FROM staff_sessions WHERE staff_id = \(id)", logger: logger)
            try await connection.insert(audit, logger: logger)
            return true
        }
    }

    package func insertStaffSession(_ session: StaffSessionRecord, audit: AuditEntryRecord) async throws {
        try await write { connection in
            try await connection.insert(session, logger: logger)
            try await connection.insert(audit, logger: logger)
        }
    }

    package func staffSession(idHash: Data) async throws -> (StaffSessionRecord, StaffRecord)? {
        let found: StaffSessionView? = try await readSnapshot { connection in
            guard
                let session = try await connection.one(
                    StaffSessionRecord.self,
                    "SELECT * FROM staff_sessions WHERE id_hash = \(idHash)",
                    logger: logger
                ),
                let staff = try await connection.one(StaffRecord.self, "SELECT * FROM staff_users WHERE id = \(session.staffId)", logger: logger)
            else { return nil }
            return StaffSessionView(session: session, staff: staff)
        }
        return found.map { ($0.session, $0.staff) }
    }

    private struct StaffSessionView: Sendable {
        var session: StaffSessionRecord
        var staff: StaffRecord
    }

    package func saveStaffSession(_ session: StaffSessionRecord, audit: AuditEntryRecord?) async throws {
        try await write { connection in
            try await connection.update(session, key: "id_hash", logger: logger)
            if let audit { try await connection.insert(audit, logger: logger) }
        }
    }

    package func deleteStaffSession(idHash: Data, audit: AuditEntryRecord?) async throws {
        try await write { connection in
            try await connection.run("DELETE FROM staff_sessions WHERE id_hash = \(idHash)", logger: logger)
            if let audit { try await connection.insert(audit, logger: logger) }
        }
    }
}

// MARK: - Second factor: staff_users and users, with their recovery codes

extension PostgresStore {
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
        return try await write { connection in
            let enrolled = try await connection.run(
                PostgresQuery(
                    unsafeSQL:
                        "UPDATE \(accounts) SET totp_secret = $1, totp_enabled_at = $2, totp_last_step = $3 WHERE id = $4 AND totp_enabled_at IS NULL",
                    binds: Self.bindings(sealedSecret, now, step, id)
                ),
                logger: logger
            )
            guard enrolled == 1 else { return false }
            try await connection.run(PostgresQuery(unsafeSQL: "DELETE FROM \(codes) WHERE \(owner) = $1", binds: Self.bindings(id)), logger: logger)
            for hash in recoveryCodeHashes {
                var bindings = Self.bindings(id)
                try bindings.append(hash)
                try await connection.run(
                    PostgresQuery(unsafeSQL: "INSERT INTO \(codes) (\(owner), code_hash) VALUES ($1, $2)", binds: bindings),
                    logger: logger
                )
            }
            // Sessions that signed in without the second factor end with its arrival.
            var bindings = Self.bindings(id)
            try bindings.append(keepingSession)
            try await connection.run(
                PostgresQuery(unsafeSQL: "DELETE FROM \(sessions) WHERE \(sessionOwner) = $1 AND id_hash <> $2", binds: bindings),
                logger: logger
            )
            try await connection.insert(audit, logger: logger)
            return true
        }
    }

    package func useTOTPStep(_ holder: TwoFactorHolder, id: String, step: Int64) async throws -> Bool {
        let (accounts, _, _) = holder.tables
        return try await write { connection in
            try await connection.run(
                PostgresQuery(
                    unsafeSQL: "UPDATE \(accounts) SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1 AND totp_enabled_at IS NOT NULL",
                    binds: Self.bindings(step, id)
                ),
                logger: logger
            ) == 1
        }
    }

    package func useRecoveryCode(_ holder: TwoFactorHolder, id: String, codeHash: Data, at now: Int64, audit: AuditEntryRecord) async throws -> Bool {
        let (_, codes, owner) = holder.tables
        return try await write { connection in
            var bindings = Self.bindings(now, id)
            try bindings.append(codeHash)
            let used = try await connection.run(
                PostgresQuery(
                    unsafeSQL: "UPDATE \(codes) SET used_at = $1 WHERE \(owner) = $2 AND code_hash = $3 AND used_at IS NULL",
                    binds: bindings
                ),
                logger: logger
            )
            guard used == 1 else { return false }
            try await connection.insert(audit, logger: logger)
            return true
        }
    }

    package func unusedRecoveryCodes(_ holder: TwoFactorHolder, id: String) async throws -> Int {
        let (_, codes, owner) = holder.tables
        return try await read { connection in
            Int(
                try await connection.value(
                    Int64.self,
                    PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(codes) WHERE \(owner) = $1 AND used_at IS NULL", binds: Self.bindings(id)),
                    logger: logger
                ) ?? 0
            )
        }
    }

    package func removeTOTP(_ holder: TwoFactorHolder, id: String, audit: AuditEntryRecord, mail: MailRecord?) async throws {
        let (accounts, codes, owner) = holder.tables
        try await write { connection in
            try await connection.run(
                PostgresQuery(
                    unsafeSQL: "UPDATE \(accounts) SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = 0 WHERE id = $1",
                    binds: Self.bindings(id)
                ),
                logger: logger
            )
            try await connection.run(PostgresQuery(unsafeSQL: "DELETE FROM \(codes) WHERE \(owner) = $1", binds: Self.bindings(id)), logger: logger)
            try await connection.insert(audit, logger: logger)
            if let mail { try await queueMail(mail, connection) }
        }
    }
}
