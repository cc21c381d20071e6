"""A generated school (poc/school.py) provisioned on a deployment, and removed from it again.

A real-length load stage simulates a school of a size; each simulated pupil and teacher signs in as
its own account. This module makes those accounts, classes and enrolments:

- a local suite: its launcher's ``provision_school(school)`` (baseline, sogo, kolibri); the suite's
  data folder is discarded when it stops, so there is nothing to remove;
- an external (or Compose) deployment: the suite's ``provisioning`` capability, signed in as the
  administrator the harness already uses for the test accounts:

  * Nextcloud (``ocs``): one group per class, ``poc-<school>-<class>`` (``poc-testskolen-s-1-7.b``,
    display name ``7.b (Testskolen S-1)``), and one for the school's teachers
    (``poc-<school>-laerere``); every person a user with display name, Danish as interface language
    (``provision.language``) and its groups given in the same call (``groups[]``), so a membership
    costs no request of its own. No e-mail address: Nextcloud mails an invitation to every new user
    with one (``newUser.sendEmail``, on by default), and the school's addresses are made up.
  * Moodle (``moodle-ws``): the users in batches (``core_user_create_users`` takes many per call),
    one course per class in the school's category (``provision.category``; full name the class's
    name, ``7.b``, short name ``poc-<school>-<class>``), pupils enrolled as students and teachers as
    editing teachers (``enrol_manual_enrol_users``, in batches).

  Several sessions work in parallel (``POC_PROVISION_WORKERS``, default 4 for Nextcloud, 3 for
  Moodle). What was made is remembered in this process, so that :func:`remove` deletes exactly that.

A school's names are the harness's own (the ``poc-`` prefix with the school's name; the users' e-mail
domain ``skole.example.dk`` on Moodle), so leftovers of an earlier run that could not be removed are
recognised and removed before the school is made again. A user of the same name that is not the
harness's (another e-mail address on Moodle, not in the school's groups on Nextcloud) is never
touched: provisioning stops, having removed what it made, and says which.
"""

from __future__ import annotations

import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import requests

from . import school as school_mod
from .errors import PocError, SuiteStartError
from .redact import add as add_secret
from .redact import redact

WORKERS_ENV = "POC_PROVISION_WORKERS"
WORKERS = {"ocs": 4, "moodle-ws": 3}
# Moodle: records per call (PHP's max_input_vars, 1000 by default, bounds a call: 7 fields a user,
# 3 an enrolment); deleting is slow per record in Moodle, so those batches are small and parallel
MOODLE_BATCH = {"lookup": 100, "users": 50, "courses": 24, "enrol": 200, "delete_users": 25, "delete_courses": 4}
LOOKUP_EVERY = 10       # progress lines: about ten per stage
RETRY_DELAYS = (1.0, 4.0)  # a 5xx, a dropped connection or 429 Too Many Requests is tried again after these
TEACHERS_GROUP = "laerere"

class ProvisioningError(SuiteStartError):
    """The school could not be made (what was made so far has been removed where it could)."""


# what provision() made, per deployment and school, for remove()
_MADE: dict[tuple, "Made"] = {}
_MADE_LOCK = threading.Lock()


@dataclass
class Made:
    via: str
    users: dict[str, str] = field(default_factory=dict)     # username -> id on the deployment
    groups: list[str] = field(default_factory=list)         # Nextcloud groups
    courses: dict[str, int] = field(default_factory=dict)   # Moodle: shortname -> course id
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


# -- names -----------------------------------------------------------------------------------------

def slug(text: str) -> str:
    """Lower-case ASCII letters, digits and single dashes: "Testskolen S-1" -> "testskolen-s-1"."""
    return re.sub(r"[^a-z0-9]+", "-", " ".join(school_mod.ascii_name(w) for w in text.split())).strip("-")


def prefix(school) -> str:
    """What every group or course of this school is named with: ``poc-testskolen-s-1-``."""
    return f"poc-{slug(school.name)}-"


def class_key(school, class_name: str) -> str:
    return prefix(school) + class_name


def teachers_key(school) -> str:
    return prefix(school) + TEACHERS_GROUP


def _key(dep, school) -> tuple:
    return (dep.suite.name, (getattr(dep, "url", "") or "").rstrip("/"), school.fingerprint())


# -- the interface ---------------------------------------------------------------------------------

def supported(dep) -> str | None:
    """None when a school can be provisioned on `dep` (a started deployment); else why not."""
    suite = dep.suite
    if getattr(suite, "is_reference", False):
        return f"{suite.name} is a reference column: there is no server to provision"
    if dep.mode == "local":
        launcher = getattr(dep, "launcher", None)
        if launcher is None:
            module = suite.load_module(suite.config["local"]["launcher"], "launcher")
            launcher = getattr(module, "Launcher", None)
        if not callable(getattr(launcher, "provision_school", None)):
            return f"suites/{suite.name}/{suite.config['local']['launcher']} has no provision_school(school)"
        return None
    settings = suite.config.get("provision") or {}
    if settings.get("accounts") == "none":
        return f"{suite.name} holds no user accounts (provision.accounts: none in its suite.yaml)"
    cap = settings.get("via")
    if not cap or cap not in suite.capabilities:
        return f"{suite.name} offers no provisioning adapter that creates users (provision.via in its suite.yaml)"
    protocol = suite.capabilities[cap]["protocol"]
    if protocol not in PROVIDERS:
        return (f"{suite.name}'s provisioning adapter ({protocol}) cannot make a school yet (classes and "
                f"enrolments): poc/school_provisioning.py knows {', '.join(sorted(PROVIDERS))}")
    admin = dep.accounts.get("admin") if getattr(dep, "accounts", None) else None
    if admin is None or not (admin.password or getattr(admin, "login_password", "")):
        env = ((suite.config.get("external") or {}).get("admin") or {}).get("password_env", "its admin password variable")
        return f"the harness has no administrator account for {suite.name} (set {env})"
    return None


def provision(dep, school, *, progress=print) -> dict:
    """Provision `school` on `dep`; a summary without passwords: what was made ("users", "classes",
    "memberships", ...), "via", "seconds", "users_per_s", "note". Raises PocError when it cannot,
    having removed what it made so far where it could."""
    why = supported(dep)
    if why:
        raise PocError(f"cannot provision a school on {dep.suite.name}: {why}")
    add_secret(*(p.password for p in school.people))
    t0 = time.monotonic()
    if dep.mode == "local":
        launcher = dep.launcher
        try:
            made = dict(launcher.provision_school(school) or {})
        except PocError:
            raise
        except Exception as exc:  # the launcher's own failure, named
            raise ProvisioningError(f"provisioning {dep.suite.name} failed: {redact(f'{type(exc).__name__}: {exc}')}") from exc
        seconds = time.monotonic() - t0
        made.setdefault("users", len(school.people))
        return {**made, "via": f"suites/{dep.suite.name}/{dep.suite.config['local']['launcher']} provision_school",
                "seconds": round(seconds, 1), "users_per_s": round(len(school.people) / max(seconds, 0.01), 1)}
    provider = _provider(dep)
    made = Made(provider.via)
    with _MADE_LOCK:
        _MADE[_key(dep, school)] = made
    try:
        counts = provider.provision(school, made, progress)
    except BaseException as exc:
        message = redact(f"{type(exc).__name__}: {exc}") if not isinstance(exc, PocError) else redact(str(exc))
        progress(f"provisioning {school.name} on {dep.suite.name} failed ({message}); removing what was made ...")
        left = remove(dep, school, progress=progress)
        if isinstance(exc, KeyboardInterrupt):
            raise
        tail = ("; nothing was left behind" if not left else
                "; LEFT BEHIND: " + " | ".join(left))
        raise ProvisioningError(f"provisioning {school.name} on {dep.suite.name} failed: {message}{tail}") from None
    seconds = time.monotonic() - t0
    users = counts.get("users", 0)
    return {**counts, "via": provider.via, "workers": provider.workers, "seconds": round(seconds, 1),
            "users_per_s": round(users / max(seconds, 0.01), 1), "note": provider.note}


def remove(dep, school, *, progress=print) -> list[str]:
    """Remove from an external deployment what provision() made of `school` (or, when this process
    did not make it, what carries the school's names and is the harness's); what could not be
    removed, each with how to remove it. A local suite: nothing to do (its data folder goes)."""
    if dep.mode == "local":
        return []
    if supported(dep):
        return []
    provider = _provider(dep)
    key = _key(dep, school)
    with _MADE_LOCK:
        made = _MADE.get(key)
    t0 = time.monotonic()
    left = provider.remove(school, made, progress)
    if not left:
        with _MADE_LOCK:
            _MADE.pop(key, None)
    progress(f"removed school {school.name} from {dep.suite.name} in {time.monotonic() - t0:.1f} s"
             + (f"; {len(left)} item(s) could not be removed" if left else ""))
    return left


# -- doing it in parallel --------------------------------------------------------------------------

def _workers(protocol: str) -> int:
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if raw:
        try:
            return max(1, min(16, int(raw)))
        except ValueError:
            raise PocError(f"{WORKERS_ENV}={raw!r}: expected a number of parallel sessions (1-16)") from None
    return WORKERS.get(protocol, 2)


def _retry(fn, *args, **kwargs):
    """fn(...), tried again after a server fault (5xx), a dropped connection or 429."""
    from .protocols._http import Refused, ServerFault
    for delay in (*RETRY_DELAYS, None):
        try:
            return fn(*args, **kwargs)
        except (ServerFault, requests.ConnectionError, requests.Timeout) as exc:
            if delay is None:
                raise
            last = exc
        except Refused as exc:
            if exc.status not in (429, 503) or delay is None:
                raise
            last = exc
        time.sleep(delay)
    raise last  # pragma: no cover


def _transient(exc) -> bool:
    """A failure worth another try: a 5xx, a dropped connection, 429/503, or Nextcloud's catch-all OCS
    101 "Bad request" (what a database error such as SQLite's "database is locked" becomes in
    cloud/users; an invalid value is a 101 with its own message)."""
    from .protocols._http import Refused, ServerFault
    from .protocols.ocs import OCSError
    if isinstance(exc, (ServerFault, requests.ConnectionError, requests.Timeout)):
        return True
    if isinstance(exc, Refused):
        return exc.status in (429, 503)
    if isinstance(exc, OCSError):
        return exc.statuscode == 996 or (exc.statuscode == 101 and exc.message.strip().lower() in ("bad request", ""))
    return False


def _ocs_retry(fn, *args):
    """fn(*args), tried again after a transient failure; the exception of the last try otherwise."""
    for delay in (*RETRY_DELAYS, None):
        try:
            return fn(*args)
        except Exception as exc:
            if not _transient(exc) or delay is None:
                raise
        time.sleep(delay)


class _Pool:
    """Items done by `workers` threads, each with a client of its own (a requests session is not
    shared between threads). With stop_on_error the first failure stops what has not started."""

    def __init__(self, make_client, workers: int):
        self.make_client, self.workers = make_client, max(1, workers)

    def run(self, items, fn, *, stop_on_error: bool = True, progress=None, label: str = ""):
        local = threading.local()
        clients: list = []
        lock = threading.Lock()
        stop = threading.Event()
        done = [0]
        total = sum(len(i) if isinstance(i, list) else 1 for i in items)  # a batch counts its records
        step = max(1, total // LOOKUP_EVERY)
        t0 = time.monotonic()
        failures: list[tuple[object, BaseException]] = []

        def one(item):
            if stop.is_set():
                return
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = self.make_client()
                with lock:
                    clients.append(client)
            try:
                fn(client, item)
            except Exception as exc:  # noqa: BLE001 - collected and named by the caller
                with lock:
                    failures.append((item, exc))
                if stop_on_error:
                    stop.set()
                return
            if progress is not None:
                with lock:
                    before = done[0]
                    done[0] += len(item) if isinstance(item, list) else 1
                    if done[0] // step != before // step or done[0] >= total:
                        rate = done[0] / max(time.monotonic() - t0, 0.01)
                        progress(f"{label} {done[0]}/{total} ({rate:.1f}/s)")

        try:
            with ThreadPoolExecutor(min(self.workers, max(1, len(items)))) as ex:
                list(ex.map(one, items))
        finally:
            for c in clients:
                getattr(c, "close", lambda: None)()
        return failures


def _batches(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), max(1, size))]


def _names(items, n: int = 8) -> str:
    items = list(items)
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


# -- the providers ---------------------------------------------------------------------------------

class _Provider:
    product = "the suite"

    def __init__(self, dep):
        self.dep, self.suite = dep, dep.suite
        self.cap = (self.suite.config.get("provision") or {})["via"]
        self.protocol = self.suite.capabilities[self.cap]["protocol"]
        self.workers = _workers(self.protocol)
        self.base = dep.url_for(self.cap)

    def client(self):
        """A fresh adapter signed in as the administrator (an app password where the run made one)."""
        from .protocols import adapter
        return adapter(self.protocol)(self.base, self.dep.accounts["admin"], self.suite)

    def pool(self) -> _Pool:
        return _Pool(self.client, self.workers)


class _Nextcloud(_Provider):
    product = "Nextcloud"
    note = ("one group per class and one for the teachers, memberships given at creation (groups[]); no e-mail "
            "address (Nextcloud would mail each new user an invitation)")

    @property
    def via(self) -> str:
        return f"{self.suite.name} OCS provisioning API (cloud/users, cloud/groups) as the administrator"

    def provision(self, school, made: Made, progress) -> dict:
        admin = self.client()
        try:
            self._remove_leftovers(admin, school, progress)
            language = admin.language
        finally:
            admin.close()
        groups = [(class_key(school, c.name), f"{c.name} ({school.name})") for c in school.classes]
        groups.append((teachers_key(school), f"Lærere ({school.name})"))
        t0 = time.monotonic()
        admin = self.client()
        try:  # one after the other: few, quick, and what a retry finds is then plain
            for gid, display in groups:
                try:
                    _ocs_retry(admin.create_group_named, gid, display)
                except Exception as exc:
                    from .protocols.ocs import OCSError
                    # 102 group exists: the school's leftovers were removed just before, so it is our
                    # own try that failed on its way back
                    if not (isinstance(exc, OCSError) and exc.statuscode == 102 and gid in admin.groups(gid)):
                        raise PocError(f"could not create the group {gid!r}: {exc}") from None
                made.groups.append(gid)
        finally:
            admin.close()
        progress(f"{len(groups)} groups made in {time.monotonic() - t0:.1f} s; creating {len(school.people)} users "
                 f"({self.workers} sessions in parallel) ...")
        t0 = time.monotonic()

        def make_user(client, person):
            from .protocols.ocs import OCSError
            mine = [class_key(school, c) for c in person.classes]
            if person.role == "teacher":
                mine.append(teachers_key(school))
            for attempt, delay in enumerate((*RETRY_DELAYS, None)):
                try:
                    client.create_user(person.username, person.password, display_name=person.display_name,
                                       groups=mine, language=language)
                    break
                except OCSError as exc:
                    if exc.statuscode == 102:  # the user exists
                        if attempt > 0 and set(mine) <= set(client.user_groups(person.username)):
                            break  # made by our own earlier attempt after all
                        raise PocError(f"a user {person.username!r} exists on {self.base} and is not the harness's "
                                       "(it is in none of the school's groups); it was left alone. Provision another "
                                       "school (--seed) or remove that user first") from None
                    if not _transient(exc) or delay is None:
                        raise
                except Exception as exc:
                    if not _transient(exc) or delay is None:
                        raise
                # the failed attempt may have left the user half made (e.g. SQLite's "database is
                # locked" after the user row was written): remove it, then try again
                self._undo_half_made(client, person.username, made)
                time.sleep(delay)
            with made.lock:
                made.users[person.username] = person.username

        failed = self.pool().run(list(school.people), make_user, progress=progress, label="users created:")
        if failed:
            person, exc = failed[0]
            raise PocError(f"could not create the user {person.username!r}: {exc}"
                           + (f" ({len(failed)} failures in all)" if len(failed) > 1 else ""))
        seconds = time.monotonic() - t0
        progress(f"{len(school.people)} users made in {seconds:.1f} s ({len(school.people) / max(seconds, 0.01):.1f} users/s)")
        memberships = sum(len(c.pupils) + len(c.teachers) for c in school.classes) + len(school.teachers)
        return {"users": len(school.people), "pupils": len(school.pupils), "teachers": len(school.teachers),
                "classes": len(school.classes), "groups": len(groups), "memberships": memberships,
                "users_seconds": round(seconds, 1)}

    def _undo_half_made(self, client, userid: str, made: Made) -> None:
        try:
            if client.user_exists(userid):
                with made.lock:
                    made.users[userid] = userid  # removed with the school if this delete fails too
                _ocs_retry(client.delete_user, userid)
                with made.lock:
                    made.users.pop(userid, None)
        except Exception:  # noqa: BLE001 - the next try says what is wrong
            pass

    def _ours(self, admin, school) -> tuple[list[str], list[str]]:
        """The school's groups on the deployment, and the school's users that are in them."""
        pre = prefix(school)
        groups = [g for g in admin.groups(pre) if g.startswith(pre)]
        people = {p.username for p in school.people}
        users: set[str] = set()
        for g in groups:
            users |= people & set(admin.group_members(g))
        return groups, sorted(users)

    def _remove_leftovers(self, admin, school, progress) -> None:
        groups, users = self._ours(admin, school)
        if not groups:
            return
        progress(f"found {len(groups)} groups and {len(users)} users of school {school.name} from an earlier run "
                 "that were not removed: removing them first")
        left = self._delete(users, groups, progress)
        if left:
            raise PocError("leftovers of an earlier run could not be removed: " + " | ".join(left))

    def remove(self, school, made: Made | None, progress) -> list[str]:
        admin = self.client()
        try:
            groups, users = self._ours(admin, school)
        except Exception as exc:  # noqa: BLE001 - fall back on the record, if there is one
            if made is None:
                return [f"school {school.name}'s users and groups (prefix {prefix(school)}) on {self.base}: they could "
                        f"not be looked up ({redact(str(exc))}); remove them as an administrator (Users: the groups "
                        f"{prefix(school)}*, their members, then the groups)"]
            groups, users = [], []
        finally:
            admin.close()
        if made is not None:
            users = sorted(set(users) | set(made.users))
            groups = sorted(set(groups) | set(made.groups))
        return self._delete(users, groups, progress)

    def _delete(self, users: list[str], groups: list[str], progress) -> list[str]:
        from .protocols.ocs import OCSError
        left: list[str] = []
        t0 = time.monotonic()

        def gone(client, userid) -> bool:
            try:
                return not client.user_exists(userid)
            except Exception:  # noqa: BLE001
                return False

        def delete_user(client, userid):
            try:
                _ocs_retry(client.delete_user, userid)
            except OCSError:
                if not gone(client, userid):
                    raise

        failed = self.pool().run(list(users), delete_user, stop_on_error=False,
                                 progress=progress if len(users) > 50 else None, label="users removed:")
        if users:
            progress(f"{len(users) - len(failed)} users removed in {time.monotonic() - t0:.1f} s")
        failed_users = [u for u, _ in failed]
        if failed_users:
            why = redact(str(failed[0][1]))
            cmd = " && ".join(f"php occ user:delete {u}" for u in failed_users[:3])
            left.append(f"{len(failed_users)} Nextcloud user(s) of the school: {_names(failed_users, 50)} ({why}); "
                        f"to remove them: as an administrator, `{cmd}`{' ...' if len(failed_users) > 3 else ''} "
                        f"on the server, or DELETE {self.base}/ocs/v1.php/cloud/users/<user> with the header "
                        "OCS-APIRequest: true")

        def delete_group(client, gid):
            try:
                _ocs_retry(client.delete_group, gid)
            except OCSError:
                if gid in client.groups(gid):
                    raise

        failed = self.pool().run(list(groups), delete_group, stop_on_error=False)
        if failed:
            names = [g for g, _ in failed]
            left.append(f"{len(names)} Nextcloud group(s) of the school: {_names(names, 50)} "
                        f"({redact(str(failed[0][1]))}); to remove them: as an administrator, "
                        f"`php occ group:delete {names[0]}` (each) or DELETE {self.base}/ocs/v1.php/cloud/groups/<group>")
        return left


class _Moodle(_Provider):
    product = "Moodle"
    note = ("users, courses and enrolments in batches (core_user_create_users, core_course_create_courses, "
            "enrol_manual_enrol_users); pupils enrolled as students, teachers as editing teachers")

    @property
    def via(self) -> str:
        return f"{self.suite.name} web services (REST) as the administrator, in batches"

    def client(self):
        from .protocols import adapter
        admin = self.dep.accounts["admin"]
        real = getattr(admin, "login_password", "") or admin.password
        return adapter(self.protocol)(self.base, replace(admin, password=real), self.suite)

    def provision(self, school, made: Made, progress) -> dict:
        admin = self.client()
        try:
            try:
                category = admin.category_id
            except Exception as exc:
                raise PocError(f"the school's course category is missing on {self.base}: {exc}") from None
            self._remove_leftovers(admin, school, progress)
        finally:
            admin.close()
        t0 = time.monotonic()
        people = list(school.people)

        def make_users(client, batch):
            ids = client.create_users([{"username": p.username, "password": p.password, "firstname": p.first_name,
                                        "lastname": p.last_name, "email": p.email} for p in batch])
            with made.lock:
                made.users.update({u: str(i) for u, i in ids.items()})

        failed = self.pool().run(_batches(people, MOODLE_BATCH["users"]), make_users,
                                 progress=progress, label="users created:")
        if failed:
            batch, exc = failed[0]
            raise PocError(f"could not create users ({batch[0].username} to {batch[-1].username}): {exc}")
        seconds = time.monotonic() - t0
        progress(f"{len(people)} users made in {seconds:.1f} s ({len(people) / max(seconds, 0.01):.1f} users/s); "
                 f"creating {len(school.classes)} courses in category {category} ...")
        t1 = time.monotonic()
        courses = [{"fullname": c.name, "shortname": class_key(school, c.name)} for c in school.classes]

        def make_courses(client, batch):
            ids = client.create_courses(batch)
            with made.lock:
                made.courses.update(ids)

        failed = self.pool().run(_batches(courses, MOODLE_BATCH["courses"]), make_courses)
        if failed:
            raise PocError(f"could not create the courses: {failed[0][1]}")
        enrolments = []
        for c in school.classes:
            course = made.courses[class_key(school, c.name)]
            enrolments += [(int(made.users[u]), course, "pupil") for u in c.pupils]
            enrolments += [(int(made.users[u]), course, "teacher") for u in c.teachers]

        def enrol(client, batch):
            client.enrol_users(batch)

        failed = self.pool().run(_batches(enrolments, MOODLE_BATCH["enrol"]), enrol,
                                 progress=progress, label="enrolments:")
        if failed:
            raise PocError(f"could not enrol the school: {failed[0][1]}")
        progress(f"{len(courses)} courses and {len(enrolments)} enrolments made in {time.monotonic() - t1:.1f} s")
        return {"users": len(people), "pupils": len(school.pupils), "teachers": len(school.teachers),
                "classes": len(courses), "memberships": sum(len(c.pupils) for c in school.classes),
                "teacher_assignments": sum(len(c.teachers) for c in school.classes), "enrolments": len(enrolments),
                "users_seconds": round(seconds, 1)}

    def _ours(self, admin, school) -> tuple[dict[str, int], dict[str, str], list[str]]:
        """The school's courses ({shortname: id}), the school's users that are the harness's
        ({username: id}; e-mail at the school's domain) and those that are not (usernames)."""
        pre = prefix(school)
        courses = {c["shortname"]: int(c["id"]) for c in admin.courses_in_category()
                   if str(c.get("shortname", "")).startswith(pre)}
        ours, foreign = {}, []
        domain = "@" + school_mod.EMAIL_DOMAIN
        for batch in _batches([p.username for p in school.people], MOODLE_BATCH["lookup"]):
            for u in admin.users_by_username(batch):
                if str(u.get("email", "")).lower().endswith(domain):
                    ours[u["username"]] = str(u["id"])
                else:
                    foreign.append(u["username"])
        return courses, ours, foreign

    def _remove_leftovers(self, admin, school, progress) -> None:
        courses, users, foreign = self._ours(admin, school)
        if foreign:
            raise PocError(f"{len(foreign)} user(s) of the school's names exist on {self.base} and are not the "
                           f"harness's (their e-mail is not at {school_mod.EMAIL_DOMAIN}): {_names(foreign)}; they "
                           "were left alone. Provision another school (--seed) or remove them first")
        if courses or users:
            progress(f"found {len(courses)} courses and {len(users)} users of school {school.name} from an earlier "
                     "run that were not removed: removing them first")
            left = self._delete(users, courses, progress)
            if left:
                raise PocError("leftovers of an earlier run could not be removed: " + " | ".join(left))

    def remove(self, school, made: Made | None, progress) -> list[str]:
        admin = self.client()
        try:
            courses, users, _ = self._ours(admin, school)
        except Exception as exc:  # noqa: BLE001 - fall back on the record, if there is one
            if made is None:
                return [f"school {school.name}'s courses (short names {prefix(school)}*, category "
                        f"{(self.suite.config.get('provision') or {}).get('category', '')}) and users on {self.base}: "
                        f"they could not be looked up ({redact(str(exc))}); remove them as an administrator"]
            courses, users = {}, {}
        finally:
            admin.close()
        if made is not None:
            courses = {**courses, **made.courses}
            users = {**users, **made.users}
        return self._delete(users, courses, progress)

    def _delete(self, users: dict[str, str], courses: dict[str, int], progress) -> list[str]:
        left: list[str] = []
        t0 = time.monotonic()
        by_id = {int(i): s for s, i in courses.items()}

        def delete_courses(client, batch):
            try:
                _retry(client.delete_courses, batch)
            except Exception:
                if len(batch) == 1:
                    raise
                for one in batch:  # find which one(s)
                    try:
                        client.delete_courses([one])
                    except Exception as exc:  # noqa: BLE001
                        with lock:
                            failed_courses.append((one, exc))

        lock = threading.Lock()
        failed_courses: list = []
        failed = self.pool().run(_batches(sorted(by_id), MOODLE_BATCH["delete_courses"]), delete_courses,
                                 stop_on_error=False)
        failed_courses += [(b[0], e) for b, e in failed]
        if courses:
            progress(f"{len(courses) - len(failed_courses)} courses removed in {time.monotonic() - t0:.1f} s")
        if failed_courses:
            names = [f"{by_id.get(int(i), '?')} (id {i})" for i, _ in failed_courses]
            left.append(f"{len(names)} Moodle course(s) of the school: {_names(names, 50)} "
                        f"({redact(str(failed_courses[0][1]))}); to remove them: as an administrator, Site "
                        f"administration > Courses > Manage courses and categories, delete them (or "
                        f"core_course_delete_courses)")
        t0 = time.monotonic()
        ids = {int(i): u for u, i in users.items()}
        failed_users: list = []

        def delete_users(client, batch):
            try:
                _retry(client.delete_users, batch)
            except Exception:
                if len(batch) == 1:
                    raise
                for one in batch:
                    try:
                        client.delete_users([one])
                    except Exception as exc:  # noqa: BLE001
                        with lock:
                            failed_users.append((one, exc))

        failed = self.pool().run(_batches(sorted(ids), MOODLE_BATCH["delete_users"]), delete_users,
                                 stop_on_error=False, progress=progress if len(ids) > 100 else None,
                                 label="users removed:")
        failed_users += [(b[0], e) for b, e in failed]
        if ids:
            progress(f"{len(ids) - len(failed_users)} users removed in {time.monotonic() - t0:.1f} s")
        if failed_users:
            names = [ids.get(int(i), str(i)) for i, _ in failed_users]
            left.append(f"{len(names)} Moodle user(s) of the school: {_names(names, 50)} "
                        f"({redact(str(failed_users[0][1]))}); to remove them: as an administrator, Site "
                        "administration > Users > Browse list of users, delete them (or core_user_delete_users)")
        return left


PROVIDERS = {"ocs": _Nextcloud, "moodle-ws": _Moodle}


def _provider(dep) -> _Provider:
    cap = (dep.suite.config.get("provision") or {})["via"]
    return PROVIDERS[dep.suite.capabilities[cap]["protocol"]](dep)
