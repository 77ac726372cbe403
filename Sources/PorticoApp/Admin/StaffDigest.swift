import Foundation
import PorticoCore
import PorticoStore

/// The staff's daily digest of platform problems, for the UTC day that
/// ended last: request logs dropped, a webhook backlog left waiting,
/// organizations answered with server errors, failing endpoints, mails that
/// could not be sent. Mailed to every active staff account only when there
/// is something to report; recorded once per day either way
/// (`staff_digests`), so restarts and several processes send it once.
struct StaffDigest: Sendable {
    let runtime: PorticoRuntime

    /// A backlog whose oldest delivery has waited this long is a problem, not traffic.
    static let staleBacklog: Int64 = 15 * 60_000
    static let listed = 10

    /// Sends (or records as quiet) the digest of the day that ended last, once; true when this call did.
    @discardableResult
    func sendIfDue() async throws -> Bool {
        let store = runtime.store
        let now = runtime.clock.nowMilliseconds
        let dayEnd = CivilTime.dayStart(now)
        let dayStart = dayEnd - 86_400_000
        guard try await !store.staffDigestRecorded(dayStart: dayStart) else { return false }
        let problems = try await self.problems(from: dayStart, until: dayEnd, now: now)
        let staff = problems.isEmpty ? [] : try await store.allStaff().filter { !$0.isDisabled }
        let words = MailContentTemplate.staffDigest(
            day: String(RFC3339.string(milliseconds: dayStart).prefix(10)),
            problems: problems,
            link: "\(runtime.baseURL.value)/admin/health"
        )
        let mails = staff.compactMap { MailAddress($0.email) }.map {
            runtime.mail.compose(kind: "staff_digest", to: $0, words, organizationId: nil, at: now)
        }
        return try await store.recordStaffDigest(dayStart: dayStart, problems: problems.count, mails: mails, at: now)
    }

    /// One line per problem of `[from, until)`, and of now for what is current (backlog, failing endpoints).
    func problems(from: Int64, until: Int64, now: Int64) async throws -> [String] {
        let store = runtime.store
        var lines: [String] = []
        let dropped = runtime.logWriter.droppedCount
        if dropped > 0 { lines.append("\(dropped) request log records dropped since this process started (the writer's queue was full).") }
        let backlog = try await store.deliveryBacklog()
        if let oldest = backlog.oldestDueAt, now - oldest >= Self.staleBacklog {
            lines.append("\(backlog.owed) webhook deliveries owed; the oldest has been due since \(RFC3339.string(milliseconds: oldest)).")
        }
        for organization in try await store.erroringOrganizations(from: from, until: until, limit: Self.listed) where organization.serverErrors > 0 {
            lines.append(
                "\(organization.name) (\(organization.organizationId)): \(organization.serverErrors) server errors in \(organization.requests) requests."
            )
        }
        for endpoint in try await store.failingEndpoints(limit: Self.listed) {
            let since = endpoint.failingSince.map { " since \(RFC3339.string(milliseconds: $0))" } ?? ""
            lines.append("Webhook endpoint \(endpoint.url) (\(endpoint.id), \(endpoint.organizationId)) failing\(since).")
        }
        let failedMails = try await store.mails(status: .failed, recipient: nil, page: PageRequest(limit: 100)).items
            .filter { $0.createdAt >= from && $0.createdAt < until }
        if !failedMails.isEmpty { lines.append("\(failedMails.count) mails could not be sent (see /admin/mail).") }
        return lines
    }
}
