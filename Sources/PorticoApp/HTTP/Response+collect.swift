import HTTPTypes
import Hummingbird
import NIOCore

extension Response {
    /// Reads the whole body into one buffer and puts it back, so the response
    /// can both be stored (idempotent replay) and sent.
    public mutating func collectBody() async throws -> ByteBuffer {
        let sink = BufferSink()
        try await body.write(CollectingWriter(sink: sink))
        body = .init(byteBuffer: sink.buffer)
        return sink.buffer
    }
}

private final class BufferSink {
    var buffer = ByteBuffer()
}

private struct CollectingWriter: ResponseBodyWriter {
    let sink: BufferSink

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        sink.buffer.writeBuffer(&buffer)
    }

    mutating func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
        for buffer in buffers { try await write(buffer) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
