import Foundation
import PorticoCore

/// The mail outbox. A mail is written in the transaction of the change that
/// causes it (`insertMail` on its own, or `SQLiteStore.insertMailInTransaction`
/// inside another write), then claimed with a lease, sent, and finished.
package protocol MailStore: Sendable {
    /// Fired after a mail is queued: the mailer wakes.
    var mailQueued: WakeSignal { get }
    func insertMail(_ mail: MailRecord) async throws
    /// Queued mails due at `now` and not leased, at most `limit`, each now leased until `leaseUntil`.
    func claimDueMail(now: Int64, leaseUntil: Int64, limit: Int) async throws -> [MailRecord]
    /// Records an attempt's outcome and releases the lease.
    func finishMail(id: String, outcome: MailOutcome) async throws
    func mail(id: String) async throws -> MailRecord?
    /// Newest first; `status` and `recipient` (an exact address among the recipients) narrow it.
    func mails(status: MailRecord.Status?, recipient: String?, page: PageRequest) async throws -> Page<MailRecord>
    /// When the earliest queued mail is due (its lease's end if leased); nil when none waits.
    func nextMailDue() async throws -> Int64?
}
