#!/usr/bin/env python3
"""Generates realistic Moodle access logs (Apache combined) from a fixed seed.

Simulated learners keep a device (user agent) and a home address (IPv4 or IPv6) and
connect on some days; each connection is a burst of page views, each page pulling static
assets. Crawlers, monitoring probes, 4xx/5xx answers, POSTs, personal data in query
strings, escaped quotes and a few malformed lines are mixed in. Lines are written in the
order requests *finish*, with the time they *started* (as Apache does), so timestamps are
slightly out of order. Days and offsets follow Europe/Paris, DST included.

With --activity, the same learners' activity is also written as the LMS sees it (see
activity.py): a Moodle logstore export, a Moodle Logs report of the week before, Moodle
course_completions, a course catalogue, organisations, an Open edX tracking log of a MOOC
some of them follow, xAPI statements from an orientation site, and ground_truth.json.

Usage:
  generate_logs.py --out DIR [--seed 7] [--learners 160] [--start 2026-03-26] [--days 8]
      [--rotate]               write access.log, access.log.1 and access.log.2.gz
      [--activity DIR]         also write the activity logs into DIR
      [--xapi-mirror]          also write the Moodle activity as xAPI (moodle-as-xapi.jsonl)
  generate_logs.py --out DIR --target-mb 1000 --single access.log
      write one file of about that size (benchmarks), learners scaled up
"""
import argparse
import datetime as dt
import gzip
import os
import random
import sys
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

DESKTOP = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0",
]
MOBILE = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Mobile Safari/537.36",
    "MoodleMobile 4.4.0 (44000) Mozilla/5.0 (Linux; Android 12; Redmi Note 11) AppleWebKit/537.36 (KHTML, like Gecko) Mobile",
]
TABLET = [
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
]
QUOTED = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \\"Campus Browser\\" Chrome/126.0 Safari/537.36'
CRAWLERS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
    "-",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
]
FIRST = ["camille", "lea", "louis", "emma", "jules", "chloe", "hugo", "manon", "lucas", "ines", "nathan", "jade",
         "adam", "lina", "theo", "sarah", "noah", "zoe", "ethan", "alice", "paul", "rose", "yanis", "lou"]
LAST = ["martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand", "leroy", "moreau",
        "simon", "laurent", "lefebvre", "michel", "garcia", "david", "bertrand", "roux", "vincent", "fournier"]
ASSETS = [
    "/theme/styles.php/boost/1727338823_1/all",
    "/theme/yui_combo.php?rollup/3.18.1/yui-moodlesimple-min.js",
    "/lib/javascript.php/1727338823/lib/requirejs/require.min.js",
    "/lib/requirejs.php/1727338823/core/first.js",
    "/theme/image.php/boost/core/1727338823/t/expanded",
    "/theme/font.php/boost/core/1727338823/fontawesome-webfont.woff2",
    "/favicon.ico",
    "/pix/moodlelogo.png",
    "/media/player/videojs/amd/build/video-lazy.min.js.map",
]


class Learner:
    def __init__(self, rng, i):
        self.username = f"{rng.choice(FIRST)}.{rng.choice(LAST)}{i}"
        self.email = f"{self.username}@example.fr"
        self.user_id = 100 + i
        self.authenticated = rng.random() < 0.25   # behind an SSO proxy that sets REMOTE_USER
        kind = rng.random()
        self.ua = rng.choice(DESKTOP if kind < 0.6 else MOBILE if kind < 0.88 else TABLET)
        if rng.random() < 0.02:
            self.ua = QUOTED
        if rng.random() < 0.2:
            self.ip = "2a01:e0a:%x:%x::%x" % (rng.randrange(0x10, 0xfff), rng.randrange(0x1, 0xffff), rng.randrange(1, 0xffff))
        else:
            self.ip = "%d.%d.%d.%d" % (rng.choice([78, 82, 86, 90, 92, 176, 193]), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
        self.activity = rng.choice([0.15, 0.35, 0.55, 0.8])
        self.courses = rng.sample(range(2, 14), rng.randint(1, 4))


def fmt_time(t):
    local = t.astimezone(PARIS)
    off = local.utcoffset()
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return "%02d/%s/%04d:%02d:%02d:%02d %s%02d%02d" % (
        local.day, MONTHS[local.month - 1], local.year, local.hour, local.minute, local.second,
        sign, minutes // 60, minutes % 60)


def page_for(rng, learner):
    c = rng.choice(learner.courses)
    r = rng.random()
    if r < 0.22:
        return f"/course/view.php?id={c}"
    if r < 0.40:
        return f"/mod/page/view.php?id={c * 100 + rng.randrange(1, 12)}"
    if r < 0.52:
        return f"/mod/resource/view.php?id={c * 100 + rng.randrange(20, 30)}"
    if r < 0.62:
        return f"/mod/quiz/view.php?id={c * 100 + rng.randrange(40, 45)}"
    if r < 0.68:
        return f"/mod/quiz/attempt.php?attempt={rng.randrange(1000, 9999)}&cmid={c * 100 + 40}&page={rng.randrange(0, 5)}"
    if r < 0.75:
        return f"/mod/forum/discuss.php?d={rng.randrange(1, 300)}"
    if r < 0.80:
        return "/my/"
    if r < 0.84:
        return f"/user/profile.php?id={learner.user_id}&email={learner.email.replace('@', '%40')}"
    if r < 0.87:
        return f"/search/index.php?q={rng.choice(['examen', 'planning', 'stage', 'python', 'orientation'])}"
    if r < 0.90:
        return f"/pluginfile.php/{rng.randrange(10, 400)}/mod_resource/content/1/cours_{c}.pdf"
    if r < 0.92:
        return f"/webservice/pluginfile.php/{rng.randrange(10, 400)}/user/icon/f1?token=%032x" % rng.getrandbits(128)
    if r < 0.94:
        return f"/calendar/view.php?view=month&course={c}"
    if r < 0.96:
        return f"/grade/report/user/index.php?id={c}"
    return f"/message/index.php?id={learner.user_id}"


def line(ip, user, t, method, target, status, size, referer, ua):
    if ACTIVITY is not None and status < 400 and method in ("GET", "POST"):
        ACTIVITY.page(CURRENT_LEARNER[0], t, target)
    return f'{ip} - {user} [{fmt_time(t)}] "{method} {target} HTTP/1.1" {status} {size} "{referer}" "{ua}"\n'


ACTIVITY = None          # an activity.Activity when --activity is given
CURRENT_LEARNER = [None]


def learner_day(rng, learner, day_start, out):
    """Appends (finish_time, text) for one learner's day."""
    CURRENT_LEARNER[0] = learner
    sessions = 1 + (rng.random() < 0.35) + (rng.random() < 0.1)
    user = learner.username if learner.authenticated else "-"
    host = "https://moodle.example.fr"
    for _ in range(sessions):
        hour = rng.choice([8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22])
        t = day_start + dt.timedelta(hours=hour, seconds=rng.randrange(3600))
        if rng.random() < 0.3:
            target = "/login/index.php"
            out.append((t + dt.timedelta(milliseconds=40), line(learner.ip, "-", t, "GET", target, 200, 9120, "-", learner.ua)))
            t += dt.timedelta(seconds=rng.randrange(4, 30))
            out.append((t + dt.timedelta(milliseconds=300), line(learner.ip, "-", t, "POST", "/login/index.php", 303, 0,
                                                                 host + "/login/index.php", learner.ua)))
        pages = max(1, int(rng.expovariate(1 / 6)))
        referer = "-"
        for p in range(pages):
            target = page_for(rng, learner)
            status = 200 if rng.random() > 0.03 else rng.choice([404, 403, 500, 503])
            latency = dt.timedelta(milliseconds=rng.randrange(20, 2500))
            out.append((t + latency, line(learner.ip, user, t, "GET", target, status, rng.randrange(4000, 90000), referer, learner.ua)))
            for asset in rng.sample(ASSETS, rng.randint(0, 4)):
                ta = t + dt.timedelta(milliseconds=rng.randrange(50, 900))
                code = 304 if rng.random() < 0.5 else 200
                out.append((ta + dt.timedelta(milliseconds=5), line(learner.ip, user, ta, "GET", asset, code, 0 if code == 304 else rng.randrange(500, 200000),
                                                                    host + target, learner.ua)))
            referer = host + target
            gap = rng.random()
            if gap < 0.80:
                t += dt.timedelta(seconds=rng.randrange(5, 300))
            elif gap < 0.95:
                t += dt.timedelta(seconds=rng.randrange(300, 1500))
            elif gap < 0.98:
                t += dt.timedelta(seconds=1800)   # exactly the limit: still one session
            else:
                t += dt.timedelta(seconds=rng.randrange(1850, 5000))
        if rng.random() < 0.2:
            out.append((t + dt.timedelta(milliseconds=80), line(learner.ip, user, t, "GET", "/login/logout.php?sesskey=%010x" % rng.getrandbits(40),
                                                                303, 0, referer, learner.ua)))


def noise_day(rng, day_start, out, scale):
    CURRENT_LEARNER[0] = None
    for _ in range(int(60 * scale)):
        t = day_start + dt.timedelta(seconds=rng.randrange(86400))
        ua = rng.choice(CRAWLERS)
        ip = "66.249.%d.%d" % (rng.randrange(64, 80), rng.randrange(1, 255)) if "Google" in ua else "40.77.%d.%d" % (rng.randrange(256), rng.randrange(1, 255))
        target = rng.choice(["/", "/course/index.php", "/robots.txt", f"/course/view.php?id={rng.randrange(2, 14)}", "/login/index.php"])
        out.append((t, line(ip, "-", t, rng.choice(["GET", "GET", "HEAD"]), target, rng.choice([200, 200, 301, 404]), rng.randrange(0, 20000), "-", ua)))
    for _ in range(int(8 * scale)):
        t = day_start + dt.timedelta(seconds=rng.randrange(86400))
        ip = "185.220.%d.%d" % (rng.randrange(256), rng.randrange(1, 255))
        target = rng.choice(["/wp-login.php", "/.env", "/admin/tool/phpunit/", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php"])
        out.append((t, line(ip, "-", t, "GET", target, 404, 196, "-", rng.choice(DESKTOP))))
    for _ in range(max(1, int(2 * scale))):
        t = day_start + dt.timedelta(seconds=rng.randrange(86400))
        out.append((t, line("10.0.0.5", "-", t, "OPTIONS", "*", 200, 0, "-", "Apache/2.4.62 (Debian) (internal dummy connection)")))
    # A few malformed lines: cut in the middle, junk from a TLS probe, a line without a timestamp.
    if rng.random() < 0.8:
        t = day_start + dt.timedelta(seconds=rng.randrange(86400))
        full = line("203.0.113.9", "-", t, "GET", "/course/view.php?id=3", 200, 5120, "-", DESKTOP[0])
        out.append((t, full[: rng.randrange(20, 60)] + "\n"))
    if rng.random() < 0.5:
        t = day_start + dt.timedelta(seconds=rng.randrange(86400))
        out.append((t, '198.51.100.7 - - [%s] "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03" 400 226 "-" "-"\n' % fmt_time(t)))
    if rng.random() < 0.3:
        t = day_start + dt.timedelta(seconds=rng.randrange(86400))
        out.append((t, '192.0.2.44 - - [not a date] "GET / HTTP/1.1" 200 512 "-" "curl/8.5.0"\n'))


def day_lines(rng, learners, day, scale):
    day_start = dt.datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(dt.timezone.utc)
    # Local midnight, then hours added in UTC: a DST day simply has 23 or 25 hours.
    out = []
    for learner in learners:
        weekday_factor = 0.55 if day.weekday() >= 5 else 1.0
        if rng.random() < learner.activity * weekday_factor:
            learner_day(rng, learner, day_start, out)
    noise_day(rng, day_start, out, scale)
    out.sort(key=lambda x: x[0])
    return [text for _, text in out]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--learners", type=int, default=160)
    ap.add_argument("--start", default="2026-03-26")
    ap.add_argument("--days", type=int, default=8)
    ap.add_argument("--rotate", action="store_true", help="split into access.log, access.log.1, access.log.2.gz")
    ap.add_argument("--target-mb", type=float, default=0, help="keep adding days until the file reaches this size")
    ap.add_argument("--single", default="access.log", help="file name when not rotating")
    ap.add_argument("--activity", help="also write the learners' activity logs into this directory")
    ap.add_argument("--xapi-mirror", action="store_true", help="with --activity: the Moodle activity as xAPI too")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    global ACTIVITY
    if a.activity:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import activity
        ACTIVITY = activity.Activity(random.Random(a.seed + 1000))
    os.makedirs(a.out, exist_ok=True)
    learners_n = a.learners if a.target_mb <= 0 else max(a.learners, 20000)
    learners = [Learner(rng, i) for i in range(learners_n)]
    start = dt.date.fromisoformat(a.start)
    scale = max(1.0, learners_n / 160)
    if a.target_mb > 0:
        path = os.path.join(a.out, a.single)
        target = int(a.target_mb * 1_000_000)
        written = 0
        day = start
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            while written < target:
                for text in day_lines(rng, learners, day, scale):
                    f.write(text)
                    written += len(text)
                    if written >= target:
                        break
                day += dt.timedelta(days=1)
                print(f"{day} {written / 1e6:.0f} MB", file=sys.stderr)
        return
    days = [start + dt.timedelta(days=i) for i in range(a.days)]
    if ACTIVITY is not None:
        ACTIVITY.begin(learners, days)
    per_day = [day_lines(rng, learners, d, scale) for d in days]
    if ACTIVITY is not None:
        ACTIVITY.finish(a.activity, a.xapi_mirror)
    if not a.rotate:
        with open(os.path.join(a.out, a.single), "w", encoding="utf-8", newline="\n") as f:
            for lines in per_day:
                f.writelines(lines)
        return
    # Oldest third gzip-rotated (two members, as `cat a.gz b.gz` makes), middle third .1, newest third current.
    n = len(per_day)
    cut1, cut2 = n // 3, 2 * n // 3
    old = "".join("".join(l) for l in per_day[:cut1]).encode()
    half = old.rfind(b"\n", 0, len(old) // 2) + 1
    with open(os.path.join(a.out, "access.log.2.gz"), "wb") as f:
        f.write(gzip.compress(old[:half], mtime=0))
        f.write(gzip.compress(old[half:], mtime=0))
    with open(os.path.join(a.out, "access.log.1"), "w", encoding="utf-8", newline="\n") as f:
        for lines in per_day[cut1:cut2]:
            f.writelines(lines)
    with open(os.path.join(a.out, "access.log"), "w", encoding="utf-8", newline="\n") as f:
        for lines in per_day[cut2:]:
            f.writelines(lines)


if __name__ == "__main__":
    main()
