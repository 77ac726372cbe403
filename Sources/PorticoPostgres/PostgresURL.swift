import Foundation

/// Where the PostgreSQL engine connects: `postgres://user[:password]@host[:port]/database[?sslmode=…]`.
///
/// The password is best kept out of the URL (and so out of the config file
/// and `ps`): without one, `PGPASSWORD` is used, then the first matching
/// line of `PGPASSFILE` or `~/.pgpass` (`host:port:database:user:password`,
/// `*` matching anything), as libpq does.
package struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    package enum TLSMode: String, Sendable {
        /// Plain TCP (loopback, a private network, a Unix socket).
        case disable
        /// TLS when the server offers it.
        case prefer
        /// TLS or no connection; the server's certificate is verified against the system's roots.
        case require
    }

    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String
    package var tls: TLSMode

    package init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String, tls: TLSMode = .prefer) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Parses the URL; the message of a thrown `ParseError` names what is wrong, never the password.
    package init(_ string: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let components = URLComponents(string: string), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw ParseError("database.url must start with postgres:// (or sqlite: for the embedded engine)")
        }
        guard let host = components.host, !host.isEmpty else { throw ParseError("database.url names no host") }
        guard let user = components.user, !user.isEmpty else { throw ParseError("database.url names no user (postgres://USER@host/database)") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw ParseError("database.url names no database (postgres://user@host/DATABASE)") }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw ParseError("database.url's sslmode must be disable, prefer or require")
                }
                tls = mode
            default: throw ParseError("database.url has an unknown parameter \(item.name) (only sslmode is understood)")
            }
        }
        let port = components.port ?? 5432
        self.init(host: host, port: port, user: user, password: components.password, database: database, tls: tls)
        if password == nil { password = Self.passwordFromEnvironment(for: self, environment: environment) }
    }

    package struct ParseError: Error, CustomStringConvertible {
        package let description: String
        package init(_ description: String) { self.description = description }
    }

    /// The URL without its password (logs, errors, `portico check`).
    package var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (tls == .prefer ? "" : "?sslmode=\(tls.rawValue)")
    }

    static func passwordFromEnvironment(for url: PostgresURL, environment: [String: String]) -> String? {
        if let password = environment["PGPASSWORD"], !password.isEmpty { return password }
        let path = environment["PGPASSFILE"] ?? environment["HOME"].map { $0 + "/.pgpass" }
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return passFileLookup(text, for: url)
    }

    /// The password of the first `.pgpass` line matching `url` (`\:` and `\\` escape).
    static func passFileLookup(_ text: String, for url: PostgresURL) -> String? {
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            var fields: [String] = []
            var field = ""
            var escaped = false
            for character in line {
                if escaped {
                    field.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == ":" && fields.count < 4 {
                    fields.append(field)
                    field = ""
                } else {
                    field.append(character)
                }
            }
            fields.append(field)
            guard fields.count == 5 else { continue }
            let wanted = [url.host, String(url.port), url.database, url.user]
            if zip(fields, wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }
}
