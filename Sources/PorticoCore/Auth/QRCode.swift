/// A QR code (ISO/IEC 18004) for a short text, drawn server-side so the
/// two-factor enrollment page needs no script and sends the secret nowhere
/// else. Byte mode, error correction level M, the smallest version (1–40)
/// that holds the text, and the mask with the lowest penalty score.
///
/// Written here because no maintained Swift package in this project's
/// ecosystem draws QR codes without a UI framework. The construction follows
/// the standard as laid out in Project Nayuki's reference implementation
/// (MIT): the block tables, Reed–Solomon over GF(2⁸) with 0x11D, the
/// function patterns, the zig-zag placement and the format and version bits.
/// `QRCodeTests` decodes the output with ZXing to check it.
package struct QRCode: Sendable {
    /// Modules per side.
    package let size: Int
    package let version: Int
    package let mask: Int
    /// Row-major, `true` for dark.
    private let modules: [Bool]

    package func isDark(x: Int, y: Int) -> Bool { modules[y * size + x] }

    package enum Failure: Error, Equatable {
        /// More than 2,331 bytes: no version holds it at level M.
        case tooLong
    }

    package init(text: String) throws {
        let data = Array(text.utf8)
        guard let version = (1...40).first(where: { Self.fits(data.count, version: $0) }) else { throw Failure.tooLong }
        var builder = Builder(version: version)
        builder.drawFunctionPatterns()
        builder.drawCodewords(Self.interleaved(Self.dataCodewords(data, version: version), version: version))
        var best: (mask: Int, penalty: Int, modules: [Bool])?
        for mask in 0..<8 {
            var candidate = builder
            candidate.applyMask(mask)
            candidate.drawFormatBits(mask: mask)
            let penalty = candidate.penalty()
            if best == nil || penalty < best!.penalty { best = (mask, penalty, candidate.modules) }
        }
        self.size = builder.size
        self.version = version
        self.mask = best!.mask
        self.modules = best!.modules
    }

    /// An SVG of the code with a four-module quiet zone, one path for all dark modules.
    package func svg(title: String, pixelsPerModule: Int = 6) -> String {
        let border = 4
        let side = size + border * 2
        var path = ""
        for y in 0..<size {
            for x in 0..<size where isDark(x: x, y: y) { path += "M\(x + border),\(y + border)h1v1h-1z" }
        }
        let escaped = title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" width="\(side * pixelsPerModule)" \
            height="\(side * pixelsPerModule)" role="img" aria-label="\(escaped.replacingOccurrences(of: "\"", with: "&quot;"))" \
            shape-rendering="crispEdges"><title>\(escaped)</title><rect width="100%" height="100%" fill="#fff"/>\
            <path d="\(path)" fill="#000"/></svg>
            """
    }

    // MARK: Capacity and codewords

    /// Level M error-correction codewords per block, by version (index 0 unused).
    private static let eccPerBlock = [
        -1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
        26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    ]
    /// Level M error-correction blocks, by version.
    private static let blocks = [
        -1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
        17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
    ]

    /// Modules left for data and error correction once the function patterns are drawn.
    static func rawDataModules(version: Int) -> Int {
        var result = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignments = version / 7 + 2
            result -= (25 * alignments - 10) * alignments - 55
            if version >= 7 { result -= 36 }
        }
        return result
    }

    static func dataCapacity(version: Int) -> Int {
        rawDataModules(version: version) / 8 - eccPerBlock[version] * blocks[version]
    }

    private static func countBits(version: Int) -> Int { version <= 9 ? 8 : 16 }

    private static func fits(_ bytes: Int, version: Int) -> Bool {
        bytes < 1 << countBits(version: version) && 4 + countBits(version: version) + bytes * 8 <= dataCapacity(version: version) * 8
    }

    /// Mode indicator, length, the bytes, terminator and padding: exactly the version's data capacity.
    private static func dataCodewords(_ data: [UInt8], version: Int) -> [UInt8] {
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(data.count, count: countBits(version: version))
        for byte in data { bits.append(Int(byte), count: 8) }
        let capacity = dataCapacity(version: version) * 8
        bits.append(0, count: min(4, capacity - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var padding = 0xEC
        while bits.count < capacity {
            bits.append(padding, count: 8)
            padding ^= 0xEC ^ 0x11
        }
        return bits.bytes
    }

    /// The data split into blocks, each followed by its Reed–Solomon codewords, interleaved.
    private static func interleaved(_ data: [UInt8], version: Int) -> [UInt8] {
        let blockCount = blocks[version]
        let eccLength = eccPerBlock[version]
        let raw = rawDataModules(version: version) / 8
        let shortBlocks = blockCount - raw % blockCount
        let shortLength = raw / blockCount
        let divisor = ReedSolomon.divisor(degree: eccLength)
        var split: [[UInt8]] = []
        var offset = 0
        for index in 0..<blockCount {
            let length = shortLength - eccLength + (index < shortBlocks ? 0 : 1)
            var block = Array(data[offset..<offset + length])
            offset += length
            let ecc = ReedSolomon.remainder(block, divisor: divisor)
            if index < shortBlocks { block.append(0) }
            split.append(block + ecc)
        }
        var result: [UInt8] = []
        result.reserveCapacity(raw)
        for position in 0..<split[0].count {
            for (index, block) in split.enumerated() where position != shortLength - eccLength || index >= shortBlocks {
                result.append(block[position])
            }
        }
        return result
    }

    // MARK: Drawing

    private struct Builder {
        let version: Int
        let size: Int
        var modules: [Bool]
        var isFunction: [Bool]

        init(version: Int) {
            self.version = version
            self.size = version * 4 + 17
            self.modules = Array(repeating: false, count: size * size)
            self.isFunction = Array(repeating: false, count: size * size)
        }

        mutating func set(_ x: Int, _ y: Int, _ dark: Bool) {
            modules[y * size + x] = dark
            isFunction[y * size + x] = true
        }

        func dark(_ x: Int, _ y: Int) -> Bool { modules[y * size + x] }

        mutating func drawFunctionPatterns() {
            for index in 0..<size {
                set(6, index, index % 2 == 0)
                set(index, 6, index % 2 == 0)
            }
            drawFinder(3, 3)
            drawFinder(size - 4, 3)
            drawFinder(3, size - 4)
            let positions = alignmentPositions
            for (i, x) in positions.enumerated() {
                for (j, y) in positions.enumerated() {
                    let corner = (i == 0 && j == 0) || (i == 0 && j == positions.count - 1) || (i == positions.count - 1 && j == 0)
                    if !corner { drawAlignment(x, y) }
                }
            }
            // Reserve the format areas (drawn for real once the mask is chosen), then the version.
            drawFormatBits(mask: 0)
            drawVersion()
        }

        private var alignmentPositions: [Int] {
            guard version > 1 else { return [] }
            let count = version / 7 + 2
            let step = version == 32 ? 26 : (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
            var result = [6]
            var position = size - 7
            for _ in 0..<(count - 1) {
                result.insert(position, at: 1)
                position -= step
            }
            return result
        }

        private mutating func drawFinder(_ centerX: Int, _ centerY: Int) {
            for dy in -4...4 {
                for dx in -4...4 {
                    let x = centerX + dx
                    let y = centerY + dy
                    guard x >= 0, x < size, y >= 0, y < size else { continue }
                    let distance = max(abs(dx), abs(dy))
                    set(x, y, distance != 2 && distance != 4)
                }
            }
        }

        private mutating func drawAlignment(_ centerX: Int, _ centerY: Int) {
            for dy in -2...2 {
                for dx in -2...2 { set(centerX + dx, centerY + dy, max(abs(dx), abs(dy)) != 1) }
            }
        }

        /// Level M (bits 00) and the mask, BCH-protected, in both copies; and the dark module.
        mutating func drawFormatBits(mask: Int) {
            let data = 0b00 << 3 | mask
            var remainder = data
            for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
            let bits = (data << 10 | remainder) ^ 0x5412
            func bit(_ index: Int) -> Bool { (bits >> index) & 1 != 0 }
            for index in 0...5 { set(8, index, bit(index)) }
            set(8, 7, bit(6))
            set(8, 8, bit(7))
            set(7, 8, bit(8))
            for index in 9..<15 { set(14 - index, 8, bit(index)) }
            for index in 0..<8 { set(size - 1 - index, 8, bit(index)) }
            for index in 8..<15 { set(8, size - 15 + index, bit(index)) }
            set(8, size - 8, true)
        }

        private mutating func drawVersion() {
            guard version >= 7 else { return }
            var remainder = version
            for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
            let bits = version << 12 | remainder
            for index in 0..<18 {
                let dark = (bits >> index) & 1 != 0
                let a = size - 11 + index % 3
                let b = index / 3
                set(a, b, dark)
                set(b, a, dark)
            }
        }

        /// The codewords' bits in the standard zig-zag, two columns at a time from the right.
        mutating func drawCodewords(_ codewords: [UInt8]) {
            var index = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                for vertical in 0..<size {
                    for column in 0..<2 {
                        let x = right - column
                        let upward = (right + 1) & 2 == 0
                        let y = upward ? size - 1 - vertical : vertical
                        if !isFunction[y * size + x], index < codewords.count * 8 {
                            modules[y * size + x] = (codewords[index >> 3] >> (7 - (index & 7))) & 1 != 0
                            index += 1
                        }
                    }
                }
                right -= 2
            }
        }

        mutating func applyMask(_ mask: Int) {
            for y in 0..<size {
                for x in 0..<size where !isFunction[y * size + x] {
                    let invert =
                        switch mask {
                        case 0: (x + y) % 2 == 0
                        case 1: y % 2 == 0
                        case 2: x % 3 == 0
                        case 3: (x + y) % 3 == 0
                        case 4: (x / 3 + y / 2) % 2 == 0
                        case 5: x * y % 2 + x * y % 3 == 0
                        case 6: (x * y % 2 + x * y % 3) % 2 == 0
                        default: ((x + y) % 2 + x * y % 3) % 2 == 0
                        }
                    if invert { modules[y * size + x].toggle() }
                }
            }
        }

        /// The standard's four penalty rules: long runs, 2×2 blocks, finder-like patterns, imbalance.
        func penalty() -> Int {
            var score = 0
            for line in 0..<size {
                for horizontal in [true, false] {
                    let cell: (Int) -> Bool = { horizontal ? dark($0, line) : dark(line, $0) }
                    var run = 1
                    for index in 1..<size {
                        if cell(index) == cell(index - 1) {
                            run += 1
                            if run == 5 { score += 3 } else if run > 5 { score += 1 }
                        } else {
                            run = 1
                        }
                    }
                    // 1:1:3:1:1 with four light modules on one side.
                    let pattern: [Bool] = [true, false, true, true, true, false, true]
                    for start in 0...(size - 7) where (0..<7).allSatisfy({ cell(start + $0) == pattern[$0] }) {
                        let before = (max(0, start - 4)..<start).allSatisfy { !cell($0) } && start >= 4
                        let after = (start + 7..<min(size, start + 11)).allSatisfy { !cell($0) } && start + 11 <= size
                        if before || after { score += 40 }
                    }
                }
            }
            for y in 0..<(size - 1) {
                for x in 0..<(size - 1) {
                    let color = dark(x, y)
                    if dark(x + 1, y) == color, dark(x, y + 1) == color, dark(x + 1, y + 1) == color { score += 3 }
                }
            }
            let darkCount = modules.count { $0 }
            let total = size * size
            score += abs(darkCount * 20 - total * 10) / total * 10
            return score
        }
    }
}

/// Bits appended most significant first.
private struct BitBuffer {
    private(set) var count = 0
    private(set) var bytes: [UInt8] = []

    mutating func append(_ value: Int, count length: Int) {
        for shift in stride(from: length - 1, through: 0, by: -1) {
            if count % 8 == 0 { bytes.append(0) }
            if (value >> shift) & 1 != 0 { bytes[count / 8] |= 0x80 >> UInt8(count % 8) }
            count += 1
        }
    }
}

/// Reed–Solomon error correction over GF(2⁸) with the QR polynomial 0x11D.
private enum ReedSolomon {
    static func divisor(degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for index in 0..<degree {
                result[index] = multiply(result[index], root)
                if index + 1 < degree { result[index] ^= result[index + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    static func remainder(_ data: [UInt8], divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for index in result.indices { result[index] ^= multiply(divisor[index], factor) }
        }
        return result
    }

    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var z = 0
        for shift in stride(from: 7, through: 0, by: -1) {
            z = (z << 1) ^ ((z >> 7) * 0x11D)
            z ^= Int((y >> UInt8(shift)) & 1) * Int(x)
        }
        return UInt8(z)
    }
}
