import PorticoStore

/// Every contract, as the SQLite engine provides them (docs/scaling.md).
extension PostgresStore: AccountStore, KeyStore, CustomerStore, IdempotencyStore, WebhookStore, RequestLogStore, BillingStore, SessionStore,
    AuditStore, GatewayKeyStore, PlatformStore, StaffStore, TwoFactorStore, ConsoleStore, MailStore, AlertStore, SampleDataStore, RetentionStore,
    ErasureStore, StorageMaintenance
{}
