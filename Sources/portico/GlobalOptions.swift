import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PorticoApp
import ServiceLifecycle

/// Options every command that opens the database accepts.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Path to a JSON config file (see config.example.json). Also PORTICO_CONFIG.")
    var config: String?

    @Option(name: .long, help: "SQLite database file; overrides database.path.")
    var database: String?

    /// Defaults, then the config file, then PORTICO_* variables, then flags.
    func loadConfig() throws -> PorticoConfig {
        let environment = ProcessInfo.processInfo.environment
        var loaded: PorticoConfig
        do {
            loaded = try ConfigLoader.load(file: config ?? environment["PORTICO_CONFIG"], environment: environment)
        } catch let error as ConfigError {
            CLI.fail("invalid configuration: \(error.description)")
        }
        if let database { loaded.database.path = database }
        return loaded
    }

    /// Loads config, sets up logging and opens (and migrates) the database.
    /// `existing` refuses to create a new file (`check` and `backup` of a mistyped path).
    /// SIGHUP reads the gateway section again: from `gatewayFile` when given
    /// (`sandbox --gateway-config`), else from the config file and environment.
    func openRuntime(
        migrate: Bool = true,
        existing: Bool = false,
        sandbox: Bool = false,
        server: Bool = false,
        gatewayFile: String? = nil,
        adjust: (inout PorticoConfig) -> Void = { _ in }
    ) async throws -> PorticoRuntime {
        var config = try loadConfig()
        let environment = ProcessInfo.processInfo.environment
        let file = self.config ?? environment["PORTICO_CONFIG"]
        let maxBodyBytes = config.server.maxBodyBytes
        let reload: @Sendable () throws -> GatewayConfig =
            if let gatewayFile {
                { try ConfigLoader.loadGateway(file: gatewayFile, serverMaxBodyBytes: maxBodyBytes) }
            } else {
                { try ConfigLoader.load(file: file, environment: environment).gateway }
            }
        if gatewayFile != nil {
            do {
                config.gateway = try reload()
            } catch let error as ConfigError {
                CLI.fail("invalid gateway configuration: \(error.description)")
            }
        }
        adjust(&config)
        let engine = try config.databaseEngine
        if case .sqlite(let path) = engine {
            if existing, !FileManager.default.fileExists(atPath: path) {
                CLI.fail("no database at \(path)", code: 1)
            }
            // One server per SQLite file; on PostgreSQL several share one database (docs/scaling.md).
            if server { CLI.holdDatabaseLock(path) }
        }
        let logger = CLI.bootstrapLogging(config)
        do {
            return try await PorticoRuntime.open(config: config, logger: logger, sandbox: sandbox, migrate: migrate, gatewaySource: reload)
        } catch {
            if let failure = StartupFailure.storageUnavailable(config.database.path, error) ?? StartupFailure.schemaNewer(error) {
                CLI.fail(failure)
            }
            CLI.fail("cannot open database \(engine.description): \(String(reflecting: error))")
        }
    }
}

enum CLI {
    /// Prints to stderr and exits non-zero: the CLI's one way to fail.
    static func fail(_ message: String, code: Int32 = 2) -> Never {
        try? FileHandle.standardError.write(contentsOf: Data("portico: \(message)\n".utf8))
        exit(code)
    }

    /// The shared lock a server holds on its database for its whole life
    /// (`DatabaseLock`), taken before the database is opened or migrated.
    nonisolated(unsafe) private static var databaseLock: DatabaseLock?

    static func holdDatabaseLock(_ path: String) {
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            // An empty file is an empty SQLite database; made private, as the data it will hold is.
            if !manager.fileExists(atPath: path) { _ = manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) }
            guard let lock = try DatabaseLock.shared(path: path) else {
                fail("a restore is replacing \(path); start again once it has finished", code: 1)
            }
            databaseLock = lock
        } catch {
            fail("cannot open database \(path): \(error)", code: 4)
        }
    }

    static func fail(_ failure: StartupFailure) -> Never {
        fail(failure.description, code: failure.exitStatus)
    }

    /// Builds and runs a server until it is signalled; a start-up failure (the
    /// port is taken, the disk is full) ends the process with its own status and one line.
    static func serve(
        _ runtime: PorticoRuntime,
        watchers: [any Service] = [],
        _ build: () async throws -> some ApplicationProtocol
    ) async throws {
        do {
            try await runUntilSignalled(try await build(), runtime: runtime, watchers: watchers)
        } catch let failure as StartupFailure {
            fail(failure)
        } catch {
            if let failure = StartupFailure.storageUnavailable(runtime.config.database.path, error) { fail(failure) }
            throw error
        }
    }

    /// Writes one line to stdout unbuffered (callers parse it the moment it appears).
    static func printLine(_ line: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data((line + "\n").utf8))
    }

    static func printError(_ message: String) {
        try? FileHandle.standardError.write(contentsOf: Data("\(message)\n".utf8))
    }

    nonisolated(unsafe) private static var loggingBootstrapped = false

    static func bootstrapLogging(_ config: PorticoConfig) -> Logger {
        let level = config.logLevel
        if !loggingBootstrapped {
            loggingBootstrapped = true
            let json = config.logging.format == "json"
            LoggingSystem.bootstrap { label in
                var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        var logger = Logger(label: "portico")
        logger.logLevel = level
        return logger
    }
}
