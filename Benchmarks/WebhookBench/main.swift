// Webhook delivery benchmarks (issue 4). Run with a release build:
//
//     swift build -c release --product portico && swift run -c release portico-webhook-bench
//     N=50000 CONCURRENCY=16 swift run -c release portico-webhook-bench
//
// 1. Throughput: N deliveries to a loopback receiver, Portico vs a raw
//    AsyncHTTPClient loop with the same concurrency, same receiver, same run;
//    ROUNDS (3) alternating rounds, medians compared.
//    Portico's backlog is written into a stopped instance's database, so the
//    figure is the dispatcher's drain rate, not the API's event-creation rate.
// 2. Latency: events posted at RATE/s for SECONDS; time from sending the POST
//    to the receiver seeing the delivery (an upper bound on commit → first attempt).
// 3. Isolation: the healthy endpoint's drain rate while a second endpoint
//    never answers (every attempt waits for the 15 s timeout), against the
//    same drain with no failing endpoint.
//
// The receiver, the client loop and Portico share this machine's cores:
// compare the ratios, not absolute figures across machines.
import AsyncHTTPClient
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

let environment = ProcessInfo.processInfo.environment
let count = Int(environment["N"] ?? "") ?? 20_000
let concurrency = Int(environment["CONCURRENCY"] ?? "") ?? 16
let rate = Int(environment["RATE"] ?? "") ?? 200
let seconds = Int(environment["SECONDS"] ?? "") ?? 10
let binary = environment["PORTICO_BINARY"] ?? ".build/release/portico"
let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }

// MARK: Receiver

/// Records when each delivery arrived, by path and webhook-id. `/hang` never answers in time.
final class Receiver: Sendable {
    let arrivals = Mutex<[String: [(id: String, at: ContinuousClock.Instant)]]>([:])

    func count(_ path: String) -> Int { arrivals.withLock { $0[path]?.count ?? 0 } }
    /// Deliveries received more than once on `path` (at least once allows it after a crash; a healthy run should show 0).
    func duplicates(_ path: String) -> Int { arrivals.withLock { all in (all[path]?.count ?? 0) - Set(all[path]?.map(\.id) ?? []).count } }
    func reset() { arrivals.withLock { $0 = [:] } }

    /// Seconds from the first to the `n`-th arrival on `path`, once there are `n`.
    func waitSpan(_ path: String, _ n: Int, timeout: Duration = .seconds(600)) async throws -> Double {
        let deadline = ContinuousClock.now + timeout
        while count(path) < n {
            guard ContinuousClock.now < deadline else { throw BenchError("only \(count(path)) of \(n) arrived on \(path)") }
            try await Task.sleep(for: .milliseconds(5))
        }
        return arrivals.withLock { all in
            let times = all[path]!.map(\.at)
            return (times[n - 1] - times[0]).seconds
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

func startReceiver(_ receiver: Receiver) async throws -> (port: Int, task: Task<Void, any Error>) {
    let router = Router()
    router.post(":path") { request, context -> Response in
        let path = context.parameters.get("path") ?? ""
        let id = request.headers[HTTPField.Name("webhook-id")!] ?? ""
        var request = request
        _ = try await request.collectBody(upTo: 1 << 20)
        receiver.arrivals.withLock { $0[path, default: []].append((id, .now)) }
        if path == "hang" { try await Task.sleep(for: .seconds(120)) }
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok")))
    }
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) },
        logger: quiet
    )
    let task = Task { try await app.runService() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw BenchError("receiver did not start") }
    return (port, task)
}

// MARK: Portico

/// A `portico sandbox` on a given database file.
final class Sandbox: @unchecked Sendable {
    let process = Process()
    let url: String
    let key: String

    init(database: String, environment extra: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["sandbox", "--port", "0", "--database", database, "--plan", "bench"]
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PORTICO_") }
        env["PORTICO_LOGGING_LEVEL"] = "warning"
        env["PORTICO_RATE_LIMITS_IP_PER_SECOND"] = "10000000"
        env["PORTICO_RATE_LIMITS_IP_PER_MINUTE"] = "100000000"
        let limits =
            #"{"per_second": 10000000, "per_minute": 1000000000, "organization_per_minute": 1000000000, "daily_quota": null, "monthly_quota": 1000000000}"#
        env["PORTICO_PLANS"] =
            #"{"bench": {"name": "Bench", "currency": "usd", "base_price": 0, "overage_per_1000": null, "live": \#(limits), "test": \#(limits)}}"#
        process.environment = env.merging(extra) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data([0x0A]) { break }
            line.append(byte)
        }
        guard let json = try JSONSerialization.jsonObject(with: line) as? [String: Any], let url = json["url"] as? String,
            let key = ((json["organizations"] as? [[String: Any]])?.first?["keys"] as? [String: String])?["test_secret"]
        else { throw BenchError("sandbox did not start: \(String(decoding: line, as: UTF8.self))") }
        self.url = url
        self.key = key
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

func call(_ client: HTTPClient, _ method: HTTPMethod, _ url: String, key: String, json: String? = nil) async throws -> [String: Any] {
    var request = HTTPClientRequest(url: url)
    request.method = method
    request.headers.add(name: "Authorization", value: "Bearer \(key)")
    if let json {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
    }
    let response = try await client.execute(request, timeout: .seconds(30))
    let body = try await response.body.collect(upTo: 1 << 20)
    guard (200..<300).contains(response.status.code) else { throw BenchError("\(method) \(url): \(response.status) \(String(buffer: body))") }
    return (try JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
}

/// A fresh database with one sandbox organization and endpoints to `paths` on the receiver; returns the endpoint ids.
func prepare(_ client: HTTPClient, database: String, port: Int, paths: [String]) async throws -> [String] {
    let sandbox = try Sandbox(database: database)
    defer { sandbox.stop() }
    var ids: [String] = []
    for path in paths {
        let endpoint = try await call(
            client,
            .POST,
            "\(sandbox.url)/v1/webhook-endpoints",
            key: sandbox.key,
            json: #"{"url":"http://127.0.0.1:\#(port)/\#(path)","enabled_events":["bench.*"]}"#
        )
        ids.append(endpoint["id"] as! String)
    }
    return ids
}

/// Writes `n` due deliveries per endpoint (interleaved) into the stopped instance's database.
func preload(database: String, endpoints: [String], n: Int) throws {
    let queue = try DatabaseQueue(path: database)
    let now = Int64(Date().timeIntervalSince1970 * 1_000)
    try queue.write { db in
        let org = try String.fetchOne(db, sql: "SELECT organization_id FROM webhook_endpoints WHERE id = ?", arguments: [endpoints[0]])!
        for index in 0..<n {
            let event = String(format: "evt_bench%013d", index)
            try db.execute(
                sql:
                    "INSERT INTO events (id, organization_id, livemode, type, data, request_id, created_at) VALUES (?, ?, 0, 'bench.ping', ?, NULL, ?)",
                arguments: [
                    event, org, #"{"object":{"id":"cus_bench","index":\#(index),"name":"Benchmark customer","email":"bench@example.com"}}"#, now,
                ]
            )
            for (e, endpoint) in endpoints.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO webhook_deliveries (id, organization_id, livemode, endpoint_id, event_id, status, attempt_count,
                            next_attempt_at, created_at, updated_at) VALUES (?, ?, 0, ?, ?, 'pending', 0, ?, ?, ?)
                        """,
                    arguments: [String(format: "whd_bench%02d%011d", e, index), org, endpoint, event, now, now, now]
                )
            }
        }
    }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func temporaryDatabase() -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-webhook-bench-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent("portico.sqlite").path
}

// MARK: Run

let receiver = Receiver()
let (port, receiverTask) = try await startReceiver(receiver)
let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(5), read: .seconds(30))))
print("webhook benchmarks: N=\(count) concurrency=\(concurrency) rate=\(rate)/s for \(seconds) s, receiver on :\(port)")

// 1. Throughput, in ROUNDS alternating rounds (raw loop, then Portico); the
// medians are compared, so one noisy stretch of this VM does not decide the ratio.
let sampleBody =
    #"{"created_at":"2026-11-22T10:00:00Z","data":{"object":{"email":"bench@example.com","id":"cus_bench","index":1,"name":"Benchmark customer"}},"id":"evt_bench0000000000001","livemode":false,"object":"event","request_id":null,"type":"bench.ping"}"#

/// Sends `count` POSTs with `concurrency` in flight through AsyncHTTPClient; returns requests/s.
func rawLoop(_ client: HTTPClient, port: Int, count: Int, concurrency: Int) async throws -> Double {
    final class Counter: Sendable { let value = Atomic<Int>(0) }
    let next = Counter()
    let body = sampleBody
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                while next.value.add(1, ordering: .relaxed).oldValue < count {
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/raw")
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.headers.add(name: "webhook-id", value: "evt_bench0000000000001")
                    request.headers.add(name: "webhook-timestamp", value: "1763805600")
                    request.headers.add(name: "webhook-signature", value: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
                    request.body = .bytes(ByteBuffer(string: body))
                    let response = try await client.execute(request, timeout: .seconds(30))
                    _ = try await response.body.collect(upTo: 1 << 16)
                }
            }
        }
        try await group.waitForAll()
    }
    return Double(count) / (ContinuousClock.now - start).seconds
}

let rounds = Int(environment["ROUNDS"] ?? "") ?? 3
var rawRates: [Double] = []
var porticoRates: [Double] = []
var databases: [String] = []
var drain: Sandbox!
for round in 1...rounds {
    rawRates.append(try await rawLoop(client, port: port, count: count, concurrency: concurrency))
    let path = "bulk\(round)"
    let database = temporaryDatabase()
    databases.append(database)
    let bulk = try await prepare(client, database: database, port: port, paths: [path])
    try preload(database: database, endpoints: bulk, n: count)
    drain?.stop()
    drain = try Sandbox(database: database, environment: ["PORTICO_WEBHOOKS_PER_ENDPOINT_CONCURRENCY": String(concurrency)])
    porticoRates.append(Double(count - 1) / (try await receiver.waitSpan(path, count)))
    try await Task.sleep(for: .milliseconds(500))
    print(
        String(
            format: "   round %d: Portico %.0f/s, raw %.0f/s; %d received, %d duplicates",
            round,
            porticoRates.last!,
            rawRates.last!,
            receiver.count(path),
            receiver.duplicates(path)
        )
    )
}
let porticoRate = percentile(porticoRates, 0.5)
let rawRate = percentile(rawRates, 0.5)
print(
    String(
        format:
            "1. deliveries/s to a loopback receiver (median of %d rounds): Portico %.0f, raw AsyncHTTPClient loop %.0f  ->  ratio %.2f (target >= 0.6)",
        rounds,
        porticoRate,
        rawRate,
        porticoRate / rawRate
    )
)

// 2. Latency at a steady rate, on the instance that just drained (its backlog is empty now).
let latencyEndpoint = try await call(
    client,
    .POST,
    "\(drain.url)/v1/webhook-endpoints",
    key: drain.key,
    json: #"{"url":"http://127.0.0.1:\#(port)/steady","enabled_events":["steady.*"]}"#
)
_ = latencyEndpoint
let sent = Mutex<[String: ContinuousClock.Instant]>([:])
let total = rate * seconds
try await withThrowingTaskGroup(of: Void.self) { group in
    let start = ContinuousClock.now
    for index in 0..<total {
        try await Task.sleep(until: start + .microseconds(Int64(index) * 1_000_000 / Int64(rate)))
        group.addTask {
            let at = ContinuousClock.now
            let event = try await call(
                client,
                .POST,
                "\(drain.url)/v1/events",
                key: drain.key,
                json: #"{"type":"steady.tick","data":{"i":\#(index)}}"#
            )
            sent.withLock { $0[event["id"] as! String] = at }
        }
    }
    try await group.waitForAll()
}
_ = try await receiver.waitSpan("steady", total)
let latencies = receiver.arrivals.withLock { all in
    sent.withLock { sent in all["steady"]!.compactMap { arrival in sent[arrival.id].map { (arrival.at - $0).seconds * 1_000 } } }
}
print(
    String(
        format:
            "2. POST /v1/events -> delivery at the receiver, %d events at %d/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 <= 50 ms); %d duplicates",
        latencies.count,
        rate,
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
        latencies.max() ?? 0,
        receiver.duplicates("steady")
    )
)
drain.stop()

// 3. Healthy drain with and without a hanging endpoint (default concurrency limits, 15 s timeout).
let isolationCount = min(count, 10_000)
let baselineDB = temporaryDatabase()
let alone = try await prepare(client, database: baselineDB, port: port, paths: ["alone"])
try preload(database: baselineDB, endpoints: alone, n: isolationCount)
let baseline = try Sandbox(database: baselineDB)
let aloneRate = Double(isolationCount - 1) / (try await receiver.waitSpan("alone", isolationCount))
baseline.stop()

let mixedDB = temporaryDatabase()
let pair = try await prepare(client, database: mixedDB, port: port, paths: ["healthy", "hang"])
try preload(database: mixedDB, endpoints: pair, n: isolationCount)
let mixed = try Sandbox(database: mixedDB)
let healthyRate = Double(isolationCount - 1) / (try await receiver.waitSpan("healthy", isolationCount))
print(
    String(
        format:
            "3. healthy endpoint drain: %.0f/s with a hanging endpoint beside it (%d of its attempts in flight), %.0f/s alone  ->  ratio %.2f (target >= 0.9)",
        healthyRate,
        receiver.count("hang"),
        aloneRate,
        healthyRate / aloneRate
    )
)
mixed.process.interrupt()
mixed.process.waitUntilExit()

try await client.shutdown().get()
receiverTask.cancel()
for path in databases + [baselineDB, mixedDB] {
    try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
}
