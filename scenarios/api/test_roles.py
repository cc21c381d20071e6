"""IAM-07: pupil, teacher and administrator have different rights, over the suite's own APIs and pages.

- A pupil cannot read other people's material: a file, an event and a contact the teacher and
  another pupil made (WebDAV, CalDAV, CardDAV), and a class it is not in, with its lesson (learning).
- A pupil cannot create or delete accounts or classes, change the site's settings or reach the
  administrator's pages.
- A teacher cannot delete accounts or change the site's settings.
- The administrator can do each of these.

Classes go through the learning adapter; accounts, settings and the administrator's pages through
the suite's admin module (``attempt``, see poc/privacy.py), which says for each action what the
suite offers: an action the suite has no function for at all is named and not counted. Every attempt
is kept in the evidence with its HTTP status. What the scenarios make is removed afterwards.
"""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from poc import privacy
from poc.privacy import Attempt, client, note, write_json
from poc.protocols.learning import Forbidden
from poc.protocols._http import Session
from poc.verdicts import unsupported
from poc.protocols.webdav import parse_multistatus, resource_key

PUPIL_ACTIONS = ("create account", "delete account", "create class", "delete class", "change settings", "admin page")
TEACHER_ACTIONS = ("delete account", "change settings")


def _learning(dep, role):
    return client(dep, "learning", dep.accounts[role])


def _class_of(dep, name: str):
    """A class made by the teacher (or the admin where only an admin may), the teacher its teacher; and its manager."""
    teacher = _learning(dep, "teacher")
    try:
        return teacher.create_class(name), teacher
    except Forbidden:
        teacher.close()
        admin = _learning(dep, "admin")
        klass = admin.create_class(name)
        admin.enrol(klass.id, dep.accounts["teacher"].username, "teacher")
        return klass, admin


def _class_attempt(dep, role: str, action: str, tag: str) -> Attempt:
    """Create a class, or delete one the admin (or teacher) made, as `role`."""
    if "learning" not in dep.suite.capabilities:
        return Attempt(action, role, None, None, f"{dep.suite.name} has no classes (no capability 'learning')")
    actor = _learning(dep, role)
    target, manager = None, None
    try:
        if action == "create class":
            try:
                made = actor.create_class(f"Rettigheder {role} {tag}")
            except Forbidden as exc:
                return Attempt(action, role, getattr(exc, "status", None), False, str(exc)[:200])
            actor.delete_class(made.id) if role == "admin" else _cleanup_class(dep, made.id)
            return Attempt(action, role, None, True, f"{role} created a class")
        target, manager = _class_of(dep, f"Rettigheder slet {role} {tag}")
        try:
            actor.delete_class(target.id)
        except Forbidden as exc:
            return Attempt(action, role, getattr(exc, "status", None), False, str(exc)[:200])
        target = None
        return Attempt(action, role, None, True, f"{role} deleted a class another account made")
    finally:
        if target is not None and manager is not None:
            try:
                manager.delete_class(target.id)
            except Exception:
                pass
        for c in {id(x): x for x in (actor, manager) if x is not None}.values():
            c.close()


def _cleanup_class(dep, class_id: str) -> None:
    admin = _learning(dep, "admin")
    try:
        admin.delete_class(class_id)
    finally:
        admin.close()


def _attempts(dep, role: str, actions, tag: str) -> list[Attempt]:
    admin_module = privacy.suite_admin(dep)
    account = dep.accounts[role]
    out = []
    for action in actions:
        if action in ("create class", "delete class"):
            out.append(_class_attempt(dep, role, action, tag))
        elif admin_module.has("attempt"):
            out.append(admin_module.call("attempt", account, action))
        else:
            out.append(Attempt(action, role, None, None,
                               f"{dep.suite.name} has no accounts, settings or administrator's pages over its APIs or "
                               "pages" + (f"; accounts: {admin_module.how}" if admin_module.how else "")))
    return out


def _record(evidence, name: str, attempts: list[Attempt]) -> None:
    write_json(evidence, name, [a.__dict__ for a in attempts])


def _outcome(a: Attempt) -> str:
    if a.allowed is None:
        return "not offered"
    if not a.allowed and a.status and 200 <= a.status < 300:
        return f"withheld (HTTP {a.status}, nothing of others in the answer)"
    return ("allowed" if a.allowed else "refused") + (f" (HTTP {a.status})" if a.status else "")


def _summary(attempts: list[Attempt]) -> str:
    return "; ".join(f"{a.action}: {_outcome(a)}" for a in attempts)


@pytest.mark.requirement("IAM-07")
def test_pupil_cannot_read_other_peoples_material(suite_deployment, evidence, tag, request):
    dep = suite_deployment
    pupil = dep.accounts["pupil"]
    checks, leaks, cleanups = [], [], []
    try:
        if privacy.dav_capabilities(dep.suite):
            for owner in ("teacher", "pupil2"):
                account = dep.accounts[owner]
                items = privacy.plant_dav(dep, account, f"{owner[:2]}{tag}")
                cleanups.append((account, items))
                for item in items:
                    with Session(pupil.username, pupil.password) as s:
                        status = s.get(item.url).status_code
                    checks.append({"what": f"the {owner}'s {item.kind}", "url": item.url, "status": status})
                    if 200 <= status < 300:
                        leaks.append(f"the pupil read the {owner}'s {item.kind} {item.label!r} (HTTP {status})")
            for owner in ("teacher", "pupil2"):  # the other's file area as a whole
                if "files" in dep.suite.capabilities:
                    url = dep.url_for("files", dep.accounts[owner])
                    with Session(pupil.username, pupil.password) as s:
                        answer = s.request("PROPFIND", url, headers={"Depth": "1"})
                    status, shown = answer.status_code, []
                    if status == 207:  # what the answer names besides the folder itself (Nextcloud
                        # answers 207 with the bare folder and nothing of its content: withheld)
                        shown = [e.name for e in parse_multistatus(answer.content)
                                 if resource_key(urljoin(url, e.href)) != resource_key(url)]
                    checks.append({"what": f"the {owner}'s files (PROPFIND)", "url": url, "status": status,
                                   "entries_shown": shown})
                    if 200 <= status < 300 and (status != 207 or shown):
                        leaks.append(f"the pupil lists the {owner}'s files (HTTP {status}: {', '.join(shown[:5])})")
        if "learning" in dep.suite.capabilities:
            klass, manager = _class_of(dep, f"Rettigheder 8.C {tag}")
            cleanups.append((manager, klass))
            teacher = _learning(dep, "teacher")
            try:
                lesson = teacher.create_lesson(klass.id, f"POC-{tag}-LEKTION Kun for 8.C", "Kun 8.C.")
            finally:
                teacher.close()
            learner = _learning(dep, "pupil")
            try:
                try:
                    seen = [x.title for x in learner.lessons(klass.id)]
                except Forbidden as exc:  # the platform refuses to show a class the pupil is not in
                    seen = []
                    checks.append({"what": "another class's lessons", "class": klass.name, "refused": str(exc)[:200]})
                else:
                    checks.append({"what": "another class's lessons", "class": klass.name, "seen": seen})
                if lesson.title in seen:
                    leaks.append(f"the pupil sees the lesson {lesson.title!r} of a class it is not in")
                try:
                    learner.open_class(klass.id)
                    leaks.append(f"the pupil opens the class {klass.name!r} it is not in")
                    checks.append({"what": "open another class", "result": "opened"})
                except Forbidden as exc:
                    checks.append({"what": "open another class", "result": f"refused: {exc}"[:200]})
            finally:
                learner.close()
        if not checks:
            unsupported(f"{dep.suite.name} offers no one's material to read (no files, calendar, contacts or learning)")
        write_json(evidence, "reads.json", checks)
        if leaks:
            pytest.fail("; ".join(leaks), pytrace=False)
        note(request, f"{len(checks)} reads of the teacher's and another pupil's material refused: "
                      + ", ".join(sorted({c['what'].split("'s ")[-1] for c in checks})))
    finally:
        for owner, made in cleanups:
            if isinstance(made, list):
                privacy.remove_planted(owner, made)
            else:
                try:
                    owner.delete_class(made.id)
                except Exception:
                    pass
                owner.close()


def _check_refusals(dep, role: str, attempts: list[Attempt], expect_allowed: bool, request):
    offered = [a for a in attempts if a.allowed is not None]
    if not offered:
        unsupported(f"none of {', '.join(a.action for a in attempts)} exists: {attempts[-1].detail}")
    wrong = [a for a in offered if a.allowed is not expect_allowed]
    if wrong:
        verb = "was refused" if expect_allowed else "was allowed"
        pytest.fail(f"the {role} {verb}: " + "; ".join(f"{a.action} ({a.detail}"
                                                        + (f", HTTP {a.status}" if a.status else "") + ")"
                                                        for a in wrong) + f" [all: {_summary(attempts)}]",
                    pytrace=False)
    note(request, f"the {role}: {_summary(attempts)}")


@pytest.mark.requirement("IAM-07")
def test_pupil_cannot_manage_accounts_classes_settings_or_reach_admin_pages(suite_deployment, evidence, tag, request):
    attempts = _attempts(suite_deployment, "pupil", PUPIL_ACTIONS, tag)
    _record(evidence, "pupil-attempts.json", attempts)
    _check_refusals(suite_deployment, "pupil", attempts, False, request)


@pytest.mark.requirement("IAM-07")
def test_teacher_cannot_delete_accounts_or_change_settings(suite_deployment, evidence, tag, request):
    attempts = _attempts(suite_deployment, "teacher", TEACHER_ACTIONS, tag)
    _record(evidence, "teacher-attempts.json", attempts)
    _check_refusals(suite_deployment, "teacher", attempts, False, request)


@pytest.mark.requirement("IAM-07")
def test_admin_can_do_each(suite_deployment, evidence, tag, request):
    if "admin" not in suite_deployment.accounts:
        unsupported(f"{suite_deployment.suite.name} has no admin test account")
    attempts = _attempts(suite_deployment, "admin", PUPIL_ACTIONS, tag)
    _record(evidence, "admin-attempts.json", attempts)
    _check_refusals(suite_deployment, "admin", attempts, True, request)
