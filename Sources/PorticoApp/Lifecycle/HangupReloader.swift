import PorticoPostgres
import ServiceLifecycle
import UnixSignals

/// SIGHUP: reloads the gateway's routes and, when Portico serves HTTPS, the
/// certificate and key. Each is reloaded on its own; one that cannot be read
/// is logged and the running one stays in force: a typo or a half-written
/// renewal never takes the API down. On PostgreSQL the other instances are
/// told, and each reloads its own configuration too (`ChangeFeed`).
struct HangupReloader: Service {
    let reload: ConfigurationReload

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            reload.run()
            guard let store = reload.runtime.store as? PostgresStore else { continue }
            do {
                try await store.announceConfigurationReload()
            } catch {
                reload.runtime.logger.error("other instances not told of the reload; send them SIGHUP", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// What a SIGHUP reloads: the gateway's routes, and the TLS certificate when Portico serves HTTPS.
struct ConfigurationReload: Sendable {
    let runtime: PorticoRuntime
    let tls: ServerTLS?

    func run() {
        do {
            try runtime.reloadGateway()
        } catch {
            runtime.logger.error("gateway configuration not reloaded; the running routes stay", metadata: ["error": "\(error)"])
        }
        guard let tls else { return }
        do {
            try tls.reload()
            runtime.logger.notice("TLS certificate reloaded", metadata: ["certificate": "\(tls.certificatePath)"])
        } catch {
            runtime.logger.error("TLS certificate not reloaded; the running one stays", metadata: ["error": "\(error)"])
        }
    }
}
