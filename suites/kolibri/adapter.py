"""The `learning` (and `provisioning`) capability on Kolibri: protocol ``kolibri-rest``.

A :class:`poc.protocols.learning.LearningAdapter` for one account, on top of ``api.py`` beside
this file (Kolibri's internal REST API, the one its own front end uses; see NOTES.md). The
capability url is Kolibri's base URL.

How the school words map onto Kolibri, and what is the platform's own behaviour:

- *class* = a Kolibri classroom in the facility. Only a facility **admin** may create one or enrol
  anyone; a coach (our *teacher*) gets HTTP 403 (NOTES.md, finding 3). The adapter does not work
  around that: a teacher's ``create_class``/``enrol`` calls are sent as the teacher and end in
  :class:`Forbidden`, so a scenario shows Kolibri's behaviour; the ``admin`` account can do both.
- ``enrol(class, user, "pupil")`` makes a class membership (learner); ``"teacher"`` makes the
  user coach of the class (role ``coach`` on the classroom).
- *lesson* = a Kolibri lesson, assigned to the whole class and active. A Kolibri lesson holds
  resources from content channels only, so the scenario's text goes into its description and an
  attachment cannot be added at all.
- *assignment* (hand-in, graded with a comment): Kolibri has none. Its quizzes are marked
  automatically from content-channel questions; there is no hand-in a teacher grades.

  What Kolibri does not have at all (attachments, assignments) raises :class:`NotInKolibri`, the
  harness's `unsupported` verdict, not ``NotThroughAPI`` (which says the harness could not test
  something the platform may have): the product lacks it, whatever the API.
- Access Kolibri hides (a learner opening another class: 404) is reported as :class:`Forbidden`;
  the message keeps the real status.

Extra, optional methods the generic scenarios look for (not in the common interface):

- ``password_accepted(password) -> bool``: does Kolibri let this account sign in with that
  password? (IAM-08; with the facility preset ``formal`` it lets a learner in with any password.)
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from poc.protocols import register
from poc.protocols._http import Refused, ServerFault
from poc.protocols.learning import ClassRef, Forbidden, LearningAdapter, LearningError, LessonRef, Participant
from poc.verdicts import Unsupported


def _load_api():
    """api.py beside this file, under one module name whichever way this file was loaded."""
    name = "poc_suite_kolibri_api"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("api.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_api = _load_api()
KolibriClient, KolibriError = _api.KolibriClient, _api.KolibriError

NO_ASSIGNMENTS = ("Kolibri has no hand-in assignments that a teacher grades with a comment: its quizzes "
                  "are marked automatically from content-channel questions (kolibri/core/exams/models.py), and a "
                  "lesson holds only content-channel resources")
NO_ATTACHMENTS = ("a Kolibri lesson holds only resources from imported content channels; a file cannot be "
                  "attached to it (kolibri/core/lessons/serializers.py: resources are contentnode ids)")


# -- errors: what a scenario's verdict should make of Kolibri's answers -------------------------
class KolibriRefused(Refused, LearningError):
    """Kolibri answered 4xx where the step needed success: the suite did not do it (`fail`)."""

    def __init__(self, err, what: str = ""):
        Exception.__init__(self, (what + ": " if what else "") + str(err))
        self.status = getattr(err, "status", 0)


class KolibriForbidden(Forbidden, KolibriRefused):
    """Kolibri refused this account (403, or 404 for an object it hides from the account).

    A Forbidden (scenarios that expect a refusal catch it) and a Refused (a scenario that needed
    the step to work records `fail`, the platform's behaviour, not a harness `error`)."""


class NotInKolibri(Unsupported):
    """Kolibri does not offer this at all: the scenario's verdict is `unsupported`."""

    def __init__(self, reason: str):
        super().__init__("Kolibri does not offer this: " + reason, _use_item_location=True)


class KolibriFault(ServerFault, LearningError):
    def __init__(self, err, what: str = ""):
        Exception.__init__(self, (what + ": " if what else "") + str(err))
        self.status = getattr(err, "status", 0)


def _translate(err, what: str, hidden_is_forbidden: bool = False):
    status = getattr(err, "status", 0)
    if status == 403 or (hidden_is_forbidden and status == 404):
        return KolibriForbidden(err, what)
    if status >= 500:
        return KolibriFault(err, what)
    if 400 <= status < 500:
        return KolibriRefused(err, what)
    return LearningError(f"{what}: {err}")


@register("kolibri-rest")
class KolibriLearning(LearningAdapter):
    """Kolibri's internal REST API, signed in as one account (lazily, on first use)."""

    def __init__(self, url: str, account, suite=None, *, close_connections: bool = False):
        self.base = url.rstrip("/")
        self.account = account
        provision = (suite.config.get("provision") or {}) if suite is not None else {}
        self.facility_name = provision.get("facility")
        self.close_connections = close_connections
        self._client = None
        self._facility: str | None = None

    # -- session ---------------------------------------------------------------------------------
    def _new_client(self):
        client = KolibriClient(self.base)
        if self.close_connections:
            client.http.headers["Connection"] = "close"
        return client

    @property
    def facility(self) -> str:
        if self._facility is None:
            try:
                self._facility = self._new_client().facility_id(self.facility_name)
            except KolibriError as e:
                raise _translate(e, "finding the facility") from None
        return self._facility

    @property
    def client(self):
        if self._client is None:
            client = self._new_client()
            try:
                client.login(self.account.username, self.account.password, self.facility)
            except KolibriError as e:
                if e.status in (400, 401):
                    raise KolibriForbidden(e, f"Kolibri refused the sign-in of {self.account.username}") from None
                raise _translate(e, f"signing in {self.account.username}") from None
            self._client = client
        return self._client

    @property
    def kinds(self) -> set[str]:
        return set(self.client.user.kind) if self.client.user else set()

    @property
    def is_learner(self) -> bool:
        """A user with no role in Kolibri: what it calls a learner."""
        return not (self.kinds - {"learner", "anonymous"})

    def _call(self, what: str, method: str, path: str, *, hidden_is_forbidden: bool = False,
              expect=(200, 201), **kwargs):
        try:
            return self.client.request(method, path, expect=expect, **kwargs)
        except KolibriError as e:
            raise _translate(e, what, hidden_is_forbidden) from None

    def _get(self, what: str, path: str, **kwargs):
        return self._call(what, "GET", path, **kwargs).json()

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.logout()
            except Exception:
                pass
            self._client.http.close()
            self._client = None

    # -- sign-in (optional method, IAM-08) ------------------------------------------------------
    def password_accepted(self, password: str) -> bool:
        """Sign this account in with `password` on a fresh session; True if Kolibri let it in."""
        client = self._new_client()
        try:
            status = client.try_login(self.account.username, password, self.facility)
            if status == 200:
                client.logout()
                return True
            if status in (400, 401, 403):
                return False
            raise LearningError(f"signing in {self.account.username} answered HTTP {status}")
        finally:
            client.http.close()

    # -- classes ---------------------------------------------------------------------------------
    def create_class(self, name: str) -> ClassRef:
        made = self._call(f"creating class {name!r} as {self.account.username}", "POST", "/api/auth/classroom/",
                          json={"name": name, "parent": self.facility}).json()
        return ClassRef(made["id"], made["name"])

    def delete_class(self, class_id: str) -> None:
        self._call(f"deleting class {class_id}", "DELETE", f"/api/auth/classroom/{class_id}/",
                   expect=(200, 204))

    def _user_id(self, username: str) -> str:
        users = self._get(f"looking up {username!r}", "/api/auth/facilityuser/", params={"search": username})
        for user in users:
            if user["username"] == username:
                return user["id"]
        if self.is_learner or "admin" not in self.kinds:
            # a coach sees only the learners of its own classes; Kolibri would refuse the step anyway
            raise KolibriForbidden(f"user {username!r} is not visible to {self.account.username} "
                                   f"(roles: {', '.join(sorted(self.kinds)) or 'learner'})",
                                   f"enrolling {username}")
        raise LearningError(f"Kolibri has no user {username!r}")

    def enrol(self, class_id: str, username: str, role: str = "pupil") -> None:
        user_id = self._user_id(username)
        if role == "pupil":
            self._call(f"enrolling {username} in class {class_id} as {self.account.username}", "POST",
                       "/api/auth/membership/", json=[{"collection": class_id, "user": user_id}])
        elif role == "teacher":
            self._call(f"making {username} coach of class {class_id} as {self.account.username}", "POST",
                       "/api/auth/role/", json={"user": user_id, "collection": class_id, "kind": "coach"})
        else:
            raise ValueError(f"unknown role {role!r} (pupil, teacher)")

    def participants(self, class_id: str) -> list[Participant]:
        members = self._get("listing a class's learners", "/api/auth/facilityuser/",
                            params={"member_of": class_id})
        out = [Participant(u["username"], "pupil") for u in members]
        room = self._get("opening the class", f"/api/auth/classroom/{class_id}/", hidden_is_forbidden=True)
        out += [Participant(c["username"], "teacher") for c in room.get("coaches", [])]
        return out

    def my_classes(self) -> list[ClassRef]:
        if self.is_learner:
            rooms = self._get("the learner's classes", "/learn/api/learnerclassroom/")
        else:  # the coach's class list (a facility admin sees every class)
            rooms = self._get("the coach's classes", "/api/auth/classroom/", params={"role": "coach"})
        return [ClassRef(r["id"], r["name"]) for r in rooms]

    def open_class(self, class_id: str) -> dict:
        if self.is_learner:
            return self._get(f"opening class {class_id}", f"/learn/api/learnerclassroom/{class_id}/",
                             hidden_is_forbidden=True)
        room = self._get(f"opening class {class_id}", f"/api/auth/classroom/{class_id}/", hidden_is_forbidden=True)
        room["lessons"] = self._get("the class's lessons", "/api/lessons/lesson/", params={"collection": class_id})
        return room

    # -- material --------------------------------------------------------------------------------
    def create_lesson(self, class_id: str, title: str, text: str,
                      attachment: tuple[str, bytes] | None = None) -> LessonRef:
        if attachment is not None:
            raise NotInKolibri(NO_ATTACHMENTS)
        made = self._call(f"creating lesson {title!r} as {self.account.username}", "POST", "/api/lessons/lesson/",
                          json={"title": title, "description": text, "collection": class_id,
                                "assignments": [class_id], "learner_ids": [], "resources": [],
                                "active": True}).json()
        return LessonRef(made["id"], made["title"], class_id)

    def lessons(self, class_id: str) -> list[LessonRef]:
        if self.is_learner:
            found = [x for x in self._get("the learner's lessons", "/learn/api/learnerlesson/")
                     if x.get("collection") == class_id]
        else:
            found = self._get("the class's lessons", "/api/lessons/lesson/", params={"collection": class_id})
        return [LessonRef(x["id"], x["title"], class_id) for x in found]

    def download_attachment(self, lesson: LessonRef, name: str) -> bytes:
        raise NotInKolibri(NO_ATTACHMENTS)

    # -- assignments: none in Kolibri ------------------------------------------------------------
    def create_assignment(self, class_id, title, due, text=""):
        raise NotInKolibri(NO_ASSIGNMENTS)

    def submit(self, assignment, text):
        raise NotInKolibri(NO_ASSIGNMENTS)

    def submissions(self, assignment):
        raise NotInKolibri(NO_ASSIGNMENTS)

    def grade(self, assignment, username, grade, comment):
        raise NotInKolibri(NO_ASSIGNMENTS)

    def feedback(self, assignment):
        raise NotInKolibri(NO_ASSIGNMENTS)
