import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP connection for tests that need to control exactly when
/// each byte of a request is sent (graceful shutdown with a request in flight).
final class RawHTTPConnection: @unchecked Sendable {
    private let fd: Int32

    /// `receiveTimeout` bounds every read, so a server that never answers fails a test instead of hanging it.
    init(port: Int, receiveTimeout: Int = 20) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: receiveTimeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    /// Reads and discards until the server closes the connection: true when it
    /// did (end of stream or reset), false when the receive timeout passed first.
    func waitForClose() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { continue }
            return count == 0 || errno == ECONNRESET
        }
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }

    /// Reads until `marker` has arrived (or the peer closes); returns what was read.
    func read(until marker: String) -> String {
        var data = [UInt8]()
        var byte: UInt8 = 0
        while !String(decoding: data, as: UTF8.self).hasSuffix(marker) {
            if recv(fd, &byte, 1, 0) <= 0 { break }
            data.append(byte)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads and counts bytes until the peer closes the connection (a large body, not kept).
    func count() -> Int {
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return total }
            total += count
        }
    }

    /// Reads until the peer closes the connection.
    func readAll() -> String {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs blocking socket calls on a thread of their own: blocking a Swift
    /// concurrency thread would starve an in-process server of the threads its
    /// handlers need (two, on two cores).
    func blocking<T: Sendable>(_ work: @escaping @Sendable (RawHTTPConnection) -> T) async -> T {
        await offPool { work(self) }
    }

    deinit { close(fd) }
}
