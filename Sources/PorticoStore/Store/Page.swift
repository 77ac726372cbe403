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
}
