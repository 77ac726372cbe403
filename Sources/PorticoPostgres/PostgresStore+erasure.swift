import Foundation
import PorticoCore
import PorticoStore
import PostgresNIO

// MARK: - Erasure of personal data

/// The SQLite engine's erasure, rule for rule: what is deleted, what is blanked, and
/// which copies count (whole JSON strings, addresses without case, an address anywhere
/// in a body that is not JSON). Candidate rows are found in SQL by a case-folded
/// substring and judged exactly here, where "is it JSON" is one call.
///
/// What differs is what happens to the old bytes: PostgreSQL keeps dead row versions
/// until VACUUM and its WAL until a checkpoint recycles it. The erasure runs a plain
/// VACUUM of the tables it touched; `walEmptied` is false (docs/scaling.md says how to
/// rewrite the tables and WAL when a copy of the old bytes must not survive).
extension PostgresStore {
    private struct Needle: Sendable {
        var text: String
        /// Matched against the case-folded value (addresses).
        var folded: Bool
        /// Counts only in a value that is not JSON (an address anywhere in a form body).
        var raw: Bool

        func matches(_ value: String, isJSON: Bool) -> Bool {
            if raw, isJSON { return false }
            return (folded ? value.lowercased() : value).contains(text)
        }
    }

    private struct Erasure: Sendable {
        var needles: [Needle] = []
        var ids: [String] = []
        var report = ErasureReport()

        func matches(_ value: String?) -> Bool {
            guard let value else { return false }
            let isJSON = (try? JSONSerialization.jsonObject(with: Data(value.utf8), options: [.fragmentsAllowed])) != nil
            return needles.contains { $0.matches(value, isJSON: isJSON) }
        }

        /// Every needle, case-folded: a superset filter for SQL (`strpos(lower(column), n) > 0`).
        var candidates: [String] { Array(Set(needles.map { $0.text.lowercased() })) }
    }

    package func erase(_ subject: ErasureSubject, audit: AuditEntryRecord) async throws -> ErasureReport {
        let report = try await write(bounded: false) { connection -> ErasureReport in
            var erasure = Erasure()
            switch subject {
            case .customer(let id): try await eraseCustomer(id, connection, &erasure)
            case .email(let address): try await eraseEmail(address, connection, &erasure)
            case .organization(let id): try await eraseOrganization(id, connection, &erasure)
            }
            try await connection.insert(audit, logger: logger)
            return erasure.report
        }
        // Dead row versions are reclaimed (not zeroed) by VACUUM, which runs outside a transaction.
        _ = try await read(bounded: false) { connection in
            try await connection.run(
                "VACUUM events, webhook_attempts, audit_log, customers, users, mail_outbox, invitations, email_confirmations, request_logs",
                logger: logger
            )
        }
        return report
    }

    /// A customer's own events (`customer.*` whose object is this customer): its addresses, then and before.
    private func ownEventAddresses(_ id: String, _ connection: PostgresConnection) async throws -> [String] {
        try await connection.column(
            String?.self,
            """
            SELECT data::json #>> '{object,email}' FROM events WHERE starts_with(type, 'customer.') AND data::json #>> '{object,id}' = \(id)
            UNION SELECT data::json #>> '{previous_attributes,email}' FROM events
                WHERE starts_with(type, 'customer.') AND data::json #>> '{object,id}' = \(id)
            """,
            logger: logger
        ).compactMap { $0 }.filter { !$0.isEmpty }
    }

    private func eraseCustomer(_ id: String, _ connection: PostgresConnection, _ erasure: inout Erasure) async throws {
        var emails = Set<String>()
        if let email = try await connection.value(String?.self, "SELECT email FROM customers WHERE id = \(id)", logger: logger) ?? nil, !email.isEmpty
        {
            emails.insert(email)
        }
        emails.formUnion(try await ownEventAddresses(id, connection))
        let quoted = ErasureText.quoted(id)
        let known =
            try await connection.value(
                Bool.self,
                "SELECT EXISTS (SELECT 1 FROM customers WHERE id = \(id)) OR EXISTS (SELECT 1 FROM events WHERE strpos(data, \(quoted)) > 0)",
                logger: logger
            ) ?? false
        let logged =
            try await connection.value(
                Bool.self,
                "SELECT EXISTS (SELECT 1 FROM request_logs WHERE strpos(path || '/', \("/\(id)/")) > 0)",
                logger: logger
            ) ?? false
        guard known || logged else { throw StoreError.notFound("no customer \(id), and neither an event nor a logged request mentions it") }
        try await eraseCustomers(ids: [id], emails: emails, connection, &erasure)
    }

    private func eraseEmail(_ address: String, _ connection: PostgresConnection, _ erasure: inout Erasure) async throws {
        // A dashboard account with this address goes too, unless it is the last owner of an organization.
        if let user = try await connection.value(String.self, "SELECT id FROM users WHERE lower(email) = lower(\(address))", logger: logger) {
            let soleOwned = try await connection.column(
                String.self,
                """
                SELECT m.organization_id FROM memberships m WHERE m.user_id = \(user) AND m.role = 'owner'
                AND NOT EXISTS (SELECT 1 FROM memberships o WHERE o.organization_id = m.organization_id AND o.role = 'owner' AND o.user_id <> m.user_id)
                """,
                logger: logger
            )
            guard soleOwned.isEmpty else {
                throw StoreError.conflict(
                    "the account with this address is the only owner of \(soleOwned.joined(separator: ", ")): make another member owner first"
                )
            }
            erasure.report.removed["dashboard_accounts"] = try await connection.run("DELETE FROM users WHERE id = \(user)", logger: logger)
        }
        erasure.report.removed["invitations"] = try await connection.run(
            "DELETE FROM invitations WHERE lower(email) = lower(\(address))",
            logger: logger
        )
        erasure.report.removed["address_confirmations"] = try await connection.run(
            "DELETE FROM email_confirmations WHERE lower(email) = lower(\(address))",
            logger: logger
        )
        var ids = Set(try await connection.column(String.self, "SELECT id FROM customers WHERE lower(email) = lower(\(address))", logger: logger))
        ids.formUnion(
            try await connection.column(
                String?.self,
                """
                SELECT data::json #>> '{object,id}' FROM events WHERE starts_with(type, 'customer.')
                AND (lower(data::json #>> '{object,email}') = lower(\(address)) OR lower(data::json #>> '{previous_attributes,email}') = lower(\(address)))
                """,
                logger: logger
            ).compactMap { $0 }
        )
        try await eraseCustomers(ids: ids, emails: [address], connection, &erasure)
    }

    /// Deletes the customers and blanks every copy of their ids and addresses.
    private func eraseCustomers(ids: Set<String>, emails: Set<String>, _ connection: PostgresConnection, _ erasure: inout Erasure) async throws {
        var addresses = emails
        for id in ids {
            if let email = try await connection.value(String?.self, "SELECT email FROM customers WHERE id = \(id)", logger: logger) ?? nil,
                !email.isEmpty
            {
                addresses.insert(email)
            }
        }
        erasure.ids = ids.sorted()
        erasure.needles = ids.map { Needle(text: ErasureText.quoted($0), folded: false, raw: false) }
        for address in addresses.map({ $0.lowercased() }) {
            erasure.needles.append(Needle(text: ErasureText.quoted(address), folded: true, raw: false))
            erasure.needles.append(Needle(text: address, folded: true, raw: true))
            if let encoded = address.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))),
                encoded != address
            {
                erasure.needles.append(Needle(text: encoded.lowercased(), folded: true, raw: true))
            }
        }
        erasure.report.removed["customers"] = try await connection.run("DELETE FROM customers WHERE id = ANY(\(erasure.ids))", logger: logger)
        try await scrub(connection, &erasure)
        for address in addresses {
            erasure.report.removed["mails", default: 0] += try await deleteMail(to: address, connection)
        }
    }

    private func deleteMail(to address: String, _ connection: PostgresConnection) async throws -> Int {
        try await connection.run(
            "DELETE FROM mail_outbox WHERE strpos(', ' || lower(recipients) || ', ', ', ' || lower(\(address)) || ', ') > 0",
            logger: logger
        )
    }

    /// Blanks every copy of the needles and of the ids in logged paths: event data (and so
    /// webhook payloads), those events' attempt excerpts, captured bodies, logged paths and
    /// audit details.
    private func scrub(_ connection: PostgresConnection, _ erasure: inout Erasure) async throws {
        let candidates = erasure.candidates
        let events = try await connection.rows(
            "SELECT id, data FROM events WHERE EXISTS (SELECT 1 FROM unnest(\(candidates)::text[]) n WHERE strpos(lower(data), n) > 0)",
            logger: logger
        )
        var erased: [String] = []
        for try await (id, data) in events.decode((String, String).self) where erasure.matches(data) { erased.append(id) }
        if !erased.isEmpty {
            try await connection.run("UPDATE events SET data = \(ErasureText.erasedJSON) WHERE id = ANY(\(erased))", logger: logger)
            erasure.report.removed["attempt_excerpts", default: 0] += try await connection.run(
                """
                UPDATE webhook_attempts SET response_excerpt = NULL WHERE response_excerpt IS NOT NULL
                AND delivery_id IN (SELECT id FROM webhook_deliveries WHERE event_id = ANY(\(erased)))
                """,
                logger: logger
            )
        }
        erasure.report.removed["event_payloads"] = erased.count

        let excerpts = try await connection.rows(
            """
            SELECT id, response_excerpt FROM webhook_attempts WHERE response_excerpt IS NOT NULL
            AND EXISTS (SELECT 1 FROM unnest(\(candidates)::text[]) n WHERE strpos(lower(response_excerpt), n) > 0)
            """,
            logger: logger
        )
        var attempts: [Int64] = []
        for try await (id, excerpt) in excerpts.decode((Int64, String).self) where erasure.matches(excerpt) { attempts.append(id) }
        if !attempts.isEmpty {
            try await connection.run("UPDATE webhook_attempts SET response_excerpt = NULL WHERE id = ANY(\(attempts))", logger: logger)
        }
        erasure.report.removed["attempt_excerpts", default: 0] += attempts.count

        let pathNeedles = erasure.ids.map { "/\($0)/" }
        let logs = try await connection.rows(
            """
            SELECT id, created_at, path, request_body, response_body FROM request_logs
            WHERE EXISTS (SELECT 1 FROM unnest(\(pathNeedles)::text[]) p WHERE strpos(path || '/', p) > 0)
            OR EXISTS (SELECT 1 FROM unnest(\(candidates)::text[]) n WHERE strpos(lower(request_body), n) > 0 OR strpos(lower(response_body), n) > 0)
            """,
            logger: logger
        )
        var rows: [(Int64, Int64, String)] = []
        for try await (id, createdAt, path, request, response) in logs.decode((Int64, Int64, String, String?, String?).self) {
            let inPath = erasure.ids.contains { (path + "/").contains("/\($0)/") }
            guard inPath || erasure.matches(request) || erasure.matches(response) else { continue }
            var blanked = path
            for id in erasure.ids { blanked = ErasureText.erasingSegment(id, in: blanked) }
            rows.append((id, createdAt, blanked))
        }
        for (id, createdAt, path) in rows {
            try await connection.run(
                "UPDATE request_logs SET request_body = NULL, response_body = NULL, path = \(path) WHERE id = \(id) AND created_at = \(createdAt)",
                logger: logger
            )
        }
        erasure.report.removed["request_logs"] = rows.count

        let details = try await connection.rows(
            "SELECT id, details FROM audit_log WHERE EXISTS (SELECT 1 FROM unnest(\(candidates)::text[]) n WHERE strpos(lower(details), n) > 0)",
            logger: logger
        )
        var audits: [String] = []
        for try await (id, detail) in details.decode((String, String).self) where erasure.matches(detail) { audits.append(id) }
        if !audits.isEmpty {
            try await connection.run("UPDATE audit_log SET details = \(ErasureText.erasedJSON) WHERE id = ANY(\(audits))", logger: logger)
        }
        erasure.report.removed["audit_details"] = audits.count
    }

    private func eraseOrganization(_ id: String, _ connection: PostgresConnection, _ erasure: inout Erasure) async throws {
        guard try await connection.value(String.self, "SELECT id FROM organizations WHERE id = \(id) FOR UPDATE", logger: logger) != nil else {
            throw StoreError.notFound("no organization \(id)")
        }
        erasure.report.removed["request_logs"] = try await connection.run("DELETE FROM request_logs WHERE organization_id = \(id)", logger: logger)
        let leaving = try await connection.rows(
            """
            SELECT id, email FROM users WHERE id IN (SELECT user_id FROM memberships WHERE organization_id = \(id))
            AND id NOT IN (SELECT user_id FROM memberships WHERE organization_id <> \(id))
            """,
            logger: logger
        )
        var members: [(String, String)] = []
        for try await member in leaving.decode((String, String).self) { members.append(member) }
        for (user, email) in members {
            try await connection.run("DELETE FROM users WHERE id = \(user)", logger: logger)
            erasure.report.removed["mails", default: 0] += try await deleteMail(to: email, connection)
        }
        erasure.report.removed["dashboard_accounts"] = members.count
        erasure.report.removed["organizations"] = try await connection.run("DELETE FROM organizations WHERE id = \(id)", logger: logger)
        Self.afterCommit?.note(.keys)
        erasure.report.removed["audit_details"] = try await connection.run(
            """
            UPDATE audit_log SET details = \(ErasureText.erasedJSON)
            WHERE organization_id IS NULL AND (target_id = \(id) OR details::json ->> 'organization' = \(id))
            """,
            logger: logger
        )
    }

}
