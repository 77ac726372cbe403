import PorticoCore

/// Events and webhooks: events and their fan-out to endpoints, endpoints,
/// deliveries and their attempts, replays, and the dispatcher's work queue.
package protocol WebhookStore: Sendable {
    /// Fired after every commit that queued deliveries (the dispatcher waits on it).
    var deliveriesQueued: WakeSignal { get }

    // MARK: Events

    /// Inserts the event and one pending delivery per enabled endpoint of its
    /// tenant subscribed to its type (or only to `endpoint`); returns how many were queued.
    @discardableResult
    func insertEvent(
        _ event: EventRecord,
        onlyTo endpoint: WebhookEndpointRecord?,
        completing completion: IdempotentCompletion<Int>?
    ) async throws
        -> Int
    func event(id: String, scope: TenantScope) async throws -> EventRecord?
    func events(scope: TenantScope, filter: EventFilter, page: PageRequest) async throws -> Page<EventRecord>
    /// Deletes events created before `cutoff`, with their deliveries and attempts; returns how many
    /// events. An event that a delivery is still owed for (a retry is scheduled) stays.
    func pruneEvents(before cutoff: Int64) async throws -> Int

    // MARK: Endpoints

    func insertEndpoint(_ endpoint: WebhookEndpointRecord, audit: AuditEntryRecord, completing completion: IdempotentCompletion<Void>?) async throws
    func endpoint(id: String, scope: TenantScope) async throws -> WebhookEndpointRecord?
    func endpoints(scope: TenantScope, page: PageRequest) async throws -> Page<WebhookEndpointRecord>
    func endpointCount(scope: TenantScope) async throws -> Int
    /// Every tenant's endpoints whose URL starts with `prefix` (`portico listen`'s, to sweep the orphaned).
    func endpoints(urlPrefix prefix: String) async throws -> [WebhookEndpointRecord]
    /// Marks `portico listen` endpoints whose connection this instance holds as held at `at`
    /// (their `updated_at`): the sweep of every instance leaves an endpoint marked lately.
    func touchEndpoints(ids: [String], at: Int64) async throws
    /// Applies `change` and saves; audits only a real change. Disabling an
    /// endpoint makes the deliveries it still owes dead. Nil when there is no such endpoint.
    func updateEndpoint(
        id: String,
        scope: TenantScope,
        audit: AuditEntryRecord?,
        completing completion: IdempotentCompletion<WebhookEndpointRecord?>?,
        _ change: @escaping @Sendable (inout WebhookEndpointRecord) throws -> Void
    ) async throws -> WebhookEndpointRecord?
    /// Seals every signing secret not yet sealed (start-up); returns how many
    /// endpoints changed and whether any secret was sealed already.
    func sealEndpointSecrets(
        isSealed: @escaping @Sendable (String) -> Bool,
        seal: @escaping @Sendable (_ secret: String, _ endpointID: String) -> String
    ) async throws -> (sealed: Int, foundSealed: Bool)
    /// Deletes the endpoint with its deliveries and attempts; false when there is none.
    func deleteEndpoint(id: String, scope: TenantScope, audit: AuditEntryRecord) async throws -> Bool

    // MARK: Deliveries and replays

    func deliveries(scope: TenantScope, filter: DeliveryFilter, page: PageRequest) async throws -> Page<DeliveryView>
    /// One delivery and its attempts, oldest first.
    func delivery(id: String, scope: TenantScope) async throws -> (DeliveryView, [WebhookAttemptRecord])?
    /// Makes the delivery pending and due at `now`, unless its endpoint is disabled; nil when there is none.
    func retryDelivery(
        id: String,
        scope: TenantScope,
        now: Int64,
        completing completion: IdempotentCompletion<Result<DeliveryView, RetryRefusal>?>?
    ) async throws -> Result<DeliveryView, RetryRefusal>?
    func insertReplay(_ replay: WebhookReplayRecord, completing completion: IdempotentCompletion<Void>?) async throws
    func replay(id: String, scope: TenantScope) async throws -> WebhookReplayRecord?
    /// Replays left running (resumed at start).
    func runningReplays() async throws -> [WebhookReplayRecord]
    /// Re-queues up to `chunk` more of the replay's failed and dead deliveries
    /// after `cursor`; completes it when none are left. Returns the cursor to continue from, nil when done.
    func continueReplay(id: String, after cursor: String?, chunk: Int, now: Int64) async throws -> String?

    // MARK: Dispatch

    /// Due deliveries of enabled endpoints of active (not suspended) organizations (at most `perEndpoint` each, none of
    /// `excludingEndpoints`), of which `claim` picks those this dispatcher takes; their jobs and the next due time.
    /// A `portico listen` endpoint's (URL under `WebhookEndpointRecord.listenerURLPrefix`) are due only
    /// when it is one of `listeners`, those whose connection this instance holds: no other can send them.
    func claimDueWork(
        now: Int64,
        excludingEndpoints: Set<String>,
        listeners: Set<String>,
        perEndpoint: Int,
        claim: @escaping @Sendable ([(id: String, endpointId: String)]) -> [String]
    ) async throws -> DueWork
    /// Records finished attempts and applies each outcome to its delivery and
    /// endpoint, publishing the events it returns, in one transaction.
    func recordAttempts(_ outcomes: [AttemptOutcome]) async throws
    /// Attempts in `[from, until)`, succeeded and failed.
    func webhookAttemptStats(scope: TenantScope, from: Int64, until: Int64) async throws -> (succeeded: Int64, failed: Int64)
    /// Deliveries owed an attempt across every tenant, and the oldest due time (metrics).
    func deliveryBacklog() async throws -> (owed: Int, oldestDueAt: Int64?)
}

extension WebhookStore {
    /// `claimDueWork` for a dispatcher holding no `portico listen` connection.
    package func claimDueWork(
        now: Int64,
        excludingEndpoints: Set<String>,
        perEndpoint: Int,
        claim: @escaping @Sendable ([(id: String, endpointId: String)]) -> [String]
    ) async throws -> DueWork {
        try await claimDueWork(now: now, excludingEndpoints: excludingEndpoints, listeners: [], perEndpoint: perEndpoint, claim: claim)
    }

    @discardableResult
    package func insertEvent(_ event: EventRecord) async throws -> Int {
        try await insertEvent(event, onlyTo: nil, completing: nil)
    }

    package func insertEndpoint(_ endpoint: WebhookEndpointRecord, audit: AuditEntryRecord) async throws {
        try await insertEndpoint(endpoint, audit: audit, completing: nil)
    }

    package func updateEndpoint(
        id: String,
        scope: TenantScope,
        _ change: @escaping @Sendable (inout WebhookEndpointRecord) throws -> Void
    ) async throws -> WebhookEndpointRecord? {
        try await updateEndpoint(id: id, scope: scope, audit: nil, completing: nil, change)
    }
}
