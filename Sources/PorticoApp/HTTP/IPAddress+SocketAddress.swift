import NIOCore
import PorticoCore

extension IPAddress {
    /// The address of a socket peer, read from the socket address itself (no text round trip).
    init?(_ socket: SocketAddress) {
        switch socket {
        case .v4(let address):
            self.init(bytes: withUnsafeBytes(of: address.address.sin_addr) { Array($0) })
        case .v6(let address):
            self.init(folding: withUnsafeBytes(of: address.address.sin6_addr) { Array($0) })
        case .unixDomainSocket:
            return nil
        }
    }
}
