import Foundation
import PorticoCore
import PorticoStore
import Synchronization

/// Where request logs go that could not be committed when Portico stops
/// (SIGTERM on a full disk): a file beside the database whose space is
/// allocated at start (`request_logs.spill_reserve_bytes`), so writing into
/// it at shutdown needs no new disk space. Records are JSON lines; the first
/// zero byte ends them. The next start commits them and zeroes the file.
/// What does not fit is counted (`portico_request_log_lost_total`) and logged
/// with its exact number, never dropped silently.
///
/// Several instances may run from one directory (PostgreSQL: `database.path`
/// is then only where this file goes), so each holds its file under an
/// exclusive `flock` for its lifetime: the first free of `PATH-logspill`,
/// `PATH-logspill.2`, … `.16`. An instance that finds another's file left by
/// a crash commits those records as its own (already logged ones are skipped).
final class RequestLogSpill: Sendable {
    let reserveBytes: Int
    private let basePath: String
    /// The file this process holds, once `claim()` found one; its descriptor keeps the lock.
    private let claimed = Mutex<(path: String, descriptor: Int32)?>(nil)

    init(databasePath: String, reserveBytes: Int) {
        basePath = databasePath + "-logspill"
        self.reserveBytes = reserveBytes
    }

    deinit {
        if let descriptor = claimed.withLock({ $0?.descriptor }) { close(descriptor) }
    }

    /// The file this process writes (the first candidate until one is claimed).
    var path: String { claimed.withLock { $0?.path } ?? basePath }

    /// Takes the first spill file no other running process holds; false when all are held.
    @discardableResult
    func claim() -> Bool {
        claimed.withLock { claimed in
            if claimed != nil { return true }
            for number in 1...16 {
                let candidate = number == 1 ? basePath : "\(basePath).\(number)"
                let descriptor = open(candidate, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else { return false }
                if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
                    claimed = (candidate, descriptor)
                    return true
                }
                close(descriptor)
            }
            return false
        }
    }

    /// Allocates the reserved space (a no-op when the file already has it); false when it cannot.
    func reserve() -> Bool {
        guard reserveBytes > 0 else { return false }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return posix_fallocate(fd, 0, off_t(reserveBytes)) == 0 && fsync(fd) == 0
    }

    /// Writes `logs` after the records already in the file, within the reserved
    /// size (the file never grows); returns how many were written.
    func write(_ logs: [PendingLog]) -> Int {
        guard reserveBytes > 0 else { return 0 }
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var offset = usedBytes(fd)
        var written = 0
        let encoder = JSONEncoder()
        for log in logs {
            guard var line = try? encoder.encode(SpilledLog(log)) else { continue }
            line.append(0x0A)
            guard offset + line.count < reserveBytes else { break }
            let count = line.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard count == line.count else { break }
            offset += line.count
            written += 1
        }
        _ = fsync(fd)
        return written
    }

    /// The records in the file (empty when there is none).
    func load() -> [PendingLog] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let end = data.firstIndex(of: 0) ?? data.endIndex
        let decoder = JSONDecoder()
        return data[data.startIndex..<end].split(separator: 0x0A).compactMap { line in
            (try? decoder.decode(SpilledLog.self, from: Data(line)))?.pending
        }
    }

    /// Zeroes the records (after they were committed), keeping the space allocated.
    func clear() {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let used = usedBytes(fd)
        guard used > 0 else { return }
        let zeros = [UInt8](repeating: 0, count: used)
        _ = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        _ = fsync(fd)
    }

    /// Bytes before the first zero byte.
    private func usedBytes(_ fd: Int32) -> Int {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var offset = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard count > 0 else { return offset }
            if let zero = buffer[0..<count].firstIndex(of: 0) { return offset + zero }
            offset += count
        }
    }
}

/// One request-log record as a spill line.
private struct SpilledLog: Codable {
    var entry: RequestLogEntry
    var meters: [Meter]
    var audit: AuditEntryRecord?

    init(_ log: PendingLog) {
        entry = log.entry
        meters = log.meters
        audit = log.audit
    }

    var pending: PendingLog { PendingLog(entry: entry, meters: meters, enqueuedAt: .now, audit: audit) }
}
