// In-process hot-path profile (issue 3): what one request costs inside
// Portico, without sockets, wrk or the scheduler in the figure.
//
//     swift run -c release portico-hotpath-profile
//     N=200000 ROUNDS=5 swift run -c release portico-hotpath-profile
//
// Builds the real application (every middleware, the real SQLite file in a
// temporary directory, the `bench` plan of Benchmarks/bench-env.sh so every
// limit is checked but none refuses), then sends requests straight to its
// responder, one after another on one task: `GET /healthz` and
// `GET /v1/customers/{id}` with a test key, alternating round by round.
// The request log queue is drained into SQLite between rounds and timed on
// its own, so the figure splits into "on the request path" and "the log
// writer's share per request". Wall-clock nanoseconds per request, medians
// over the rounds; compare the two paths, not absolute figures across machines.
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import PorticoApp

let environment = ProcessInfo.processInfo.environment
let count = Int(environment["N"] ?? "") ?? 100_000
let rounds = Int(environment["ROUNDS"] ?? "") ?? 5

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-hotpath-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

guard environment["PORTICO_PLANS"]?.contains("\"bench\"") == true else {
    fatalError("run with the bench plan: source Benchmarks/bench-env.sh first")
}
var config = try ConfigLoader.load(file: nil, environment: environment)
config.database.path = directory.appendingPathComponent("portico.sqlite").path
config.billing.defaultPlan = "bench"
config.requestLogs.queueCapacity = count + 1_000
config.accounts.passwordHashCost = 10
let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
let runtime = try PorticoRuntime(config: config, logger: quiet, sandbox: true)
let seeded = try await Seeder(runtime: runtime).seedOrganization(name: "Bench", ownerEmail: "bench@example.com")
let responder = try await buildResponder(runtime: runtime)

let channel = NIOAsyncTestingChannel()
channel.remoteAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 40_000)

func send(_ method: HTTPRequest.Method, _ path: String, key: String?, body: String? = nil) async throws -> Response {
    var headers: HTTPFields = [.userAgent: "portico-hotpath-profile"]
    if let key { headers[.authorization] = "Bearer \(key)" }
    if body != nil { headers[.contentType] = "application/json" }
    let head = HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1", path: path, headerFields: headers)
    let request = Request(head: head, body: .init(buffer: ByteBuffer(string: body ?? "")))
    let context = PorticoRequestContext(source: .init(channel: channel, logger: quiet))
    return try await responder.respond(to: request, context: context)
}

let key = seeded.keys.testSecret
let created = try await send(.post, "/v1/customers", key: key, body: #"{"name":"Bench","email":"bench@example.com","metadata":{"tier":"gold"}}"#)
guard created.status == .ok, let customerID = try await idOf(created) else { fatalError("could not create the customer: \(created.status)") }
let customerPath = "/v1/customers/\(customerID)"

func idOf(_ response: Response) async throws -> String? {
    var response = response
    let body = try await response.collectBody()
    return (try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["id"] as? String
}

/// Nanoseconds per request for `count` requests to one target (every response must be 200).
func measure(_ path: String, key: String?) async throws -> Double {
    let start = ContinuousClock.now
    for _ in 0..<count {
        let response = try await send(.get, path, key: key)
        precondition(response.status == .ok, "\(path) answered \(response.status)")
    }
    return nanoseconds(ContinuousClock.now - start) / Double(count)
}

/// Nanoseconds per queued log row to commit everything queued.
func drainLogs(rows: Int) async -> Double {
    let start = ContinuousClock.now
    await runtime.flushRequestLogs()
    return nanoseconds(ContinuousClock.now - start) / Double(max(1, rows))
}

_ = try await measure("/healthz", key: nil)
_ = try await measure(customerPath, key: key)
_ = await drainLogs(rows: count)

var healthz: [Double] = []
var customer: [Double] = []
var writer: [Double] = []
print("portico hot-path profile: \(rounds) rounds x \(count) requests per target, in process, one task")
for round in 1...rounds {
    healthz.append(try await measure("/healthz", key: nil))
    customer.append(try await measure(customerPath, key: key))
    writer.append(await drainLogs(rows: count))
    print(
        String(format: "round %d: healthz %6.0f ns  customer %6.0f ns  log writer %6.0f ns/row", round, healthz.last!, customer.last!, writer.last!)
    )
}
func nanoseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
}
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
let (h, c, w) = (median(healthz), median(customer), median(writer))
print(
    String(
        format: "median: healthz %.0f ns, customer %.0f ns (+%.0f ns), log writer %.0f ns per request; customer + writer = %.2fx healthz",
        h,
        c,
        c - h,
        w,
        (c + w) / h
    )
)
try runtime.close()
