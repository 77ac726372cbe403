import Foundation
import Logging
import PorticoCore
import PorticoStore
import Synchronization

/// `backup.directory`: a consistent online copy of the database every
/// `backup.every_hours`, named `portico-<UTC time>.sqlite`, and the newest
/// `backup.keep` of them kept.
///
/// Each copy is made by the store's `backup(to:)` (SQLite's online backup,
/// an integrity check of the copy, fsync, atomic rename), so a backup that
/// exists passed its check; older backups are deleted only after a new one
/// did. When the next one is due is read from the newest file's name, so a
/// server restarted every hour still backs up on schedule.
final class ScheduledBackups: Sendable {
    static let prefix = "portico-"
    static let suffix = ".sqlite"

    let directory: String
    let everyMilliseconds: Int64
    let keep: Int
    private let store: any StorageMaintenance
    private let clock: any PorticoClock
    private let metrics: PorticoMetrics
    private let logger: Logger
    /// One backup at a time: the scheduler's run at start and another caller must not both write one.
    private let running = Mutex(false)

    init(
        settings: PorticoConfig.Backup,
        directory: String,
        store: any StorageMaintenance,
        clock: any PorticoClock,
        metrics: PorticoMetrics,
        logger: Logger
    ) {
        self.directory = directory
        self.everyMilliseconds = Int64(settings.everyHours) * 3_600_000
        self.keep = settings.keep
        self.store = store
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
    }

    /// Backs up when the newest backup is `every_hours` old (or there is none); returns the new file's path.
    /// The gauge starts from the newest backup on disk, so a restart does not look like a missed backup.
    /// Returns nil when none is due, or one is being written right now.
    @discardableResult
    func runIfDue() async throws -> String? {
        let claimed = running.withLock { running in
            if running { return false }
            running = true
            return true
        }
        guard claimed else { return nil }
        defer { running.withLock { $0 = false } }
        let now = clock.nowMilliseconds
        // One dated in the future (the clock was set back) does not hold backups off.
        if let newest = try backups().last(where: { $0.time <= now })?.time {
            metrics.backupLastSuccess.record(Double(newest) / 1_000)
            if now - newest < everyMilliseconds { return nil }
        }
        return try await backUp(now: now)
    }

    /// Writes a backup now, then deletes all but the newest `keep`.
    func backUp(now milliseconds: Int64) async throws -> String {
        // The name carries whole seconds; the gauge says the same time.
        let now = milliseconds - milliseconds % 1_000
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = (directory as NSString).appendingPathComponent(Self.fileName(at: now))
        do {
            try await store.backup(to: path)
        } catch {
            metrics.backupFailures.increment()
            logger.error("scheduled backup failed; older backups are kept", metadata: ["path": "\(path)", "error": "\(error)"])
            throw error
        }
        metrics.backupLastSuccess.record(Double(now) / 1_000)
        logger.info("scheduled backup written and verified", metadata: ["path": "\(path)"])
        for old in try backups().dropLast(keep) {
            try FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(old.name))
        }
        return path
    }

    /// The backups in `directory`, oldest first; other files are never touched.
    func backups() throws -> [(name: String, time: Int64)] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: directory)
            .compactMap { name in Self.time(of: name).map { (name, $0) } }
            .sorted { $0.time < $1.time }
    }

    static func fileName(at milliseconds: Int64) -> String {
        prefix + stamp.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1_000)) + suffix
    }

    static func time(of name: String) -> Int64? {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        let text = String(name.dropFirst(prefix.count).dropLast(suffix.count))
        return stamp.date(from: text).map { Int64($0.timeIntervalSince1970 * 1_000) }
    }

    /// `20261201T130000Z`: sorts as it reads, no characters a shell or Windows minds.
    private static var stamp: DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter
    }
}
