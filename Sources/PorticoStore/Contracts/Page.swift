import PorticoCore

/// Cursor pagination over time-sortable ids, newest first.
package struct PageRequest: Sendable, Equatable {
    package var limit: Int
    /// Return items older than this id.
    package var startingAfter: String?
    /// Return items newer than this id.
    package var endingBefore: String?

    package init(limit: Int, startingAfter: String? = nil, endingBefore: String? = nil) {
        self.limit = limit
        self.startingAfter = startingAfter
        self.endingBefore = endingBefore
    }
}

/// One page of a list, newest first, and whether more exist in the direction paged.
package struct Page<Item: Sendable>: Sendable {
    package var items: [Item]
    package var hasMore: Bool

    package init(items: [Item], hasMore: Bool) {
        self.items = items
        self.hasMore = hasMore
    }

    /// The page from up to `limit + 1` rows read in the direction paged (oldest first for
    /// `ending_before`, else newest first): the extra row only says that more exist.
    package init(rows: consuming [Item], limit: Int, ascending: Bool) {
        // The rows' own array, trimmed in place: a copy would retain every field of every row.
        var items = consume rows
        let hasMore = items.count > limit
        if hasMore { items.removeSubrange(limit...) }
        if ascending { items.reverse() }
        self.init(items: items, hasMore: hasMore)
    }
}

/// A page of request logs from a search that may have stopped before the
/// end of its time window (`SQLiteStore.searchRequestLogs`).
package struct RequestLogSearch: Sendable {
    package var items: [RequestLogEntry]
    package var hasMore: Bool
    /// Set when the scan budget ran out first: the request id of the oldest
    /// row examined. Older rows were not searched; continue after it.
    package var stoppedAt: String?

    package init(items: [RequestLogEntry], hasMore: Bool, stoppedAt: String?) {
        self.items = items
        self.hasMore = hasMore
        self.stoppedAt = stoppedAt
    }

    /// Where the next page starts: after the last item, or after the last row examined.
    package var nextCursor: String? {
        guard hasMore else { return nil }
        return stoppedAt ?? items.last?.requestId
    }
}
