import Foundation
import PorticoTestSupport
import Testing

/// The engine the app suites run on: SQLite, or PostgreSQL when
/// `PORTICO_TEST_ENGINE=postgres` (.ci/run's second pass over the API,
/// webhook and dashboard suites). A test that reads the SQLite file itself
/// is `.enabled(if: TestEngine.isSQLite)`.
enum TestEngine {
    static let isPostgres = ProcessInfo.processInfo.environment["PORTICO_TEST_ENGINE"] == "postgres"
    static var isSQLite: Bool { !isPostgres }
}
