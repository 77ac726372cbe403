import ServiceLifecycle
import UnixSignals

/// Reloads the gateway's routes on SIGHUP. An invalid section is logged
/// and the running routes stay in force: a typo never takes the API down.
struct GatewayReloader: Service {
    let runtime: PorticoRuntime

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            do {
                try runtime.reloadGateway()
            } catch {
                runtime.logger.error("gateway configuration not reloaded; the running routes stay", metadata: ["error": "\(error)"])
            }
        }
    }
}
