import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, with pipes for stdin, stdout
/// and stderr (or stderr joined to stdout).
///
/// Why not Foundation's `Process`: on Swift 6.3.1 for Linux its `run()`
/// over-reads a `dirent` while listing `/proc/self/fd` and now and then
/// crashes the whole test process with SIGSEGV (seen here twice in about 14
/// full runs; swiftlang/swift-corelibs-foundation#5472, fixed after 6.3.1),
/// and its SIGCHLD handling interrupts blocking reads on other threads, which
/// Foundation's `FileHandle` reads turn into a crash (`try!` on EINTR). Once
/// the toolchain carries the fix, `Process` can come back.
final class ChildProcess: @unchecked Sendable {
    enum Error: Swift.Error, CustomStringConvertible {
        case spawn(String, Int32)
        var description: String {
            switch self {
            case .spawn(let path, let code): "could not start \(path): \(String(cString: strerror(code)))"
            }
        }
    }

    let pid: pid_t
    /// Writes to the child's stdin; nil when stdin is /dev/null.
    let stdin: FileHandle?
    let stdout: FileHandle
    /// Nil when stderr goes to stdout.
    let stderr: FileHandle?
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// - Parameters:
    ///   - withStdin: give the child a pipe on stdin (else /dev/null).
    ///   - joinStderr: send the child's stderr into its stdout pipe.
    init(_ executable: String, _ arguments: [String], environment: [String: String], withStdin: Bool = false, joinStderr: Bool = false) throws {
        let output = try Self.pipe()
        let errors = joinStderr ? nil : try Self.pipe()
        let input = withStdin ? try Self.pipe() : nil

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input {
            posix_spawn_file_actions_adddup2(&actions, input.read, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errors?.write ?? output.write, 2)
        // Every other descriptor of this process (other tests' sockets and
        // pipes) stays out of the child, or a pipe would never see its EOF.
        _ = Self.closeFrom?(&actions, 3)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        for fd in [output.write, errors?.write, input?.read].compactMap({ $0 }) { close(fd) }
        guard code == 0 else {
            for fd in [output.read, errors?.read, input?.write].compactMap({ $0 }) { close(fd) }
            throw Error.spawn(executable, code)
        }
        self.pid = pid
        stdout = FileHandle(fileDescriptor: output.read, closeOnDealloc: true)
        stderr = errors.map { FileHandle(fileDescriptor: $0.read, closeOnDealloc: true) }
        stdin = input.map { FileHandle(fileDescriptor: $0.write, closeOnDealloc: true) }
    }

    /// Runs to completion: writes `input` to stdin, collects stdout and stderr (read concurrently so
    /// neither pipe fills). Waits on a thread of its own (see `offPool`).
    static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        input: Data? = nil,
        joinStderr: Bool = false
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await offPool { try runBlocking(executable, arguments, environment: environment, input: input, joinStderr: joinStderr) }
    }

    /// `run`, blocking the calling thread: only for where no task runs (a trait's condition).
    static func runBlocking(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        input: Data? = nil,
        joinStderr: Bool = false
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try ChildProcess(executable, arguments, environment: environment, withStdin: true, joinStderr: joinStderr)
        let errors = child.stderr.map { Drain($0) }
        if let input, !input.isEmpty { child.stdin?.writeAll(input) }
        try child.stdin?.close()
        let output = child.stdout.readAll()
        return (child.wait(), String(decoding: output, as: UTF8.self), String(decoding: errors?.finish() ?? Data(), as: UTF8.self))
    }

    /// Reads a pipe to its end on a thread of its own.
    final class Drain: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                data = handle.readAll()
                done.signal()
            }
        }

        /// Waits for end of file; everything read.
        func finish() -> Data {
            done.wait()
            return data
        }
    }

    var isRunning: Bool {
        lock.withLock {
            guard exitStatus == nil else { return false }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { exitStatus = Self.decode(status) }
            return result == 0
        }
    }

    /// Waits for exit off the cooperative pool; the exit code, or the signal's number when a signal ended it.
    @discardableResult
    func exited() async -> Int32 {
        await offPool { self.wait() }
    }

    /// Reads stdout up to the next newline, off the cooperative pool.
    func stdoutLine() async -> String {
        await offPool { String(decoding: self.stdout.readLine(), as: UTF8.self) }
    }

    /// Waits for exit, blocking the thread; the exit code, or the signal's number when a signal ended it (as `Process.terminationStatus`).
    @discardableResult
    func wait() -> Int32 {
        lock.withLock {
            if let exitStatus { return exitStatus }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let decoded = Self.decode(status)
            exitStatus = decoded
            return decoded
        }
    }

    func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            wait()
        }
    }

    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : signal
    }

    private static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else { throw Error.spawn("pipe", errno) }
        // Close-on-exec, so no other child inherits this pair (Glibc's module has no pipe2).
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), looked up at run time because Swift's Glibc module does not declare it.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()
}
