import Foundation

/// The built `portico` executable, run as a user or CI would run it.
struct PorticoProcess {
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["TEST_PORTICO_BINARY"] { return URL(fileURLWithPath: path) }
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/portico")
    }

    /// Runs `portico args…` to completion; returns exit status, stdout and stderr.
    @discardableResult
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PORTICO_") }.merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdoutData, as: UTF8.self), String(decoding: stderrData, as: UTF8.self))
    }

    /// A long-running `portico` (serve, sandbox) whose first stdout line is awaited.
    final class Running: @unchecked Sendable {
        let process = Process()
        private let out = Pipe()
        let err = Pipe()

        init(_ arguments: [String], environment: [String: String] = [:]) throws {
            process.executableURL = PorticoProcess.binary
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PORTICO_") }.merging(environment) { $1 }
            process.standardOutput = out
            process.standardError = err
            try process.run()
        }

        /// Reads stdout up to the first newline (blocking; the process prints it once it listens).
        func firstLine() -> String {
            var bytes = Data()
            while true {
                let chunk = out.fileHandleForReading.readData(ofLength: 1)
                if chunk.isEmpty || chunk == Data([0x0A]) { break }
                bytes.append(chunk)
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        func remainingStdout() -> String {
            String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }

        /// Sends `signal` and waits for exit; returns the exit status.
        func stop(_ signal: Int32 = SIGTERM) -> Int32 {
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            return process.terminationStatus
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }
}

/// A minimal blocking HTTP/1.1 client over URLSession-free sockets is not
/// needed: FoundationNetworking's URLSession talks to the real listener.
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

enum HTTP {
    static func request(_ method: String, _ url: String, key: String? = nil, json: String? = nil) async throws -> (status: Int, body: [String: Any]) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.cachePolicy = .reloadIgnoringLocalCacheData
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let body = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, body)
    }
}
