import Foundation
import GRDB
import PorticoCore
import Testing

@testable import PorticoStore

/// Records decoded by position must be selected in that order everywhere,
/// the query interface included (`PositionalRecord.databaseSelection`), and
/// read the same from GRDB's rows as from a statement stepped by hand.
struct PositionalRecordTests {
    @Test func theQueryInterfaceSelectsTheRecordsColumnsInOrder() throws {
        for (selection, columns) in [
            (CustomerRecord.databaseSelection, CustomerRecord.columns),
            (EventRecord.databaseSelection, EventRecord.columns),
        ] {
            let names = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(selection.compactMap { ($0 as? Column)?.name } == names)
        }
    }

    @Test func aStatementSteppedByHandReadsTheSameRecordsAsGRDBsRows() async throws {
        let store = try SQLiteStore(configuration: StoreConfiguration(path: MigrationTests.temporaryPath()))
        defer { try? store.close() }
        let scope = TenantScope(organizationId: "org_1", livemode: false)
        // Text a careless length would cut short: empty, quotes, multi-byte characters.
        let tricky = "\"ünïcode\" — 日本語 ✓"
        let customers = [
            CustomerRecord(
                id: "cus_1",
                organizationId: scope.organizationId,
                livemode: false,
                name: tricky,
                email: "",
                description: "d",
                metadata: #"{"k":"v"}"#,
                createdAt: 1_700_000_000_000,
                updatedAt: Int64.max
            ),
            CustomerRecord(
                id: "cus_2",
                organizationId: scope.organizationId,
                livemode: false,
                name: nil,
                email: nil,
                description: nil,
                metadata: "{}",
                createdAt: -1,
                updatedAt: 0
            ),
        ]
        let event = EventRecord(
            id: "evt_1",
            organizationId: scope.organizationId,
            livemode: true,
            type: "customer.created",
            data: #"{"object":{"name":"\#(tricky)"}}"#,
            requestId: nil,
            createdAt: 42
        )
        try await store.pool.write { db in
            try db.execute(sql: "INSERT INTO organizations (id, name, created_at) VALUES (?, 'Org', 0)", arguments: [scope.organizationId])
            for customer in customers { try customer.insert(db) }
            try event.insert(db)
        }
        try await store.pool.read { db in
            let sql = "SELECT \(CustomerRecord.columns) FROM customers ORDER BY id"
            let byHand = try db.makeStatement(sql: sql).rows(arguments: [], CustomerRecord.init(columns:))
            #expect(byHand == customers)
            #expect(try CustomerRecord.fetchAll(db, sql: sql) == customers)
            let events = try db.makeStatement(sql: "SELECT \(EventRecord.columns) FROM events").rows(arguments: [], EventRecord.init(columns:))
            #expect(events == [event])
            #expect(try EventRecord.fetchAll(db, sql: "SELECT \(EventRecord.columns) FROM events") == [event])
        }
    }

    @Test func aRequestLogRowReadsTheSameByHandAsThroughGRDB() async throws {
        let store = try SQLiteStore(configuration: StoreConfiguration(path: MigrationTests.temporaryPath()))
        defer { try? store.close() }
        let name = RequestLogPartition.name(start: 0)
        // Every nullable column set in one row and NULL in the other (an unauthenticated request).
        let entries = [
            RequestLogEntry(
                id: 1,
                createdAt: 1_700_000_000_123,
                requestId: "req_1",
                organizationId: "org_1",
                livemode: false,
                keyId: "key_1",
                method: "POST",
                path: "/v1/customers?ü=1",
                route: "/v1/customers",
                status: 201,
                durationMicroseconds: 1_234,
                ip: "::1",
                userAgent: "curl/8 \"quoted\"",
                requestBody: #"{"name":"日本語"}"#,
                responseBody: ""
            ),
            RequestLogEntry(
                id: 2,
                createdAt: 1_700_000_000_124,
                requestId: "req_2",
                organizationId: nil,
                livemode: nil,
                keyId: nil,
                method: "GET",
                path: "/v1/nothing",
                route: nil,
                status: 401,
                durationMicroseconds: 0,
                ip: nil,
                userAgent: nil
            ),
        ]
        try await store.pool.write { db in
            try db.execute(sql: RequestLogPartition.createSQL(name))
            let insert = try db.makeStatement(
                sql: "INSERT INTO \(name) (\(RequestLogEntry.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            )
            for entry in entries { try entry.insert(as: entry.id, with: insert) }
        }
        try await store.pool.read { db in
            let sql = "SELECT \(RequestLogEntry.columns) FROM \(name) ORDER BY id"
            let byHand = try db.makeStatement(sql: sql).rows(arguments: [], RequestLogEntry.init(columns:))
            let throughGRDB = try RequestLogEntry.fetchAll(db, sql: sql)
            #expect(byHand == entries)
            #expect(throughGRDB == entries)
        }
    }

    @Test func aStatementThatFailsWhileSteppedThrowsAndCanRunAgain() async throws {
        let queue = try DatabaseQueue()
        try await queue.read { db in
            // abs() of the smallest integer overflows when the row is stepped, not when it is prepared.
            let statement = try db.makeStatement(sql: "SELECT abs(?)")
            #expect(throws: DatabaseError.self) { try statement.rows(arguments: [Int64.min]) { $0.integer(0) } }
            #expect(try statement.rows(arguments: [-3]) { $0.integer(0) } == [3])
        }
    }

    @Test func aReadThatThrowsLeavesItsConnectionOutsideATransaction() async throws {
        let store = try SQLiteStore(configuration: StoreConfiguration(path: MigrationTests.temporaryPath()))
        defer { try? store.close() }
        struct Refused: Error {}
        // More failed reads than the pool has connections, so every reader has ended one that way.
        for _ in 0..<16 {
            await #expect(throws: Refused.self) {
                try await store.read { db in
                    _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM organizations")
                    throw Refused()
                }
            }
        }
        try await store.pool.write { db in
            try db.execute(sql: "INSERT INTO organizations (id, name, created_at) VALUES ('org_new', 'New', 0)")
        }
        // A connection left inside its transaction would refuse the next BEGIN, or read its old snapshot.
        for _ in 0..<16 {
            let count = try await store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM organizations") }
            #expect(count == 1)
            #expect(try await store.read { db in db.isInsideTransaction })
        }
    }
}
