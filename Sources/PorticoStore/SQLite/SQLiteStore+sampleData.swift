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
            let deliveries = Dictionary(history.deliveries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for attempt in history.attempts {
                try attempt.insert(db)
                guard let delivery = deliveries[attempt.deliveryId] else { continue }
                try self.countAttempt(of: delivery, at: attempt.attemptedAt, succeeded: attempt.errorKind == nil, db)
            }
        }
        // Deliveries owed an attempt: let the dispatcher see when they fall due.
        if history.deliveries.contains(where: { $0.nextAttemptAt != nil }) { deliveriesQueued.fire() }
    }
}
