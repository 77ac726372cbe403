import Logging
import PorticoCore
import PorticoStore

/// The daily retention job: everything past its `RetentionPolicy` period is
/// deleted, kind by kind (request-log partitions dropped whole, the rest in
/// short batches), counted in `portico_retention_deleted_total{kind}` and
/// logged. It runs at start and every 24 hours; a kind that fails is logged
/// and the others still run.
struct RetentionJob: Sendable {
    let policy: RetentionPolicy
    let partitionWidth: Int64
    let store: any PorticoStorage
    let metrics: PorticoMetrics
    let logger: Logger

    /// Rows (partitions, for request logs) deleted per kind.
    struct Report: Sendable, Equatable {
        var deleted: [String: Int] = [:]
        var failed: [String] = []
    }

    func run(now: Int64) async -> Report {
        let cutoffs = policy.cutoffs(now: now)
        let steps: [(kind: String, delete: @Sendable () async throws -> Int)] = [
            (
                "request_log_partitions",
                { try await store.dropRequestLogPartitions(endingAtOrBefore: cutoffs.requestLogsBefore, width: partitionWidth).count }
            ),
            ("events", { try await store.pruneEvents(before: cutoffs.eventsBefore) }),
            ("deliveries", { try await store.pruneDeliveries(finishedBefore: cutoffs.deliveriesBefore) }),
            ("idempotency_records", { try await store.pruneIdempotencyKeys(now: cutoffs.now) }),
            (
                "dashboard_sessions",
                { try await store.pruneSessions(idleBefore: cutoffs.sessionIdleBefore, createdBefore: cutoffs.sessionCreatedBefore) }
            ),
            (
                "staff_sessions",
                { try await store.pruneStaffSessions(idleBefore: cutoffs.sessionIdleBefore, createdBefore: cutoffs.sessionCreatedBefore) }
            ),
            ("expired_links", { try await store.pruneExpiredLinks(now: cutoffs.now) }),
            ("mail", { try await store.pruneMail(before: cutoffs.mailBefore) }),
            ("audit_entries", { try await store.pruneAuditEntries(before: cutoffs.auditBefore) }),
        ]
        var report = Report()
        for step in steps {
            do {
                let count = try await step.delete()
                report.deleted[step.kind] = count
                if count > 0 { metrics.retentionDeleted.increment(step.kind, by: count) }
            } catch {
                report.failed.append(step.kind)
                logger.error("retention could not delete", metadata: ["kind": "\(step.kind)", "error": "\(error)"])
            }
        }
        logger.info(
            "retention applied",
            metadata: report.deleted.filter { $0.value > 0 }.reduce(into: Logger.Metadata()) { $0[$1.key] = "\($1.value)" }
        )
        return report
    }
}
