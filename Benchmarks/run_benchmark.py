#!/usr/bin/env python3
"""Benchmarks `sillage run` on a generated combined access log.

Builds the release binary, generates the log once (fixed seed) into a cache directory
outside the repository, then runs a fresh ingest + export and prints wall time, MB/s,
lines/s and peak resident memory.

Usage: run_benchmark.py [--size-mb 1000] [--threads N] [--cache DIR] [--repeat 1]
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=float, default=1000)
    ap.add_argument("--threads", type=int, default=0, help="0 = all cores")
    ap.add_argument("--cache", default=os.environ.get("SILLAGE_BENCH_CACHE", os.path.expanduser("~/.cache/sillage-bench")))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()

    subprocess.run(["swift", "build", "-c", "release", "--product", "sillage"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, ".build", "release", "sillage")

    os.makedirs(a.cache, exist_ok=True)
    log_name = f"access-{int(a.size_mb)}MB-seed{a.seed}.log"
    log = os.path.join(a.cache, log_name)
    if not os.path.exists(log):
        print(f"generating {log} (once; cached)", file=sys.stderr)
        partial = log + ".partial"
        subprocess.run([sys.executable, os.path.join(ROOT, "Benchmarks", "generate_logs.py"), "--out", a.cache,
                        "--single", log_name + ".partial", "--target-mb", str(a.size_mb), "--seed", str(a.seed)], check=True)
        os.rename(partial, log)
    size = os.path.getsize(log)
    with open(log, "rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))

    for attempt in range(a.repeat):
        work = tempfile.mkdtemp(prefix="sillage-bench-")
        try:
            key = os.path.join(work, "bench.key")
            with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as k:
                k.write(os.urandom(32))
            cmd = [binary, "run", "--input", f"combined:{log}", "--store", os.path.join(work, "store.sqlite"),
                   "--out", os.path.join(work, "out"), "--key-file", key, "--json"]
            if a.threads:
                cmd += ["--threads", str(a.threads)]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.monotonic()
            result = subprocess.run(cmd, capture_output=True, text=True)
            wall = time.monotonic() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if result.returncode != 0:
                print(result.stderr, file=sys.stderr)
                sys.exit(result.returncode)
            peak_mb = after.ru_maxrss / 1024
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            import json
            report = json.loads(result.stdout)
            print(f"run {attempt + 1}: {size / 1e6:.0f} MB, {lines} lines, {report['events']} events, "
                  f"{report['sessions']} sessions, threads={a.threads or os.cpu_count()}")
            print(f"  wall {wall:.2f} s   {size / 1e6 / wall:.1f} MB/s   {lines / wall / 1e6:.2f} M lines/s   "
                  f"cpu {cpu:.1f} s   peak RSS {peak_mb:.0f} MB")
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
