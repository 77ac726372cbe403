import Foundation

/// `/docs/webhooks`: how deliveries are signed and how to verify them, with
/// working code. The Python function is run by a test against a real
/// delivery, so the guide cannot rot.
enum WebhookGuide {
    /// A complete verifier with no dependency but Python's standard library.
    static let pythonVerifier = #"""
        import base64, hashlib, hmac, time

        def verify(secret: str, headers: dict, body: bytes, tolerance: int = 300) -> bool:
            """True when `body` was signed by Portico with `secret` (whsec_…) within `tolerance` seconds."""
            key = base64.b64decode(secret.removeprefix("whsec_"))
            msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
            if abs(time.time() - int(timestamp)) > tolerance:
                return False  # too old or from the future: a replay
            signed = f"{msg_id}.{timestamp}.".encode() + body
            expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
            # During a secret rotation there are several signatures, space-separated.
            return any(
                hmac.compare_digest(expected, candidate.split(",", 1)[1])
                for candidate in headers["webhook-signature"].split(" ")
                if candidate.startswith("v1,")
            )
        """#

    static let pythonLibrary = #"""
        # pip install standardwebhooks
        from standardwebhooks import Webhook

        payload = Webhook("whsec_…").verify(request.body, request.headers)  # raises when the signature is wrong
        """#

    static let node = #"""
        const crypto = require("node:crypto");

        function verify(secret, headers, rawBody, toleranceSeconds = 300) {
          const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
          const id = headers["webhook-id"], timestamp = headers["webhook-timestamp"];
          if (Math.abs(Date.now() / 1000 - Number(timestamp)) > toleranceSeconds) return false;
          const expected = crypto.createHmac("sha256", key).update(`${id}.${timestamp}.${rawBody}`).digest();
          return headers["webhook-signature"].split(" ").some((candidate) => {
            const [version, signature] = candidate.split(",");
            const given = Buffer.from(signature ?? "", "base64");
            return version === "v1" && given.length === expected.length && crypto.timingSafeEqual(given, expected);
          });
        }
        """#

    static let go = #"""
        import (
            "crypto/hmac"
            "crypto/sha256"
            "encoding/base64"
            "math"
            "net/http"
            "strconv"
            "strings"
            "time"
        )

        func Verify(secret string, header http.Header, body []byte) bool {
            key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
            if err != nil {
                return false
            }
            id, ts := header.Get("webhook-id"), header.Get("webhook-timestamp")
            seconds, err := strconv.ParseInt(ts, 10, 64)
            if err != nil || math.Abs(float64(time.Now().Unix()-seconds)) > 300 {
                return false
            }
            mac := hmac.New(sha256.New, key)
            mac.Write([]byte(id + "." + ts + "."))
            mac.Write(body)
            expected := mac.Sum(nil)
            for _, candidate := range strings.Split(header.Get("webhook-signature"), " ") {
                version, signature, found := strings.Cut(candidate, ",")
                given, err := base64.StdEncoding.DecodeString(signature)
                if found && version == "v1" && err == nil && hmac.Equal(given, expected) {
                    return true
                }
            }
            return false
        }
        """#

    static var html: HTML {
        """
        <h1>Verifying webhooks</h1>
        <p>Portico signs every delivery the <a href="https://www.standardwebhooks.com">Standard Webhooks</a> way. Each request carries:</p>
        <ul>
        <li><code>webhook-id</code> — the event id; the same on every retry, so use it to drop duplicates;</li>
        <li><code>webhook-timestamp</code> — Unix seconds when this attempt was signed; refuse ones more than five minutes off;</li>
        <li><code>webhook-signature</code> — <code>v1,</code> + base64 of HMAC-SHA256 over <code>{id}.{timestamp}.{body}</code> with the key in
        your endpoint's secret (<code>whsec_</code> + base64). During a rotation there are two signatures, separated by a space: accept either.</li>
        </ul>
        <p>Verify the raw body exactly as received, before parsing it. Answer 2xx within the timeout; anything else is retried with backoff, except 410 Gone, which disables the endpoint.
        Reveal or rotate the secret on the endpoint's page in the <a href="/dashboard/webhooks">dashboard</a>.</p>
        <h2>Python (standard library only)</h2><pre>\(pythonVerifier)</pre>
        <h2>Python (standardwebhooks library)</h2><pre>\(pythonLibrary)</pre>
        <h2>Node.js</h2><pre>\(node)</pre>
        <h2>Go</h2><pre>\(go)</pre>
        """
    }
}
