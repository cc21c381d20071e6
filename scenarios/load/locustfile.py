"""Pupils and teachers of a Danish school acting over the suite's own protocols.

The same suite declaration as the API scenarios: each action needs a capability, and its URL and
protocol come from the suite's suite.yaml through the suite state; a capability the suite lacks
leaves its actions out (named in the results). Think times and weights are in behaviour.yaml,
the load curve in profiles.yaml, school sizes in sizes.yaml.

Run by the harness (`python -m poc load`, `make load`, the load stage of `make evaluate`), or by
hand with plain Locust against a suite the harness started or attached to:

    POC_LOAD_STATE=reports/runs/<id>/suite-state.json POC_LOAD_PROFILE=morning POC_LOAD_SIZE=XS \\
    POC_LOAD_DURATION=60 POC_BASELINE_PUPIL_PASSWORD=... locust -f scenarios/load/locustfile.py --headless

(the passwords come from the environment variables the suite's accounts name, never from a file).
"""

from __future__ import annotations

import itertools
import os
import random
import sys

import gevent
from gevent.lock import Semaphore
from locust import events
from locust.runners import WorkerRunner

from poc.load import ENV_OUT, ENV_PROFILE, ENV_SEED, ENV_SIZE, ENV_STATE, ENV_THINK, actions, data, keepalive, profiles, safety
from poc.load import handins, school_accounts
from poc.load import target as target_mod

if not os.environ.get(ENV_STATE):
    sys.exit(f"{__file__}: set {ENV_STATE} to a suite-state.json (reports/runs/<id>/suite-state.json); "
             "load goes only to the hosts a suite declares")
try:
    TARGET = target_mod.from_state(os.environ[ENV_STATE])
except Exception as exc:  # a clear message instead of a traceback
    sys.exit(f"{__file__}: {exc}")
try:  # the school the harness provisioned for this stage: each simulated user its own account
    PEOPLE = school_accounts.load_people()
    PREPARED = school_accounts.load_prepared()
except Exception as exc:
    sys.exit(f"{__file__}: {exc}")
GENERATORS = int(os.environ.get(school_accounts.ENV_GENERATORS) or 1)
USED: set[str] = set()  # the accounts this process's users signed in as (written at the end: accounts-used-<pid>.json)
PROFILE = os.environ.get(ENV_PROFILE) or "steady"
SIZE = data.size(os.environ.get(ENV_SIZE) or "S")
BEHAVIOUR = data.behaviour()
SKIPPED: list[str] = []  # actions left out because the suite lacks their capability
random.seed(int(os.environ.get(ENV_SEED) or 2026))

# the single load shape of this locustfile: the profile (or capacity search) the env names
SchoolDayShape = profiles.shape_from_env()
# each user keeps its connections (poc/load/keepalive.py); the open-files limit is raised to the hard limit
# and every generator's new connections are counted into <stage>/connections.json
keepalive.install(events, os.environ.get(ENV_OUT), hosts=max(1, len(TARGET.hosts())))


def _tasks(role: str, functions: dict) -> dict:
    """The role's actions with their weights (actions.select: capability and protocol checks)."""
    chosen, left_out = actions.select(role, PROFILE, TARGET, BEHAVIOUR)
    SKIPPED.extend(left_out)
    return {functions[action]: weight for action, weight in chosen.items()}


LEARNING = actions.LEARNING.get(TARGET.protocol("learning") or "", {}) if "learning" in TARGET.capabilities else {}


class SchoolUser(keepalive.KeepAliveHttpUser):
    """A pupil or teacher of the school the harness provisioned (an account of its own: real-length
    stages), or of the suite's test accounts (the short stage), with a think time from behaviour.yaml; it
    keeps its connections as a browser does (one pool of its own, reused whatever file number its
    sockets get)."""

    abstract = True
    host = TARGET.hosts()[0] if TARGET.hosts() else None
    role = "pupil"
    accounts: list[str] = ["pupil"]
    allowed_prefixes = tuple(h + "/" for h in TARGET.hosts())
    _counter = itertools.count()
    _role_counter = {"pupil": itertools.count(), "teacher": itertools.count()}
    _prepared: dict = {}
    _learning: dict | None = None
    _lock = Semaphore()
    signed_in = False

    def __init__(self, environment):
        super().__init__(environment)
        self.index = next(self._counter)
        self.rng = random.Random(int(os.environ.get(ENV_SEED) or 2026) * 100_003 + self.index)
        if PEOPLE and PEOPLE.get(self.role):
            generator = getattr(environment.runner, "worker_index", 0) if isinstance(environment.runner, WorkerRunner) else 0
            self.account = school_accounts.pick(PEOPLE[self.role], next(self._role_counter[self.role]), generator,
                                                GENERATORS)
        else:
            roles = [r for r in self.accounts if r in TARGET.accounts] or list(TARGET.accounts)[:1]
            self.account = TARGET.accounts[roles[self.index % len(roles)]]
        self.auth = actions.basic_auth(self.account)
        think = BEHAVIOUR["think_time"][self.role]
        fixed = os.environ.get(ENV_THINK)
        self.think = (float(fixed), float(fixed)) if fixed else (float(think["min"]), float(think["max"]))

        USED.add(self.account.username)

    def wait_time(self):
        return self.rng.uniform(*self.think)

    def prepared(self) -> dict:
        """The account's folders and calendar, made once per load process (not in the statistics)."""
        key = self.account.username if PEOPLE else self.account.role
        with self._lock:
            ready = PREPARED.get(key) if PEOPLE else None
            if ready and not ready.get("error"):
                self._prepared[key] = ready
            if LEARNING and SchoolUser._learning is None and PREPARED.get("_learning") is not None:
                SchoolUser._learning = {k: v for k, v in PREPARED["_learning"].items() if k != "error"}
            if key not in self._prepared:
                ctx = {}
                if "files" in TARGET.capabilities:
                    ctx["files"] = TARGET.url_for("files", self.account).rstrip("/") + "/"
                    kb = BEHAVIOUR["file_kb"]
                    ctx["materials"] = actions.setup_files(ctx["files"], self.account, 3, int(kb["material"]))
                    ctx["folder"] = ctx["files"] + actions.FOLDER
                if "calendar" in TARGET.capabilities:
                    ctx["calendar"] = actions.setup_calendar(TARGET.url_for("calendar", self.account), self.account)
                self._prepared[key] = ctx
            if LEARNING and SchoolUser._learning is None:
                SchoolUser._learning = {}
                try:  # a class, its pupils and teacher, and a lesson to open (as the suite's admin)
                    SchoolUser._learning = actions.setup_learning(TARGET.url_for("learning"), TARGET.accounts)
                except Exception as exc:  # the users then see what the suite has; no account data in the message
                    sys.stderr.write(f"learning set-up left out: {type(exc).__name__}: {str(exc)[:200]}\n")
        return self._prepared[key]

    def on_start(self):
        self.ctx = self.prepared()
        self.learning = dict(SchoolUser._learning or {})
        if "files" in self.ctx:  # logging in: the first authenticated request of a session
            actions.propfind(self, self.ctx["files"], f"{self.role}: log in", depth="0")
        if any(getattr(t, "__name__", "") in LEARNING for t in self.tasks):
            # signing in to the learning platform: once per user session (the platform checks the password)
            LEARNING["_sign_in"](self, TARGET.url_for("learning", self.account), f"{self.role}: sign in (learning)")


# -- the pupil -------------------------------------------------------------------------------------

def list_files(user):
    actions.propfind(user, user.ctx["folder"] + "materials/", "pupil: list files")


def open_file(user):
    actions.get(user, user.rng.choice(user.ctx["materials"]), "pupil: open file")


def upload_assignment(user):
    """A hand-in of the user's own (its file named by process and user), remembered so that the harness can
    read it back after the stage: no acknowledged hand-in may be lost (PRF-02; poc/load/handins.py)."""
    user.handed_in = getattr(user, "handed_in", 0) + 1
    body = (f"Aflevering {user.handed_in} fra elev {user.index}: Svar på spørgsmål 1-5. Æbler, øer og åer.\n"
            * (int(BEHAVIOUR["file_kb"]["assignment"]) * 16)).encode()
    url = f"{user.ctx['folder']}handins/elev-{os.getpid()}-{user.index}.txt"
    r = actions.put(user, url, "pupil: upload assignment", body)
    handins.record(url, user.account.username, body, 200 <= (r.status_code or 0) < 300)


def look_at_calendar(user):
    actions.report_week(user, user.ctx["calendar"], "pupil: look at calendar")


# learning (the suite's `learning` capability, over the protocols actions.LEARNING knows)

def _learning(action: str, name: str):
    def act(user):
        LEARNING[action](user, TARGET.url_for("learning", user.account), f"{user.role}: {name}")
    act.__name__ = action
    return act


sign_in_learning = _learning("sign_in_learning", "sign in (learning)")
see_my_classes = _learning("see_my_classes", "see my classes")
open_lesson = _learning("open_lesson", "open lesson")
look_at_class_lessons = _learning("look_at_class_lessons", "look at class lessons")


class Pupil(SchoolUser):
    role = "pupil"
    accounts = ["pupil", "pupil2"]
    weight = SIZE.pupils
    tasks = _tasks("pupil", {"list_files": list_files, "open_file": open_file, "look_at_calendar": look_at_calendar,
                             "upload_assignment": upload_assignment, "sign_in_learning": sign_in_learning,
                             "see_my_classes": see_my_classes, "open_lesson": open_lesson})


# -- the teacher -----------------------------------------------------------------------------------

def share_folder(user):
    spec = TARGET.capabilities.get("sharing", {})
    if spec.get("protocol") == "ocs":
        actions.ocs_share(user, TARGET.url_for("sharing", user.account), actions.FOLDER + "materials",
                          "5a", "teacher: share folder with class")


def create_lesson(user):
    actions.put_event(user, user.ctx["calendar"], "teacher: create lesson event")


def collect_hand_ins(user):
    actions.propfind(user, user.ctx["folder"] + "handins/", "teacher: collect hand-ins")
    actions.get(user, user.ctx["folder"] + "handins/aflevering-1.txt", "teacher: open hand-in")


class Teacher(SchoolUser):
    role = "teacher"
    accounts = ["teacher"]
    weight = SIZE.teachers
    tasks = _tasks("teacher", {"share_folder": share_folder, "create_lesson": create_lesson,
                               "collect_hand_ins": collect_hand_ins, "look_at_class_lessons": look_at_class_lessons})


if not Teacher.tasks or not Teacher.weight:
    Teacher.abstract = True  # nothing a teacher can do on this suite (or no teacher account)


# -- safety: declared hosts only, and a run that ends on its own ----------------------------------------

@events.init.add_listener
def _guard(environment, **_kw):
    try:
        used = {BEHAVIOUR["actions"][a]["capability"] for r in ("pupil", "teacher") for a in data.weights(r, PROFILE)}
        safety.check_target(TARGET, used, environment.host)
        shape = environment.shape_class
        planned = getattr(shape, "duration", None) or getattr(getattr(shape, "plan", None), "max_seconds", None)
        users = getattr(shape, "users", None) or getattr(getattr(shape, "plan", None), "max_users", None)
        safety.check_bounds(int(users or 1), float(planned or safety.max_seconds()))
    except safety.LoadRefused as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(2)
    if not isinstance(environment.runner, WorkerRunner):  # the master (or the only process) ends the run
        limit = float(planned or safety.max_seconds()) + safety.GRACE_SECONDS
        gevent.spawn_later(limit, lambda: environment.runner.quit())
    if SKIPPED and not isinstance(environment.runner, WorkerRunner):
        sys.stderr.write("left out (the suite lacks the capability): " + "; ".join(sorted(set(SKIPPED))) + "\n")


@events.quitting.add_listener
def _accounts_used(environment, **_kw):
    """Which accounts this process's users signed in as (usernames only), for the stage's summary."""
    if USED and os.environ.get(ENV_OUT):
        school_accounts.write_used(os.environ[ENV_OUT], USED, getattr(environment.runner, "user_count", 0))
    if os.environ.get(ENV_OUT):
        handins.write(os.environ[ENV_OUT])
