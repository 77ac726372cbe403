#!/usr/bin/env python3
"""Issue 22: Portico on PostgreSQL against SQLite in one run, then one, two and
three instances on one PostgreSQL database.

    swift build -c release --product portico
    Benchmarks/postgres.py                     # 3 rounds x 5 s per workload, 64 connections
    Benchmarks/postgres.py --rounds 5 --duration 10s

The PostgreSQL cluster is a throwaway one with PostgreSQL's own durability
defaults (fsync, synchronous_commit on), started and removed here
(Scripts/test-postgres.sh with PORTICO_TEST_POSTGRES_DURABLE=1). Webhooks go
to an nginx that answers 200. Every request is fully limited, metered and
logged (Benchmarks/bench-env.sh's plan). Workloads, in alternating rounds:

- GET /healthz; GET /v1/customers/{id} (SQLite with and without its
  representation cache: PostgreSQL always runs without it); POST /v1/customers;
  POST /v1/events to one webhook endpoint, and how fast those deliveries drain.

It also reads the CPU time the Portico and PostgreSQL processes spent
(/proc/PID/stat), per request: what the scaling estimate in docs/scaling.md
rests on. wrk, Portico and PostgreSQL share this machine's cores: compare
ratios, not absolute figures across machines.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, ".build/release/portico")
PG_PORT = 54331
PG_DIR = "/tmp/portico-bench-postgres"
TICKS = os.sysconf("SC_CLK_TCK")


def bench_environment():
    """bench-env.sh's variables, as a dict."""
    output = subprocess.run(["bash", "-c", f"source {ROOT}/Benchmarks/bench-env.sh && env -0"], capture_output=True, check=True).stdout
    env = dict(item.split("=", 1) for item in output.decode().split("\0") if "=" in item)
    return {k: v for k, v in env.items() if k.startswith("PORTICO_")}


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / TICKS


def postgres_pids():
    out = subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def request(method, url, key=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.loads(response.read() or b"{}")


class Instance:
    """A `portico sandbox` (the first, which seeds) or `portico serve` on one database."""

    def __init__(self, work, env, sandbox):
        self.log = open(os.path.join(work, f"portico-{time.monotonic_ns()}.log"), "w")
        command = [BINARY, "sandbox", "--port", "0", "--plan", "bench"] if sandbox else [BINARY, "serve", "--port", "0"]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=work)
        line = self.process.stdout.readline()
        if sandbox:
            seed = json.loads(line)
            self.url = seed["url"]
            self.key = seed["organizations"][0]["keys"]["test_secret"]
        else:
            self.url = line.split()[-1]
            self.key = None

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def wrk(args, urls, connections, duration, script=None):
    """wrk against each of `urls` at once (connections split between them); total req/s and non-2xx."""
    runs = []
    for url in urls:
        command = ["wrk", "-t1" if len(urls) > 1 else "-t2", f"-c{max(1, connections // len(urls))}", f"-d{duration}"] + args
        if script:
            command += ["-s", script]
        runs.append(subprocess.Popen(command + [url], stdout=subprocess.PIPE, text=True))
    total, bad = 0.0, 0
    for run in runs:
        out = run.communicate()[0]
        total += float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        bad += int(match.group(1)) if match else 0
    return total, bad


def post_script(work, name, path, key, body):
    script = os.path.join(work, f"{name}.lua")
    with open(script, "w") as f:
        f.write(
            f'request = function() return wrk.format("POST", "{path}", '
            f'{{["Authorization"] = "Bearer {key}", ["Content-Type"] = "application/json"}}, \'{json.dumps(body)}\') end\n'
        )
    return script


def delivered(url):
    """Webhook attempts that succeeded, from /metrics."""
    text = urllib.request.urlopen(url + "/metrics", timeout=30).read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith("portico_webhook_attempts_total") and "succeeded" in line)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", default="5s")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--instances", type=int, default=3, help="0: only the engines side by side")
    parser.add_argument("--engines", default="sqlite,sqlite-nocache,postgres", help="which of the side-by-side setups to run")
    parser.add_argument(
        "--async-commit",
        action="store_true",
        help="ALTER DATABASE … SET synchronous_commit = off: a commit does not wait for its WAL flush (SQLite's WAL with synchronous=NORMAL does not either)",
    )
    options = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            subprocess.run(["apt-get", "install", "-y", "-qq", tool], check=True)

    work = tempfile.mkdtemp(prefix="portico-bench-pg-")
    cluster_env = dict(os.environ, PORTICO_TEST_POSTGRES_DIR=PG_DIR, PORTICO_TEST_POSTGRES_PORT=str(PG_PORT), PORTICO_TEST_POSTGRES_DURABLE="1")
    script = os.path.join(ROOT, "Scripts/test-postgres.sh")
    subprocess.run([script, "start"], env=cluster_env, check=True, stdout=subprocess.DEVNULL)
    nginx_conf = os.path.join(work, "nginx.conf")
    with open(nginx_conf, "w") as f:
        f.write(
            "worker_processes 1; error_log stderr; pid %s/nginx.pid; events { worker_connections 1024; }\n"
            "http { access_log off; server { listen 127.0.0.1:18089; location / { return 200 'ok'; } } }\n" % work
        )
    nginx = subprocess.Popen(["nginx", "-c", nginx_conf, "-p", work, "-g", "daemon off;"], stderr=subprocess.DEVNULL)
    instances = []
    databases = 0

    def environment(engine):
        nonlocal databases
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
        env.update(bench_environment())
        env.update(PORTICO_LOGGING_LEVEL="warning", PORTICO_WEBHOOKS_ALLOWED_CIDRS="127.0.0.0/8")
        if engine == "postgres":
            databases += 1
            name = f"bench{databases}"
            psql = sorted(f"/usr/lib/postgresql/{v}/bin/psql" for v in os.listdir("/usr/lib/postgresql"))[-1]
            subprocess.run([psql, "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
            if options.async_commit:
                subprocess.run(
                    [psql, "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-qc", f"ALTER DATABASE {name} SET synchronous_commit = off"], check=True
                )
            env.update(
                PORTICO_DATABASE_URL=f"postgres://postgres@127.0.0.1:{PG_PORT}/{name}?sslmode=disable",
                PORTICO_SECRETS_KEY_FILE=os.path.join(work, "secrets.key"),
                PORTICO_DATABASE_PATH=os.path.join(work, f"{name}.sqlite"),
            )
        else:
            databases += 1
            env.update(PORTICO_DATABASE_PATH=os.path.join(work, f"sqlite{databases}.sqlite"))
        return env

    try:
        # 1. The engines side by side.
        setups = {}
        for label, engine, cache in (("sqlite", "sqlite", True), ("sqlite-nocache", "sqlite", False), ("postgres", "postgres", False)):
            if label not in options.engines.split(","):
                continue
            env = environment(engine)
            if not cache:
                env["PORTICO_SERVER_REPRESENTATION_CACHE_ENTRIES"] = "0"
            instance = Instance(work, env, sandbox=True)
            instances.append(instance)
            customer = request("POST", instance.url + "/v1/customers", instance.key, {"name": "Bench", "email": "bench@example.com", "metadata": {"tier": "gold"}})["id"]
            request("POST", instance.url + "/v1/webhook-endpoints", instance.key, {"url": "http://127.0.0.1:18089/hook", "enabled_events": ["bench.*"]})
            setups[label] = (instance, customer)

        results = {}
        cpu = {}
        for _ in range(options.rounds):
            for label, (instance, customer) in setups.items():
                pids = [instance.process.pid]
                workloads = [("healthz", [], "/healthz", None), ("GET customer", ["-H", f"Authorization: Bearer {instance.key}"], f"/v1/customers/{customer}", None)]
                if label != "sqlite-nocache":
                    workloads += [
                        ("POST customer", [], "", post_script(work, "customers", "/v1/customers", instance.key, {"name": "Bench", "email": "b@example.com"})),
                        ("POST event", [], "", post_script(work, "events", "/v1/events", instance.key, {"type": "bench.ping", "data": {"n": 1}})),
                    ]
                for name, args, path, lua in workloads:
                    before = (cpu_seconds(pids), cpu_seconds(postgres_pids()))
                    sent_before = delivered(instance.url) if name == "POST event" else 0
                    started = time.monotonic()
                    rps, bad = wrk(args, [instance.url + path], options.connections, options.duration, lua)
                    after = (cpu_seconds(pids), cpu_seconds(postgres_pids()))
                    count = rps * float(options.duration.rstrip("s"))
                    results.setdefault((label, name), []).append(rps)
                    cpu.setdefault((label, name), []).append(((after[0] - before[0]) / count * 1e6, (after[1] - before[1]) / count * 1e6))
                    if bad:
                        print(f"  {label} {name}: {bad} non-2xx", file=sys.stderr)
                    if name == "POST event":
                        # How fast the deliveries of the events just accepted drain (all of them).
                        while delivered(instance.url) - sent_before < count * 0.999:
                            time.sleep(0.05)
                        results.setdefault((label, "deliveries"), []).append((delivered(instance.url) - sent_before) / (time.monotonic() - started))

        commit = "synchronous_commit off" if options.async_commit else "PostgreSQL's durable defaults"
        print(f"engines side by side ({commit}): {options.rounds} rounds x {options.duration}, {options.connections} connections, {os.cpu_count()} cores")
        print(f"{'workload':16} {'engine':16} {'median req/s':>12}  {'Portico CPU/req':>15}  {'PostgreSQL CPU/req':>18}  rounds")
        for (label, name), values in results.items():
            costs = cpu.get((label, name))
            portico = f"{statistics.median(c[0] for c in costs):.0f} µs" if costs else ""
            database = f"{statistics.median(c[1] for c in costs):.0f} µs" if costs and label == "postgres" else ""
            print(f"{name:16} {label:16} {statistics.median(values):12.0f}  {portico:>15}  {database:>18}  {', '.join(f'{v:.0f}' for v in values)}")
        for name in ("healthz", "GET customer", "POST customer", "POST event", "deliveries"):
            if ("postgres", name) in results and ("sqlite", name) in results:
                ratio = statistics.median(results[("postgres", name)]) / statistics.median(results[("sqlite", name)])
                print(f"postgres / sqlite, {name}: {ratio:.2f}")
        for instance in instances:
            instance.stop()
        instances.clear()

        # 2. One, two and three instances on one PostgreSQL database.
        print(f"\ninstances on one PostgreSQL: {options.rounds} rounds x {options.duration}, {options.connections} connections split between them")
        for count in range(1, options.instances + 1):
            env = environment("postgres")
            first = Instance(work, env, sandbox=True)
            instances.append(first)
            for _ in range(count - 1):
                instances.append(Instance(work, env, sandbox=False))
            key = first.key
            customer = request("POST", first.url + "/v1/customers", key, {"name": "Bench"})["id"]
            post = post_script(work, "customers", "/v1/customers", key, {"name": "Bench", "email": "b@example.com"})
            urls = [i.url for i in instances]
            figures = {"GET customer": [], "POST customer": []}
            for _ in range(options.rounds):
                figures["GET customer"].append(wrk(["-H", f"Authorization: Bearer {key}"], [u + f"/v1/customers/{customer}" for u in urls], options.connections, options.duration)[0])
                figures["POST customer"].append(wrk([], urls, options.connections, options.duration, post)[0])
            print(
                f"{count} instance(s): "
                + "; ".join(f"{name} {statistics.median(v):.0f} req/s ({', '.join(f'{x:.0f}' for x in v)})" for name, v in figures.items())
            )
            for instance in instances:
                instance.stop()
            instances.clear()
    finally:
        for instance in instances:
            instance.process.kill()
        nginx.terminate()
        subprocess.run([script, "stop"], env=cluster_env, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
