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

    swift build -c release --product portico && Benchmarks/dashboard-pages.py [--rows 10000000] [--one-org]
"""
import argparse, calendar, http.client, importlib.util, json, os, random, re, signal, statistics, subprocess, tempfile, time
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
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="portico-pagebench-")
    path = os.path.join(workdir, "portico.sqlite")
    env = dict(os.environ, PORTICO_LOGGING_LEVEL="warning")

    sandbox = subprocess.Popen([log_query.BINARY, "sandbox", "--database", path], stdout=subprocess.PIPE, env=env)
    line = json.loads(sandbox.stdout.readline())
    organization = line["organizations"][0]
    org, owner = organization["id"], organization["owner"]
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
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
        subprocess.run(["rm", "-rf", workdir])


if __name__ == "__main__":
    main()
