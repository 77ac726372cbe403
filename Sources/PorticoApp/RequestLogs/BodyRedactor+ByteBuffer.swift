import Foundation
import NIOCore
import PorticoCore

extension BodyRedactor {
    /// A captured request or response body as it may be stored, or nil when it is empty.
    func redact(_ buffer: ByteBuffer) -> String? {
        redact(Data(buffer.readableBytesView))
    }
}
