import PorticoCore

/// The pieces of two-factor pages that staff and dashboard users share.
enum TwoFactorViews {
    /// The secret to scan: its QR code (SVG drawn on the server), the key to type, the `otpauth://` link.
    static func secret(_ totp: TOTP, account: String) throws -> HTML {
        let uri = totp.provisioningURI(account: account, issuer: TwoFactor.issuer)
        let qr = HTML.trusted(try QRCode(text: uri).svg(title: "QR code of the two-factor secret for \(account)"))
        return """
            <figure class="qr">\(qr)<figcaption>Cannot scan? Enter this key: <code>\(totp.base32Secret.chunked(4))</code></figcaption></figure>
            <details><summary>The setup link</summary><p><code class="wrap">\(uri)</code></p></details>
            """
    }

    /// The first code's field.
    static let codeField: HTML = """
        <p><label for="code">Six-digit code</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" required></p>
        """

    static let wrongCode = "That code is not right. Check the app's clock and type the current code."

    /// The recovery codes, shown once, and the way on.
    static func recoveryCodes(_ codes: [String], heading: String, next: String, onward: String) -> HTML {
        """
        <h1>\(heading)</h1>
        <p>Keep these recovery codes somewhere safe. Each signs you in once if you lose your authenticator.
        <strong>They are shown only now.</strong></p>
        <ul class="codes">\(codes.map { "<li><code>\($0)</code></li>" as HTML })</ul>
        <p><a href="\(next)">\(onward)</a></p>
        """
    }
}
