import Foundation
import PorticoCore
import Synchronization

/// The connections of `portico listen`. Each owns a temporary webhook
/// endpoint (URL host `listen.portico.test`) whose deliveries go down the
/// connection's event stream instead of over HTTP; the CLI forwards each to
/// a local URL and reports the local answer, which the dispatcher records as
/// the attempt, like any other.
///
/// In memory, on the instance holding the connection: only that instance
/// claims the endpoint's deliveries (`openEndpointIDs`), an attempt of an
/// endpoint whose connection is gone fails as `refused`, and the endpoint is
/// deleted when its connection ends.
final class ListenerHub: Sendable {
    /// The URL host of a listener's endpoint; never resolved, never connected to.
    static let host = WebhookEndpointRecord.listenerHost

    /// One delivery as the CLI forwards it: signed headers and the exact body.
    struct Delivery: Sendable, JSONWritable {
        var deliveryId: String
        var eventType: String
        var attempt: Int
        var headers: [String: String]
        var body: String

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.field("attempt", attempt)
                json.field("body", body)
                json.field("delivery_id", deliveryId)
                json.field("event_type", eventType)
                json.key("headers")
                json.value(headers)
            }
        }

        var attemptKey: String { Self.attemptKey(deliveryId, attempt) }
        static func attemptKey(_ deliveryID: String, _ attempt: Int) -> String { "\(deliveryID)#\(attempt)" }
    }

    private struct Listener {
        var stream: AsyncStream<Delivery>.Continuation
        /// Attempts sent down the stream and waiting for the CLI's report, by `Delivery.attemptKey`
        /// (a late report for an attempt that timed out must not answer the next one).
        var waiting: [String: CheckedContinuation<WebhookClient.Outcome, Never>] = [:]
    }

    private let listeners = Mutex<[String: Listener]>([:])

    /// Starts listening for `endpointID`'s deliveries.
    func open(endpointID: String) -> AsyncStream<Delivery> {
        let (stream, continuation) = AsyncStream.makeStream(of: Delivery.self, bufferingPolicy: .bufferingNewest(256))
        listeners.withLock { $0[endpointID] = Listener(stream: continuation) }
        return stream
    }

    /// Ends the listener: its waiting attempts fail as the connection's end.
    func close(endpointID: String) {
        let listener = listeners.withLock { $0.removeValue(forKey: endpointID) }
        listener?.stream.finish()
        for (_, waiter) in listener?.waiting ?? [:] {
            waiter.resume(returning: .failure(.network, "portico listen disconnected before it reported the local answer."))
        }
    }

    /// The dispatcher's side: hands `delivery` to the endpoint's listener and waits for its
    /// report, at most `timeout`.
    func deliver(_ delivery: Delivery, endpointID: String, timeout: Duration) async -> WebhookClient.Outcome {
        let outcome = await withCheckedContinuation { (waiter: CheckedContinuation<WebhookClient.Outcome, Never>) in
            let sent = listeners.withLock { listeners -> Bool in
                guard var listener = listeners[endpointID], listener.waiting[delivery.attemptKey] == nil else { return false }
                listener.waiting[delivery.attemptKey] = waiter
                listeners[endpointID] = listener
                // `.dropped` still enqueued this one (the oldest gave way and will time out).
                if case .terminated = listener.stream.yield(delivery) {
                    listener.waiting[delivery.attemptKey] = nil
                    listeners[endpointID] = listener
                    return false
                }
                return true
            }
            guard sent else {
                waiter.resume(returning: .failure(.refused, "No portico listen is connected for this endpoint."))
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                self.resolve(endpointID: endpointID, key: delivery.attemptKey) {
                    .failure(.timeout, "portico listen did not report the local answer within the timeout.")
                }
            }
        }
        return outcome
    }

    /// The CLI's report of the local answer to one attempt; false when that attempt is not waiting.
    func report(endpointID: String, deliveryID: String, attempt: Int, outcome: WebhookClient.Outcome) -> Bool {
        resolve(endpointID: endpointID, key: Delivery.attemptKey(deliveryID, attempt)) { outcome }
    }

    @discardableResult
    private func resolve(endpointID: String, key: String, _ outcome: () -> WebhookClient.Outcome) -> Bool {
        let waiter = listeners.withLock { listeners -> CheckedContinuation<WebhookClient.Outcome, Never>? in
            listeners[endpointID]?.waiting.removeValue(forKey: key)
        }
        guard let waiter else { return false }
        waiter.resume(returning: outcome())
        return true
    }

    /// Whether a listener is connected for `endpointID` (tests, the dashboard).
    func isOpen(endpointID: String) -> Bool { listeners.withLock { $0[endpointID] != nil } }

    /// The endpoints whose connection this instance holds: the only listeners' deliveries it claims.
    var openEndpointIDs: Set<String> { listeners.withLock { Set($0.keys) } }
}
