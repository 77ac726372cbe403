import Synchronization

/// The instance's base URL (`http://127.0.0.1:8080`), used to build absolute
/// links such as a problem's `type`. Set again once the listener is bound,
/// because with port 0 the real port is only known then.
final class BaseURL: Sendable {
    private let storage: Mutex<String>

    init(_ value: String) {
        storage = Mutex(value)
    }

    var value: String { storage.withLock { $0 } }

    func set(_ value: String) {
        storage.withLock { $0 = value }
    }
}
