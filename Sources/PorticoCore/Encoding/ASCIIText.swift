/// Writes ASCII text straight into a string's own storage in one pass: one
/// allocation per string instead of one per appended piece. For text built
/// on every request (rate-limit header values, the client address).
package struct ASCIIText: ~Copyable {
    /// Digits and sign of the longest `Int`.
    package static let maxIntegerLength = 20

    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    package var isEmpty: Bool { count == 0 }

    /// A string of at most `capacity` bytes, written by `write` (which must stay within it).
    package static func render(capacity: Int, _ write: (inout ASCIIText) -> Void) -> String {
        String(unsafeUninitializedCapacity: max(capacity, 1)) { buffer in
            var text = ASCIIText(buffer: buffer)
            write(&text)
            return text.count
        }
    }

    private init(buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    package mutating func append(_ string: String) {
        var string = string
        string.withUTF8 { bytes in
            guard !bytes.isEmpty else { return }  // an empty string's buffer may have no address
            precondition(count + bytes.count <= buffer.count, "ASCIIText capacity exceeded")
            UnsafeMutableRawPointer(buffer.baseAddress! + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            count += bytes.count
        }
    }

    package mutating func append(byte: UInt8) {
        precondition(count < buffer.count, "ASCIIText capacity exceeded")
        buffer[count] = byte
        count += 1
    }

    /// The decimal digits of `value`, written last digit first (a division by
    /// the constant 10 is a multiplication; by a varying power of ten it is not).
    package mutating func append(_ value: Int) {
        if value < 0 { append(byte: UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var length = 1
        var bound: UInt = 10
        while length < 19, magnitude >= bound {
            length += 1
            bound &*= 10
        }
        if length == 19, magnitude >= bound { length = 20 }
        precondition(count + length <= buffer.count, "ASCIIText capacity exceeded")
        var index = count + length
        repeat {
            index -= 1
            buffer[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        count += length
    }
}
