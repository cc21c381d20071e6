"""Each simulated user its own account: the school a load stage simulates, provisioned on the suite.

No school day has 600 pupils signing in as one account: sessions, caches, locks and per-user storage
all behave differently when every request carries the same name. So a real-length stage
(`make evaluate LOAD=full`) builds the school of the size it simulates (poc/school.py, the run's seed:
size S is 24 classes, 600 pupils and 48 teachers, the same numbers as scenarios/load/sizes.yaml),
provisions it on the suite through poc/school_provisioning.py (a local suite's launcher, or an
external deployment's provisioning adapter, where it is removed again when the run ends), prepares
each account's folders, calendar and class before the stage starts (outside the statistics: a
school's materials are there before 08:00), and then every simulated pupil and teacher signs in as a
person of that school, one account each.

The Locust processes get, beside the suite state:

  POC_LOAD_SCHOOL            <stage>/school.json: the school's people (usernames, roles, classes; no password)
  POC_LOAD_SCHOOL_PASSWORDS  {username: password}, in their environment only (never in a file or a log)
  <stage>/prepared.json      what was prepared per account (URLs only)

`POC_LOAD_ACCOUNTS=school|shared` chooses (default: `school` for real-length stages, `shared` for the
short stage of every evaluation, whose few users are the suite's test accounts). Which one a stage
used is in its summary (`accounts`) and the report's stage table."""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PocError
from ..suites import Account

ENV_SCHOOL = "POC_LOAD_SCHOOL"
ENV_PASSWORDS = "POC_LOAD_SCHOOL_PASSWORDS"
ENV_MODE = "POC_LOAD_ACCOUNTS"          # school | shared
ENV_GENERATORS = "POC_LOAD_GENERATORS"  # how many processes generate users (set by the runner)
SCHOOL, SHARED = "school", "shared"
SCHOOL_FILE, PREPARED_FILE = "school.json", "prepared.json"
PREPARE_THREADS = 8
ROLES = ("pupil", "teacher")


def mode(full: bool) -> str:
    value = (os.environ.get(ENV_MODE) or (SCHOOL if full else SHARED)).strip().lower()
    if value not in (SCHOOL, SHARED):
        raise PocError(f"{ENV_MODE}={value!r}: expected {SCHOOL} or {SHARED}")
    return value


def account_of(person) -> Account:
    return Account(person.role, person.username, person.password, person.display_name, person.email)


@dataclass
class ProvidedSchool:
    """A school provisioned on the deployment for the load stages of one size."""

    school: object
    summary: dict                       # public: counts, via, seconds, prepared (no password)
    env: dict = field(default_factory=dict, repr=False)
    prepared: dict = field(default_factory=dict)

    def write(self, folder: Path) -> dict:
        """school.json and prepared.json into a stage's folder; the environment for its Locust processes."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SCHOOL_FILE).write_text(json.dumps(self.school.public(), ensure_ascii=False, indent=1),
                                          encoding="utf-8")
        (folder / PREPARED_FILE).write_text(json.dumps(self.prepared, ensure_ascii=False), encoding="utf-8")
        return {**self.env, ENV_SCHOOL: str(folder / SCHOOL_FILE)}


def shared_summary(accounts: dict) -> dict:
    roles = sorted(r for r in accounts if r.startswith("pupil") or r == "teacher")
    return {"mode": SHARED, "accounts": len(roles),
            "note": "the suite's test accounts (" + ", ".join(roles) + "), shared by every simulated user"}


def provide(dep, size: str, *, seed: int, progress=print) -> ProvidedSchool:
    """Build the school of `size`, provision it on `dep` and prepare every account; raises PocError when
    the deployment cannot be provisioned (the stage then runs on the suite's shared test accounts, and its
    summary and report say so and why)."""
    from .. import school as school_mod, school_provisioning
    from ..redact import add as add_secret
    from . import target as target_mod

    why = school_provisioning.supported(dep)
    if why:
        raise PocError(f"each simulated user needs an account of its own and {dep.suite.name} cannot be given a "
                       f"school: {why} (POC_LOAD_ACCOUNTS=shared runs the stage on the suite's test accounts, "
                       "and says so)")
    reserved = {a.username for a in dep.accounts.values()}
    school = school_mod.build(size, seed, reserved=reserved)
    add_secret(*(p.password for p in school.people))
    progress(f"load: provisioning school {school.name} on {dep.suite.name} (size {size}: "
             f"{len(school.pupils)} pupils, {len(school.teachers)} teachers, {len(school.classes)} classes), "
             "one account per simulated user ...")
    t0 = time.monotonic()
    made = school_provisioning.provision(dep, school, progress=progress)
    provision_s = time.monotonic() - t0
    target = target_mod.from_deployment(dep)
    t0 = time.monotonic()
    prepared = prepare(target, school, progress=progress)
    prepare_s = time.monotonic() - t0
    failed = sorted(u for u, ctx in prepared.items() if isinstance(ctx, dict) and ctx.get("error"))
    summary = {"mode": SCHOOL, "school": school.name, "size": size, "seed": seed, "fingerprint": school.fingerprint(),
               "pupils": len(school.pupils), "teachers": len(school.teachers), "classes": len(school.classes),
               "accounts": len(school.people), "provisioned": dict(made or {}),
               "provision_s": round(provision_s, 1), "prepare_s": round(prepare_s, 1),
               "prepare_failed": len(failed), "prepare_failed_examples": failed[:5]}
    progress(f"load: {len(school.people)} accounts provisioned in {provision_s:.0f} s and prepared in "
             f"{prepare_s:.0f} s" + (f"; preparing {len(failed)} failed (e.g. {', '.join(failed[:3])})" if failed else ""))
    env = {ENV_PASSWORDS: json.dumps({p.username: p.password for p in school.people}, ensure_ascii=False)}
    return ProvidedSchool(school, summary, env, prepared)


def remove(dep, provided: ProvidedSchool, progress=print) -> list[dict]:
    """Remove an external deployment's school again; what could not be removed, as left-behind items."""
    from .. import school_provisioning
    left = school_provisioning.remove(dep, provided.school, progress=progress)
    return [{"what": str(item), "why": f"made for the load stage (school {provided.school.name})",
             "how": f"remove it as {dep.suite.name}'s administrator"} for item in left]


# -- preparing each account (outside the statistics) ------------------------------------------------

def prepare(target, school, *, progress=print, threads: int = PREPARE_THREADS) -> dict:
    """Each account's load folders and calendar (as the load users would make them on first use), and
    for a learning platform one class of the load with the school's pupils and its teachers as coaches
    and a lesson; {username: ctx, "_learning": ctx}. Per-account failures are recorded, not raised."""
    from . import actions
    from .data import behaviour

    kb = behaviour()["file_kb"]
    people = list(school.people)
    out: dict = {}
    lock = threading.Lock()
    done = [0]
    step = max(1, len(people) // 10)

    def one(person) -> None:
        account = account_of(person)
        ctx: dict = {}
        try:
            if "files" in target.capabilities:
                ctx["files"] = target.url_for("files", account).rstrip("/") + "/"
                ctx["materials"] = actions.setup_files(ctx["files"], account, 3, int(kb["material"]))
                ctx["folder"] = ctx["files"] + actions.FOLDER
            if "calendar" in target.capabilities:
                ctx["calendar"] = actions.setup_calendar(target.url_for("calendar", account), account)
        except Exception as exc:  # noqa: BLE001 - named per account; the user then prepares on first use
            ctx = {"error": f"{type(exc).__name__}: {str(exc)[:160]}"}
        with lock:
            out[person.username] = ctx
            done[0] += 1
            if done[0] % step == 0 or done[0] == len(people):
                progress(f"load: prepared {done[0]}/{len(people)} accounts")

    if {"files", "calendar"} & set(target.capabilities):
        with ThreadPoolExecutor(max(1, threads)) as ex:
            list(ex.map(one, people))
    if "learning" in target.capabilities and target.protocol("learning") in actions.LEARNING:
        try:
            out["_learning"] = actions.setup_learning(target.url_for("learning"), target.accounts,
                                                      people=[account_of(p) for p in people])
        except Exception as exc:  # noqa: BLE001 - the users then see what the suite has
            out["_learning"] = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    return out


# -- in the Locust processes --------------------------------------------------------------------------

def load_people() -> dict[str, list[Account]] | None:
    """{role: [Account, ...]} of the school the harness provisioned for this stage, or None (shared accounts)."""
    path = os.environ.get(ENV_SCHOOL)
    if not path:
        return None
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    passwords = json.loads(os.environ.get(ENV_PASSWORDS) or "{}")
    people: dict[str, list[Account]] = {r: [] for r in ROLES}
    for p in data["people"]:
        people.setdefault(p["role"], []).append(
            Account(p["role"], p["username"], passwords.get(p["username"], ""), p.get("display_name", ""), ""))
    missing = [a.username for accounts in people.values() for a in accounts if not a.password]
    if missing:
        raise PocError(f"{ENV_PASSWORDS} lacks the passwords of {len(missing)} account(s) of {path}")
    return people


def load_prepared() -> dict:
    path = os.environ.get(ENV_SCHOOL)
    if not path:
        return {}
    f = Path(path).with_name(PREPARED_FILE)
    return json.loads(f.read_text(encoding="utf-8")) if f.exists() else {}


def pick(accounts: list, local_index: int, generator: int, generators: int):
    """The account of the `local_index`-th user of one role in generator process `generator` of
    `generators`: the processes take disjoint accounts (i, i + n, i + 2n, ...), so no two simulated users
    share one while there are as many accounts as users."""
    return accounts[(local_index * max(1, generators) + generator) % len(accounts)]


USED_GLOB = "accounts-used-*.json"


def write_used(folder, usernames, users: int) -> None:
    """Each generator process's accounts in use, written as it quits (usernames are not secrets)."""
    path = Path(folder) / f"accounts-used-{os.getpid()}.json"
    path.write_text(json.dumps({"users": users, "accounts": sorted(usernames)}), encoding="utf-8")


def used(folder: Path) -> dict | None:
    """{"distinct": n, "processes": k}: how many different accounts the stage's users signed in as."""
    names: set[str] = set()
    files = sorted(Path(folder).glob(USED_GLOB))
    for f in files:
        try:
            names.update(json.loads(f.read_text(encoding="utf-8")).get("accounts", []))
        except (OSError, ValueError):
            continue
    return {"distinct": len(names), "processes": len(files)} if files else None
