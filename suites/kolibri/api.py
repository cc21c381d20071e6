"""Learning-platform REST adapter for Kolibri (tested against kolibri 0.19.5).

Kolibri has no stable external API for this: the endpoints below are the ones its
own browser front end uses (``kolibri/core/api_urls.py`` says they "may change
without notice between releases"), found in the installed source:

=====================================  ==========================================
``/api/auth/session/``                 POST log in (``username``, ``password``,
                                       ``facility``); ``DELETE .../current/`` logs
                                       out. Any request to it sets the
                                       ``kolibri_csrftoken`` cookie
                                       (``ensure_csrf_cookie``).
``/api/auth/facility/``                list facilities (anonymous allowed)
``/api/auth/facilitydataset/``         facility settings, e.g.
                                       ``learner_can_login_with_no_password``
``/api/auth/classroom/``               classes (a Classroom's parent is the facility)
``/api/auth/facilityuser/``            users (password write-only)
``/api/auth/facilityusername/``        learner usernames for the sign-in page
                                       (anonymous; only when passwordless or
                                       picture-password sign-in is on)
``/api/auth/membership/``              enrol a user in a class (learner)
``/api/auth/role/``                    kinds ``admin``, ``coach``,
                                       ``classroom assignable coach``
``/api/lessons/lesson/``               lessons (coach/admin side)
``/learn/api/learnerclassroom/``       the classes a signed-in learner is member of
``/learn/api/learnerlesson/``          the active lessons assigned to the learner
``/api/public/info/``                  health / version (anonymous)
=====================================  ==========================================

Every unsafe request carries the CSRF token in ``X-CSRFToken``; Django also checks the
``Referer`` only for HTTPS, so plain HTTP on loopback needs nothing more.

This module only depends on ``requests``; it never logs or returns a password.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import requests

CSRF_COOKIE = "kolibri_csrftoken"

#: Kolibri role kinds (kolibri/core/auth/constants/role_kinds.py)
ROLE_ADMIN = "admin"
ROLE_COACH = "coach"
ROLE_ASSIGNABLE_COACH = "classroom assignable coach"


class KolibriError(RuntimeError):
    """A Kolibri API call answered with an unexpected status."""

    def __init__(self, method: str, path: str, status: int, body: str):
        self.method = method
        self.path = path
        self.status = status
        self.body = body[:500]
        super().__init__(f"{method} {path} -> HTTP {status}: {self.body}")


@dataclass(frozen=True)
class Session:
    user_id: str
    username: str
    full_name: str
    facility_id: str
    kind: tuple[str, ...]
    is_superuser: bool


class KolibriClient:
    """A small client for one Kolibri user session (cookie based)."""

    def __init__(self, base_url: str, timeout: float = 30.0,
                 session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = session or requests.Session()
        self.user: Session | None = None

    # ---------------------------------------------------------------- plumbing
    def _url(self, path: str) -> str:
        return self.base_url + path

    def _csrf(self) -> str:
        token = self.http.cookies.get(CSRF_COOKIE)
        if not token:
            # The session endpoint is wrapped in ensure_csrf_cookie; a GET answers
            # 405 (no list view) but still sets the cookie.
            self.http.get(self._url("/api/auth/session/current/"), timeout=self.timeout)
            token = self.http.cookies.get(CSRF_COOKIE)
        if not token:
            raise KolibriError("GET", "/api/auth/session/current/", 0,
                               "no CSRF cookie was set")
        return token

    def request(self, method: str, path: str, *, expect: Iterable[int] = (200,),
                **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {}) or {}
        if method.upper() not in ("GET", "HEAD", "OPTIONS"):
            headers["X-CSRFToken"] = self._csrf()
        resp = self.http.request(method, self._url(path), headers=headers,
                                 timeout=self.timeout, **kwargs)
        if resp.status_code not in tuple(expect):
            raise KolibriError(method.upper(), path, resp.status_code, resp.text)
        return resp

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw).json()

    def post(self, path: str, data: Any, expect: Iterable[int] = (200, 201)) -> Any:
        return self.request("POST", path, json=data, expect=expect).json()

    # ------------------------------------------------------------ public info
    def info(self) -> dict:
        """Anonymous device info: application, kolibri_version, instance_id."""
        return self.get("/api/public/info/")

    def facilities(self) -> list[dict]:
        return self.get("/api/auth/facility/")

    def facility_id(self, name: str | None = None) -> str:
        """Id of the facility called ``name`` (or of the only/first one)."""
        facs = self.facilities()
        if not facs:
            raise KolibriError("GET", "/api/auth/facility/", 200, "no facility exists")
        if name is None:
            return facs[0]["id"]
        for f in facs:
            if f["name"] == name:
                return f["id"]
        raise KolibriError("GET", "/api/auth/facility/", 200,
                           f"no facility named {name!r}")

    # ---------------------------------------------------------------- session
    def login(self, username: str, password: str, facility: str | None = None) -> Session:
        """Sign in; ``facility`` is a facility id (default: the device's default)."""
        body: dict[str, Any] = {"username": username, "password": password}
        if facility:
            body["facility"] = facility
        resp = self.request("POST", "/api/auth/session/", json=body, expect=(200,))
        data = resp.json()
        self.user = Session(
            user_id=data.get("user_id") or "",
            username=data.get("username") or username,
            full_name=data.get("full_name") or "",
            facility_id=data.get("facility_id") or "",
            kind=tuple(data.get("kind") or ()),
            is_superuser="superuser" in (data.get("kind") or ()),
        )
        return self.user

    def try_login(self, username: str, password: str, facility: str | None = None) -> int:
        """Attempt a login and return the HTTP status (200 ok, 401/400 refused)."""
        try:
            self.login(username, password, facility)
            return 200
        except KolibriError as e:
            return e.status

    def logout(self) -> None:
        self.request("DELETE", "/api/auth/session/current/", expect=(200, 204))
        self.user = None

    def public_usernames(self, facility: str, search: str = "") -> list[str]:
        """Usernames listed by /api/auth/facilityusername/ (no sign-in needed).

        Kolibri's sign-in page uses it to suggest names; it lists the learners
        (users without roles) of a facility that allows passwordless or picture
        password sign-in, and nothing otherwise."""
        params = {"facility": facility}
        if search:
            params["search"] = search
        return [u["username"] for u in self.get("/api/auth/facilityusername/", params=params)]

    # ------------------------------------------------------ facility settings
    def facility_settings(self, facility: str | None = None) -> dict:
        """The facility dataset (learner_can_login_with_no_password, preset, ...).

        Read from /api/auth/facility/ (which embeds the dataset and is readable
        anonymously, as the sign-in page needs it)."""
        for f in self.facilities():
            if facility is None or f["id"] == facility:
                return dict(f["dataset"])
        raise KolibriError("GET", "/api/auth/facility/", 200, f"no facility {facility}")

    def update_facility_settings(self, dataset_id: str, **changes: Any) -> dict:
        """PATCH the facility dataset (admin only)."""
        return self.request("PATCH", f"/api/auth/facilitydataset/{dataset_id}/",
                            json=changes).json()

    # ---------------------------------------------------------------- classes
    def create_class(self, name: str, facility: str | None = None) -> dict:
        parent = facility or (self.user.facility_id if self.user else None) \
            or self.facility_id()
        return self.post("/api/auth/classroom/", {"name": name, "parent": parent})

    def classes(self) -> list[dict]:
        """Classes visible through the admin/coach endpoint for this user."""
        return self.get("/api/auth/classroom/")

    # ------------------------------------------------------------------ users
    def create_user(self, username: str, password: str, full_name: str,
                    role: str = "learner", facility: str | None = None,
                    facility_coach: bool = False) -> dict:
        """Create a facility user.

        role: ``learner`` (no role), ``coach`` (a class coach: the
        'classroom assignable coach' role at the facility; with
        ``facility_coach=True`` a facility-wide coach) or ``admin`` (facility
        admin)."""
        facility = facility or (self.user.facility_id if self.user else None) \
            or self.facility_id()
        user = self.post("/api/auth/facilityuser/", {
            "username": username, "password": password, "full_name": full_name,
            "facility": facility,
        })
        if role == "learner":
            pass
        elif role == "coach":
            kind = ROLE_COACH if facility_coach else ROLE_ASSIGNABLE_COACH
            self.add_role(user["id"], facility, kind)
        elif role == "admin":
            self.add_role(user["id"], facility, ROLE_ADMIN)
        else:
            raise ValueError(f"unknown role {role!r} (learner, coach, admin)")
        return user

    def users(self, **params: Any) -> list[dict]:
        return self.get("/api/auth/facilityuser/", params=params)

    def user_id(self, username: str) -> str:
        for u in self.users(search=username):
            if u["username"] == username:
                return u["id"]
        raise KolibriError("GET", "/api/auth/facilityuser/", 200,
                           f"no user {username!r} visible")

    def add_role(self, user_id: str, collection: str, kind: str) -> dict:
        return self.post("/api/auth/role/",
                         {"user": user_id, "collection": collection, "kind": kind})

    def enrol(self, class_id: str, user_ids: Iterable[str]) -> list[dict]:
        """Make users learners (members) of a class, one bulk POST."""
        body = [{"collection": class_id, "user": u} for u in user_ids]
        if not body:
            return []
        return self.post("/api/auth/membership/", body)

    def assign_coach(self, class_id: str, user_id: str) -> dict:
        """Make a user coach of a class (Kolibri adds the facility-level
        'classroom assignable coach' role itself if it is missing)."""
        return self.add_role(user_id, class_id, ROLE_COACH)

    # ---------------------------------------------------------------- lessons
    def create_lesson(self, class_id: str, title: str, description: str = "",
                      active: bool = True, assign_to_class: bool = True,
                      resources: list[dict] | None = None) -> dict:
        """Create a lesson in a class; by default assigned to the whole class and
        active (learners only see active lessons)."""
        return self.post("/api/lessons/lesson/", {
            "title": title,
            "description": description,
            "collection": class_id,
            "assignments": [class_id] if assign_to_class else [],
            "learner_ids": [],
            "resources": resources or [],
            "active": active,
        })

    def assign_lesson(self, lesson_id: str, collection_ids: list[str],
                      active: bool = True) -> dict:
        return self.request("PATCH", f"/api/lessons/lesson/{lesson_id}/", json={
            "assignments": collection_ids, "active": active}).json()

    def lessons(self, class_id: str | None = None) -> list[dict]:
        params = {"collection": class_id} if class_id else None
        return self.get("/api/lessons/lesson/", params=params)

    # ------------------------------------------------------------ learner side
    def learner_classes(self) -> list[dict]:
        """Classes the signed-in user is a member of (learn plugin)."""
        return self.get("/learn/api/learnerclassroom/")

    def learner_lessons(self) -> list[dict]:
        """Active lessons assigned to the signed-in user (learn plugin)."""
        return self.get("/learn/api/learnerlesson/")
