#!/usr/bin/env python3
"""Measures what cell-key perturbation costs in accuracy, per published table.

Runs one pipeline over the benchmark's 1 GB access log (and, with --activity, the generated
Moodle activity of the same kind of platform) with two exports of every table: one with
exact counts (`"perturbation": "none"`) and one with the default cell-key perturbation.
For each table and count column it prints, over the cells published in both, the mean
absolute deviation of the perturbed value from the exact one, the largest deviation, the
mean relative deviation, and how many rows each export withheld; and, per median column,
how many medians each export publishes.

Usage: utility.py [--log PATH] [--activity DIR] [--binary PATH]
"""
import argparse
import csv
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("SILLAGE_BENCH_CACHE", os.path.expanduser("~/.cache/sillage-bench"))


def read_table(directory, name):
    with gzip.open(os.path.join(directory, name + ".csv.gz"), "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(io.StringIO(f.read())))
    return rows[0], rows[1:]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", default=os.path.join(CACHE, "access-1000MB-seed7.log"))
    ap.add_argument("--activity", help="a generate_logs.py --activity directory (lms/logstore.csv is read)")
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "sillage"))
    a = ap.parse_args()
    if not os.path.exists(a.log):
        sys.exit(f"{a.log} is missing: run Benchmarks/run_benchmark.py once to generate it")
    work = tempfile.mkdtemp(prefix="sillage-utility-")
    try:
        key = os.path.join(work, "k.key")
        with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as k:
            k.write(os.urandom(32))
        inputs = [{"type": "combined", "paths": [a.log], "stream": "web"}]
        if a.activity:
            inputs.append({"type": "moodle-logstore", "paths": [os.path.join(a.activity, "lms", "logstore.csv")], "stream": "lms"})
        pipeline = {
            "version": 1, "key": {"file": key}, "store": os.path.join(work, "s.sqlite"), "output": os.path.join(work, "out"),
            "retention": {"sessionDays": 36500, "inactiveLearnerDays": 36500},
            "inputs": inputs,
            "exports": [{"name": "exact", "perturbation": "none"}, {"name": "perturbed"}],
        }
        with open(os.path.join(work, "p.json"), "w") as f:
            json.dump(pipeline, f)
        subprocess.run([a.binary, "run", os.path.join(work, "p.json")], check=True, stdout=subprocess.DEVNULL)
        exact_dir = os.path.join(work, "out", "exact", "default", "all")
        perturbed_dir = os.path.join(work, "out", "perturbed", "default", "all")
        package = json.load(open(os.path.join(exact_dir, "datapackage.json")))
        print(f"{'table':22} {'column':16} {'cells':>7} {'MAD':>6} {'max':>4} {'rel. MAD':>9}   rows withheld exact/perturbed")
        for resource in package["resources"]:
            name = resource["name"]
            fields = resource["schema"]["fields"]
            key = resource["schema"].get("primaryKey", [])
            key = [key] if isinstance(key, str) else key
            header, exact = read_table(exact_dir, name)
            _, perturbed = read_table(perturbed_dir, name)
            index = [header.index(k) for k in key]
            counts = [i for i, f in enumerate(fields) if f["type"] == "integer" and f["name"] not in key and f["name"] != "rank"]
            by_key = {tuple(r[i] for i in index): r for r in perturbed}
            withheld = lambda rows: sum(1 for r in rows if counts and all(r[i] == "" for i in counts))
            missing = sum(1 for r in exact if tuple(r[i] for i in index) not in by_key)
            for c, f in enumerate(fields):
                if f["name"].startswith("median_"):
                    shown = lambda rows: sum(1 for r in rows if r[c] != "")
                    pairs = [(float(r[c]), float(by_key[tuple(r[i] for i in index)][c])) for r in exact
                             if r[c] != "" and tuple(r[i] for i in index) in by_key and by_key[tuple(r[i] for i in index)][c] != ""]
                    rel = [abs(b - a) / a for a, b in pairs if a > 0]
                    mean_rel = f"{100 * sum(rel) / len(rel):.1f}%" if rel else "-"
                    print(f"{name:22} {header[c]:16} medians published: {shown(exact)} exact, {shown(perturbed)} perturbed "
                          f"(a median needs minCount people near it); mean relative deviation {mean_rel}")
            for c in counts:
                deviations, relative = [], []
                for r in exact:
                    p = by_key.get(tuple(r[i] for i in index))
                    if p is None or r[c] == "" or p[c] == "":
                        continue
                    d = abs(int(p[c]) - int(r[c]))
                    deviations.append(d)
                    if int(r[c]) > 0:
                        relative.append(d / int(r[c]))
                if not deviations:
                    print(f"{name:22} {header[c]:16} {0:>7}")
                    continue
                mad = sum(deviations) / len(deviations)
                rel = sum(relative) / len(relative) if relative else 0
                print(f"{name:22} {header[c]:16} {len(deviations):>7} {mad:>6.2f} {max(deviations):>4} {rel * 100:>8.2f}%   "
                      f"{withheld(exact)}/{withheld(perturbed) + missing}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
