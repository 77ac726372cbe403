#!/usr/bin/env python3
"""Time from exec of `portico sandbox` to its JSON line on stdout.

    swift build -c release --product portico
    Benchmarks/sandbox-startup.py [--binary .build/release/portico] [--runs 20]

Prints min / median / p95 / max in milliseconds. The sandbox is stopped with
SIGTERM after each run.
"""
import argparse
import json
import signal
import statistics
import subprocess
import time

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default=".build/release/portico")
parser.add_argument("--runs", type=int, default=20)
args = parser.parse_args()

timings = []
for _ in range(args.runs):
    start = time.perf_counter()
    process = subprocess.Popen([args.binary, "sandbox", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = process.stdout.readline()
    elapsed = (time.perf_counter() - start) * 1000
    json.loads(line)  # it must be the documented JSON line
    timings.append(elapsed)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)

timings.sort()
p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
print(f"sandbox exec -> JSON line over {args.runs} runs: min {timings[0]:.1f} ms, "
      f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms")
