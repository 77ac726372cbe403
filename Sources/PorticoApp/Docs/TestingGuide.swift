import PorticoCore

/// `/docs/testing`: testing an integration against Portico — the sandbox,
/// forced outcomes, failing webhook receivers, the clock and the mailbox.
enum TestingGuide {
    static let path = "/docs/testing"

    static var html: HTML {
        let outcomes: [(String, String)] = [
            (
                "rate_limited",
                "429 rate_limited with Retry-After: 1 and the key's RateLimit headers showing it spent; not counted against the key's or organization's limits"
            ),
            ("server_error", "500 internal_error"),
            ("slow=MS", "the normal response, after MS milliseconds (0 to \(ForcedOutcome.maxDelayMilliseconds))"),
            ("upstream_timeout", "504 upstream_timeout, as the gateway answers when your service is too slow (it is not called)"),
            ("upstream_unavailable", "502 upstream_unavailable, as when your service cannot be reached (it is not called)"),
        ]
        let receivers: [(SimulatedReceiver, String)] = [
            (.ok, "HTTP 200, the one path that succeeds (a stand-in for a working receiver)"), (.timeout, "a timeout, recorded at once"),
            (.serverError, "HTTP 500"),
            (.gone, "HTTP 410: the delivery is dead and the endpoint disabled"),
            (.tls, "a TLS handshake failure"), (.refused, "a refused connection"),
            (.slow, "a timeout after really waiting the delivery timeout (webhooks.timeout_seconds)"),
        ]
        return """
            <h1>Testing with the sandbox</h1>
            <p>Everything below works with test keys on any Portico; <code>portico sandbox</code> adds a throwaway instance for CI, a clock you
            can move and a mailbox that catches every mail.</p>
            <h2>A sandbox in CI</h2>
            <pre>portico sandbox --port 0 --organizations 2 &gt; sandbox.json &amp;</pre>
            <p>It prints one JSON line once it listens: its URL, a platform key, a staff sign-in and, per organization, the owner's sign-in and
            test and live keys. It serves until stopped or until its parent process dies, and removes its data at exit. Webhook URLs may point
            at loopback, so a test's receiver can run beside it.</p>
            <h2>Seed data</h2>
            <p><code>portico sandbox --seed-data</code> gives each organization about a month of history before it prints its line:
            customers, events, request logs across routes and statuses, usage, a closed invoice, and test-mode webhook endpoints on
            <code>\(SimulatedReceiver.host)</code> with deliveries that succeeded, are still retrying, and died. The dashboard has something
            to show at once, and a test can page through real-looking lists.</p>
            <h2>Forced outcomes</h2>
            <p>Send <code>\(ForcedOutcome.headerName)</code> on a test-mode request to get a failure your client must handle. The request is
            authenticated and logged like a real one, a forced error's <code>detail</code> says it was forced, and a POST that failed this way
            stored nothing under its <code>Idempotency-Key</code>, so the retry runs. Live mode ignores the header.</p>
            <table><caption>Values of \(ForcedOutcome.headerName)</caption>
            <thead><tr><th scope="col">Value</th><th scope="col">Response</th></tr></thead>
            <tbody>\(outcomes.map { "<tr><td><code>\($0.0)</code></td><td>\($0.1)</td></tr>" as HTML })</tbody></table>
            <pre>curl -i $URL/v1/customers -H "Authorization: Bearer sk_test_…" -H "\(ForcedOutcome.headerName): rate_limited"</pre>
            <h2>Failing webhook receivers</h2>
            <p>A test-mode webhook endpoint on <code>https://\(SimulatedReceiver.host)</code> is never called: each delivery fails as the path
            says and is recorded as a real attempt, with retries, dead-lettering, disabling and alert mails as usual.</p>
            <table><caption>Paths on \(SimulatedReceiver.host)</caption>
            <thead><tr><th scope="col">URL</th><th scope="col">Every attempt</th></tr></thead>
            <tbody>\(receivers.map { "<tr><td><code>https://\(SimulatedReceiver.host)\($0.0.rawValue)</code></td><td>\($0.1)</td></tr>" as HTML })</tbody></table>
            <h2>Webhooks on your laptop</h2>
            <p><code>portico listen --forward-to http://localhost:3000/webhooks</code> (with <code>PORTICO_URL</code> and
            <code>PORTICO_API_KEY</code> set) receives the key's mode's deliveries from any Portico over one connection, posts each, signed,
            to your local URL, and reports your answer back as the attempt. It prints the signing secret to verify with.
            <code>portico logs tail --status 4xx</code> prints request logs as they happen, and <code>portico trigger customer.created</code>
            makes an event happen.</p>
            <h2>The clock</h2>
            <p>On a sandbox, <code>POST /v1/sandbox/clock/advance</code> with <code>{"seconds": 3600}</code> and a test key moves the whole
            instance forward: retries come due, deliveries run out of attempts, keys expire and quota periods end in seconds.</p>
            <h2>The mailbox</h2>
            <p>A sandbox sends no mail. <code>GET /v1/sandbox/emails</code> with its platform key lists every mail it would have sent, with the
            links in each, so a test can follow an invitation or a password reset.</p>
            """
    }
}
