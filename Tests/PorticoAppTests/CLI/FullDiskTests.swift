import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The database on a small tmpfs that is filled and freed while Portico
/// serves: writes answer 503 `storage_unavailable` with `Retry-After` (never
/// a 500) and change nothing, `/readyz` says so, reads go on, request logs
/// held back are committed once space returns or spilled at SIGTERM and
/// committed at the next start, and a fresh start on a full disk exits with
/// status 4 and one line. Needs root to mount (CI runs as root); skipped
/// with a message elsewhere.
@Suite(.serialized) struct FullDiskTests {
    /// A tmpfs of `megabytes` mounted for the test, and a filler file to take all its space.
    final class SmallDisk {
        let mountPoint: String
        var filler: String { mountPoint + "/filler" }

        private init(mountPoint: String) {
            self.mountPoint = mountPoint
        }

        /// Nil when the tmpfs cannot be mounted (not root).
        static func mount(megabytes: Int) async -> SmallDisk? {
            let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("portico-disk-\(UUID().uuidString)").path
            try? FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
            guard let mounted = try? await ChildProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", mountPoint]),
                mounted.status == 0
            else {
                try? FileManager.default.removeItem(atPath: mountPoint)
                return nil
            }
            return SmallDisk(mountPoint: mountPoint)
        }

        /// Writes the filler until the disk refuses (ENOSPC).
        func fill() {
            let fd = open(filler, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            defer { close(fd) }
            let chunk = [UInt8](repeating: 0xAB, count: 4_096)
            while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        }

        func free() {
            unlink(filler)
        }

        deinit {
            // A lazy unmount returns at once; deinit cannot await.
            _ = try? ChildProcess.runBlocking("/bin/umount", ["-l", mountPoint])
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
    }

    static let environment = [
        "PORTICO_REQUEST_LOGS_SPILL_RESERVE_BYTES": "262144", "PORTICO_REQUEST_LOGS_FLUSH_INTERVAL_MS": "100",
        "PORTICO_ACCOUNTS_PASSWORD_HASH_COST": "10",
    ]

    static func start(_ database: String) async throws -> (PorticoProcess.Running, url: String, key: String) {
        let sandbox = try PorticoProcess.Running(["sandbox", "--port", "0", "--database", database], environment: environment)
        sandbox.drainStderr()
        let line = try #require(try JSONSerialization.jsonObject(with: Data(await sandbox.firstLine().utf8)) as? [String: Any])
        let url = try #require(line["url"] as? String)
        let key = try #require(((line["organizations"] as? [[String: Any]])?.first?["keys"] as? [String: String])?["test_secret"])
        return (sandbox, url, key)
    }

    /// Root in a container without the right to mount: a skip line here, a failure under CI.
    static func cannotMount() {
        if OutsideTool.isCI {
            Issue.record("cannot mount a tmpfs here, though running as root")
        } else {
            print("FullDiskTests skipped: cannot mount a tmpfs here, though running as root.")
        }
    }

    @Test(.requires(.root)) func aFullDiskAnswers503AndLosesNothing() async throws {
        guard let disk = await SmallDisk.mount(megabytes: 12) else {
            Self.cannotMount()
            return
        }
        let database = disk.mountPoint + "/portico.sqlite"
        var (sandbox, url, key) = try await Self.start(database)
        #expect(try await HTTP.request("POST", "\(url)/v1/customers", key: key, json: #"{"name":"before"}"#).status == 200)

        disk.fill()
        var statuses: [Int] = []
        var refusal: (status: Int, body: [String: Any], headers: [AnyHashable: Any])?
        for number in 0..<300 where refusal == nil {
            let response = try await HTTP.exchange(
                "POST",
                "\(url)/v1/customers",
                key: key,
                json: #"{"name":"full \#(number)","description":"\#(String(repeating: "x", count: 900))"}"#,
                headers: ["Idempotency-Key": "full-\(number)"]
            )
            statuses.append(response.status)
            if response.status == 503 { refusal = response }
        }
        let refused = try #require(refusal, "no write was refused on a full disk: \(Set(statuses))")
        #expect(refused.body["code"] as? String == "storage_unavailable")
        #expect(refused.headers["Retry-After"] as? String == "5")
        #expect(!statuses.contains(500), "a full disk answered 500")
        let refusedKey = "full-\(statuses.count - 1)"
        #expect(try await HTTP.request("GET", "\(url)/readyz").status == 503)
        // Reads go on; their request logs wait in memory.
        var readIDs: [String] = []
        for _ in 0..<5 {
            let read = try await HTTP.exchange("GET", "\(url)/v1/customers?limit=1", key: key)
            #expect(read.status == 200)
            readIDs.append(try #require(read.headers["Request-Id"] as? String))
        }

        disk.free()
        #expect(try await HTTP.request("GET", "\(url)/readyz").status == 200, "readiness returns with the space")
        let retried = try await HTTP.request(
            "POST",
            "\(url)/v1/customers",
            key: key,
            json: #"{"name":"full \#(statuses.count - 1)","description":"\#(String(repeating: "x", count: 900))"}"#,
            headers: ["Idempotency-Key": refusedKey]
        )
        #expect(retried.status == 200, "the refused request changed nothing, so its retry runs")
        try await Self.expectLogged(readIDs, url: url, key: key)

        // Full again, then SIGTERM: the logs held in memory go to the spill file.
        disk.fill()
        var heldIDs: [String] = []
        for _ in 0..<5 {
            let read = try await HTTP.exchange("GET", "\(url)/v1/customers?limit=1", key: key)
            heldIDs.append(try #require(read.headers["Request-Id"] as? String))
        }
        try await Task.sleep(for: .milliseconds(300))  // a flush or two fail first
        await #expect(sandbox.stop(SIGTERM) == 0)
        disk.free()
        (sandbox, url, _) = try await Self.start(database)
        try await Self.expectLogged(heldIDs, url: url, key: key)
        await #expect(sandbox.stop(SIGTERM) == 0)
        let check = try await PorticoProcess.run(["check", "--database", database])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("integrity: ok"))
    }

    @Test(.requires(.root)) func startingOnAFullDiskExitsWithStatus4() async throws {
        guard let disk = await SmallDisk.mount(megabytes: 2) else {
            Self.cannotMount()
            return
        }
        disk.fill()
        let result = try await PorticoProcess.run(
            ["serve", "--port", "0", "--database", disk.mountPoint + "/portico.sqlite"],
            environment: Self.environment
        )
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("portico: storage unavailable at \(disk.mountPoint)/portico.sqlite: the disk is full"), "\(result.stderr)")
    }

    /// Polls the request log until every id is there (bounded).
    static func expectLogged(_ ids: [String], url: String, key: String) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        var missing = ids
        while !missing.isEmpty, ContinuousClock.now < deadline {
            missing = try await missing.asyncFilter { try await HTTP.request("GET", "\(url)/v1/request-logs/\($0)", key: key).status != 200 }
            if !missing.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(missing.isEmpty, "request logs lost: \(missing)")
    }
}

extension Array {
    func asyncFilter(_ isIncluded: (Element) async throws -> Bool) async rethrows -> [Element] {
        var result: [Element] = []
        for element in self where try await isIncluded(element) { result.append(element) }
        return result
    }
}
