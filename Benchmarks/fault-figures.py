#!/usr/bin/env python3
"""Issue 14's before/after figures, measured on a real binary.

    python3 Benchmarks/fault-figures.py BINARY [--kills 100]

Prints one line per figure:
  kill9        duplicates and lost acknowledged writes over N SIGKILLs under
               4 concurrent idempotent writers (each unanswered request retried
               with its key after the restart)
  flood        requests one webhook receiver gets in 10 s while the database's
               disk is full (the attempt cannot be recorded)
  idle         of 1,000 connections that send nothing, how many are still open
               15 s later, and whether /healthz still answers
  logs-sigterm request logs of 200 GETs made on a full disk, lost across a
               SIGTERM and restart
  logs-kill9   request logs of 200 GETs lost across an immediate SIGKILL

Needs root for the full-disk figures (a tmpfs is mounted); they are skipped otherwise.
"""
import json, os, random, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BINARY = sys.argv[1]
KILLS = int(sys.argv[sys.argv.index("--kills") + 1]) if "--kills" in sys.argv else 100
ENV = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
ENV["PORTICO_ACCOUNTS_PASSWORD_HASH_COST"] = "10"


def start(database, extra=None):
    env = dict(ENV, **(extra or {}))
    process = subprocess.Popen([BINARY, "sandbox", "--port", "0", "--database", database], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=env)
    line = json.loads(process.stdout.readline())
    return process, line["url"], line["organizations"][0]["keys"]["test_secret"]


def parse(raw):
    try: return json.loads(raw or b"{}")
    except ValueError: return {}


def call(method, url, key=None, body=None, headers=None, timeout=10):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    if key: request.add_header("Authorization", f"Bearer {key}")
    if body is not None: request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items(): request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, parse(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, parse(error.read()), dict(error.headers)


def all_items(url, path, key):
    items, after = [], None
    while True:
        page = call("GET", f"{url}{path}?limit=100" + (f"&starting_after={after}" if after else ""), key)[1]
        items += page["data"]
        if not page.get("has_more"): return items
        after = page["data"][-1]["id"]


def kill9():
    database = os.path.join(tempfile.mkdtemp(prefix="portico-fig-"), "p.sqlite")
    process, url, key = start(database)
    acknowledged, unanswered, lock = {}, set(), threading.Lock()

    def create(url, idem):
        return call("POST", f"{url}/v1/customers", key, {"name": idem}, {"Idempotency-Key": idem}, timeout=5)

    for cycle in range(KILLS):
        for idem in list(unanswered):
            status, body, _ = create(url, idem)
            if status == 200: acknowledged[idem] = body.get("id"); unanswered.discard(idem)

        def writer(number):
            for n in range(10**6):
                idem = f"c{cycle}-w{number}-{n}"
                with lock: unanswered.add(idem)
                try: status, body, _ = create(url, idem)
                except Exception: return
                if status != 200: continue  # refused (a 429): stays unanswered and is retried after the restart
                with lock: acknowledged[idem] = body.get("id"); unanswered.discard(idem)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for thread in threads: thread.start()
        time.sleep(random.uniform(0.03, 0.4))
        process.kill(); process.wait()
        for thread in threads: thread.join()
        process, url, _ = start(database)
    for idem in list(unanswered):
        status, body, _ = create(url, idem); acknowledged[idem] = body.get("id")
    customers = all_items(url, "/v1/customers", key)
    names = {}
    for customer in customers: names[customer["name"]] = names.get(customer["name"], 0) + 1
    ids = {c["id"] for c in customers}
    duplicates = sum(1 for count in names.values() if count > 1)
    lost = sum(1 for cid in acknowledged.values() if cid not in ids)
    process.terminate(); process.wait()
    print(f"kill9: {KILLS} kills, {len(acknowledged)} acknowledged writes, {duplicates} keys with two customers "
          f"({duplicates * 100 / KILLS:.1f} per 100 kills), {lost} acknowledged writes lost")


class SmallDisk:
    def __init__(self, megabytes):
        self.path = tempfile.mkdtemp(prefix="portico-disk-")
        self.ok = subprocess.call(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", self.path],
                                  stderr=subprocess.DEVNULL) == 0

    def fill(self):
        try:
            with open(os.path.join(self.path, "filler"), "ab") as handle:
                while True: handle.write(b"\xab" * 65536); handle.flush()
        except OSError: pass

    def free(self):
        try: os.unlink(os.path.join(self.path, "filler"))
        except FileNotFoundError: pass

    def close(self):
        subprocess.call(["umount", "-l", self.path])


def flood():
    disk = SmallDisk(16)
    if not disk.ok: return print("flood: skipped (cannot mount a tmpfs)")
    hits, first = [], threading.Event()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hits.append(time.time())
            if len(hits) == 1: first.set(); time.sleep(1.5)  # the disk fills while the first attempt is out
            self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()

        def log_message(self, *args): pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    process, url, key = start(os.path.join(disk.path, "p.sqlite"))
    call("POST", f"{url}/v1/webhook-endpoints", key, {"url": f"http://127.0.0.1:{server.server_port}/hook", "enabled_events": ["*"]})
    call("POST", f"{url}/v1/events", key, {"type": "order.created", "data": {"n": 1}})
    first.wait(10)
    disk.fill()
    time.sleep(11.5)
    count = len(hits)
    disk.free()
    process.terminate(); process.wait(); server.shutdown(); disk.close()
    print(f"flood: {count} requests to one receiver in the 10 s after its attempt could not be recorded")


def idle():
    database = os.path.join(tempfile.mkdtemp(prefix="portico-fig-"), "p.sqlite")
    process, url, key = start(database)
    port = int(url.rsplit(":", 1)[1])
    sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(1000)]
    time.sleep(15)
    still_open = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            still_open += 0 if sock.recv(1) == b"" else 1
        except BlockingIOError: still_open += 1
        except OSError: pass
    health = call("GET", f"{url}/healthz")[0]
    for sock in sockets: sock.close()
    process.terminate(); process.wait()
    print(f"idle: {still_open} of 1000 silent connections still open after 15 s; /healthz answered {health}")


def logs(kind):
    disk = SmallDisk(16) if kind == "sigterm" else None
    if disk and not disk.ok: return print("logs-sigterm: skipped (cannot mount a tmpfs)")
    database = os.path.join(disk.path if disk else tempfile.mkdtemp(prefix="portico-fig-"), "p.sqlite")
    process, url, key = start(database)
    if disk: disk.fill()
    ids = []
    while len(ids) < 200:  # only answered requests: a 429 from the IP limit is logged without the tenant
        status, _, headers = call("GET", f"{url}/v1/customers?limit=1", key)
        if status == 200: ids.append(headers["Request-Id"])
        else: time.sleep(0.05)
    if disk:
        time.sleep(1); process.terminate(); process.wait(); disk.free()
    else:
        process.kill(); process.wait()
    process, url, _ = start(database)
    time.sleep(1.5)
    def logged(rid):
        while True:
            status, _, headers = call("GET", f"{url}/v1/request-logs/{rid}", key)
            if status != 429: return status == 200
            time.sleep(float(headers.get("Retry-After", "1")))  # the plan's rate limit, not a lost log

    found = sum(1 for rid in ids if logged(rid))
    process.terminate(); process.wait()
    if disk: disk.close()
    print(f"logs-{kind}: {200 - found} of 200 request logs lost")


FIGURES = {"kill9": kill9, "flood": flood, "idle": idle, "logs-sigterm": lambda: logs("sigterm"), "logs-kill9": lambda: logs("kill9")}
for figure in [name for name in sys.argv[2:] if name in FIGURES] or list(FIGURES):
    FIGURES[figure]()
