#!/usr/bin/env python3
"""Benchmarks `sillage run` on a generated combined access log.

Builds the release binary, generates the log once (fixed seed) into a cache directory
outside the repository, then runs a fresh ingest + export and prints wall time, MB/s,
lines/s and peak resident memory.

With --parsers, also measures each activity-log parser on the generated activity of
--learners simulated learners (Moodle logstore and report, Open edX tracking log, xAPI
statements) and prints MB/s and records/s per parser (ingest phase of a `--dry-run`, so
that commits overlapping the parse do not count).

Usage: run_benchmark.py [--size-mb 1000] [--threads N] [--cache DIR] [--repeat 1]
                        [--parsers] [--learners 8000] [--skip-web]
"""
import argparse
import os
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
    ap.add_argument("--parsers", action="store_true", help="also benchmark each activity-log parser")
    ap.add_argument("--learners", type=int, default=8000, help="simulated learners for --parsers")
    ap.add_argument("--skip-web", action="store_true", help="skip the access-log run")
    a = ap.parse_args()

    subprocess.run(["swift", "build", "-c", "release", "--product", "sillage"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, ".build", "release", "sillage")

    os.makedirs(a.cache, exist_ok=True)
    if a.parsers:
        parsers(a, binary)
    if a.skip_web:
        return
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
            wall, usage, result = timed(cmd)
            if result.returncode != 0:
                print(result.stderr, file=sys.stderr)
                sys.exit(result.returncode)
            peak_mb = usage.ru_maxrss / 1024
            cpu = usage.ru_utime + usage.ru_stime
            import json
            report = json.loads(result.stdout)
            print(f"run {attempt + 1}: {size / 1e6:.0f} MB, {lines} lines, {report['events']} events, "
                  f"{report['sessions']} sessions, threads={a.threads or os.cpu_count()}")
            print(f"  wall {wall:.2f} s   {size / 1e6 / wall:.1f} MB/s   {lines / wall / 1e6:.2f} M lines/s   "
                  f"cpu {cpu:.1f} s   peak RSS {peak_mb:.0f} MB")
            print("  phases " + "   ".join(f"{k} {v:.2f} s" for k, v in report.get("phases", {}).items()))
        finally:
            shutil.rmtree(work, ignore_errors=True)


def timed(cmd):
    """Runs `cmd`; returns (wall seconds, its own resource usage, completed process).

    The usage is that of this child alone (wait4), not RUSAGE_CHILDREN, which would also
    count the `swift build` run before it.
    """
    import threading
    start = time.monotonic()
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    streams = {}
    readers = [threading.Thread(target=lambda name=name, pipe=pipe: streams.__setitem__(name, pipe.read()))
               for name, pipe in (("out", process.stdout), ("err", process.stderr))]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - start
    for r in readers:
        r.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage, subprocess.CompletedProcess(cmd, process.returncode, streams["out"].decode(), streams["err"].decode())


def run_once(binary, input_spec, threads, extra=()):
    """One fresh `sillage run` on one input; returns (wall seconds, report, peak RSS MB)."""
    import json
    work = tempfile.mkdtemp(prefix="sillage-bench-")
    try:
        key = os.path.join(work, "bench.key")
        with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as k:
            k.write(os.urandom(32))
        cmd = [binary, "run", "--input", input_spec, "--store", os.path.join(work, "store.sqlite"),
               "--out", os.path.join(work, "out"), "--key-file", key, "--json"] + list(extra)
        if threads:
            cmd += ["--threads", str(threads)]
        wall, usage, result = timed(cmd)
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            sys.exit(result.returncode)
        return wall, json.loads(result.stdout), usage.ru_maxrss / 1024
    finally:
        shutil.rmtree(work, ignore_errors=True)


def parsers(a, binary):
    import gzip as gz
    directory = os.path.join(a.cache, f"activity-{a.learners}-seed{a.seed}")
    if not os.path.exists(os.path.join(directory, "lms", "ground_truth.json")):
        print(f"generating activity logs for {a.learners} learners into {directory} (once; cached)", file=sys.stderr)
        subprocess.run([sys.executable, os.path.join(ROOT, "Benchmarks", "generate_logs.py"), "--out", os.path.join(directory, "web"),
                        "--learners", str(a.learners), "--days", "8", "--seed", str(a.seed), "--activity",
                        os.path.join(directory, "lms"), "--xapi-mirror"], check=True)
    lms = os.path.join(directory, "lms")
    for name in ["tracking.log", "orientation-statements.jsonl"]:
        plain = os.path.join(lms, name)
        if not os.path.exists(plain):
            with gz.open(plain + ".gz", "rb") as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst)
    cases = [("moodle-logstore", "logstore.csv"), ("moodle-report", "report.csv"), ("openedx-tracking", "tracking.log"),
             ("xapi", "moodle-as-xapi.jsonl"), ("xapi", "orientation-statements.jsonl")]
    print(f"parsers on the activity of {a.learners} simulated learners over 8 days:")
    for kind, name in cases:
        path = os.path.join(lms, name)
        size = os.path.getsize(path)
        # A dry run: no commit competes with parsing for the two cores, so "ingest" is parsing.
        wall, report, _ = run_once(binary, f"{kind}:{path}", a.threads, extra=["--dry-run"])
        ingest = report["phases"].get("ingest", wall)
        print(f"  {kind:17} {name:30} {size / 1e6:7.1f} MB  {report['records']:>9} records  "
              f"ingest {ingest:6.2f} s  {size / 1e6 / ingest:7.1f} MB/s  {report['records'] / ingest / 1e6:5.2f} M records/s  "
              f"(whole run {wall:.2f} s)")


if __name__ == "__main__":
    main()
