/// Names of the metrics usage is recorded under.
package enum UsageMetric {
    /// Every authenticated `/v1` request that was not refused by a limit (429).
    package static let requests = "requests"
    /// `POST /v1/keys/verify` calls.
    package static let keyVerifications = "key_verifications"
    /// Metered by Portico itself: a gateway metric may not take one of these names.
    package static let reserved: Set<String> = [requests, keyVerifications]
}
