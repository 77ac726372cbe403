#!/usr/bin/env python3
"""Request-log scale benchmark.

1. Insert throughput of a partition-shaped table with 0, 1 and 2 indexes
   (1M rows each): the measurement behind "two indexes, both appended in order".
2. 10 million generated log rows in one day's partition (50 organizations,
   ~1% 5xx, time-ordered ids as Portico assigns them), then the real server
   answers GET /v1/request-logs for one organization over those 24 h with a
   status filter; p50/p95/p99 over 200 queries, plus an unfiltered page and a
   lookup by request id.
3. The time to drop one partition of 1 million rows (what retention does).

    swift build -c release --product portico && Benchmarks/log-query.py [--rows 10000000]
"""
import argparse, json, os, random, secrets, signal, sqlite3, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, ".build/release/portico")
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
COLUMNS = "id, created_at, request_id, organization_id, livemode, key_id, method, path, route, status, duration_us, ip, user_agent"
# The same DDL Portico's Store creates (RequestLogPartition.createSQL).
DDL = """CREATE TABLE {t} (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, request_id TEXT NOT NULL, organization_id TEXT,
 livemode INTEGER, key_id TEXT, method TEXT NOT NULL, path TEXT NOT NULL, route TEXT, status INTEGER NOT NULL, duration_us INTEGER NOT NULL,
 ip TEXT, user_agent TEXT, request_body TEXT, response_body TEXT)"""
INDEXES = ["CREATE INDEX {t}_by_tenant ON {t}(organization_id, livemode)", "CREATE INDEX {t}_by_request ON {t}(request_id)"]


def base62(value, width=22):
    out = []
    for _ in range(width):
        value, digit = divmod(value, 62)
        out.append(ALPHABET[digit])
    return "".join(reversed(out))


def rows(count, start_ms, span_ms, orgs, key_of):
    """Time-ordered rows, ids (ms << 12) | sequence, as the writer assigns them."""
    step = span_ms / count
    last = 0
    rand = random.Random(7)
    for n in range(count):
        ms = start_ms + int(n * step)
        row_id = max(ms << 12, last + 1)
        last = row_id
        org = orgs[rand.randrange(len(orgs))]
        status = 500 if rand.random() < 0.01 else (404 if rand.random() < 0.05 else 200)
        request_id = "req_" + base62((ms << 80) | rand.getrandbits(80))
        yield (row_id, ms, request_id, org, 0, key_of[org], "GET", "/v1/customers/cus_x", "/v1/customers/{id}", status, 900,
               "10.0.0.1", "bench/1.0")


def insert(db, table, generator, batch=100_000):
    total = 0
    while True:
        chunk = [r for _, r in zip(range(batch), generator)]
        if not chunk:
            return total
        with db:
            db.executemany(f"INSERT INTO {table} ({COLUMNS}) VALUES ({', '.join('?' * 13)})", chunk)
        total += len(chunk)


def open_db(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.isolation_level = ""
    return db


def index_cost(workdir):
    print("insert throughput, 1,000,000 rows, by number of indexes:")
    orgs = [f"org_{i:02d}" for i in range(50)]
    keys = {o: "key_" + o for o in orgs}
    for count in (0, 1, 2):
        db = open_db(os.path.join(workdir, f"idx{count}.sqlite"))
        db.execute(DDL.format(t="p"))
        for ddl in INDEXES[:count]:
            db.execute(ddl.format(t="p"))
        began = time.perf_counter()
        n = insert(db, "p", rows(1_000_000, 1_800_000_000_000, 86_400_000, orgs, keys))
        elapsed = time.perf_counter() - began
        print(f"  {count} index(es): {n / elapsed:10,.0f} rows/s")
        db.close()


def wait_http(url):
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return
        except Exception:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def timed_get(url, path, key):
    request = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {key}"})
    began = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        body = response.read()
    return (time.perf_counter() - began) * 1000, json.loads(body)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="portico-logbench-")
    index_cost(workdir)

    path = os.path.join(workdir, "portico.sqlite")
    env = dict(os.environ, PORTICO_LOGGING_LEVEL="warning")
    sandbox = subprocess.Popen([BINARY, "sandbox", "--database", path, "--plan", "enterprise"], stdout=subprocess.PIPE, env=env)
    line = json.loads(sandbox.stdout.readline())
    org, key = line["organizations"][0]["id"], line["organizations"][0]["keys"]["test_secret"]
    wait_http(line["url"])
    sandbox.send_signal(signal.SIGTERM)
    sandbox.wait()

    db = open_db(path)
    table = db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name GLOB 'request_logs_[0-9]*' ORDER BY name").fetchone()[0]
    day = table[len("request_logs_"):]
    import calendar
    start_ms = calendar.timegm((int(day[:4]), int(day[4:6]), int(day[6:8]), 0, 0, 0)) * 1000
    orgs = [org] + [f"org_other{i:02d}" for i in range(49)]
    keys = {o: ("key_bench" if o == org else "key_" + o) for o in orgs}
    began = time.perf_counter()
    n = insert(db, table, rows(args.rows, start_ms + 1, 86_400_000 - 2, orgs, keys))
    print(f"generated {n:,} rows into {table} in {time.perf_counter() - began:.0f} s")
    db.close()

    port = 18000 + random.randrange(1000)
    server = subprocess.Popen([BINARY, "serve", "--database", path], env=dict(env, PORTICO_SERVER_PORT=str(port)),
                              stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url)
        since, until = start_ms // 1000, (start_ms + 86_400_000) // 1000
        filtered = f"/v1/request-logs?status=500&since={since}&until={until}&limit=100"
        timed_get(url, filtered, key)  # warm the page cache once
        times, sample = [], None
        for _ in range(args.queries):
            ms, sample = timed_get(url, filtered, key)
            times.append(ms)
        assert sample["data"] and all(r["status"] == 500 for r in sample["data"]), "no 500s came back"
        cursor = sample["data"][-1]["id"]
        q = statistics.quantiles(times, n=100)
        print(f"GET /v1/request-logs one org, 24 h, status=500, limit 100, over {n:,} rows: "
              f"p50 {statistics.median(times):.1f} ms  p95 {q[94]:.1f} ms  p99 {q[98]:.1f} ms  (HTTP round trip, {args.queries} queries)")
        page = [timed_get(url, f"/v1/request-logs?status=500&since={since}&until={until}&limit=100&starting_after={cursor}", key)[0]
                for _ in range(50)]
        print(f"  next page (starting_after): p95 {statistics.quantiles(page, n=100)[94]:.1f} ms")
        plain = [timed_get(url, f"/v1/request-logs?since={since}&until={until}&limit=100", key)[0] for _ in range(50)]
        print(f"  unfiltered page: p95 {statistics.quantiles(plain, n=100)[94]:.1f} ms")
        lookup = [timed_get(url, f"/v1/request-logs/{cursor}", key)[0] for _ in range(50)]
        print(f"  by request id: p95 {statistics.quantiles(lookup, n=100)[94]:.1f} ms")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()

    db = open_db(path)
    db.execute(DDL.format(t="request_logs_1970010100"))
    for ddl in INDEXES:
        db.execute(ddl.format(t="request_logs_1970010100"))
    with db:
        db.execute(f"INSERT INTO request_logs_1970010100 SELECT * FROM {table} LIMIT 1000000")
    began = time.perf_counter()
    with db:
        db.execute("DROP TABLE request_logs_1970010100")
    print(f"drop one partition of 1,000,000 rows: {(time.perf_counter() - began) * 1000:.0f} ms")
    size = os.path.getsize(path) / 1e9
    print(f"database file: {size:.2f} GB")
    subprocess.run(["rm", "-rf", workdir])


if __name__ == "__main__":
    main()
