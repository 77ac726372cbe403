import Foundation
import Testing

/// The dashboard in headless Chromium (`Scripts/browser-check.py`, Selenium
/// and axe-core from PyPI, Debian's chromium and chromium-driver) against a
/// real `portico sandbox`: sign in with the keyboard, create a key, find a
/// call made with it in the request log, add a webhook endpoint, see its
/// delivery fail, retry it, see it succeed, sign out, visit every page; any
/// console error or WCAG A/AA violation fails. A second pass does the same
/// pages with JavaScript off. Screenshots of every page are left in
/// `.build/artifacts/browser/` (or `$BROWSER_SCREENSHOTS`).
struct BrowserTests {
    @Test func theDashboardWorksInARealBrowser() throws {
        let sandbox = try PorticoProcess.Running(["sandbox", "--port", "0"])
        defer { _ = sandbox.stop(SIGTERM) }
        sandbox.drainStderr()
        let line = try #require(try JSONSerialization.jsonObject(with: Data(sandbox.firstLine().utf8)) as? [String: Any])
        let url = try #require(line["url"] as? String)
        let organizations = try #require(line["organizations"] as? [[String: Any]])
        let owner = try #require(organizations.first?["owner"] as? [String: String])

        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let screenshots = ProcessInfo.processInfo.environment["BROWSER_SCREENSHOTS"]
            ?? root.appendingPathComponent(".build/artifacts/browser").path
        let (status, report, _) = try ChildProcess.run(
            "/usr/bin/env",
            ["python3", root.appendingPathComponent("Scripts/browser-check.py").path, url,
             try #require(owner["email"]), try #require(owner["password"]), screenshots],
            joinStderr: true)
        #expect(status == 0, "\(report)")
        #expect(report.contains("browser check passed"))
        let saved = try FileManager.default.contentsOfDirectory(atPath: screenshots).filter { $0.hasSuffix(".png") }
        #expect(saved.count >= 30, "expected a screenshot of every page, found \(saved.count)")
    }
}
