import Foundation

/// The readiness protocol of systemd's `Type=notify` (sd_notify(3)): one
/// datagram to the socket named by `NOTIFY_SOCKET`. `serve` says `READY=1`
/// once it listens and has seeded a fresh database, so `systemctl start`
/// returns only when requests are answered and dependants start after it.
///
/// Written here because it is one `sendto`: libsystemd is not worth linking
/// for it, and no Swift package in the mirror provides it.
public enum SystemdNotify {
    /// Sends `state` (e.g. `READY=1`) when started by systemd; does nothing otherwise.
    /// Returns whether a datagram was sent.
    @discardableResult
    public static func send(_ state: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty, path.utf8.count < 108 else { return false }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // "@name" is a socket in the abstract namespace: a leading NUL byte instead of the "@".
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + bytes.count)
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(descriptor, message, message.count, Int32(MSG_NOSIGNAL), $0, length) }
        }
        return sent == message.count
    }
}
