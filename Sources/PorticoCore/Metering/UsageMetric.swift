/// Names of the metrics usage is recorded under.
package enum UsageMetric {
    /// Every authenticated `/v1` request that was not refused by a limit (429).
    package static let requests = "requests"
}
