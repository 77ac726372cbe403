import Crypto
import Foundation
import Hummingbird
import PorticoCore

/// The cookie side of a signed-in session, one rule for the dashboard's and
/// the console's: a random 256-bit token in an `HttpOnly`,
/// `SameSite=Strict` cookie (`__Host-` prefixed and `Secure` when
/// `server.public_url` is https; a browser refuses `__Host-` without
/// `Secure`), stored only as its SHA-256; a session ends after
/// `dashboard.session_idle_minutes` unused or `dashboard.session_absolute_hours`
/// after sign-in. Each area has its own cookie name and its own table, so a
/// token of one is worth nothing in the other.
struct SessionCookie: Sendable {
    let name: String
    let secure: Bool
    private let idleMilliseconds: Int64
    private let absoluteMilliseconds: Int64
    /// Last-seen times are written at most this often per session (a page view is not worth a write each).
    private static let touchInterval: Int64 = 60_000

    init(name: String, settings: PorticoConfig.Dashboard, secure: Bool) {
        self.name = secure ? "__Host-\(name)" : name
        self.secure = secure
        self.idleMilliseconds = Int64(settings.sessionIdleMinutes) * 60_000
        self.absoluteMilliseconds = Int64(settings.sessionAbsoluteHours) * 3_600_000
    }

    static func hash(_ token: String) -> Data { Data(SHA256.hash(data: Data(token.utf8))) }

    /// A session's CSRF token, derived from its cookie value (HMAC-SHA256) instead
    /// of stored: the database holds neither, so a copy of it forges no form.
    /// The cookie is `HttpOnly`, so a page script cannot derive the token.
    static func csrfToken(for sessionToken: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("portico.csrf.v1".utf8), using: SymmetricKey(data: Data(sessionToken.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// A fresh token (every sign-in gets one, so a token planted before is worth nothing) and its `Set-Cookie` value.
    func issue() -> (token: String, setCookie: String) {
        let token = Base62.random(count: 43)
        return (token, cookie(token, maxAge: absoluteMilliseconds / 1_000))
    }

    /// The token `request` carries, if any.
    func token(of request: Request) -> String? {
        guard let token = request.cookies[name]?.value, !token.isEmpty else { return nil }
        return token
    }

    func isExpired(createdAt: Int64, lastSeenAt: Int64, now: Int64) -> Bool {
        now - lastSeenAt > idleMilliseconds || now - createdAt > absoluteMilliseconds
    }

    func needsTouch(lastSeenAt: Int64, now: Int64) -> Bool { now - lastSeenAt > Self.touchInterval }

    /// Clears the cookie (sign-out).
    var expired: String { cookie("", maxAge: 0) }

    private func cookie(_ value: String, maxAge: Int64) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }
}
