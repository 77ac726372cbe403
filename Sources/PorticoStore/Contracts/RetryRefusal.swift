import PorticoCore

/// Why a delivery cannot be retried by hand.
package enum RetryRefusal: Error, Sendable {
    case endpointDisabled
}
