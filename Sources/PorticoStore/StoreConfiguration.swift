import PorticoCore

/// How the store opens its SQLite file.
package struct StoreConfiguration: Sendable {
    /// SQLite's `synchronous` level in WAL mode.
    ///
    /// - `normal`: a commit is durable against a crash of Portico, but the last
    ///   transactions before a power loss or OS crash may roll back (the
    ///   database stays consistent). No fsync per commit: the fast default.
    /// - `full`: every commit is fsynced to the WAL before it is acknowledged;
    ///   durable across power loss, at the cost of one fsync per transaction.
    package enum Synchronous: String, Sendable, CaseIterable {
        case normal = "NORMAL"
        case full = "FULL"
    }

    package var path: String
    package var synchronous: Synchronous
    /// How long a connection waits on a lock held by another process (the CLI,
    /// a backup) before failing with SQLITE_BUSY.
    package var busyTimeoutMilliseconds: Int
    /// Reader connections in the pool; the single writer is separate.
    package var readerCount: Int
    /// What the store asks the app while it writes (the words of alert mails, the quotas to
    /// watch, the event a threshold announces). Nil: no alerts (store tests, tools).
    package var policy: (any StorePolicy)?

    package init(path: String, synchronous: Synchronous = .normal, busyTimeoutMilliseconds: Int = 5_000, readerCount: Int = 4) {
        self.path = path
        self.synchronous = synchronous
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.readerCount = readerCount
        self.policy = nil
    }
}
