/// A test-mode webhook endpoint on the host `fail.portico.test`: deliveries
/// to it are never sent, they fail as the URL's path says, and are recorded
/// like any real attempt, so an integration can watch retries, dead letters
/// and endpoint disabling without a misbehaving server of its own.
///
/// The host is in the `.test` top-level domain (RFC 6761), which never
/// resolves: a live-mode endpoint there would only ever fail, so live mode
/// refuses it at creation.
package enum SimulatedReceiver: String, Sendable, CaseIterable {
    /// The one path that works: answers 200 (a stand-in receiver for smoke tests and seed data).
    case ok = "/200"
    /// No response within the delivery timeout (recorded at once, without waiting).
    case timeout = "/timeout"
    /// Answers 500 Internal Server Error.
    case serverError = "/500"
    /// Answers 410 Gone, which disables the endpoint as a real 410 does.
    case gone = "/410"
    /// The TLS handshake fails (certificate not valid for the host).
    case tls = "/tls"
    /// The connection is refused.
    case refused = "/refused"
    /// Accepts the connection but answers too slowly: the attempt really
    /// takes the whole delivery timeout before it is recorded as a timeout.
    case slow = "/slow"

    package static let host = "fail.portico.test"

    /// The behaviour `url` names, nil when it is not on `host`; throws when it
    /// is on `host` with a path that names none.
    package init?(_ url: WebhookURL) throws(WebhookURLError) {
        guard url.hostName.lowercased() == Self.host else { return nil }
        let path = url.target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url.target
        guard let behaviour = Self(rawValue: path) else {
            throw WebhookURLError(
                "url on \(Self.host) must have one of the paths \(Self.allCases.map(\.rawValue).joined(separator: ", ")), which say how its deliveries fail."
            )
        }
        self = behaviour
    }
}
