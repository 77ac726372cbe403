import Testing

@testable import PorticoCore

struct ASCIITextTests {
    @Test func asciiTextWritesNumbersAndText() {
        for value in [0, 7, 10, 99, 100, 123_456_789, Int.max, -1, -120, Int.min] {
            let text = ASCIIText.render(capacity: ASCIIText.maxIntegerLength) { $0.append(value) }
            #expect(text == String(value))
        }
        let joined = ASCIIText.render(capacity: 32) { text in
            text.append("")
            text.append("\"key-burst\";r=")
            text.append(9)
            text.append(byte: UInt8(ascii: ";"))
        }
        #expect(joined == "\"key-burst\";r=9;")
        #expect(IPAddress(bytes: [192, 168, 0, 10]).description == "192.168.0.10")
        #expect(IPAddress(bytes: [0, 0, 0, 0]).description == "0.0.0.0")
    }
}
