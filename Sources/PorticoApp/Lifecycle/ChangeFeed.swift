import PorticoPostgres
import ServiceLifecycle

/// Follows the other instances sharing a PostgreSQL database (`LISTEN`): their queued
/// deliveries and mail wake this instance's dispatcher and mailer, and a key or
/// organization changed anywhere clears this instance's key cache at once, rather than at
/// its next `keys.cache_refresh_ms` poll (docs/scaling.md).
struct ChangeFeed: Service {
    let store: PostgresStore
    let authenticator: KeyAuthenticator

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await store.followChanges { [authenticator] in authenticator.invalidate() }
        }
    }
}
