import Foundation
import Synchronization
import Testing

/// A real SMTP server (`Scripts/smtp-sink.py`, aiosmtpd) on loopback for the
/// mail tests, with its own self-signed certificate for STARTTLS and TLS.
/// Stopped by closing its stdin: a child spawned from a test thread may have
/// SIGTERM blocked.
final class SMTPSink: Sendable {
    struct Received: Sendable {
        var mailFrom: String
        var recipients: [String]
        /// The message as received (dot-stuffing undone), CRLF line ends.
        var data: String
        var tls: Bool
        var authenticated: Bool

        /// A header's value (the first one), unfolded.
        func header(_ name: String) -> String? {
            let head = data.components(separatedBy: "\r\n\r\n").first ?? ""
            let unfolded = head.replacingOccurrences(of: "\r\n ", with: " ")
            return unfolded.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }

        /// The decoded base64 parts (text/plain first, then text/html when there is one).
        var bodies: [String] {
            let parts = data.components(separatedBy: "Content-Transfer-Encoding: base64\r\n\r\n").dropFirst()
            return parts.map { part in
                let encoded = part.components(separatedBy: "\r\n").prefix { !$0.isEmpty && !$0.hasPrefix("--") }.joined()
                return Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) } ?? ""
            }
        }
    }

    let port: Int
    let caFile: String
    private let process: ChildProcess
    private let received = Mutex<[Received]>([])

    private init(process: ChildProcess, port: Int, caFile: String) {
        self.process = process
        self.port = port
        self.caFile = caFile
    }

    static func start(_ options: [String] = []) async throws -> SMTPSink {
        let script = PorticoProcess.repositoryRoot.appendingPathComponent("Scripts/smtp-sink.py").path
        let process = try ChildProcess(
            "/usr/bin/env",
            ["python3", script] + options,
            environment: ProcessInfo.processInfo.environment,
            withStdin: true
        )
        let first = await process.stdoutLine()
        guard let ready = try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any],
            let port = ready["port"] as? Int, let ca = ready["ca"] as? String
        else {
            process.stdin?.closeFile()
            let errors = await offPool { String(decoding: process.stderr?.readAll() ?? Data(), as: UTF8.self) }
            throw SinkError(description: "smtp-sink.py did not start: \(first) \(errors)")
        }
        let sink = SMTPSink(process: process, port: port, caFile: ca)
        Thread.detachNewThread { [sink] in
            while true {
                let line = sink.process.stdout.readLine()
                guard !line.isEmpty, let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { return }
                let mail = Received(
                    mailFrom: object["mail_from"] as? String ?? "",
                    recipients: object["rcpt_tos"] as? [String] ?? [],
                    data: object["data"] as? String ?? "",
                    tls: object["tls"] as? Bool ?? false,
                    authenticated: object["authenticated"] as? Bool ?? false
                )
                sink.received.withLock { $0.append(mail) }
            }
        }
        return sink
    }

    /// Runs a sink for the duration of `body`.
    static func with<T: Sendable>(_ options: [String] = [], _ body: (SMTPSink) async throws -> T) async throws -> T {
        let sink = try await start(options)
        do {
            let result = try await body(sink)
            await sink.stop()
            return result
        } catch {
            await sink.stop()
            throw error
        }
    }

    var mails: [Received] { received.withLock { $0 } }

    /// Waits (real time, bounded) until `count` mails have arrived.
    func waitFor(_ count: Int, timeout: Duration = .seconds(60)) async throws -> [Received] {
        let deadline = ContinuousClock.now + timeout
        while true {
            // Checked after every sleep, the last included: a starved test task may wake past the deadline.
            let mails = self.mails
            if mails.count >= count { return mails }
            guard ContinuousClock.now < deadline else { throw SinkError(description: "expected \(count) mails, received \(mails.count)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func stop() async {
        process.stdin?.closeFile()
        await process.exited()
    }

    struct SinkError: Error, CustomStringConvertible {
        var description: String
    }
}
