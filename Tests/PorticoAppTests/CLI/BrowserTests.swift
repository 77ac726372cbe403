import Foundation
import Testing

/// The dashboard in headless Chromium (`Scripts/browser-check.py`, Selenium
/// and axe-core from PyPI, Debian's chromium and chromium-driver) against a
/// real `portico sandbox`: sign in with the keyboard, create a key, find a
/// call made with it in the request log, add a webhook endpoint, see its
/// delivery fail, retry it, see it succeed, sign out, visit every page; any
/// console error or WCAG A/AA violation fails. A second pass does the same
/// pages with JavaScript off. Then the operator console, with and without
/// JavaScript: password and TOTP, the organization table, one organization,
/// suspend and reactivate, find, platform health, staff audit. Last, "Forgot your password?" end to
/// end, with the link from the sandbox mailbox. Every page fails the check if it scrolls
/// sideways at 1280 px, and a last pass visits every page again at 390×844 (a phone:
/// the menu folded, tables scrolling in their own box). Screenshots of every page at
/// both widths (`-phone` suffix) are left in `.build/artifacts/browser/` (or `$BROWSER_SCREENSHOTS`).
struct BrowserTests {
    @Test(.requires(.python3, .pythonModule("selenium"), .pythonModule("selenium_axe_python"), .chromium))
    func theDashboardWorksInARealBrowser() async throws {
        let sandbox = try await PorticoProcess.sandbox()
        defer { sandbox.process.end() }
        let screenshots =
            ProcessInfo.processInfo.environment["BROWSER_SCREENSHOTS"]
            ?? PorticoProcess.repositoryRoot.appendingPathComponent(".build/artifacts/browser").path
        let (status, report) = try await PorticoProcess.script(
            "python3",
            "browser-check.py",
            [
                sandbox.url, try #require(sandbox.owner["email"]), try #require(sandbox.owner["password"]), screenshots,
                try #require(sandbox.staff["email"]), try #require(sandbox.staff["password"]), try #require(sandbox.staff["totp_secret"]),
            ],
            environment: ["SANDBOX_PLATFORM_KEY": sandbox.platformKey, "SANDBOX_ORGANIZATION": sandbox.organizationId]
        )
        #expect(status == 0, "\(report)")
        #expect(report.contains("browser check passed"))
        let saved = try FileManager.default.contentsOfDirectory(atPath: screenshots).filter { $0.hasSuffix(".png") }
        #expect(saved.count >= 30, "expected a screenshot of every page, found \(saved.count)")
    }
}
