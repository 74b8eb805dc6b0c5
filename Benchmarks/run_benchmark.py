#!/usr/bin/env python3
"""Benchmarks `sillage run` on a generated combined access log.

Builds the release binary, generates the log once (fixed seed) into a cache directory
outside the repository, then runs a fresh ingest + export and prints wall time, MB/s,
lines/s and peak resident memory.

With --parsers, also measures each activity-log parser on the generated activity of
--learners simulated learners (Moodle logstore and report, Open edX tracking log, xAPI
statements), and each access-log reader on the first --vendor-mb MB of the combined log
rewritten in its format (nginx/Caddy/Traefik/Cloudflare JSON, W3C, CloudFront, ELB, ALB,
S3, HAProxy, and `auto`), and prints MB/s and records/s per parser (ingest phase of a
`--dry-run`, so that commits overlapping the parse do not count).

Usage: run_benchmark.py [--size-mb 1000] [--threads N] [--cache DIR] [--repeat 1]
                        [--parsers] [--learners 8000] [--vendor-mb 100] [--skip-web]
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
    ap.add_argument("--vendor-mb", type=float, default=100, help="combined log rewritten per access-log format for --parsers")
    ap.add_argument("--skip-web", action="store_true", help="skip the access-log run")
    a = ap.parse_args()

    subprocess.run(["swift", "build", "-c", "release", "--product", "sillage"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, ".build", "release", "sillage")

    os.makedirs(a.cache, exist_ok=True)
    if a.parsers:
        parsers(a, binary)
        access_readers(a, binary, combined_log(a))
    if a.skip_web:
        return
    log = combined_log(a)
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


def combined_log(a):
    """The generated combined log of --size-mb MB (made once, cached)."""
    log_name = f"access-{int(a.size_mb)}MB-seed{a.seed}.log"
    log = os.path.join(a.cache, log_name)
    if not os.path.exists(log):
        print(f"generating {log} (once; cached)", file=sys.stderr)
        partial = log + ".partial"
        subprocess.run([sys.executable, os.path.join(ROOT, "Benchmarks", "generate_logs.py"), "--out", a.cache,
                        "--single", log_name + ".partial", "--target-mb", str(a.size_mb), "--seed", str(a.seed)], check=True)
        os.rename(partial, log)
    return log


COMBINED = None


def vendor_line(kind, f):
    """One combined record (a dict) written as `kind` writes it, from the vendors' documented layouts."""
    import json
    from urllib.parse import quote
    ip, user, t, method, target, status, size, ref, ua = (f[k] for k in ("ip", "user", "time", "method", "target", "status", "size", "ref", "ua"))
    iso, path, _, query = t["iso"], target.partition("?")[0], "", target.partition("?")[2]
    if kind == "nginx-json":
        return json.dumps({"time_local": t["clf"], "remote_addr": ip, "remote_user": "" if user == "-" else user,
                           "request": f"{method} {target} HTTP/1.1", "status": status, "body_bytes_sent": size,
                           "http_referer": ref, "http_user_agent": ua}, separators=(",", ":"))
    if kind == "caddy-json":
        return json.dumps({"level": "info", "ts": t["epoch"], "logger": "http.log.access", "msg": "handled request",
                           "request": {"remote_ip": ip, "remote_port": "41342", "client_ip": ip, "proto": "HTTP/2.0", "method": method,
                                       "host": "moodle.example.fr", "uri": target, "headers": {"User-Agent": [ua], "Accept": ["*/*"]}},
                           "bytes_read": 0, "user_id": "" if user == "-" else user, "duration": 0.0012, "size": int(size) if size.isdigit() else 0,
                           "status": int(status)}, separators=(",", ":"))
    if kind == "traefik-json":
        return json.dumps({"ClientAddr": ip + ":51234", "ClientHost": ip, "ClientUsername": user, "DownstreamStatus": int(status),
                           "Duration": 1234567, "RequestHost": "moodle.example.fr", "RequestMethod": method, "RequestPath": target,
                           "RequestProtocol": "HTTP/1.1", "StartUTC": iso, "request_User-Agent": ua, "level": "info", "msg": "",
                           "time": iso}, separators=(",", ":"))
    if kind == "cloudflare-json":
        return json.dumps({"ClientIP": ip, "ClientRequestHost": "moodle.example.fr", "ClientRequestMethod": method,
                           "ClientRequestURI": target, "ClientRequestUserAgent": ua, "EdgeResponseStatus": int(status),
                           "EdgeStartTimestamp": int(t["epoch"] * 1e9), "RayID": "7d2a3f1b9c0e4a21"}, separators=(",", ":"))
    date, clock = iso[:10], iso[11:19]
    if kind == "w3c":
        return f"{date} {clock} 10.0.0.4 {method} {path} {query or '-'} 443 {user} {ip} {ua.replace(' ', '+')} - {status} 0 0 15"
    if kind == "cloudfront":
        return "\t".join([date, clock, "CDG50-C1", size, ip, method, "d111111abcdef8.cloudfront.net", path, status, "-",
                          quote(ua, safe="/;:()+,"), query or "-", "-", "Miss", "SOX4xwn4XV6Q4rgb7XiVGOHms", "moodle.example.fr",
                          "https", "140", "0.061", "-", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "Miss", "HTTP/2.0", "-", "-", "11040",
                          "0.061", "Miss", "text/html", size, "-", "-"])
    if kind == "elb":
        return f'{iso[:19]}.945958Z my-lb {ip}:2817 10.0.0.1:80 0.000073 0.001048 0.000057 {status} {status} 0 {size} "{method} http://moodle.example.fr:80{target} HTTP/1.1" "{ua}" - -'
    if kind == "alb":
        return (f'https {iso[:19]}.186641Z app/my-lb/50dc6c495c0c9188 {ip}:2817 10.0.0.1:80 0.000 0.001 0.000 {status} {status} 34 {size} '
                f'"{method} https://moodle.example.fr:443{target} HTTP/1.1" "{ua}" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 '
                f'arn:aws:elasticloadbalancing:eu-west-3:123456789012:targetgroup/t/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" '
                f'"moodle.example.fr" "-" 0 {iso[:19]}.364000Z "forward" "-" "-" "10.0.0.1:80" "{status}" "-" "-" TID_1')
    if kind == "s3":
        return (f'79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be moodle-files [{t["clf"]}] {ip} - 3E57427F3EXAMPLE '
                f'REST.GET.OBJECT {path.lstrip("/") or "-"} "{method} {target} HTTP/1.1" {status} - {size} 3462992 70 10 "{ref}" "{ua}" - '
                f's9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6Uk= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader moodle-files.s3.eu-west-3.amazonaws.com TLSV1.2 - -')
    if kind == "haproxy":
        return (f'{t["syslog"]} lb1 haproxy[14389]: {ip}:33317 [{t["haproxy"]}] https-in~ moodle/web1 10/0/30/69/109 {status} {size} - - ---- '
                f'1/1/1/1/0 0/0 {{moodle.example.fr}} {{}} "{method} {target} HTTP/1.1"')
    raise ValueError(kind)


def combined_records(path, limit_bytes):
    """The combined log's first records, as dicts (lines that do not parse are left out)."""
    import re
    import datetime
    pattern = re.compile(r'^(\S+) \S+ (\S+) \[([^\]]+)\] "(\S+) (\S+)[^"]*" (\d{3}) (\S+) "([^"]*)" "([^"]*)"')
    done = 0
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            done += len(line)
            if done > limit_bytes:
                break
            m = pattern.match(line)
            if not m:
                continue
            try:
                when = datetime.datetime.strptime(m.group(3), "%d/%b/%Y:%H:%M:%S %z")
            except ValueError:
                continue
            utc = when.astimezone(datetime.timezone.utc)
            yield {"ip": m.group(1), "user": m.group(2), "method": m.group(4), "target": m.group(5), "status": m.group(6),
                   "size": m.group(7), "ref": m.group(8), "ua": m.group(9).replace("\\", "").replace('"', ""),
                   "time": {"clf": m.group(3), "iso": utc.strftime("%Y-%m-%dT%H:%M:%SZ"), "epoch": utc.timestamp() + 0.524,
                            "syslog": when.strftime("%b %d %H:%M:%S"), "haproxy": when.strftime("%d/%b/%Y:%H:%M:%S") + ".655"}}


VENDOR_HEADERS = {
    "w3c": "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n",
    "cloudfront": "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end\n",
}


def access_readers(a, binary, log):
    """Each access-log reader on the first --vendor-mb MB of the combined log in its format."""
    kinds = ["combined", "nginx-json", "caddy-json", "traefik-json", "cloudflare-json", "w3c", "cloudfront", "elb", "alb", "s3", "haproxy"]
    directory = os.path.join(a.cache, f"vendor-{int(a.vendor_mb)}MB-seed{a.seed}")
    os.makedirs(directory, exist_ok=True)
    paths = {"combined": os.path.join(directory, "combined.log")}
    if not os.path.exists(paths["combined"]):
        with open(log, "rb") as src, open(paths["combined"] + ".partial", "wb") as dst:
            remaining = int(a.vendor_mb * 1e6)
            for line in src:
                remaining -= len(line)
                if remaining < 0:
                    break
                dst.write(line)
        os.rename(paths["combined"] + ".partial", paths["combined"])
    missing = [k for k in kinds[1:] if not os.path.exists(os.path.join(directory, k + ".log"))]
    if missing:
        print(f"writing the combined log in {len(missing)} formats into {directory} (once; cached)", file=sys.stderr)
        outs = {k: open(os.path.join(directory, k + ".log.partial"), "w", encoding="utf-8") for k in missing}
        for k, out in outs.items():
            out.write(VENDOR_HEADERS.get(k, ""))
        for record in combined_records(paths["combined"], int(a.vendor_mb * 1e6)):
            for k, out in outs.items():
                out.write(vendor_line(k, record) + "\n")
        for k, out in outs.items():
            out.close()
            os.rename(os.path.join(directory, k + ".log.partial"), os.path.join(directory, k + ".log"))
    print(f"access-log readers on {a.vendor_mb:.0f} MB of the generated combined log, rewritten per format:")
    for kind in kinds + ["auto"]:
        path = os.path.join(directory, ("combined" if kind == "auto" else kind) + ".log")
        size = os.path.getsize(path)
        wall, report, _ = run_once(binary, f"{kind}:{path}", a.threads, extra=["--dry-run"])
        ingest = report["phases"].get("ingest", wall)
        rejects = sum(report["rejects"].values()) if isinstance(report.get("rejects"), dict) else report.get("rejects")
        print(f"  {kind:16} {size / 1e6:7.1f} MB  {report['records']:>9} records  {report['events']:>9} events  "
              f"ingest {ingest:6.2f} s  {size / 1e6 / ingest:7.1f} MB/s  {report['records'] / ingest / 1e6:5.2f} M records/s  "
              f"rejected {rejects}")


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
