import Foundation
import GRDB
import PorticoCore

// MARK: - Erasure of personal data

extension SQLiteStore: ErasureStore {
    package func erase(_ subject: ErasureSubject, audit: AuditEntryRecord) async throws -> ErasureReport {
        try await pool.writeWithoutTransaction { db -> ErasureReport in
            // Deleted and overwritten content is zeroed in the file, not left in free space.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
            var report = ErasureReport()
            try db.inTransaction {
                // folded: matched against the lower-cased column (addresses); raw: only in text that is not JSON.
                try db.execute(
                    sql:
                        "CREATE TEMP TABLE IF NOT EXISTS erase_needles (needle TEXT NOT NULL, folded INTEGER NOT NULL, raw INTEGER NOT NULL, PRIMARY KEY (needle, folded, raw)) WITHOUT ROWID"
                )
                try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS erase_ids (id TEXT PRIMARY KEY) WITHOUT ROWID")
                try db.execute(sql: "DELETE FROM temp.erase_needles")
                try db.execute(sql: "DELETE FROM temp.erase_ids")
                switch subject {
                case .customer(let id): try Self.eraseCustomer(id, db, &report)
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
    }

    private static func eraseCustomer(_ id: String, _ db: Database, _ report: inout ErasureReport) throws {
        var emails = Set<String>()
        if let email = try String.fetchOne(db, sql: "SELECT email FROM customers WHERE id = ?", arguments: [id]), !email.isEmpty {
            emails.insert(email)
        }
        // A customer deleted through the API left its address in its own events (data.object, and
        // data.previous_attributes after a change); other events that mention the id are not its own.
        emails.formUnion(
            try String?.fetchAll(
                db,
                sql: """
                    SELECT json_extract(data, '$.object.email') FROM events WHERE type GLOB 'customer.*' AND json_extract(data, '$.object.id') = ?
                    UNION SELECT json_extract(data, '$.previous_attributes.email') FROM events WHERE type GLOB 'customer.*' AND json_extract(data, '$.object.id') = ?
                    """,
                arguments: [id, id]
            ).compactMap { $0 }.filter { !$0.isEmpty }
        )
        let known =
            try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM customers WHERE id = ?) OR EXISTS (SELECT 1 FROM events WHERE instr(data, ?) > 0)",
                arguments: [id, ErasureText.quoted(id)]
            ) ?? false
        // Request logs can outlive the events (whole partitions, dropped later).
        let logged = try requestLogTables(db).contains { table in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE instr(path || '/', ?) > 0)", arguments: ["/\(id)/"]) ?? false
        }
        guard known || logged else { throw StoreError.notFound("no customer \(id), and neither an event nor a logged request mentions it") }
        try eraseCustomers(ids: [id], emails: emails, db, &report)
    }

    private static func eraseEmail(_ address: String, _ db: Database, _ report: inout ErasureReport) throws {
        // A dashboard account with this address goes too, unless it is the last owner of an organization.
        if let user = try String.fetchOne(db, sql: "SELECT id FROM users WHERE email = ? COLLATE NOCASE", arguments: [address]) {
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
        try db.execute(sql: "DELETE FROM invitations WHERE email = ? COLLATE NOCASE", arguments: [address])
        report.removed["invitations"] = db.changesCount
        try db.execute(sql: "DELETE FROM email_confirmations WHERE lower(email) = lower(?)", arguments: [address])
        report.removed["address_confirmations"] = db.changesCount
        var ids = Set(try String.fetchAll(db, sql: "SELECT id FROM customers WHERE lower(email) = lower(?)", arguments: [address]))
        // Customers deleted through the API (or whose address was changed) are known by their own
        // events' customer object; an address elsewhere in an event (free text) names nobody's id.
        ids.formUnion(
            try String?.fetchAll(
                db,
                sql: """
                    SELECT json_extract(data, '$.object.id') FROM events WHERE type GLOB 'customer.*'
                    AND (lower(json_extract(data, '$.object.email')) = lower(?) OR lower(json_extract(data, '$.previous_attributes.email')) = lower(?))
                    """,
                arguments: [address, address]
            ).compactMap { $0 }
        )
        try eraseCustomers(ids: ids, emails: [address], db, &report)
    }

    /// Deletes the customers and blanks every copy of their ids and addresses.
    private static func eraseCustomers(ids: Set<String>, emails: Set<String>, _ db: Database, _ report: inout ErasureReport) throws {
        var addresses = emails
        for id in ids {
            try db.execute(sql: "INSERT OR IGNORE INTO temp.erase_ids VALUES (?)", arguments: [id])
            if let email = try String.fetchOne(db, sql: "SELECT email FROM customers WHERE id = ?", arguments: [id]), !email.isEmpty {
                addresses.insert(email)
            }
        }
        // Ids exactly, as whole JSON strings ("cus_…"); addresses as whole JSON strings without
        // case, so a longer address that contains one, or a short value, never matches; in a
        // captured body that is not JSON (a form, a cut-off body), an address anywhere, also
        // percent-encoded.
        var needles: [(String, folded: Bool, raw: Bool)] = ids.map { (ErasureText.quoted($0), false, false) }
        for address in addresses.map({ $0.lowercased() }) {
            needles.append((ErasureText.quoted(address), true, false))
            needles.append((address, true, true))
            if let encoded = address.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))),
                encoded != address
            {
                needles.append((encoded.lowercased(), true, true))
            }
        }
        for (needle, folded, raw) in needles {
            try db.execute(sql: "INSERT OR IGNORE INTO temp.erase_needles VALUES (?, ?, ?)", arguments: [needle, folded, raw])
        }
        try db.execute(sql: "DELETE FROM customers WHERE id IN (SELECT id FROM temp.erase_ids)")
        report.removed["customers"] = db.changesCount
        try scrub(db, &report)
        for address in addresses {
            try db.execute(
                sql: "DELETE FROM mail_outbox WHERE instr(', ' || lower(recipients) || ', ', ', ' || lower(?) || ', ') > 0",
                arguments: [address]
            )
            report.removed["mails", default: 0] += db.changesCount
        }
    }

    /// Blanks every copy of the needles (`temp.erase_needles`) and of the ids in logged
    /// paths (`temp.erase_ids`): event data (and so the payloads webhooks are sent), the
    /// response excerpts of those events' attempts, captured request and response bodies,
    /// logged paths, and audit details.
    private static func scrub(_ db: Database, _ report: inout ErasureReport) throws {
        // A JSON column holds a needle as a whole string; a body that is not JSON holds an address anywhere.
        let matches = { (column: String) in
            """
            EXISTS (SELECT 1 FROM temp.erase_needles n WHERE \(column) IS NOT NULL AND (n.raw = 0 OR json_valid(\(column)) = 0)
                AND instr(CASE WHEN n.folded THEN lower(\(column)) ELSE \(column) END, n.needle) > 0)
            """
        }
        let events = try String.fetchAll(db, sql: "SELECT id FROM events WHERE \(matches("data"))")
        for event in events {
            try db.execute(sql: "UPDATE events SET data = ? WHERE id = ?", arguments: [ErasureText.erasedJSON, event])
            try db.execute(
                sql: """
                    UPDATE webhook_attempts SET response_excerpt = NULL
                    WHERE response_excerpt IS NOT NULL AND delivery_id IN (SELECT id FROM webhook_deliveries WHERE event_id = ?)
                    """,
                arguments: [event]
            )
            report.removed["attempt_excerpts", default: 0] += db.changesCount
        }
        report.removed["event_payloads"] = events.count
        try db.execute(
            sql: "UPDATE webhook_attempts SET response_excerpt = NULL WHERE response_excerpt IS NOT NULL AND \(matches("response_excerpt"))"
        )
        report.removed["attempt_excerpts", default: 0] += db.changesCount

        let ids = try String.fetchAll(db, sql: "SELECT id FROM temp.erase_ids")
        var logRows = 0
        for table in try requestLogTables(db) {
            let inPath = "EXISTS (SELECT 1 FROM temp.erase_ids i WHERE instr(path || '/', '/' || i.id || '/') > 0)"
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT id, path FROM \(table) WHERE \(inPath) OR \(matches("request_body")) OR \(matches("response_body"))"
            )
            for row in rows {
                var path: String = row["path"]
                for id in ids { path = ErasureText.erasingSegment(id, in: path) }
                try db.execute(
                    sql: "UPDATE \(table) SET request_body = NULL, response_body = NULL, path = ? WHERE id = ?",
                    arguments: [path, row["id"] as Int64]
                )
            }
            logRows += rows.count
        }
        report.removed["request_logs"] = logRows

        try db.execute(sql: "UPDATE audit_log SET details = ? WHERE \(matches("details"))", arguments: [ErasureText.erasedJSON])
        report.removed["audit_details"] = db.changesCount
    }

    private static func eraseOrganization(_ id: String, _ db: Database, _ report: inout ErasureReport) throws {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM organizations WHERE id = ?)", arguments: [id]) == true else {
            throw StoreError.notFound("no organization \(id)")
        }
        var logRows = 0
        for table in try requestLogTables(db) {
            try db.execute(sql: "DELETE FROM \(table) WHERE organization_id = ?", arguments: [id])
            logRows += db.changesCount
        }
        report.removed["request_logs"] = logRows
        // Members who belong nowhere else would keep an account that opens nothing; mail to them goes too.
        let leaving = try Row.fetchAll(
            db,
            sql: """
                SELECT id, email FROM users WHERE id IN (SELECT user_id FROM memberships WHERE organization_id = ?)
                AND id NOT IN (SELECT user_id FROM memberships WHERE organization_id != ?)
                """,
            arguments: [id, id]
        )
        for member in leaving {
            try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [member["id"] as String])
            try db.execute(
                sql: "DELETE FROM mail_outbox WHERE instr(', ' || lower(recipients) || ', ', ', ' || lower(?) || ', ') > 0",
                arguments: [member["email"] as String]
            )
            report.removed["mails", default: 0] += db.changesCount
        }
        report.removed["dashboard_accounts"] = leaving.count
        // Everything else that is the organization's goes with it (foreign-key cascades), its audit log included.
        try db.execute(sql: "DELETE FROM organizations WHERE id = ?", arguments: [id])
        report.removed["organizations"] = db.changesCount
        // Staff rows about it, kept without an organization when it was deleted before, name it in their details.
        try db.execute(
            sql: """
                UPDATE audit_log SET details = ?
                WHERE organization_id IS NULL AND (target_id = ? OR json_extract(details, '$.organization') = ?)
                """,
            arguments: [ErasureText.erasedJSON, id, id]
        )
        report.removed["audit_details"] = db.changesCount
    }

    private static func requestLogTables(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'request_logs_[0-9]*' ORDER BY name")
    }

}
