import Foundation

/// The temporary folders of `portico sandbox` runs without `--database`. Each
/// holds an `owner.pid`; a sandbox killed with SIGKILL cannot remove its own,
/// so every sandbox start removes those whose owner is no longer running.
enum SandboxDirectory {
    static let prefix = "portico-sandbox-"
    static let ownerFile = "owner.pid"

    static func make() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(prefix + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("\(getpid())\n".utf8).write(to: directory.appendingPathComponent(ownerFile))
        return directory
    }

    /// Removes sandbox folders whose owner process is gone (and, from versions
    /// that wrote no owner file, those untouched for a day).
    static func removeAbandoned() {
        let temporary = FileManager.default.temporaryDirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporary.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            let directory = temporary.appendingPathComponent(name)
            let owner = (try? String(contentsOf: directory.appendingPathComponent(ownerFile), encoding: .utf8))
                .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            let abandoned: Bool
            if let owner {
                abandoned = kill(owner, 0) != 0 && errno == ESRCH
            } else {
                let modified = (try? FileManager.default.attributesOfItem(atPath: directory.path)[.modificationDate]) as? Date
                abandoned = modified.map { Date().timeIntervalSince($0) > 86_400 } ?? false
            }
            if abandoned { try? FileManager.default.removeItem(at: directory) }
        }
    }
}
