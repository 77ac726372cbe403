import PorticoCore

/// Filters of `GET /v1/events`.
package struct EventFilter: Sendable {
    package var type: EventTypePattern?
    package var since: Int64?
    package var until: Int64?

    package init(type: EventTypePattern? = nil, since: Int64? = nil, until: Int64? = nil) {
        self.type = type
        self.since = since
        self.until = until
    }
}
