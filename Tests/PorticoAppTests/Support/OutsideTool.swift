import Foundation
import Synchronization
import Testing

/// A program or library outside Swift that some tests drive. A test that
/// needs one says so with `.requires(…)`: where the tool is missing the test
/// is skipped with a one-line reason (a laptop without Chromium still runs
/// the rest), except under CI (`CI` set), where the test runs and fails, so
/// a CI run never passes by skipping.
enum OutsideTool: CustomStringConvertible, Sendable {
    /// python3 with its standard library (sqlite3, hmac).
    case python3
    /// A Python package from `Tests/requirements.txt`, by its import name.
    case pythonModule(String)
    /// Debian's chromium and chromium-driver.
    case chromium
    /// promtool, from Debian's prometheus package.
    case promtool
    /// Root, to mount a small tmpfs.
    case root
    /// curl and bash, to run the README's walk-through as pasted.
    case curl
    /// Root and util-linux's unshare, to run a binary in a mount namespace with the toolchain hidden.
    case mountNamespace
    /// systemd-analyze, to verify the unit file in deploy/.
    case systemdAnalyze

    /// Whether `CI` is set: a missing tool is then a failure, not a skip.
    static let isCI = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false

    var isAvailable: Bool {
        switch self {
        case .python3: Self.executable("python3") != nil
        case .pythonModule(let name): Self.importable(name)
        case .chromium: (Self.executable("chromium") ?? Self.executable("chromium-browser")) != nil && Self.executable("chromedriver") != nil
        case .promtool: Self.executable("promtool") != nil
        case .root: getuid() == 0
        case .curl: Self.executable("curl") != nil && Self.executable("bash") != nil
        case .mountNamespace: getuid() == 0 && Self.executable("unshare") != nil
        case .systemdAnalyze: Self.executable("systemd-analyze") != nil
        }
    }

    var description: String {
        switch self {
        case .python3: "python3"
        case .pythonModule(let name): "the Python module \(name) (pip install -r Tests/requirements.txt)"
        case .chromium: "chromium and chromedriver (apt-get install chromium chromium-driver)"
        case .promtool: "promtool (apt-get install prometheus)"
        case .root: "root (to mount a tmpfs)"
        case .curl: "curl and bash (apt-get install curl)"
        case .mountNamespace: "root and unshare (util-linux), for a mount namespace"
        case .systemdAnalyze: "systemd-analyze (apt-get install systemd)"
        }
    }

    /// The full path of `name` on `PATH`, if it is there.
    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static let modules = Mutex<[String: Bool]>([:])

    private static func importable(_ module: String) -> Bool {
        if let known = modules.withLock({ $0[module] }) { return known }
        let found =
            executable("python3") != nil && (try? ChildProcess.runBlocking("/usr/bin/env", ["python3", "-c", "import \(module)"]).status) == 0
        modules.withLock { $0[module] = found }
        return found
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test when every tool is here; otherwise skips it naming what
    /// is missing, unless `CI` is set (then it runs, and fails). Probed once,
    /// when the tests are discovered.
    static func requires(_ tools: OutsideTool...) -> Self {
        let missing = tools.filter { !$0.isAvailable }
        return .enabled(
            if: OutsideTool.isCI || missing.isEmpty,
            Comment(rawValue: "missing " + missing.map(\.description).joined(separator: "; "))
        )
    }
}
