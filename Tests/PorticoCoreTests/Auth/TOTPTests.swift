import PorticoCore
import Testing

struct TOTPTests {
    /// RFC 6238 appendix B (SHA-1), the last six of its eight digits.
    @Test(arguments: [(59, "287082"), (1_111_111_109, "081804"), (1_111_111_111, "050471"), (1_234_567_890, "005924"), (2_000_000_000, "279037")])
    func matchesTheRFCVectors(seconds: Int64, code: String) {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        #expect(totp.code(step: TOTP.step(at: seconds * 1_000)) == code)
    }

    @Test func acceptsOneStepEitherWayAndNeverTheSameStepTwice() {
        let totp = TOTP.generate()
        let now: Int64 = 1_800_000_000_000
        let step = TOTP.step(at: now)
        #expect(totp.verify(totp.code(step: step), at: now, after: 0) == step)
        #expect(totp.verify(totp.code(step: step - 1), at: now, after: 0) == step - 1)
        #expect(totp.verify(totp.code(step: step + 1), at: now, after: 0) == step + 1)
        #expect(totp.verify(totp.code(step: step - 2), at: now, after: 0) == nil)
        // Replayed: the step was already used.
        #expect(totp.verify(totp.code(step: step), at: now, after: step) == nil)
        // An older code after a newer one was used.
        #expect(totp.verify(totp.code(step: step - 1), at: now, after: step) == nil)
        #expect(totp.verify("12345", at: now, after: 0) == nil)
        #expect(totp.verify("abcdef", at: now, after: 0) == nil)
        #expect(totp.verify("١٢٣٤٥٦", at: now, after: 0) == nil)
    }

    @Test func provisioningURIEscapesTheAccount() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let uri = totp.provisioningURI(account: "ops+1@example.com", issuer: "Portico")
        #expect(
            uri
                == "otpauth://totp/Portico:ops%2B1@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Portico&algorithm=SHA1&digits=6&period=30"
        )
    }
}

struct Base32Tests {
    /// RFC 4648 section 10, unpadded.
    @Test(arguments: [("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI")])
    func roundTripsTheRFCVectors(plain: String, encoded: String) {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(Base32.decode(encoded) == Array(plain.utf8))
        #expect(Base32.decode(encoded.lowercased() + "==") == Array(plain.utf8))
    }

    @Test func refusesWhatIsNotBase32() {
        #expect(Base32.decode("MZ1W") == nil)
        #expect(Base32.decode("MZ!W") == nil)
    }
}

struct QRCodeTests {
    @Test(arguments: [(1, 14), (2, 26), (5, 84), (10, 213), (40, 2_331)])
    func theSmallestVersionThatHoldsTheTextIsChosen(version: Int, capacity: Int) throws {
        let fits = try QRCode(text: String(repeating: "a", count: capacity))
        #expect(fits.version == version)
        #expect(fits.size == version * 4 + 17)
        if version < 40 {
            #expect(try QRCode(text: String(repeating: "a", count: capacity + 1)).version == version + 1)
        } else {
            #expect(throws: QRCode.Failure.tooLong) { try QRCode(text: String(repeating: "a", count: capacity + 1)) }
        }
    }

    @Test func finderPatternsSitInThreeCorners() throws {
        let code = try QRCode(text: "otpauth://totp/Portico:a@b.c?secret=ABC")
        let last = code.size - 1
        for (x, y) in [(0, 0), (last - 6, 0), (0, last - 6)] {
            #expect(code.isDark(x: x, y: y) && code.isDark(x: x + 6, y: y + 6) && !code.isDark(x: x + 1, y: y + 1) && code.isDark(x: x + 3, y: y + 3))
        }
        #expect(code.svg(title: "<x>").contains("<title>&lt;x></title>"))
    }
}
