import Foundation
import Testing

/// The tree follows `.swift-format` (Hummingbird's house format): run
/// `swift format -i -r Sources Tests Benchmarks Package.swift` to fix it.
struct SourceFormatTests {
    @Test func everySwiftFileIsFormatted() async throws {
        let root = PorticoProcess.repositoryRoot
        let paths = ["Sources", "Tests", "Benchmarks", "Package.swift"].map { root.appendingPathComponent($0).path }
        let lint = try await ChildProcess.run("/usr/bin/env", ["swift", "format", "lint", "--strict", "-r"] + paths, joinStderr: true)
        #expect(lint.status == 0, "swift format lint:\n\(lint.stdout)")
    }
}
