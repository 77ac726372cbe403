import Foundation
import GRDB
import PorticoCore

// MARK: - Erasure of personal data

extension SQLiteStore: ErasureStore {
    /// What replaces a JSON value (event data, audit details) that held erased data.
    static let erasedJSON = #"{"erased":true}"#

    package func erase(_ subject: ErasureSubject, audit: AuditEntryRecord) async throws -> ErasureReport {
        let report = try await pool.writeWithoutTransaction { db -> ErasureReport in
            // Deleted and overwritten content is zeroed in the file, not left in free space.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
            var report = ErasureReport()
            try db.inTransaction {
                switch subject {
                case .customer(let id): try Self.eraseCustomers(ids: [id], emails: [], db, &report)
                case .email(let address): try Self.eraseEmail(address, db, &report)
                case .organization(let id): try Self.eraseOrganization(id, db, &report)
                }
                try audit.insert(db)
                return .commit
            }
            health.succeeded()
            // Ordinary work (page splits, updates, earlier deletes) left stale copies of rows in
            // free pages and free space, which secure_delete does not reach: rewrite the file.
            try db.execute(sql: "VACUUM")
            // The WAL still holds the pages as they were: copy the new ones back and empty it.
            if let result = try? db.checkpoint(.truncate) {
                report.walEmptied = result.walFrameCount == result.checkpointedFrameCount
            }
            return report
        }
        return report
    }

    private static func eraseEmail(_ address: String, _ db: Database, _ report: inout ErasureReport) throws {
        let email = address
        // A dashboard account with this address goes too, unless it is the last owner of an organization.
        if let user = try String.fetchOne(db, sql: "SELECT id FROM users WHERE email = ? COLLATE NOCASE", arguments: [email]) {
            let soleOwned = try String.fetchAll(
                db,
                sql: """
                    SELECT m.organization_id FROM memberships m WHERE m.user_id = ? AND m.role = 'owner'
                    AND NOT EXISTS (SELECT 1 FROM memberships o WHERE o.organization_id = m.organization_id AND o.role = 'owner' AND o.user_id != m.user_id)
                    """,
                arguments: [user]
            )
            guard soleOwned.isEmpty else {
                throw StoreError.conflict(
                    "the account with this address is the only owner of \(soleOwned.joined(separator: ", ")): make another member owner first"
                )
            }
            try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [user])
            report.removed["dashboard_accounts"] = db.changesCount
        }
        try db.execute(sql: "DELETE FROM invitations WHERE email = ? COLLATE NOCASE", arguments: [email])
        report.removed["invitations"] = db.changesCount
        try db.execute(sql: "DELETE FROM email_confirmations WHERE lower(email) = lower(?)", arguments: [email])
        report.removed["address_confirmations"] = db.changesCount
        let customers = try String.fetchAll(db, sql: "SELECT id FROM customers WHERE lower(email) = lower(?)", arguments: [email])
        try eraseCustomers(ids: customers, emails: [email], db, &report)
    }

    /// Deletes the customers and blanks every copy of their ids and emails (and of `emails`).
    private static func eraseCustomers(ids: [String], emails: [String], _ db: Database, _ report: inout ErasureReport) throws {
        // Matched as written, so other ids in a logged path keep their case; an address
        // also as stored and in lower case.
        var terms = Set(emails + emails.map { $0.lowercased() })
        for id in ids {
            terms.insert(id)
            if let email = try String.fetchOne(db, sql: "SELECT email FROM customers WHERE id = ?", arguments: [id]), !email.isEmpty {
                terms.formUnion([email, email.lowercased()])
            }
        }
        // An address also appears percent-encoded in logged paths (?email=ada%40example.com).
        for term in terms where term.contains("@") {
            terms.insert(term.replacingOccurrences(of: "@", with: "%40"))
        }
        try db.execute(sql: "DELETE FROM customers WHERE id IN (SELECT value FROM json_each(?))", arguments: [ids.jsonArray])
        report.removed["customers"] = db.changesCount
        try scrub(terms: terms.sorted(), db, &report)
    }

    /// Blanks every copy of `terms` outside their own rows: event data (and so
    /// the payloads webhooks are sent), delivery attempts' response excerpts, captured
    /// request and response bodies and logged paths, audit details, and mail to them.
    private static func scrub(terms: [String], _ db: Database, _ report: inout ErasureReport) throws {
        guard !terms.isEmpty else { return }
        let matches = { (column: String) in terms.map { _ in "instr(\(column), ?) > 0" }.joined(separator: " OR ") }
        let arguments = StatementArguments(terms)

        let events = try String.fetchAll(db, sql: "SELECT id FROM events WHERE \(matches("data"))", arguments: arguments)
        try db.execute(
            sql: "UPDATE events SET data = ? WHERE id IN (SELECT value FROM json_each(?))",
            arguments: [erasedJSON, events.jsonArray]
        )
        report.removed["event_payloads"] = events.count
        try db.execute(
            sql: """
                UPDATE webhook_attempts SET response_excerpt = NULL WHERE response_excerpt IS NOT NULL AND (
                    delivery_id IN (SELECT id FROM webhook_deliveries WHERE event_id IN (SELECT value FROM json_each(?)))
                    OR \(matches("response_excerpt")))
                """,
            arguments: [events.jsonArray] + arguments
        )
        report.removed["attempt_excerpts"] = db.changesCount

        var logRows = 0
        for table in try requestLogTables(db) {
            let where_ = "\(matches("path")) OR \(matches("request_body")) OR \(matches("response_body"))"
            var path = "path"
            for _ in terms { path = "replace(\(path), ?, '[erased]')" }
            try db.execute(
                sql: "UPDATE \(table) SET request_body = NULL, response_body = NULL, path = \(path) WHERE \(where_)",
                arguments: arguments + arguments + arguments + arguments
            )
            logRows += db.changesCount
        }
        report.removed["request_logs"] = logRows

        try db.execute(sql: "UPDATE audit_log SET details = ? WHERE \(matches("details"))", arguments: [erasedJSON] + arguments)
        report.removed["audit_details"] = db.changesCount
        try db.execute(sql: "DELETE FROM mail_outbox WHERE \(matches("recipients"))", arguments: arguments)
        report.removed["mails"] = db.changesCount
    }

    private static func eraseOrganization(_ id: String, _ db: Database, _ report: inout ErasureReport) throws {
        guard let name = try String.fetchOne(db, sql: "SELECT name FROM organizations WHERE id = ?", arguments: [id]) else {
            throw StoreError.notFound("organization")
        }
        var logRows = 0
        for table in try requestLogTables(db) {
            try db.execute(sql: "DELETE FROM \(table) WHERE organization_id = ?", arguments: [id])
            logRows += db.changesCount
        }
        report.removed["request_logs"] = logRows
        // Members who belong nowhere else would keep an account that opens nothing.
        try db.execute(
            sql: """
                DELETE FROM users WHERE id IN (SELECT user_id FROM memberships WHERE organization_id = ?)
                AND id NOT IN (SELECT user_id FROM memberships WHERE organization_id != ?)
                """,
            arguments: [id, id]
        )
        report.removed["dashboard_accounts"] = db.changesCount
        // Everything else that is the organization's goes with it (foreign-key cascades), its audit log included.
        try db.execute(sql: "DELETE FROM organizations WHERE id = ?", arguments: [id])
        report.removed["organizations"] = db.changesCount
        // Staff audit rows about it were kept when it was deleted before; they name it in their details.
        try db.execute(
            sql: "UPDATE audit_log SET details = ? WHERE instr(details, ?) > 0 OR instr(details, ?) > 0",
            arguments: [erasedJSON, id, name]
        )
        report.removed["audit_details"] = db.changesCount
    }

    private static func requestLogTables(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'request_logs_[0-9]*' ORDER BY name")
    }
}

extension Array where Element == String {
    /// The array as a JSON array, for `json_each(?)` (one argument however many values).
    fileprivate var jsonArray: String {
        String(decoding: (try? JSONEncoder().encode(self)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
