"""The simulated learners' activity as the learning platforms record it.

Fed by generate_logs.py: every page view of a Moodle course or activity in the access log
also becomes Moodle logstore rows. Viewing a page or a resource completes it; attempting the quiz
passes (state 2) or fails (state 3) it; once a course's quiz is passed and one of its pages
is complete, the cron job records the course completion (origin cli) a few minutes later.
The ground truth is what was recorded, written to ground_truth.json.
"""
import csv
import datetime as dt
import gzip
import io
import json
import os
import re

MOODLE = "https://moodle.example.fr"
ORIENTATION = "https://orientation.example.fr"
MOOC = "course-v1:Sillage+ORI101+2026"
LOGSTORE_COLUMNS = ["id", "eventname", "component", "action", "target", "objecttable", "objectid", "crud", "edulevel",
                    "contextid", "contextlevel", "contextinstanceid", "userid", "courseid", "relateduserid", "anonymous",
                    "other", "timecreated", "origin", "ip", "realuserid"]
SEARCH_TERMS_FOUND = ["planning", "examen", "stage", "python", "orientation"]
SEARCH_TERMS_MISSING = ["bourse lycee", "parcoursup calendrier", "alternance informatique"]
FICHES = ["metier-infirmier", "metier-developpeur", "metier-electricien", "metier-professeur", "metier-cuisinier"]


def course_done(course, done):
    """A course is complete once its quiz is passed and at least one of its pages is done."""
    return course * 100 + 40 in done and any(course * 100 + k in done for k in range(1, 12))


class Activity:
    def __init__(self, rng):
        self.rng = rng
        self.rows = []            # (time, row dict)
        self.report_rows = []     # (time, row list) for the week before
        self.done = {}            # (user, course) -> set of completed cms
        self.completed = {}       # (user, course) -> completion time
        self.enrolled = {}        # (user, course) -> enrolment time
        self.module_completers = {}  # cm -> set of users
        self.mooc = []            # tracking log lines (time, text)
        self.xapi = []            # (time, statement)
        self.learners = []

    # -- Moodle -------------------------------------------------------------------------
    def row(self, t, event, component, user, course, level, instance, related="", other="", origin="web", crud="r"):
        self.rows.append((t, {
            "id": 0, "eventname": event, "component": component, "action": event.rsplit("_", 1)[-1],
            "target": event.split("\\")[-1], "objecttable": "", "objectid": "", "crud": crud, "edulevel": 2,
            "contextid": 1000 + instance, "contextlevel": level, "contextinstanceid": instance, "userid": user,
            "courseid": course, "relateduserid": related, "anonymous": 0, "other": other,
            "timecreated": int(t.timestamp()), "origin": origin, "ip": "", "realuserid": ""}))

    def begin(self, learners, days):
        self.learners = learners
        self.days = days
        # Enrolled by the teacher the evening before the window opens, before any activity.
        first = dt.datetime(days[0].year, days[0].month, days[0].day, 17, 0, tzinfo=dt.timezone.utc) - dt.timedelta(days=1)
        for learner in learners:
            learner.moodle_id = learner.user_id
            for course in learner.courses:
                t = first + dt.timedelta(seconds=self.rng.randrange(3600))
                self.enrolled[(learner.user_id, course)] = t
                self.row(t, "\\core\\event\\user_enrolment_created", "enrol_manual", 2, course, 50, course,
                         related=learner.user_id, crud="c")
            learner.in_mooc = self.rng.random() < 0.35
            learner.edx_id = 5000 + learner.user_id
            learner.on_orientation = self.rng.random() < 0.4
        self.report_week(learners, days[0])

    def complete_module(self, user, course, cm, t, state=1):
        self.row(t, "\\core\\event\\course_module_completion_updated", "core", user, course, 70, cm, related=user,
                 other=json.dumps({"relateduserid": user, "overrideby": None, "completionstate": state}), crud="u")
        if state in (1, 2):
            self.module_completers.setdefault(cm, set()).add(user)
            key = (user, course)
            self.done.setdefault(key, set()).add(cm)
            if key not in self.completed and course_done(course, self.done[key]):
                done_at = t + dt.timedelta(minutes=self.rng.randrange(2, 15))
                self.completed[key] = done_at
                self.row(done_at, "\\core\\event\\course_completed", "core", 0, course, 50, course, related=user,
                         other=json.dumps({"relateduserid": user}), origin="cli", crud="u")

    def page(self, learner, t, target):
        """A learner's page view in the access log, as Moodle records it."""
        if learner is None:
            return
        t = t.astimezone(dt.timezone.utc)
        user = learner.user_id
        m = re.match(r"/course/view\.php\?id=(\d+)", target)
        if m:
            course = int(m.group(1))
            self.row(t, "\\core\\event\\course_viewed", "core", user, course, 50, course)
            return
        m = re.match(r"/mod/(page|resource|quiz)/view\.php\?id=(\d+)", target)
        if m:
            module, cm = m.group(1), int(m.group(2))
            course = cm // 100
            self.row(t, "\\mod_%s\\event\\course_module_viewed" % module, "mod_" + module, user, course, 70, cm)
            if module in ("page", "resource") and cm not in self.done.get((user, course), set()):
                self.complete_module(user, course, cm, t + dt.timedelta(seconds=1))
            return
        m = re.match(r"/mod/quiz/attempt\.php\?attempt=\d+&cmid=(\d+)", target)
        if m:
            cm = int(m.group(1))
            course = cm // 100
            if cm not in self.done.get((user, course), set()):
                self.complete_module(user, course, cm, t + dt.timedelta(seconds=2), state=2 if self.rng.random() < 0.7 else 3)
            return
        m = re.match(r"/search/index\.php\?q=(\w+)", target)
        if m:
            self.row(t, "\\core\\event\\search_results_viewed", "core", user, 1, 10, 1, other=json.dumps({"q": m.group(1), "page": 0}))
            return
        if target.startswith("/login/index.php") and learner is not None:
            self.row(t, "\\core\\event\\user_loggedin", "core", user, 0, 10, 1, other=json.dumps({"username": learner.username}))
        # The MOOC and the orientation site are visited on the same occasions by some learners.
        if learner.in_mooc and self.rng.random() < 0.15:
            self.mooc_visit(learner, t)
        if learner.on_orientation and self.rng.random() < 0.12:
            self.orientation_visit(learner, t)

    # -- Moodle Logs report of the week before (no overlap with the logstore) ---------------
    def report_week(self, learners, first_day):
        paris = dt.timezone(dt.timedelta(hours=1))
        for learner in learners[: max(12, len(learners) // 4)]:
            for back in range(1, 8):
                if self.rng.random() < 0.5:
                    continue
                day = first_day - dt.timedelta(days=back)
                t = dt.datetime(day.year, day.month, day.day, 9 + self.rng.randrange(10), self.rng.randrange(60), tzinfo=paris)
                course = learner.courses[0]
                cm = course * 100 + self.rng.randrange(1, 12)
                name = learner.username.split(".")[0].capitalize() + " " + re.sub(r"\d+", "", learner.username.split(".")[1]).capitalize()
                self.report_rows.append((t, [t.strftime("%d/%m/%y, %H:%M"), name, "-", "Course: Course %d" % course, "System",
                                             "Course viewed", "The user with id '%d' viewed the course with id '%d'." % (learner.user_id, course),
                                             "web", "0.0.0.0"]))
                t2 = t + dt.timedelta(minutes=self.rng.randrange(1, 20))
                self.report_rows.append((t2, [t2.strftime("%d/%m/%y, %H:%M"), name, "-", "Page: Chapter", "Page",
                                              "Course module viewed",
                                              "The user with id '%d' viewed the 'page' activity with course module id '%d'." % (learner.user_id, cm),
                                              "web", "0.0.0.0"]))

    # -- Open edX MOOC ------------------------------------------------------------------
    def tracking(self, t, learner, event_type, event, source="server"):
        record = {"username": learner.username, "event_source": source, "name": event_type, "event_type": event_type,
                  "context": {"course_id": MOOC, "user_id": learner.edx_id, "org_id": "Sillage", "path": "/event"},
                  "time": t.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"), "ip": learner.ip, "agent": learner.ua,
                  "host": "mooc.example.fr", "event": json.dumps(event) if source == "browser" else event, "page": None}
        prefix = t.strftime("%Y-%m-%d %H:%M:%S,") + "%03d INFO 20 [tracking] [user %d] logger.py:41 - " % (t.microsecond // 1000, learner.edx_id)
        self.mooc.append((t, prefix + json.dumps(record)))

    def mooc_visit(self, learner, t):
        key = ("mooc", learner.edx_id)
        if key not in self.enrolled:
            self.enrolled[key] = t
            self.tracking(t, learner, "edx.course.enrollment.activated", {"course_id": MOOC, "user_id": learner.edx_id, "mode": "audit"})
        for k in range(self.rng.randint(1, 4)):
            t = t + dt.timedelta(seconds=self.rng.randrange(20, 240))
            block = "%032x" % (hash((learner.edx_id, k)) & ((1 << 128) - 1))
            self.tracking(t, learner, "play_video", {"id": "video%d" % self.rng.randrange(1, 6), "code": "x", "currentTime": 0}, source="browser")
            self.tracking(t + dt.timedelta(seconds=3), learner, "edx.ui.lms.sequence.next_selected",
                          {"id": "block-v1:Sillage+ORI101+2026+type@sequential+block@seq%d" % self.rng.randrange(1, 5), "current_tab": 1, "tab_count": 5},
                          source="browser")
        if self.rng.random() < 0.3:
            term = self.rng.choice(SEARCH_TERMS_MISSING if self.rng.random() < 0.6 else SEARCH_TERMS_FOUND)
            total = 0 if term in SEARCH_TERMS_MISSING else self.rng.randrange(1, 30)
            self.tracking(t, learner, "edx.course.search.results_displayed", {"search_term": term, "total": total, "page_size": 20, "page_number": 1}, source="browser")
        if ("mooc-done", learner.edx_id) not in self.completed and self.rng.random() < 0.2:
            self.completed[("mooc-done", learner.edx_id)] = t
            self.tracking(t + dt.timedelta(seconds=30), learner, "edx.course.grade.passed.first_time",
                          {"user_id": learner.edx_id, "course_id": MOOC})

    # -- xAPI from the orientation site -------------------------------------------------
    def statement(self, t, learner, verb, obj, obj_type, result=None):
        s = {"actor": {"objectType": "Agent", "account": {"homePage": MOODLE, "name": str(learner.user_id)}},
             "verb": {"id": verb}, "object": {"objectType": "Activity", "id": obj, "definition": {"type": obj_type}},
             "context": {"contextActivities": {"parent": [{"id": ORIENTATION + "/parcours/decouverte", "definition": {"type": "http://adlnet.gov/expapi/activities/course"}}]}},
             "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}
        if result is not None:
            s["result"] = result
        self.xapi.append((t, s))

    def orientation_visit(self, learner, t):
        for _ in range(self.rng.randint(1, 3)):
            t = t + dt.timedelta(seconds=self.rng.randrange(15, 300))
            self.statement(t, learner, "http://id.tincanapi.com/verb/viewed", ORIENTATION + "/fiches/" + self.rng.choice(FICHES),
                           "http://id.tincanapi.com/activitytype/resource")
        if self.rng.random() < 0.4:
            term = self.rng.choice(SEARCH_TERMS_MISSING + ["metier sante"])
            self.statement(t, learner, "https://w3id.org/xapi/acrossx/verbs/searched", ORIENTATION + "/recherche",
                           "http://id.tincanapi.com/activitytype/search",
                           {"response": term, "extensions": {ORIENTATION + "/xapi/results": 0 if term in SEARCH_TERMS_MISSING else 12}})
        if ("orientation", learner.user_id) not in self.completed and self.rng.random() < 0.25:
            self.completed[("orientation", learner.user_id)] = t
            self.statement(t + dt.timedelta(seconds=5), learner, "http://adlnet.gov/expapi/verbs/completed", ORIENTATION + "/parcours/decouverte",
                           "http://adlnet.gov/expapi/activities/course", {"completion": True})

    # -- Output -------------------------------------------------------------------------
    def finish(self, directory, mirror):
        os.makedirs(directory, exist_ok=True)
        self.rows.sort(key=lambda r: r[0])
        with open(os.path.join(directory, "logstore.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=LOGSTORE_COLUMNS, lineterminator="\n")
            w.writeheader()
            for i, (_, row) in enumerate(self.rows, 1):
                row["id"] = i
                w.writerow(row)
        self.report_rows.sort(key=lambda r: r[0], reverse=True)  # the report lists newest first
        with open(os.path.join(directory, "report.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["Time", "User full name", "Affected user", "Event context", "Component", "Event name", "Description", "Origin", "IP address"])
            for _, row in self.report_rows:
                w.writerow(row)
        with open(os.path.join(directory, "course_completions.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["id", "userid", "course", "timeenrolled", "timestarted", "timecompleted", "reaggregate"])
            n = 0
            for (user, course), t in sorted(self.enrolled.items(), key=lambda kv: str(kv[0])):
                if user == "mooc":
                    continue
                n += 1
                done = self.completed.get((user, course))
                w.writerow([n, user, course, int(t.timestamp()), 0, int(done.timestamp()) if done else "", 0])
        with open(os.path.join(directory, "catalogue.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["key", "name", "course", "position"])
            for course in range(2, 14):
                w.writerow([course, "Cours %d" % course, "", ""])
                for position, cm in enumerate([course * 100 + 1, course * 100 + 2, course * 100 + 20, course * 100 + 40], 1):
                    w.writerow([cm, ["Chapitre 1", "Chapitre 2", "Support de cours", "Quiz final"][position - 1], course, position])
            w.writerow([MOOC, "Découvrir les métiers (MOOC)", "", ""])
        with open(os.path.join(directory, "organisations.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["userid", "organisation"])
            for learner in self.learners:
                w.writerow([learner.user_id, ["Lycée Jean Moulin", "CFA Métiers du Numérique", "Mission locale Est"][learner.user_id % 3]])
        self.mooc.sort(key=lambda r: r[0])
        # The two largest files are written gzip-compressed (deterministic: mtime 0).
        with open(os.path.join(directory, "tracking.log.gz"), "wb") as f:
            f.write(gzip.compress("".join(text + "\n" for _, text in self.mooc).encode(), mtime=0))
        self.xapi.sort(key=lambda r: r[0])
        with open(os.path.join(directory, "orientation-statements.jsonl.gz"), "wb") as f:
            f.write(gzip.compress("".join(json.dumps(s, ensure_ascii=False) + "\n" for _, s in self.xapi).encode(), mtime=0))
        if mirror:
            self.write_mirror(os.path.join(directory, "moodle-as-xapi.jsonl"))
        truth = {"courses": {}, "activities": {}}
        for (user, course), t in self.enrolled.items():
            if user == "mooc":
                continue
            c = truth["courses"].setdefault(str(course), {"enrolled": [], "completers": {}})
            c["enrolled"].append(user)
        for (user, course), t in self.completed.items():
            if user in ("mooc-done", "orientation"):
                continue
            truth["courses"][str(course)]["completers"][str(user)] = int(t.timestamp())
            truth["courses"][str(course)]["enrolled_at"] = truth["courses"][str(course)].get("enrolled_at", {})
        for (user, course), t in self.enrolled.items():
            if user != "mooc":
                truth["courses"][str(course)].setdefault("enrolled_at", {})[str(user)] = int(t.timestamp())
        for cm, users in self.module_completers.items():
            truth["activities"]["cm:%d" % cm] = sorted(users)
        for c in truth["courses"].values():
            c["enrolled"].sort()
        with open(os.path.join(directory, "ground_truth.json"), "w", encoding="utf-8") as f:
            json.dump(truth, f, indent=1, sort_keys=True)

    def write_mirror(self, path):
        """The Moodle logstore rows as the xAPI logstore plugin would send them."""
        with open(path, "w", encoding="utf-8") as f:
            for t, row in self.rows:
                event = row["eventname"]
                user = row["relateduserid"] if row["relateduserid"] != "" else row["userid"]
                course = row["courseid"]
                course_obj = {"id": "%s/course/view.php?id=%d" % (MOODLE, course), "definition": {"type": "http://id.tincanapi.com/activitytype/lms/course"}}
                if "course_module" in event or "completion_updated" in event:
                    module = row["component"].replace("mod_", "") if row["component"].startswith("mod_") else "page"
                    obj = {"id": "%s/mod/%s/view.php?id=%d" % (MOODLE, module, row["contextinstanceid"]), "definition": {"type": "http://id.tincanapi.com/activitytype/lms/module"}}
                else:
                    obj = course_obj
                result = None
                if event.endswith("course_viewed") or event.endswith("course_module_viewed"):
                    verb = "http://id.tincanapi.com/verb/viewed"
                elif event.endswith("completion_updated"):
                    state = json.loads(row["other"])["completionstate"]
                    if state not in (1, 2):
                        continue
                    verb, result = "http://adlnet.gov/expapi/verbs/completed", {"completion": True}
                elif event.endswith("course_completed"):
                    verb, result = "http://adlnet.gov/expapi/verbs/completed", {"completion": True}
                elif event.endswith("user_enrolment_created"):
                    verb = "http://adlnet.gov/expapi/verbs/registered"
                else:
                    continue
                s = {"actor": {"account": {"homePage": MOODLE, "name": str(user)}}, "verb": {"id": verb}, "object": obj,
                     "context": {"contextActivities": {"grouping": [course_obj]}},
                     "timestamp": dt.datetime.fromtimestamp(row["timecreated"], dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
                if result:
                    s["result"] = result
                f.write(json.dumps(s) + "\n")
