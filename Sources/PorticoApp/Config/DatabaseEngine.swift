import PorticoPostgres

/// The storage engine `database.url` names: the embedded SQLite file (the
/// default, and the sandbox's), or a PostgreSQL database several instances
/// share (docs/scaling.md).
package enum DatabaseEngine: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresURL)

    /// `url` nil: SQLite at `path`. `sqlite:PATH` is SQLite at PATH; `postgres://…` PostgreSQL.
    init(url: String?, path: String) throws {
        guard let url else {
            self = .sqlite(path: path)
            return
        }
        if url.hasPrefix("sqlite:") {
            let file = String(url.dropFirst("sqlite:".count))
            guard !file.isEmpty else { throw PostgresURL.ParseError("sqlite: needs a path (sqlite:portico.sqlite)") }
            self = .sqlite(path: file)
        } else {
            self = .postgres(try PostgresURL(url))
        }
    }

    /// The PostgreSQL database's name; nil on SQLite.
    package var postgresDatabase: String? {
        if case .postgres(let url) = self { url.database } else { nil }
    }

    /// What logs and errors name (never a password).
    package var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): url.description
        }
    }
}
