import Foundation
import Testing

/// The built `portico` executable, run as a user or CI would run it.
struct PorticoProcess {
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["TEST_PORTICO_BINARY"] { return URL(fileURLWithPath: path) }
        return repositoryRoot.appendingPathComponent(".build/debug/portico")
    }

    /// The repository's root directory (scripts live under it).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A running `portico sandbox` and what its JSON line says.
    struct Sandbox {
        let process: Running
        let url: String
        /// The first organization's owner (`email`, `password`) and keys.
        let owner: [String: String]
        let keys: [String: String]
        let staff: [String: String]
        let platformKey: String
        let organizationId: String
    }

    /// A `portico sandbox` on a free port, its stderr drained, with what its JSON line says of the first organization.
    static func sandbox(database: String? = nil, arguments: [String] = []) async throws -> Sandbox {
        let sandbox = try Running(["sandbox", "--port", "0"] + (database.map { ["--database", $0] } ?? []) + arguments)
        sandbox.drainStderr()
        let line = try #require(try JSONSerialization.jsonObject(with: Data(await sandbox.firstLine().utf8)) as? [String: Any])
        let organization = try #require((line["organizations"] as? [[String: Any]])?.first)
        return Sandbox(
            process: sandbox,
            url: try #require(line["url"] as? String),
            owner: try #require(organization["owner"] as? [String: String]),
            keys: try #require(organization["keys"] as? [String: String]),
            staff: try #require(line["staff"] as? [String: String]),
            platformKey: try #require(line["platform_key"] as? String),
            organizationId: try #require(organization["id"] as? String)
        )
    }

    /// Runs `interpreter Scripts/name arguments…`, stdout and stderr together; the exit status and that output.
    /// Off the cooperative pool: these scripts run for tens of seconds.
    static func script(
        _ interpreter: String,
        _ name: String,
        _ arguments: [String],
        environment: [String: String] = [:]
    ) async throws -> (status: Int32, output: String) {
        let (status, output, _) = try await ChildProcess.run(
            "/usr/bin/env",
            [interpreter, repositoryRoot.appendingPathComponent("Scripts/\(name)").path] + arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
            joinStderr: true
        )
        return (status, output)
    }

    /// A new, empty directory under the system's temporary directory, for one test's files.
    static func temporaryDirectory(_ purpose: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-\(purpose)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// This process's environment without PORTICO_* (a developer's own settings must not leak in), plus `extra`.
    static func environment(_ extra: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PORTICO_") }.merging(extra) { $1 }
    }

    /// Runs `portico args…` to completion; returns exit status, stdout and stderr.
    @discardableResult
    static func run(
        _ arguments: [String],
        stdin: String? = nil,
        environment: [String: String] = [:]
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await ChildProcess.run(binary.path, arguments, environment: Self.environment(environment), input: stdin.map { Data($0.utf8) })
    }

    /// Runs `python3 -c script args…` to completion with `input` on stdin; returns what it printed on stdout.
    static func python(_ script: String, _ arguments: [String] = [], input: Data? = nil) async throws -> String {
        try await ChildProcess.run("/usr/bin/env", ["python3", "-c", script] + arguments, input: input).stdout
    }

    /// A long-running `portico` (serve, sandbox) whose first stdout line is awaited.
    final class Running: @unchecked Sendable {
        let child: ChildProcess

        init(_ arguments: [String], environment: [String: String] = [:]) throws {
            child = try ChildProcess(PorticoProcess.binary.path, arguments, environment: PorticoProcess.environment(environment))
        }

        /// Reads stdout up to the next newline (the process prints its first line once it listens).
        func firstLine() async -> String {
            await child.stdoutLine()
        }

        /// A first start's banner, after the "listening" line: up to its example curl line.
        func banner() async -> String {
            var lines: [String] = []
            while true {
                let line = await firstLine()
                lines.append(line)
                if line.hasPrefix("  curl") || line.isEmpty && !child.isRunning { break }
            }
            return lines.joined(separator: "\n")
        }

        /// A first start's test secret key, read from its banner.
        func bannerTestKey() async throws -> String {
            let banner = await banner()
            return try #require(banner.split(separator: "\n").first { $0.contains("Test secret key:") }?.split(separator: " ").last.map(String.init))
        }

        func remainingStdout() async -> String {
            await offPool { String(decoding: self.child.stdout.readAll(), as: UTF8.self) }
        }

        /// Everything the process wrote on stderr, to its end (call after it stopped).
        func stderr() async -> String {
            await offPool { String(decoding: self.child.stderr?.readAll() ?? Data(), as: UTF8.self) }
        }

        /// Keeps reading stderr on a background thread so a full pipe never
        /// stalls the process (a sandbox under thousands of requests logs a lot).
        func drainStderr() {
            _ = child.stderr.map { ChildProcess.Drain($0) }
        }

        /// Sends `signal` and waits for exit; returns the exit status (the signal's number if it ended the process).
        /// Sends SIGTERM and leaves the exit to be collected on a thread of its own (for a `defer`, which cannot await).
        func end() {
            child.signal(SIGTERM)
            Thread.detachNewThread { [child] in child.wait() }
        }

        @discardableResult
        func stop(_ signal: Int32 = SIGTERM) async -> Int32 {
            child.signal(signal)
            return await child.exited()
        }
    }
}

/// A minimal blocking HTTP/1.1 client over URLSession-free sockets is not
/// needed: FoundationNetworking's URLSession talks to the real listener.
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
enum HTTP {
    static func request(
        _ method: String,
        _ url: String,
        key: String? = nil,
        json: String? = nil,
        headers: [String: String] = [:]
    ) async throws -> (status: Int, body: [String: Any]) {
        let (status, body, _) = try await exchange(method, url, key: key, json: json, headers: headers)
        return (status, body)
    }

    /// `request`, with the response's headers too.
    static func exchange(
        _ method: String,
        _ url: String,
        key: String? = nil,
        json: String? = nil,
        headers: [String: String] = [:],
        timeout: TimeInterval = 60
    ) async throws -> (status: Int, body: [String: Any], headers: [AnyHashable: Any]) {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: timeout)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpMethod = method
        request.cachePolicy = .reloadIgnoringLocalCacheData
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let body = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, body, http?.allHeaderFields ?? [:])
    }
}
