import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Start-up under adverse conditions: a port already taken, an earlier
/// sandbox killed without cleaning up, a CI parent that dies.
@Suite struct StartupTests {
    /// A listening socket on a free loopback port, held for the test.
    final class HeldPort {
        let fd: Int32
        let port: Int

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
                    bind(fd, sockaddr, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, sockaddr, &length) == 0
                }
            }
            guard bound else {
                close(fd)
                throw POSIXError(.EADDRINUSE)
            }
            self.fd = fd
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(fd) }
    }

    /// Waits for the child to exit, killing it after `limit` so a regression fails instead of hanging the suite.
    /// The default bound is generous: a debug build migrating a database on a loaded machine is slow.
    static func exitStatus(_ process: PorticoProcess.Running, within limit: Duration = .seconds(30)) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        while process.child.isRunning {
            guard ContinuousClock.now < deadline else {
                process.child.signal(SIGKILL)
                return nil
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.child.wait()
    }

    @Test(arguments: ["serve", "sandbox"])
    func portInUseFailsAtOnceWithOneLineAndSeedsNothing(command: String) async throws {
        let held = try HeldPort()
        let database = CLITests.temporaryDatabase()
        let process = try PorticoProcess.Running(
            [command, "--port", "\(held.port)", "--database", database],
            environment: ["PORTICO_ACCOUNTS_PASSWORD_HASH_COST": "10"]
        )
        let status = await Self.exitStatus(process)
        #expect(status == 3, "a taken port must end the process with status 3, not hang")
        let stderr = await process.stderr().split(separator: "\n")
        #expect(stderr.contains { $0 == "portico: cannot listen on 127.0.0.1:\(held.port): Address already in use" }, "\(stderr)")
        await #expect(process.remainingStdout().isEmpty, "nothing was announced")
        await #expect(try CLITests.organizationIDs(database: database).isEmpty, "no credentials were created that nobody saw")
    }

    /// A signal at any moment of start-up (here: at once, during migrations or seeding) ends the process promptly.
    @Test(arguments: [SIGTERM, SIGINT])
    func signalDuringStartupExitsPromptly(signal: Int32) async throws {
        for delay in [0, 20, 60] {
            let process = try PorticoProcess.Running(["sandbox", "--port", "0"])
            try await Task.sleep(for: .milliseconds(delay))
            process.child.signal(signal)
            let status = await Self.exitStatus(process)
            #expect(status == 0 || status == signal, "after \(delay) ms: \(status.map(String.init) ?? "still running")")
        }
    }

    /// A supervisor's log pipe that goes away must not take the server with it: the next
    /// log line is lost, not fatal (it was a crash in `FileHandle.write`).
    @Test func aClosedStderrLosesLogLinesButNotTheServer() async throws {
        let directory = try PorticoProcess.temporaryDirectory("stderr")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try PorticoProcess.Running(["serve", "--port", "0", "--database", directory.appendingPathComponent("p.sqlite").path])
        let url = try #require(await server.firstLine().split(separator: " ").last.map(String.init))
        try server.child.stderr?.close()
        // SIGHUP without a config file logs an error line: written to a pipe nobody reads any more.
        server.child.signal(SIGHUP)
        server.child.signal(SIGHUP)
        #expect(try await HTTP.request("GET", "\(url)/healthz").status == 200)
        #expect(await server.stop() == 0, "and it still stops cleanly")
    }

    @Test func sandboxRemovesFoldersOfKilledSandboxes() async throws {
        let temporary = FileManager.default.temporaryDirectory
        let dead = try ChildProcess("/bin/true", [], environment: [:])
        await dead.exited()
        let abandoned = temporary.appendingPathComponent("portico-sandbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: abandoned, withIntermediateDirectories: true)
        try Data("\(dead.pid)\n".utf8).write(to: abandoned.appendingPathComponent("owner.pid"))
        let live = temporary.appendingPathComponent("portico-sandbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: live, withIntermediateDirectories: true)
        try Data("\(getpid())\n".utf8).write(to: live.appendingPathComponent("owner.pid"))
        defer { try? FileManager.default.removeItem(at: live) }

        let sandbox = try await PorticoProcess.sandbox().process
        #expect(!FileManager.default.fileExists(atPath: abandoned.path), "the killed sandbox's folder was removed")
        #expect(FileManager.default.fileExists(atPath: live.path), "a running owner's folder is kept")
        await #expect(sandbox.stop(SIGTERM) == 0)
    }

    @Test func sandboxExitsWhenItsParentDies() async throws {
        // A shell starts the sandbox in the background, prints its pid and exits once the sandbox has printed its line.
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("portico-orphan-\(UUID().uuidString)").path
        let log = ready + ".log"
        defer { for path in [ready, log] { try? FileManager.default.removeItem(atPath: path) } }
        let shell = try ChildProcess(
            "/bin/sh",
            [
                "-c", #""$0" sandbox --port 0 >"$1" 2>"$2" & echo $!; while [ ! -s "$1" ]; do sleep 0.05; done"#,
                PorticoProcess.binary.path, ready, log,
            ],
            environment: PorticoProcess.environment([:])
        )
        let pid = try #require(pid_t(await shell.stdoutLine().trimmingCharacters(in: .whitespaces)))
        await #expect(shell.exited() == 0)
        // A bound, not a timing claim: shutting down on a loaded machine can take a while. The state is
        // read again after every sleep, the deadline's included: a test task can be starved for longer
        // than the whole bound (synchronous tests hold the cooperative pool's threads), and a verdict
        // from before such a sleep would be stale.
        let deadline = ContinuousClock.now + .seconds(60)
        var alive = true
        while true {
            // Gone, or a zombie waiting for a reaper: either way it stopped.
            let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: ")").last?.split(separator: " ").first
            alive = state != nil && state != "Z"
            guard alive, ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        var diagnosis = ""
        if alive {
            // What it was doing: its state, signal masks and every thread's state and wait channel.
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            diagnosis = status.split(separator: "\n").filter {
                ["State", "PPid", "Threads", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt"].contains($0.split(separator: ":").first ?? "")
            }
            .joined(separator: "; ")
            let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            diagnosis +=
                "; threads: "
                + threads.map { task in
                    let stat =
                        (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8))?.split(separator: ")").last?.split(
                            separator: " "
                        ).first ?? "?"
                    let wchan = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/wchan", encoding: .utf8)) ?? "?"
                    let name =
                        (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8))?.trimmingCharacters(
                            in: .whitespacesAndNewlines
                        ) ?? "?"
                    return "\(name) \(stat) \(wchan)"
                }.joined(separator: ", ")
            kill(pid, SIGKILL)
        }
        #expect(
            !alive,
            "the orphaned sandbox kept running (\(diagnosis)); its log: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")"
        )
    }
}

extension StartupTests {
    /// Sealed webhook secrets and a missing key file: the start refuses with
    /// status 2 instead of signing every delivery with the wrong key.
    @Test func aMissingSecretsKeyFileStopsTheStart() async throws {
        let database = CLITests.temporaryDatabase()
        let started = try await PorticoProcess.sandbox(database: database)
        let (sandbox, url, keys) = (started.process, started.url, started.keys)
        let endpoint = try await HTTP.request(
            "POST",
            "\(url)/v1/webhook-endpoints",
            key: keys["test_secret"],
            json: #"{"url":"http://127.0.0.1:9/h","enabled_events":["*"]}"#
        )
        #expect(endpoint.status == 200)
        await #expect(sandbox.stop(SIGTERM) == 0)
        try FileManager.default.removeItem(atPath: database + ".key")
        let restarted = try PorticoProcess.Running(["sandbox", "--port", "0", "--database", database])
        #expect(await Self.exitStatus(restarted) == 2)
        await #expect(restarted.stderr().contains("restore the original key file"))
    }
}
