import GRDB
import PorticoCore

extension SQLiteStore: SampleDataStore {
    package func insertSampleHistory(_ history: SampleHistory) async throws {
        try await writeTransaction { db in
            if let organization = history.organizationCreatedAt {
                try db.execute(sql: "UPDATE organizations SET created_at = ? WHERE id = ?", arguments: [organization.at, organization.id])
            }
            for customer in history.customers { try customer.insert(db) }
            for endpoint in history.endpoints { try endpoint.insert(db) }
            for event in history.events { try event.insert(db) }
            for delivery in history.deliveries { try delivery.insert(db) }
            for attempt in history.attempts { try attempt.insert(db) }
        }
        // Deliveries owed an attempt: let the dispatcher see when they fall due.
        if history.deliveries.contains(where: { $0.nextAttemptAt != nil }) { deliveriesQueued.fire() }
    }
}
