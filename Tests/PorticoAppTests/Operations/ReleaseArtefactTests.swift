import Foundation
import Testing

@testable import PorticoApp

/// `Scripts/release.sh` makes one file that runs on a machine without Swift:
/// the artefact is run in a mount namespace where the toolchain's directory
/// is an empty tmpfs, and must answer `/healthz`.
///
/// The release build takes minutes (most of it the first time, in
/// `.build-release`); it runs at the lowest CPU priority so the rest of
/// the suite, running beside it, is not slowed.
@Suite(.requires(.mountNamespace))
struct ReleaseArtefactTests {
    /// Libraries every Debian or Ubuntu machine has, plus libsqlite3 (the one package to install).
    static let systemLibraries: Set<String> = [
        "linux-vdso.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "libc.so.6", "libm.so.6", "libdl.so.2",
        "libpthread.so.0", "librt.so.1", "libutil.so.1", "libstdc++.so.6", "libgcc_s.so.1", "libz.so.1", "libsqlite3.so.0",
    ]

    /// The toolchain's root (`/opt/swift` for `/opt/swift/usr/bin/swift`).
    static func toolchainRoot() throws -> String {
        let swift = try #require(OutsideTool.executable("swift"), "swift on PATH")
        return URL(fileURLWithPath: swift).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    @Test func theArtefactServesWithTheSwiftToolchainOutOfReach() async throws {
        let directory = try PorticoProcess.temporaryDirectory("release")
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = PorticoProcess.repositoryRoot.appendingPathComponent("Scripts/release.sh").path
        let build = try await ChildProcess.run(
            "/usr/bin/nice",
            ["-n", "19", "bash", script, "--output", directory.path],
            environment: ProcessInfo.processInfo.environment,
            joinStderr: true
        )
        try #require(build.status == 0, "release.sh failed:\n\(build.stdout.suffix(4_000))")

        var arch = utsname()
        uname(&arch)
        let machine = withUnsafeBytes(of: &arch.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let artefact = directory.appendingPathComponent("portico-\(BuildInfo.version)-linux-\(machine)").path
        #expect(FileManager.default.isExecutableFile(atPath: artefact), "release.sh names the file portico-VERSION-linux-ARCH")

        // In a mount namespace of its own, the toolchain's directory is an empty tmpfs: a library
        // still needed from it would be "not found" and the process would not start.
        let toolchain = try Self.toolchainRoot()
        let database = directory.appendingPathComponent("portico.sqlite").path
        let inNamespace = """
            set -e
            mount -t tmpfs none "$1"
            ldd "$2" | sed 's/^/ldd: /'
            "$2" version
            exec "$2" serve --port 0 --database "$3"
            """
        let child = try ChildProcess(
            "/usr/bin/unshare",
            ["--mount", "--propagation", "private", "bash", "-c", inNamespace, "namespace", toolchain, artefact, database],
            environment: PorticoProcess.environment([:])
        )
        defer {
            child.signal(SIGTERM)
            Thread.detachNewThread { child.wait() }
        }
        var libraries: [String] = []
        var line = await child.stdoutLine()
        while line.hasPrefix("ldd: ") {
            libraries.append(String(line.dropFirst(5)).trimmingCharacters(in: .whitespaces))
            line = await child.stdoutLine()
        }
        let version = line
        #expect(version.hasPrefix("portico \(BuildInfo.version) (commit "), "\(version)")
        #expect(!version.contains("development build"), "a release names its commit: \(version)")

        #expect(!libraries.isEmpty)
        for library in libraries {
            let name = String(library.prefix { !$0.isWhitespace })
            #expect(Self.systemLibraries.contains((name as NSString).lastPathComponent), "needs \(library)")
            #expect(!library.contains("not found") && !library.contains(toolchain), "resolved outside the system: \(library)")
        }

        let banner = await child.stdoutLine()
        #expect(banner.hasPrefix("Portico is listening on http://127.0.0.1:"), "\(banner)")
        let url = String(banner.dropFirst("Portico is listening on ".count))
        let health = try await HTTP.exchange("GET", url + "/healthz")
        #expect(health.status == 200)
    }
}
