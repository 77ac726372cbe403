import Testing

@testable import PorticoCore

@Suite struct ServerSentEventTests {
    @Test func eventsSurviveTheWireInAnyChunking() {
        let events = [
            ServerSentEvent(event: "ready", data: #"{"a":1}"#),
            ServerSentEvent(event: "delivery", id: "whd_1", data: "line one\nline two"),
            ServerSentEvent(event: "evil\nevent: forged", id: "x\ny", data: "data\r\n"),
        ]
        let wire = events.map(\.encoded).joined(separator: ServerSentEvent.keepAlive)
        #expect(!events[2].encoded.contains("\nevent: forged"), "a line break cannot add a field")
        for size in [1, 3, 7, wire.utf8.count] {
            var parser = ServerSentEventParser()
            var parsed: [ServerSentEvent] = []
            let bytes = Array(wire.utf8)
            var index = 0
            while index < bytes.count {
                parsed += parser.feed(bytes[index..<min(index + size, bytes.count)])
                index += size
            }
            #expect(parsed.map(\.data) == [#"{"a":1}"#, "line one\nline two", "data\n"], "chunks of \(size)")
            #expect(parsed.map(\.event) == ["ready", "delivery", "evilevent: forged"])
            #expect(parsed[1].id == "whd_1")
        }
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("event: a\r\n\r\n: only a comment\n\n".utf8)).isEmpty, "no data, no event")
        // JSON leaves U+2028, U+2029 and U+0085 unescaped: they are not line breaks of the format.
        let json = #"{"name":"a\#u{2028}b\#u{2029}c\#u{85}d"}"#
        var reader = ServerSentEventParser()
        #expect(reader.feed(Array(ServerSentEvent(event: "delivery", data: json).encoded.utf8)).map(\.data) == [json])
        #expect(ServerSentEvent.lines("a\rb\r\nc\nd") == ["a", "b", "c", "d"])
    }
}
