import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension FileHandle {
    /// Reads until end of file with `read(2)`, retrying when a signal
    /// interrupts it. Foundation's `readDataToEndOfFile()`, `readData(ofLength:)`
    /// and `availableData` wrap the read in `try!` and crash the whole test
    /// process on `EINTR` (what the last CI failure was, while Foundation's
    /// `Process` had a SIGCHLD handler installed).
    func readAll() -> Data {
        var data = Data()
        while let chunk = readChunk(maxLength: 64 * 1024) { data.append(chunk) }
        return data
    }

    /// Reads up to the next newline (not included) or end of file.
    func readLine() -> Data {
        var line = Data()
        while let byte = readChunk(maxLength: 1), byte != Data([0x0A]) { line.append(byte) }
        return line
    }

    /// Writes all of `data` with `write(2)`, retrying when a signal interrupts it.
    func writeAll(_ data: Data) {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let count = Glibc.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if count > 0 { offset += count } else if count < 0 && errno == EINTR { continue } else { return }
            }
        }
    }

    /// One `read(2)` of at most `maxLength` bytes; nil at end of file or on an error other than EINTR.
    func readChunk(maxLength: Int) -> Data? {
        var buffer = [UInt8](repeating: 0, count: maxLength)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fileDescriptor, $0.baseAddress, maxLength) }
            if count > 0 { return Data(buffer[0..<count]) }
            if count < 0 && errno == EINTR { continue }
            return nil
        }
    }
}
