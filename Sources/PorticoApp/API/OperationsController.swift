import Hummingbird
import NIOCore
import PorticoCore
import PorticoStore

/// `/healthz` (the process answers), `/readyz` (the database answers, its
/// schema is current and writes succeed) and `/metrics` (Prometheus text format).
struct OperationsController: Sendable {
    typealias Context = PorticoRequestContext
    let store: any StorageMaintenance
    let clock: any PorticoClock
    let metrics: PorticoMetrics

    func register(on router: Router<Context>) {
        router.get("healthz") { _, _ in
            Self.text("ok\n")
        }
        router.get("readyz") { _, _ in
            let ready = (try? await store.readiness()) ?? false
            guard ready else {
                throw APIError(.serviceUnavailable, "The database is unreachable or its schema is not current; run 'portico migrate'.")
            }
            // Writes were failing: try one, so readiness returns as soon as the disk does.
            if store.health.writesFailing { try? await store.probeWrite(now: clock.nowMilliseconds) }
            guard !store.health.writesFailing else { throw APIError.storageUnavailable }
            return Self.text("ready\n")
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.exposition()))
            )
        }
    }

    private static func text(_ body: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
