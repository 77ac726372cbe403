#!/usr/bin/env python3
"""Dashboard page times over a large request log.

Seeds a database with `portico sandbox`, adds --rows generated request-log
rows (default 10 million) to today's partition, spread over 50
organizations as log-query.py does (the signed-in organization owns 1/50th;
with --one-org it owns all of them, the worst case for its own pages), plus
the hourly aggregates the overview reads. Then starts the release
`portico serve` on it, signs in as the sandbox owner and times every
dashboard page (and the docs) over one keep-alive connection: median and
p95 of --repeat requests each, measured as the loopback HTTP round trip
(an upper bound of the server's time; the request and response cross
127.0.0.1 only).

With --organizations N (default 10,000) it also adds N organizations, each
with an owner, 24 hours of request statistics, this month's request count,
two invoices and a share of the route statistics, signs in to the operator
console as the sandbox's staff account (password and TOTP) and times the
console's pages the same way: the organization table under every sort and
a search, one organization, platform health, the staff audit page, the
request timeline and the search box.

    swift build -c release --product portico && Benchmarks/dashboard-pages.py [--rows 10000000] [--one-org] [--organizations 10000]
"""
import argparse, base64, calendar, hashlib, hmac, http.client, importlib.util, json, os, random, re, signal, statistics, struct
import subprocess, tempfile, time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("log_query", os.path.join(HERE, "log-query.py"))
log_query = importlib.util.module_from_spec(spec)
spec.loader.exec_module(log_query)


class Client:
    """One keep-alive connection with a cookie jar of one session cookie."""

    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies = {}

    def request(self, method, path, form=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"})
        began = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        elapsed = (time.perf_counter() - began) * 1000
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";")[0]
        return response.status, text, elapsed


def sign_in(client, email, password):
    status, page, _ = client.request("GET", "/dashboard/login")
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    status, _, _ = client.request("POST", "/dashboard/login", {"form_token": token, "next": "/dashboard", "email": email, "password": password})
    assert status == 303, f"sign-in answered {status}"


def totp(secret):
    """The current RFC 6238 code of a base32 secret."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    start = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[start:start + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def staff_sign_in(client, staff):
    _, page, _ = client.request("GET", "/admin/login")
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    status, _, _ = client.request("POST", "/admin/login", {"form_token": token, "next": "/admin", "email": staff["email"], "password": staff["password"]})
    assert status == 303, f"staff sign-in answered {status}"
    _, page, _ = client.request("GET", "/admin/two-factor")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    status, _, _ = client.request("POST", "/admin/two-factor", {"csrf_token": csrf, "code": totp(staff["totp_secret"])})
    assert status == 303, f"staff code answered {status}"


def organizations(db, count, now_ms):
    """`count` organizations with an owner each, 24 hours of request statistics (1 % of them with 5xx),
    this month's live requests, two months of invoices and route statistics, as the log writer and
    the invoicer would have left them."""
    hour = now_ms - now_ms % 3_600_000
    month = calendar.timegm(time.gmtime(now_ms / 1000)[:2] + (1, 0, 0, 0)) * 1000
    last_month = calendar.timegm(time.gmtime((month - 1) / 1000)[:2] + (1, 0, 0, 0)) * 1000
    before_last = calendar.timegm(time.gmtime((last_month - 1) / 1000)[:2] + (1, 0, 0, 0)) * 1000
    plans = ["free", "starter", "growth", "enterprise"]
    rng = random.Random(7)
    for i in range(count):
        org, user = f"org_bench{i:06d}", f"usr_bench{i:06d}"
        plan = plans[i % 4]
        db.execute("INSERT INTO organizations (id, name, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                   (org, f"Customer {i:05d} Ltd", plan, now_ms - 86_400_000 * 60, now_ms))
        db.execute("INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, 'x', ?)", (user, f"owner{i}@customer{i}.test", now_ms))
        db.execute("INSERT INTO memberships VALUES (?, ?, 'owner', ?)", (org, user, now_ms))
        per_hour = rng.randrange(1, 500)
        for h in range(24):
            db.execute("INSERT INTO request_stats VALUES (?, 1, ?, 2, 20, ?)", (org, hour - h * 3_600_000, per_hour))
            if i % 100 == 0:
                db.execute("INSERT INTO request_stats VALUES (?, 1, ?, 5, 30, ?)", (org, hour - h * 3_600_000, rng.randrange(1, 50)))
        db.execute("INSERT INTO organization_month_stats VALUES (?, ?, ?)", (org, month, per_hour * 24 * 20))
        for start, end in ((before_last, last_month), (last_month, month)):
            for livemode in (0, 1):
                db.execute("""INSERT INTO invoices (id, organization_id, livemode, period_start, period_end, plan, currency, base_amount,
                              included_quantity, usage_quantity, overage_quantity, overage_unit_amount, overage_amount, total, created_at)
                              VALUES (?, ?, ?, ?, ?, ?, 'usd', 4900, 100000, ?, 0, 50, 0, 4900, ?)""",
                           (f"inv_bench{i:06d}{livemode}{start}", org, livemode, start, end, plan, per_hour * 24 * 30, now_ms))
    # What the invoicer adds to as it writes live invoices.
    db.execute("""INSERT OR REPLACE INTO revenue_months SELECT period_start, plan, currency, count(*), sum(base_amount),
                  sum(overage_amount), sum(total) FROM invoices WHERE livemode = 1 GROUP BY 1, 2, 3""")
    routes = ["GET /v1/customers", "GET /v1/customers/{id}", "POST /v1/customers", "GET /v1/events", "POST /v1/events"]
    for h in range(24):
        for route in routes:
            for bucket in range(15, 30):
                db.execute("INSERT INTO route_stats VALUES (?, ?, 2, ?, ?)", (hour - h * 3_600_000, route, bucket, rng.randrange(1, 5000)))
    db.commit()


def aggregates(db, org, start_ms, end_ms, rows_per_hour):
    """request_stats rows for the signed-in organization, as the log writer would have left them."""
    hour = start_ms - start_ms % 3_600_000
    while hour < end_ms:
        db.execute("INSERT OR REPLACE INTO request_stats VALUES (?, 0, ?, 2, 20, ?)", (org, hour, int(rows_per_hour * 0.94)))
        db.execute("INSERT OR REPLACE INTO request_stats VALUES (?, 0, ?, 4, 18, ?)", (org, hour, int(rows_per_hour * 0.05)))
        db.execute("INSERT OR REPLACE INTO request_stats VALUES (?, 0, ?, 5, 30, ?)", (org, hour, int(rows_per_hour * 0.01)))
        hour += 3_600_000
    db.commit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--one-org", action="store_true", help="the signed-in organization owns every generated row")
    parser.add_argument("--organizations", type=int, default=10_000, help="organizations added for the console's pages (0: none)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="portico-pagebench-")
    path = os.path.join(workdir, "portico.sqlite")
    env = dict(os.environ, PORTICO_LOGGING_LEVEL="warning")

    sandbox = subprocess.Popen([log_query.BINARY, "sandbox", "--database", path], stdout=subprocess.PIPE, env=env)
    line = json.loads(sandbox.stdout.readline())
    organization = line["organizations"][0]
    org, owner, staff = organization["id"], organization["owner"], line["staff"]
    log_query.wait_http(line["url"])
    sandbox.send_signal(signal.SIGTERM)
    sandbox.wait()

    now_ms = int(time.time() * 1000)
    db = log_query.open_db(path)
    # The partition holding now: names are request_logs_YYYYMMDDHH of their first hour.
    hour = time.strftime("%Y%m%d%H", time.gmtime(now_ms / 1000))
    table = db.execute("SELECT max(name) FROM sqlite_master WHERE type = 'table' AND name GLOB 'request_logs_[0-9]*' AND name <= ?",
                       (f"request_logs_{hour}",)).fetchone()[0]
    assert table, "no partition for now"
    start_ms = calendar.timegm(time.strptime(table[len("request_logs_"):], "%Y%m%d%H")) * 1000
    orgs = [org] if args.one_org else [org] + [f"org_other{i:02d}" for i in range(49)]
    keys = {o: ("key_bench" if o == org else "key_" + o) for o in orgs}
    began = time.perf_counter()
    # Rows from midnight UTC until a minute ago, so the page's last-24-hours window holds all of them.
    n = log_query.insert(db, table, log_query.rows(args.rows, start_ms + 1, max(now_ms - 60_000 - start_ms, 60_000), orgs, keys))
    own = db.execute(f"SELECT count(*) FROM {table} WHERE organization_id = ? AND livemode = 0", (org,)).fetchone()[0]
    aggregates(db, org, start_ms, now_ms, own / max(1, (now_ms - start_ms) / 3_600_000))
    request_id = db.execute(f"SELECT request_id FROM {table} WHERE organization_id = ? ORDER BY id LIMIT 1 OFFSET 1000", (org,)).fetchone()[0]
    print(f"generated {n:,} rows into {table} in {time.perf_counter() - began:.0f} s; the signed-in organization owns {own:,}")
    if args.organizations:
        began = time.perf_counter()
        organizations(db, args.organizations, now_ms)
        print(f"added {args.organizations:,} organizations in {time.perf_counter() - began:.0f} s")
    db.close()

    port = 18000 + random.randrange(1000)
    server = subprocess.Popen([log_query.BINARY, "serve", "--database", path], env=dict(env, PORTICO_SERVER_PORT=str(port)),
                              stdout=subprocess.DEVNULL)
    try:
        log_query.wait_http(f"http://127.0.0.1:{port}")
        client = Client(port)
        sign_in(client, owner["email"], owner["password"])
        _, logs_page, _ = client.request("GET", "/dashboard/logs")
        older = re.search(r'href="(/dashboard/logs\?[^"]*starting_after=[^"]+)"', logs_page)
        pages = [
            ("overview", "/dashboard"),
            ("keys", "/dashboard/keys"),
            ("request logs, last 24 h", "/dashboard/logs"),
            ("request logs, status 500", "/dashboard/logs?status=500"),
            ("request logs, 5xx", "/dashboard/logs?status_class=5xx"),
            ("request logs, path prefix", "/dashboard/logs?path_prefix=%2Fv1%2Fcustomers"),
            ("request logs, status 418 (no match: scans the window)", "/dashboard/logs?status=418"),
            ("request logs, older page", older.group(1).replace("&amp;", "&") if older else "/dashboard/logs"),
            ("request log detail", f"/dashboard/logs/{request_id}"),
            ("events", "/dashboard/events"),
            ("webhooks", "/dashboard/webhooks"),
            ("deliveries", "/dashboard/deliveries"),
            ("usage", "/dashboard/usage"),
            ("invoices", "/dashboard/invoices"),
            ("members", "/dashboard/members"),
            ("audit log", "/dashboard/audit"),
            ("settings", "/dashboard/settings"),
            ("docs quickstart", "/docs"),
            ("docs API reference", "/docs/api"),
        ]
        print(f"{'page':56} {'median':>9} {'p95':>9}   (ms, {args.repeat} requests each, keep-alive loopback round trip)")
        worst = 0.0
        for name, page in pages:
            status, _, _ = client.request("GET", page)
            assert status == 200, f"{page} answered {status}"
            times = [client.request("GET", page)[2] for _ in range(args.repeat)]
            p95 = statistics.quantiles(times, n=20)[18]
            worst = max(worst, p95)
            print(f"{name:56} {statistics.median(times):9.2f} {p95:9.2f}")
        print(f"slowest page p95: {worst:.2f} ms over {n:,} log rows")
        if args.organizations:
            console = Client(port)
            staff_sign_in(console, staff)
            console_pages = [
                ("console: organizations by name", "/admin"),
                ("console: organizations, newest", "/admin?sort=newest"),
                ("console: organizations by requests this month", "/admin?sort=requests"),
                ("console: organizations by 5xx in 24 h", "/admin?sort=errors"),
                ("console: organizations, page 100", "/admin?sort=name&page=100"),
                ("console: search by name", "/admin?q=Customer%200999"),
                ("console: search by member email", "/admin?q=owner4242%40"),
                ("console: one organization (view audited)", f"/admin/organizations/{org}"),
                ("console: platform health", "/admin/health"),
                ("console: staff audit", "/admin/audit"),
                ("console: request timeline (view audited)", f"/admin/requests/{request_id}"),
            ]
            worst = 0.0
            for name, page in console_pages:
                status, _, _ = console.request("GET", page)
                assert status == 200, f"{page} answered {status}"
                times = [console.request("GET", page)[2] for _ in range(args.repeat)]
                p95 = statistics.quantiles(times, n=20)[18]
                worst = max(worst, p95)
                print(f"{name:56} {statistics.median(times):9.2f} {p95:9.2f}")
            _, _, find = console.request("GET", "/admin/find?q=owner4242%40customer4242.test")
            print(f"slowest console page p95: {worst:.2f} ms with {args.organizations:,} organizations and {n:,} log rows")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
        subprocess.run(["rm", "-rf", workdir])


if __name__ == "__main__":
    main()
