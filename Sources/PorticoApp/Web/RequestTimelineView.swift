import Foundation
import PorticoCore
import PorticoStore

/// One request's timeline as HTML, the same for the console and for a
/// member's dashboard: the log row (with its captured bodies), the events it
/// emitted, every delivery of them with every attempt, and its audit rows.
/// `forStaff` shows staff rows whole and links console pages; otherwise
/// links go to the member's own dashboard pages.
enum RequestTimelineView {
    static func render(_ timeline: RequestTimeline, requestId: String, forStaff: Bool) -> HTML {
        let log: HTML
        if let entry = timeline.log {
            log = """
                \(Layout.facts(caption: "Request log", [
                    ("Request", "\(entry.method) \(entry.path)"),
                    ("Status", "\(entry.status)"),
                    ("Route", "\(entry.route ?? "no route matched")"),
                    ("Duration", "\(String(format: "%.3f", Double(entry.durationMicroseconds) / 1_000)) ms"),
                    ("Time", Layout.time(entry.createdAt)),
                    ("Organization", organizationLink(entry.organizationId, forStaff: forStaff)),
                    ("Mode", "\(entry.livemode.map { $0 ? "live" : "test" } ?? "—")"),
                    ("Key", "<code>\(entry.keyId ?? "none")</code>"),
                    ("Client IP", "\(entry.ip ?? "—")"),
                    ("User agent", "\(entry.userAgent ?? "—")"),
                ]))
                <h3>Request body</h3>\(entry.requestBody.map { "<pre>\($0)</pre>" as HTML } ?? "<p>Not captured (body capture was off).</p>")
                <h3>Response body</h3>\(entry.responseBody.map { "<pre>\($0)</pre>" as HTML } ?? "<p>Not captured.</p>")
                """
        } else {
            log = "<p>No log row: the request is older than the log retention, or its row is still being written.</p>"
        }
        let events = Layout.table(
            caption: "Events this request emitted",
            headers: ["Time", "Event", "Type"],
            rows: timeline.events.map { event in
                let id: HTML = forStaff ? "<code>\(event.id)</code>" : "<a href=\"/dashboard/events/\(event.id)\"><code>\(event.id)</code></a>"
                return "<tr><td>\(Layout.time(event.createdAt))</td><td>\(id)</td><td><code>\(event.type)</code></td></tr>"
            },
            empty: "No events."
        )
        let deliveries = timeline.deliveries.map { entry -> HTML in
            let delivery = entry.delivery.delivery
            let id: HTML =
                forStaff ? "<code>\(delivery.id)</code>" : "<a href=\"/dashboard/deliveries/\(delivery.id)\"><code>\(delivery.id)</code></a>"
            let attempts = entry.attempts.map { attempt -> HTML in
                let outcome = attempt.statusCode.map { "HTTP \($0)" } ?? attempt.errorKind?.rawValue ?? "—"
                return "<li>\(Layout.time(attempt.attemptedAt)): \(outcome), \(attempt.durationMs) ms</li>"
            }
            return """
                <li>\(id) of <code>\(delivery.eventId)</code> to endpoint <code>\(delivery.endpointId)</code>: \(delivery.status.rawValue), \
                \(delivery.attemptCount) attempt\(delivery.attemptCount == 1 ? "" : "s")\
                \(delivery.nextAttemptAt.map { "; next \(Layout.time($0))" as HTML })
                \(attempts.isEmpty ? "" : "<ol>\(attempts)</ol>" as HTML)</li>
                """
        }
        return """
            <section aria-labelledby="timeline-log"><h2 id="timeline-log">Request <code>\(requestId)</code></h2>\(log)</section>
            <section aria-labelledby="timeline-events"><h2 id="timeline-events">Events</h2>\(events)</section>
            <section aria-labelledby="timeline-deliveries"><h2 id="timeline-deliveries">Webhook deliveries</h2>
            \(deliveries.isEmpty ? "<p class=\"empty\">No deliveries.</p>" : "<ul class=\"timeline\">\(deliveries)</ul>" as HTML)</section>
            <section aria-labelledby="timeline-audit"><h2 id="timeline-audit">Audit</h2>
            \(AuditPage.table(timeline.audit, caption: "Audit rows this request wrote", forStaff: forStaff, empty: "No audit rows."))</section>
            """
    }

    private static func organizationLink(_ id: String?, forStaff: Bool) -> HTML {
        guard let id else { return "none (not authenticated)" }
        return forStaff ? "<a href=\"/admin/organizations/\(id)\"><code>\(id)</code></a>" : "<code>\(id)</code>"
    }
}
