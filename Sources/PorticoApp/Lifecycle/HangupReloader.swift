import ServiceLifecycle
import UnixSignals

/// SIGHUP: reloads the gateway's routes and, when Portico serves HTTPS, the
/// certificate and key. Each is reloaded on its own; one that cannot be read
/// is logged and the running one stays in force: a typo or a half-written
/// renewal never takes the API down.
struct HangupReloader: Service {
    let runtime: PorticoRuntime
    let tls: ServerTLS?

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            do {
                try runtime.reloadGateway()
            } catch {
                runtime.logger.error("gateway configuration not reloaded; the running routes stay", metadata: ["error": "\(error)"])
            }
            guard let tls else { continue }
            do {
                try tls.reload()
                runtime.logger.notice("TLS certificate reloaded", metadata: ["certificate": "\(tls.certificatePath)"])
            } catch {
                runtime.logger.error("TLS certificate not reloaded; the running one stays", metadata: ["error": "\(error)"])
            }
        }
    }
}
