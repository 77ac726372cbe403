// In-process hot-path profile (issues 3 and 17): what one request costs
// inside Portico, without sockets, wrk or the scheduler in the figure.
//
//     swift run -c release portico-hotpath-profile
//     N=20000 ROUNDS=5 TARGETS="healthz events" swift run -c release portico-hotpath-profile
//
// Builds the real application (every middleware, the real SQLite file in a
// temporary directory, the `bench` plan of Benchmarks/bench-env.sh so every
// limit is checked but none refuses), seeds 20 customers (and so 30 events),
// then sends requests straight to its responder, one after another on one
// task, alternating the targets round by round:
//
//     healthz          GET /healthz
//     customer         GET /v1/customers/{id}, the representation cache on
//     customer_uncached  the same through a second application whose cache is off
//     customers        GET /v1/customers?limit=10
//     events           GET /v1/events?limit=10
//     request_logs     GET /v1/request-logs?limit=10
//
// The request log queue is drained into SQLite after each target and timed on
// its own, so the figure splits into "on the request path" and "the log
// writer's share per request". Wall-clock nanoseconds per request, medians
// over the rounds; compare the targets, not absolute figures across machines.
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import PorticoApp

let environment = ProcessInfo.processInfo.environment
let count = Int(environment["N"] ?? "") ?? 20_000
let rounds = Int(environment["ROUNDS"] ?? "") ?? 5
let allTargets = ["healthz", "customer", "customer_uncached", "customers", "events", "request_logs"]
let targets = environment["TARGETS"].map { $0.split(separator: " ").map(String.init) } ?? allTargets
guard targets.allSatisfy(allTargets.contains) else { fatalError("TARGETS is a list of \(allTargets.joined(separator: ", "))") }

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-hotpath-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

guard environment["PORTICO_PLANS"]?.contains("\"bench\"") == true else {
    fatalError("run with the bench plan: source Benchmarks/bench-env.sh first")
}
let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
let channel = NIOAsyncTestingChannel()
channel.remoteAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 40_000)

/// One application on its own SQLite file, seeded with 20 customers (half of them updated).
struct Instance {
    let runtime: PorticoRuntime
    let respond: @Sendable (Request, PorticoRequestContext) async throws -> Response
    let key: String
    var customerID = ""

    init(name: String, cacheEntries: Int?) async throws {
        var config = try ConfigLoader.load(file: nil, environment: environment)
        config.database.path = directory.appendingPathComponent("\(name).sqlite").path
        config.billing.defaultPlan = "bench"
        config.requestLogs.queueCapacity = count * allTargets.count + 1_000
        config.accounts.passwordHashCost = 10
        if let cacheEntries { config.server.representationCacheEntries = cacheEntries }
        runtime = try PorticoRuntime(config: config, logger: quiet, sandbox: true)
        key = try await Seeder(runtime: runtime).seedOrganization(name: "Bench", ownerEmail: "bench@example.com").keys.testSecret
        let responder = try await buildResponder(runtime: runtime)
        respond = { try await responder.respond(to: $0, context: $1) }
        for n in 0..<20 {
            let body =
                #"{"name":"Customer \#(n)","email":"c\#(n)@example.com","description":"A customer with a longer description, \"quoted\" and ünïcode.","metadata":{"tier":"gold","plan":"p\#(n)","region":"eu-west"}}"#
            let created = try await send(.post, "/v1/customers", body: body)
            guard created.status == .ok, let id = try await Self.id(of: created) else { fatalError("could not create a customer: \(created.status)") }
            customerID = id
            if n.isMultiple(of: 2) {
                let updated = try await send(.patch, "/v1/customers/\(id)", body: #"{"metadata":{"tier":"platinum"}}"#)
                precondition(updated.status == .ok, "could not update a customer: \(updated.status)")
            }
        }
        await runtime.flushRequestLogs()
    }

    func send(_ method: HTTPRequest.Method, _ path: String, authenticated: Bool = true, body: String? = nil) async throws -> Response {
        var headers: HTTPFields = [.userAgent: "portico-hotpath-profile"]
        if authenticated { headers[.authorization] = "Bearer \(key)" }
        if body != nil { headers[.contentType] = "application/json" }
        let head = HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1", path: path, headerFields: headers)
        let request = Request(head: head, body: .init(buffer: ByteBuffer(string: body ?? "")))
        return try await respond(request, PorticoRequestContext(source: .init(channel: channel, logger: quiet)))
    }

    static func id(of response: Response) async throws -> String? {
        var response = response
        let body = try await response.collectBody()
        return (try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["id"] as? String
    }
}

let main = try await Instance(name: "portico", cacheEntries: nil)
let uncached = targets.contains("customer_uncached") ? try await Instance(name: "uncached", cacheEntries: 0) : nil

/// The instance and path of a target.
func route(_ target: String) -> (Instance, String, authenticated: Bool) {
    switch target {
    case "healthz": (main, "/healthz", false)
    case "customer": (main, "/v1/customers/\(main.customerID)", true)
    case "customer_uncached": (uncached!, "/v1/customers/\(uncached!.customerID)", true)
    case "customers": (main, "/v1/customers?limit=10", true)
    case "events": (main, "/v1/events?limit=10", true)
    default: (main, "/v1/request-logs?limit=10", true)
    }
}

/// Nanoseconds per request for `count` requests to one target (every response must be 200),
/// and per request for the log writer to commit what they queued.
func measure(_ target: String) async throws -> (request: Double, writer: Double) {
    let (instance, path, authenticated) = route(target)
    let start = ContinuousClock.now
    for _ in 0..<count {
        var response = try await instance.send(.get, path, authenticated: authenticated)
        precondition(response.status == .ok, "\(path) answered \(response.status)")
        // Writing the body out is part of the cost (the request log captures it as it goes).
        _ = try await response.collectBody()
    }
    let requests = nanoseconds(ContinuousClock.now - start) / Double(count)
    let drained = ContinuousClock.now
    await instance.runtime.flushRequestLogs()
    return (requests, nanoseconds(ContinuousClock.now - drained) / Double(count))
}

for target in targets { _ = try await measure(target) }

var figures: [String: [(request: Double, writer: Double)]] = [:]
print("portico hot-path profile: \(rounds) rounds x \(count) requests per target, in process, one task")
for round in 1...rounds {
    var line = "round \(round):"
    for target in targets {
        let figure = try await measure(target)
        figures[target, default: []].append(figure)
        line += "  \(target) " + String(format: "%.0f ns (+%.0f writer)", figure.request, figure.writer)
    }
    print(line)
}
func nanoseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
}
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
let healthz = figures["healthz"].map { median($0.map(\.request)) }
print("median ns per request (on the request path + the log writer's share):")
for target in targets {
    let request = median(figures[target]!.map(\.request))
    let writer = median(figures[target]!.map(\.writer))
    let ratio = healthz.map { String(format: "  %.2fx healthz", $0 / (request + writer)) } ?? ""
    print("  " + target.padding(toLength: 18, withPad: " ", startingAt: 0) + String(format: "%7.0f + %6.0f ns", request, writer) + ratio)
}
try main.runtime.close()
try uncached?.runtime.close()
