#!/usr/bin/env python3
"""Kills `sillage run` with SIGKILL at random points and checks that a re-run gives the
export an uninterrupted run gives, byte for byte.

For each trial: a fresh store, a run killed after a random delay (up to the length of an
uninterrupted run), then a run to completion; its export must equal the reference export.
Trials where the run finished before the kill do not count; the test continues until
--kills runs were really killed. Also checks that no staging directory is left behind and
that the journal marks killed runs as interrupted.

Usage: kill_test.py [--kills 20] [--seed 1] [--binary .build/release/sillage] [--learners 3000] [--batch-mb 1]
"""
import argparse
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def export_digest(out):
    digest = {}
    for dirpath, _, files in os.walk(out):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                digest[os.path.relpath(path, out)] = hashlib.sha256(f.read()).hexdigest()
    return digest


def command(binary, work, data, batch_mb):
    return [binary, "run", "--batch-mb", str(batch_mb), "--input", f"combined:{data}/web/access.log", "--input", f"moodle-logstore:{data}/lms/logstore.csv",
            "--store", os.path.join(work, "var", "store.sqlite"), "--out", os.path.join(work, "out"),
            "--key-file", os.path.join(data, "key")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "sillage"))
    ap.add_argument("--learners", type=int, default=3000)
    ap.add_argument("--batch-mb", type=int, default=1, help="commit every N MB, so kills also land between batches of a file")
    a = ap.parse_args()
    if not os.path.exists(a.binary):
        subprocess.run(["swift", "build", "-c", "release", "--product", "sillage"], cwd=ROOT, check=True)
    rng = random.Random(a.seed)
    data = tempfile.mkdtemp(prefix="sillage-kill-data-")
    try:
        subprocess.run([sys.executable, os.path.join(ROOT, "Benchmarks", "generate_logs.py"), "--out", os.path.join(data, "web"),
                        "--learners", str(a.learners), "--days", "6", "--seed", str(a.seed), "--activity", os.path.join(data, "lms")],
                       check=True)
        with open(os.open(os.path.join(data, "key"), os.O_WRONLY | os.O_CREAT, 0o600), "wb") as k:
            k.write(bytes(range(32)))
        reference_dir = os.path.join(data, "reference")
        start = time.monotonic()
        subprocess.run(command(a.binary, reference_dir, data, a.batch_mb), check=True, stdout=subprocess.DEVNULL)
        duration = time.monotonic() - start
        reference = export_digest(os.path.join(reference_dir, "out"))
        killed, trials, points, partial = 0, 0, [], 0
        while killed < a.kills and trials < a.kills * 4:
            trials += 1
            work = os.path.join(data, f"trial-{trials}")
            delay = rng.uniform(0.0, duration)
            process = subprocess.Popen(command(a.binary, work, data, a.batch_mb), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()
                killed += 1
                points.append(delay)
                store = os.path.join(work, "var", "store.sqlite")
                if os.path.exists(store):
                    committed = sqlite3.connect(store).execute(
                        "SELECT count(*) FROM sqlite_master WHERE name = 'inputs'").fetchone()[0]
                    if committed and sqlite3.connect(store).execute("SELECT count(*) FROM inputs").fetchone()[0] > 0:
                        partial += 1
            else:
                process.wait()
            done = subprocess.run(command(a.binary, work, data, a.batch_mb), capture_output=True, text=True)
            if done.returncode != 0:
                print(f"trial {trials}: the re-run failed (exit {done.returncode}):\n{done.stderr}")
                return 1
            got = export_digest(os.path.join(work, "out"))
            if got != reference:
                differing = sorted(k for k in set(got) | set(reference) if got.get(k) != reference.get(k))
                print(f"trial {trials} (killed after {delay:.3f} s): the export differs: {differing}")
                return 1
            leftovers = [e for e in os.listdir(os.path.join(work, "out", "research", "default")) if e.startswith(".")]
            if leftovers:
                print(f"trial {trials}: staging directories left behind: {leftovers}")
                return 1
            statuses = [s for (s,) in sqlite3.connect(os.path.join(work, "var", "store.sqlite")).execute("SELECT status FROM runs")]
            if "running" in statuses:
                print(f"trial {trials}: a run is still marked running: {statuses}")
                return 1
            shutil.rmtree(work, ignore_errors=True)
        if killed < a.kills:
            print(f"only {killed} of {trials} runs could be killed before they finished (run length {duration:.2f} s)")
            return 1
        points.sort()
        print(f"kill test: {killed} runs killed with SIGKILL between {points[0]:.3f} s and {points[-1]:.3f} s "
              f"(an uninterrupted run takes {duration:.2f} s); every re-run gave the reference export "
              f"({len(reference)} files), {trials} trials; {partial} of the killed runs had committed some batches first")
        return 0
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
