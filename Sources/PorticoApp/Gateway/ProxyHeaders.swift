import HTTPTypes
import NIOHTTP1
import PorticoCore

extension HTTPField.Name {
    static let porticoUsage = Self("Portico-Usage")!
    static let porticoIdentity = Self("Portico-Identity")!
    static let porticoOrganization = Self("Portico-Organization")!
    static let porticoMode = Self("Portico-Mode")!
    static let porticoKeyID = Self("Portico-Key-Id")!
    static let porticoTestOutcome = Self(ForcedOutcome.headerName)!
}

/// Which headers a proxy must not pass on (RFC 9110 §7.6.1) and which the
/// gateway sets itself.
enum ProxyHeaders {
    /// Hop-by-hop headers: meaningful for one connection only.
    static let hopByHop: Set<HTTPField.Name> = [
        .connection, HTTPField.Name("Keep-Alive")!, HTTPField.Name("Proxy-Authenticate")!, HTTPField.Name("Proxy-Authorization")!, .te, .trailer,
        .transferEncoding, .upgrade, HTTPField.Name("Proxy-Connection")!,
    ]

    /// Request headers the upstream never gets from the client: its credentials, its cookies
    /// (Portico's dashboard session shares the host), and what the gateway itself asserts.
    static let neverForwarded: Set<HTTPField.Name> = [
        .authorization, .cookie, .expect,
        .porticoIdentity, .porticoOrganization, .porticoMode, .porticoKeyID, .porticoTestOutcome, .requestID,
        HTTPField.Name("Portico-Version")!, HTTPField.Name("Forwarded")!, HTTPField.Name("X-Forwarded-For")!,
        HTTPField.Name("X-Forwarded-Proto")!, HTTPField.Name("X-Forwarded-Host")!,
    ]

    /// The hop-by-hop set plus the headers a `Connection` header names.
    static func hopByHop(_ fields: HTTPFields) -> Set<HTTPField.Name> {
        guard let connection = fields[.connection] else { return hopByHop }
        return hopByHop.union(named(connection))
    }

    static func hopByHop(_ headers: HTTPHeaders) -> Set<HTTPField.Name> {
        guard headers.contains(name: "connection") else { return hopByHop }
        let listed = headers[canonicalForm: "Connection"].flatMap { named(String($0)) }
        return listed.isEmpty ? hopByHop : hopByHop.union(listed)
    }

    private static func named(_ connection: String) -> [HTTPField.Name] {
        connection.split(separator: ",").compactMap { HTTPField.Name($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// RFC 7239: `for` is the client's address (quoted, bracketed when IPv6).
    static func forwarded(for client: String, host: String, proto: String) -> String {
        let node = client.contains(":") ? "\"[\(client)]\"" : client
        var value = "for=\(node);proto=\(proto)"
        if !host.isEmpty { value += ";host=\"\(host.replacingOccurrences(of: "\"", with: ""))\"" }
        return value
    }
}
