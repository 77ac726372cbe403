import Foundation
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// The outbox and the mailer: a queued mail reaches a real SMTP server once,
/// a temporary failure is retried on the backoff schedule with the same
/// Message-ID, a refusal fails at once, a leased mail is not taken twice,
/// and with no relay configured mails wait (and staff can read them).
@Suite(.requires(.python3, .pythonModule("aiosmtpd"), .pythonModule("cryptography")))
struct MailOutboxTests {
    static func portico(_ sink: SMTPSink?, maxAttempts: Int = 8) async throws -> TestPortico {
        try await TestPortico.make { config in
            config.mail.smtpHost = sink == nil ? nil : "127.0.0.1"
            config.mail.smtpPort = sink?.port ?? 587
            config.mail.smtpSecurity = "none"
            config.mail.from = "portico@example.com"
            config.mail.maxAttempts = maxAttempts
        }
    }

    static func queue(_ portico: TestPortico, to address: String = "ada@example.org", text: String = "Hello\n") async throws -> MailRecord {
        let mail = portico.runtime.mail.compose(
            kind: "test",
            to: [MailAddress(address)!],
            subject: "Hello",
            text: text,
            html: "<p>Hello</p>",
            organizationId: portico.organizationID,
            at: portico.clock.nowMilliseconds
        )
        try await portico.store.insertMail(mail)
        return mail
    }

    static func waitForStatus(_ portico: TestPortico, _ id: String, _ status: MailRecord.Status, attempts: Int? = nil) async throws -> MailRecord {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            if let mail = try await portico.store.mail(id: id), mail.status == status, attempts.map({ mail.attempts == $0 }) ?? true { return mail }
            guard ContinuousClock.now < deadline else { throw SMTPSink.SinkError(description: "mail \(id) did not reach \(status)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func aQueuedMailIsSentOnceAndItsBodyIsSealedAtRest() async throws {
        try await SMTPSink.with { sink in
            let portico = try await Self.portico(sink)
            try await portico.run { _ in
                let mail = try await Self.queue(portico, text: "Reset: https://portico.example.com/reset/abc\n")
                let sent = try await Self.waitForStatus(portico, mail.id, .sent)
                #expect(sent.attempts == 1 && sent.sentAt != nil && sent.nextAttemptAt == nil)
                let received = try #require(try await sink.waitFor(1).first)
                #expect(received.header("Message-ID") == "<\(mail.id)@example.com>")
                #expect(received.bodies.first == "Reset: https://portico.example.com/reset/abc\r\n")
                #expect(SecretBox.isSealed(sent.body) && !sent.body.contains("reset/abc"))
                #expect(sink.mails.count == 1)
            }
        }
    }

    @Test func aTemporaryFailureIsRetriedOnTheScheduleWithTheSameMessageID() async throws {
        try await SMTPSink.with(["--fail-first", "1"]) { sink in
            let portico = try await Self.portico(sink)
            portico.clock.freeze()
            try await portico.run { _ in
                let mail = try await Self.queue(portico)
                let waiting = try await Self.waitForStatus(portico, mail.id, .queued, attempts: 1)
                #expect(waiting.nextAttemptAt == portico.clock.nowMilliseconds + 60_000)
                #expect(waiting.lastError?.contains("451") == true)
                #expect(sink.mails.isEmpty)
                portico.clock.advance(by: 61)
                portico.store.mailQueued.fire()
                let sent = try await Self.waitForStatus(portico, mail.id, .sent)
                #expect(sent.attempts == 2)
                #expect(try await sink.waitFor(1).first?.header("Message-ID") == "<\(mail.id)@example.com>")
            }
        }
        #expect((1...5).map(Mailer.backoff(afterAttempts:)) == [60_000, 120_000, 240_000, 480_000, 960_000])
        #expect(Mailer.backoff(afterAttempts: 30) == 7_200_000)
    }

    @Test func aRefusalFailsAtOnceAndTheLastAttemptFailsToo() async throws {
        try await SMTPSink.with(["--reject"]) { sink in
            let portico = try await Self.portico(sink)
            try await portico.run { _ in
                let mail = try await Self.queue(portico)
                let failed = try await Self.waitForStatus(portico, mail.id, .failed)
                #expect(failed.attempts == 1 && failed.lastError?.contains("550") == true && failed.nextAttemptAt == nil)
            }
        }
        try await SMTPSink.with(["--fail-first", "5"]) { sink in
            let portico = try await Self.portico(sink, maxAttempts: 1)
            try await portico.run { _ in
                let mail = try await Self.queue(portico)
                #expect(try await Self.waitForStatus(portico, mail.id, .failed).lastError?.contains("451") == true)
            }
        }
    }

    @Test func aLeasedMailIsNotClaimedTwiceUntilItsLeaseEnds() async throws {
        let portico = try await Self.portico(nil)
        let mail = try await Self.queue(portico)
        let now = portico.clock.nowMilliseconds
        #expect(try await portico.store.claimDueMail(now: now, leaseUntil: now + 90_000, limit: 10).map(\.id) == [mail.id])
        #expect(try await portico.store.claimDueMail(now: now + 1_000, leaseUntil: now + 91_000, limit: 10).isEmpty)
        #expect(try await portico.store.nextMailDue() == now + 90_000)
        // The mailer died mid-send: once the lease is over, the mail is taken again.
        #expect(try await portico.store.claimDueMail(now: now + 90_000, leaseUntil: now + 180_000, limit: 10).map(\.id) == [mail.id])
    }

    @Test func withoutARelayMailsWaitAndStaffReadThemWithLinksMasked() async throws {
        let portico = try await Self.portico(nil)
        #expect(portico.runtime.mailer == nil)
        try await portico.run { api in
            let mail = try await Self.queue(portico, text: "Join: https://portico.example.com/dashboard/invitations/secret-token\n")
            let (staff, _, _) = try await OrganizationConsoleTests.signedInStaff(portico, api)
            let list = try await staff.get("/admin/mail")
            #expect(list.status == .ok && list.text.contains(mail.id) && list.text.contains("not configured"))
            let page = try await staff.get("/admin/mail/\(mail.id)")
            #expect(page.status == .ok)
            #expect(page.text.contains("https://portico.example.com/… [link hidden]"))
            #expect(!page.text.contains("secret-token"))
            #expect(try await portico.auditActions(about: mail.id) == ["staff.viewed"])
            #expect(try await portico.store.mail(id: mail.id)?.status == .queued)
        }
    }
}

/// Every kind of mail Portico sends, with hostile values, through the real
/// relay: each arrives with a plain-text and an HTML part, every value
/// escaped in the HTML, its links on the instance's public URL.
@Suite(.requires(.python3, .pythonModule("aiosmtpd"), .pythonModule("cryptography")))
struct EveryMailTests {
    static let hostile = "<script>alert(1)</script>"
    static let base = "https://portico.example.com"

    static var templates: [(String, MailContentTemplate)] {
        let crossing = UsageThresholdCrossing(
            organizationId: "org_1",
            livemode: true,
            metric: hostile,
            period: .month,
            periodStart: 0,
            periodEnd: 1,
            threshold: 80,
            quantity: 8,
            limit: 10
        )
        return [
            (
                "invitation",
                .invitation(organization: hostile, inviter: hostile, role: "Admin", link: "\(base)/dashboard/invitations/t", validHours: 72)
            ),
            ("password_reset", .passwordReset(link: "\(base)/dashboard/password-reset/t", validMinutes: 60)),
            (
                "email_confirmation",
                .confirmAddress(link: "\(base)/dashboard/confirm-email/t", email: "a@example.org", isChange: true, validHours: 24)
            ),
            ("email_change_requested", .addressChangeRequested(newEmail: hostile, accountURL: "\(base)/dashboard/account")),
            ("password_changed", .passwordChanged(accountURL: "\(base)/dashboard/login")),
            ("two_factor_disabled", .twoFactorDisabled(accountURL: "\(base)/dashboard/account")),
            (
                "webhook_endpoint.disabled",
                .endpointDisabled(
                    organization: hostile,
                    url: hostile,
                    livemode: false,
                    reason: "gone",
                    link: "\(base)/dashboard/webhooks/we_1",
                    settings: "\(base)/dashboard/settings"
                )
            ),
            (
                "webhook_delivery.exhausted",
                .deliveriesExhausted(
                    organization: hostile,
                    url: hostile,
                    livemode: false,
                    count: 3,
                    link: "\(base)/dashboard/deliveries",
                    settings: "\(base)/dashboard/settings"
                )
            ),
            (
                "api_key.expiring",
                .keyExpiring(
                    organization: hostile,
                    key: hostile,
                    livemode: true,
                    expiresAt: "2026-12-08T00:00:00.000Z",
                    link: "\(base)/dashboard/keys",
                    settings: "\(base)/dashboard/settings"
                )
            ),
            (
                "usage.threshold_reached",
                .usageThreshold(organization: hostile, crossing: crossing, link: "\(base)/dashboard/usage", settings: "\(base)/dashboard/settings")
            ),
            ("staff_digest", .staffDigest(day: "2026-11-30", problems: [hostile], link: "\(base)/admin/health")),
            (
                "api_key.leaked",
                .keyLeaked(organization: hostile, key: hostile, livemode: true, revokedBy: hostile, link: "\(base)/dashboard/audit")
            ),
        ]
    }

    @Test func everyKindArrivesWithBothPartsEscaped() async throws {
        try await SMTPSink.with { sink in
            let portico = try await MailOutboxTests.portico(sink)
            try await portico.run { _ in
                for (kind, words) in Self.templates {
                    let mail = portico.runtime.mail.compose(
                        kind: kind,
                        to: MailAddress("ops@example.org")!,
                        words,
                        organizationId: nil,
                        at: portico.clock.nowMilliseconds
                    )
                    try await portico.store.insertMail(mail)
                }
                let received = try await sink.waitFor(Self.templates.count)
                #expect(received.count == Self.templates.count)
                for mail in received {
                    let subject = mail.header("Subject") ?? ""
                    #expect(mail.bodies.count == 2, "\(subject): a text and an HTML part")
                    let (text, html) = (mail.bodies.first ?? "", mail.bodies.last ?? "")
                    #expect(!html.contains("<script>"), "\(subject): a value reached the HTML unescaped")
                    let links = MailLinks.all(in: text)
                    #expect(!links.isEmpty && links.allSatisfy { $0.hasPrefix(Self.base) }, "\(subject): \(links)")
                }
            }
        }
    }
}
