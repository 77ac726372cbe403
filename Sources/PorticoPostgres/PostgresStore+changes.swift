import Foundation
import Logging
import PorticoCore
import PorticoStore
import PostgresNIO

/// What one instance tells the others sharing the database when it commits.
package enum StoreChange: String, Sendable, CaseIterable {
    /// Deliveries were queued or made due: dispatchers look now.
    case deliveries
    /// Mail was queued: mailers look now.
    case mail
    /// A key or an organization changed (created, revoked, rolled, suspended, plan or
    /// settings): key caches drop what they hold.
    case keys
    /// An operator reloaded the configuration (SIGHUP) on one instance: the others read
    /// theirs again too. Sent with the sender's `instanceID` (`configuration:ID`), so the
    /// sender does not reload a second time.
    case configuration
}

extension PostgresStore {
    /// Queues a mail inside the caller's transaction; mailers wake once it commits.
    func queueMail(_ mail: MailRecord, _ connection: PostgresConnection) async throws {
        try await connection.insert(mail, logger: logger)
        Self.afterCommit?.note(.mail)
    }

    /// Follows every instance's commits (this one's too) on `changeChannel` until cancelled:
    /// queued deliveries and mail wake this instance's dispatcher and mailer, and a key
    /// change calls `keysChanged` (the key cache). A lost connection is opened again after a
    /// second; since a notification sent meanwhile is lost, every waiter is woken and
    /// `keysChanged` called once the listener is back (what was missed is looked at anew).
    package func followChanges(
        keysChanged: @escaping @Sendable () async -> Void,
        configurationChanged: @escaping @Sendable () async -> Void = {}
    ) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.changeChannel) { notifications in
                        // Listening now: anything committed while we were not is picked up by looking again.
                        deliveriesQueued.fire()
                        mailQueued.fire()
                        await keysChanged()
                        for try await notification in notifications {
                            if notification.payload.hasPrefix(StoreChange.configuration.rawValue + ":") {
                                if notification.payload != Self.configurationPayload(instanceID) { await configurationChanged() }
                                continue
                            }
                            guard let change = StoreChange(rawValue: notification.payload) else { continue }
                            if let signal = signal(for: change) { signal.fire() } else { await keysChanged() }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("change listener lost its connection; listening again", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Tells every other instance to read its configuration again (after this one did, on SIGHUP).
    package func announceConfigurationReload() async throws {
        _ = try await read { connection in
            try await connection.run("SELECT pg_notify(\(Self.changeChannel), \(Self.configurationPayload(instanceID)))", logger: logger)
        }
    }

    private static func configurationPayload(_ instanceID: String) -> String { "\(StoreChange.configuration.rawValue):\(instanceID)" }
}
