/// How long each kind of data is kept (`retention.*`, plus the idempotency
/// window and the session timeouts, which are their kinds' retention), and
/// the cutoffs that follow at a moment: the one rule the daily retention job,
/// the dashboard's settings page and the docs all read.
package struct RetentionPolicy: Sendable, Equatable {
    package var requestLogsDays: Int
    package var eventsDays: Int
    /// Finished deliveries and their attempts (the receivers' response excerpts); at most `eventsDays`.
    package var deliveriesDays: Int
    package var auditDays: Int
    /// The mail outbox (sent, failed, or kept without a relay).
    package var mailDays: Int
    package var idempotencyHours: Int
    package var sessionIdleMinutes: Int
    package var sessionAbsoluteHours: Int

    package init(
        requestLogsDays: Int,
        eventsDays: Int,
        deliveriesDays: Int,
        auditDays: Int,
        mailDays: Int,
        idempotencyHours: Int,
        sessionIdleMinutes: Int,
        sessionAbsoluteHours: Int
    ) {
        self.requestLogsDays = requestLogsDays
        self.eventsDays = eventsDays
        self.deliveriesDays = deliveriesDays
        self.auditDays = auditDays
        self.mailDays = mailDays
        self.idempotencyHours = idempotencyHours
        self.sessionIdleMinutes = sessionIdleMinutes
        self.sessionAbsoluteHours = sessionAbsoluteHours
    }

    /// What is out of retention at `now` (milliseconds).
    package func cutoffs(now: Int64) -> RetentionCutoffs {
        let day: Int64 = 86_400_000
        return RetentionCutoffs(
            now: now,
            requestLogsBefore: now - Int64(requestLogsDays) * day,
            eventsBefore: now - Int64(eventsDays) * day,
            deliveriesBefore: now - Int64(min(deliveriesDays, eventsDays)) * day,
            auditBefore: now - Int64(auditDays) * day,
            mailBefore: now - Int64(mailDays) * day,
            sessionIdleBefore: now - Int64(sessionIdleMinutes) * 60_000,
            sessionCreatedBefore: now - Int64(sessionAbsoluteHours) * 3_600_000
        )
    }

    /// Each kind with how long it is kept, in words, and the setting that says so
    /// (the dashboard's settings page and `docs/operations.md` list them).
    package var kinds: [(kind: String, kept: String, setting: String)] {
        [
            ("Request logs (with captured bodies)", Self.days(requestLogsDays), "retention.request_logs_days"),
            ("Events", Self.days(eventsDays), "retention.events_days"),
            ("Webhook deliveries and attempts", Self.days(min(deliveriesDays, eventsDays)) + " once finished", "retention.deliveries_days"),
            ("Idempotency records", idempotencyHours == 1 ? "1 hour" : "\(idempotencyHours) hours", "idempotency.ttl_hours"),
            (
                "Dashboard and console sessions",
                "\(sessionIdleMinutes) minutes idle, \(sessionAbsoluteHours) hours at most",
                "dashboard.session_idle_minutes, dashboard.session_absolute_hours"
            ),
            ("Mail outbox", Self.days(mailDays), "retention.mail_days"),
            ("Audit log", Self.days(auditDays), "retention.audit_days"),
        ]
    }

    private static func days(_ count: Int) -> String { count == 1 ? "1 day" : "\(count) days" }
}

/// The moments before which each kind of data is out of retention (milliseconds).
package struct RetentionCutoffs: Sendable, Equatable {
    /// Idempotency records and sign-in links expire at their own `expires_at`, compared with this.
    package var now: Int64
    package var requestLogsBefore: Int64
    package var eventsBefore: Int64
    package var deliveriesBefore: Int64
    package var auditBefore: Int64
    package var mailBefore: Int64
    package var sessionIdleBefore: Int64
    package var sessionCreatedBefore: Int64
}
