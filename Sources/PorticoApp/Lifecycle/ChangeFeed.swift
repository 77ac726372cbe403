import PorticoPostgres
import ServiceLifecycle

/// Follows the other instances sharing a PostgreSQL database (`LISTEN`): their queued
/// deliveries and mail wake this instance's dispatcher and mailer, and a key or
/// organization changed anywhere clears this instance's key cache at once, rather than at
/// its next `keys.cache_refresh_ms` poll; a SIGHUP sent to another instance reloads this
/// one's configuration too (docs/scaling.md).
struct ChangeFeed: Service {
    let store: PostgresStore
    let authenticator: KeyAuthenticator
    /// Another instance was sent SIGHUP: this one reads its configuration again as well.
    let reload: ConfigurationReload

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await store.followChanges(
                keysChanged: { [authenticator] in authenticator.invalidate() },
                configurationChanged: { [reload] in reload.run() }
            )
        }
    }
}
