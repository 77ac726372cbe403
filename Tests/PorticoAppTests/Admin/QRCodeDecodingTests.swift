import Foundation
import PorticoCore
import Testing

/// The QR encoder checked from outside: ZXing (the zxing-cpp Python
/// binding) must read back exactly what was encoded, at sizes from an
/// enrollment URI to the largest version.
struct QRCodeDecodingTests {
    @Test(.requires(.pythonModule("zxingcpp")))
    func zxingReadsBackWhatWasEncoded() async throws {
        let texts = [
            TOTP.generate().provisioningURI(account: "ops@example.com", issuer: "Portico"),
            TOTP.generate().provisioningURI(account: String(repeating: "long.name", count: 14) + "@example.com", issuer: "Portico"),
            String((0..<1_000).map { Character(UnicodeScalar(UInt8(33 + $0 % 90))) }),
            "ünïcödé ✓ " + String(repeating: "x", count: 2_300),
        ]
        // Each code as "size rows": one text line per row of 0/1, quiet zone added by the script.
        var input = ""
        for text in texts {
            let code = try QRCode(text: text)
            input += "\(code.size)\n"
            for y in 0..<code.size { input += String((0..<code.size).map { code.isDark(x: $0, y: y) ? "1" : "0" }) + "\n" }
        }
        let script = """
            import sys, json, zxingcpp
            lines = sys.stdin.read().split("\\n")
            out, i = [], 0
            while i < len(lines) and lines[i]:
                size = int(lines[i]); rows = lines[i + 1:i + 1 + size]; i += 1 + size
                scale, border = 4, 4
                side = (size + 2 * border) * scale
                pixels = bytearray([255]) * (side * side)
                for y, row in enumerate(rows):
                    for x, bit in enumerate(row):
                        if bit == "1":
                            for dy in range(scale):
                                start = ((y + border) * scale + dy) * side + (x + border) * scale
                                pixels[start:start + scale] = bytes(scale)
                found = zxingcpp.read_barcodes(memoryview(pixels).cast("B", (side, side)))
                out.append(found[0].text if found else None)
            print(json.dumps(out))
            """
        let result = try await ChildProcess.run("/usr/bin/env", ["python3", "-c", script], input: Data(input.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let decoded = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String?]
        #expect(decoded == texts.map { Optional($0) })
    }
}
