/// The one check of an email address, for customers, accounts and
/// invitations alike: plausible in shape (one `@`, a dotted domain, no
/// spaces, at most 254 characters); whether it receives mail is not ours to know.
package enum EmailAddress {
    package static func isPlausible(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && email.count <= 254 && !email.contains(where: \.isWhitespace)
    }
}
