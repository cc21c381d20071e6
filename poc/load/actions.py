"""The requests the simulated users make, per protocol (WebDAV, CalDAV, OCS, Kolibri REST), on a
Locust client.

Every request is named for the action (`pupil: open file`), never for a user or a path, so
Locust's CSV files carry no account name, and no credential is ever put in a URL: the
Authorization header is built once per account. `setup_*` prepare each account's data once per
load process through requests (not counted in the statistics).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

from .safety import LoadRefused

FOLDER = "poc-load/"
PROPFIND_LIST = (b'<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/>'
                 b'<d:getcontentlength/><d:getlastmodified/><d:getetag/></d:prop></d:propfind>')
PROPFIND_ME = (b'<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop>'
               b'<d:current-user-principal/></d:prop></d:propfind>')
PROPFIND_HOME = (b'<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" '
                 b'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-home-set/></d:prop></d:propfind>')
XML = {"Content-Type": "application/xml; charset=utf-8"}


def basic_auth(account) -> dict:
    token = base64.b64encode(f"{account.username}:{account.password}".encode()).decode()
    return {"Authorization": "Basic " + token}


def send(user, method: str, url: str, name: str, expect=(200,), data=None, headers=None, auth=True):
    """One request through Locust's client; refused unless it goes to a host the suite declares."""
    if not url.startswith(user.allowed_prefixes):
        raise LoadRefused(f"refused: {url.split('?')[0]} is not on a host the suite declares")
    with user.client.request(method, url, name=name, data=data,
                             headers={**(user.auth if auth else {}), **(headers or {})},
                             catch_response=True) as r:
        if r.status_code in expect:
            r.success()
        else:
            r.failure(f"{method} answered {r.status_code}, expected {'/'.join(map(str, expect))}")
    return r


# -- WebDAV -----------------------------------------------------------------------------------

def propfind(user, url, name, depth="1"):
    return send(user, "PROPFIND", url, name, (207,), PROPFIND_LIST, {**XML, "Depth": depth})


def get(user, url, name):
    return send(user, "GET", url, name, (200,))


def put(user, url, name, body: bytes, content_type="text/plain; charset=utf-8"):
    return send(user, "PUT", url, name, (200, 201, 204), body, {"Content-Type": content_type})


# -- CalDAV -----------------------------------------------------------------------------------

def week_query() -> bytes:
    start = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + dt.timedelta(days=7)
    f = "%Y%m%dT%H%M%SZ"
    return (f'<?xml version="1.0" encoding="utf-8"?><c:calendar-query xmlns:d="DAV:" '
            f'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop>'
            f'<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
            f'<c:time-range start="{start.strftime(f)}" end="{end.strftime(f)}"/></c:comp-filter></c:comp-filter>'
            f'</c:filter></c:calendar-query>').encode()


def report_week(user, calendar_url, name):
    return send(user, "REPORT", calendar_url, name, (207,), week_query(), {**XML, "Depth": "1"})


def lesson_event(title: str, start: dt.datetime) -> tuple[str, bytes]:
    uid = f"poc-load-{uuid.uuid4().hex}"
    f = "%Y%m%dT%H%M%S"
    body = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//OS2skole PoC//load//DA\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:{dt.datetime.now(dt.timezone.utc).strftime(f)}Z\r\n"
            f"DTSTART;TZID=Europe/Copenhagen:{start.strftime(f)}\r\n"
            f"DTEND;TZID=Europe/Copenhagen:{(start + dt.timedelta(minutes=45)).strftime(f)}\r\n"
            f"SUMMARY:{title}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    return uid, body.encode()


def put_event(user, calendar_url, name, title="Dansk, 5.A"):
    start = dt.datetime.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    uid, body = lesson_event(title, start)
    return send(user, "PUT", calendar_url + uid + ".ics", name, (201, 204), body,
                {"Content-Type": "text/calendar; charset=utf-8"})


# -- OCS sharing (Nextcloud/ownCloud style) --------------------------------------------------------

def ocs_share(user, base_url, path, group, name):
    url = base_url.rstrip("/") + "/ocs/v2.php/apps/files_sharing/api/v1/shares"
    body = f"path=/{path.strip('/')}&shareType=1&shareWith={group}&permissions=1".encode()
    return send(user, "POST", url, name, (200,), body,
                {"OCS-APIRequest": "true", "Content-Type": "application/x-www-form-urlencoded"})


# -- set-up, once per account and load process (not in the statistics) ------------------------------

def _session(account):
    from ..protocols._http import Session
    return Session(account.username, account.password, raise_5xx=False)


def setup_files(base_url: str, account, materials: int, size_kb: int) -> list[str]:
    """poc-load/, poc-load/materials/ with files to open, poc-load/handins/; returns the materials' URLs."""
    s = _session(account)
    root = urljoin(base_url if base_url.endswith("/") else base_url + "/", FOLDER)
    for url in (root, root + "materials/", root + "handins/"):
        s.request("MKCOL", url)  # 201, or 405 when it is there already
    out = []
    text = ("Opgave: Læs kapitel 3 og svar på spørgsmålene. Æ ø å.\n" * (size_kb * 1024 // 56 + 1)).encode()
    for i in range(materials):
        url = f"{root}materials/lektion-{i + 1}.txt"
        s.put(url, data=text[:size_kb * 1024], headers={"Content-Type": "text/plain; charset=utf-8"})
        out.append(url)
    for i in range(2):
        s.put(f"{root}handins/aflevering-{i + 1}.txt", data=text[:2048])
    s.close()
    return out


def _hrefs(content: bytes, tag: str) -> list[str]:
    try:
        tree = ET.fromstring(content)
    except ET.ParseError:
        return []
    return [h.text for el in tree.iter(tag) for h in el.iter("{DAV:}href") if h.text]


def setup_calendar(dav_url: str, account) -> str:
    """The account's load calendar (calendar-home-set + poc-load/), made with MKCALENDAR if needed."""
    s = _session(account)
    home = None
    try:
        r = s.request("PROPFIND", dav_url, data=PROPFIND_ME, headers={**XML, "Depth": "0"})
        principal = _hrefs(r.content, "{DAV:}current-user-principal")
        if principal:
            p = urljoin(dav_url, principal[0])
            r = s.request("PROPFIND", p, data=PROPFIND_HOME, headers={**XML, "Depth": "0"})
            homes = _hrefs(r.content, "{urn:ietf:params:xml:ns:caldav}calendar-home-set")
            home = urljoin(dav_url, homes[0]) if homes else None
    except Exception:
        home = None
    home = home or (dav_url if dav_url.endswith("/") else dav_url + "/") + account.username + "/"
    home = home if home.endswith("/") else home + "/"
    cal = home + FOLDER
    s.request("MKCALENDAR", cal)  # 201, or 405 when it is there already
    s.close()
    return cal


def safe_name(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")


# -- learning over Kolibri's REST API (protocol kolibri-rest) -----------------------------------------
#
# Kolibri keeps a cookie session (Django): a user signs in once per simulated session with
# POST /api/auth/session/ (the password in the JSON body, never in a URL or a request's name) and then
# reads what its own front end reads. Unsafe requests carry the `kolibri_csrftoken` cookie back as
# X-CSRFToken. No Authorization header is sent: Kolibri authenticates by session only.

KOLIBRI_CSRF = "kolibri_csrftoken"
LOAD_CLASS = "Belastningsprøve 5.A"       # the class the load set-up makes (once, as the suite's admin)
LOAD_LESSON = "Brøker og decimaltal (belastningsprøve)"


def _csrf(user) -> str:
    for cookie in getattr(user.client, "cookiejar", ()) or ():
        if cookie.name == KOLIBRI_CSRF:
            return cookie.value
    return ""


def kolibri_send(user, method, base, path, name, expect=(200,), json_body=None):
    """A Kolibri request on the user's cookie session (no Basic auth), CSRF token on unsafe methods."""
    import json as _json
    base = base.rstrip("/")
    headers = {"Accept": "application/json"}
    data = None
    if method not in ("GET", "HEAD"):
        if not _csrf(user):  # any request to the session endpoint sets the cookie (ensure_csrf_cookie)
            send(user, "GET", base + "/api/auth/session/current/", f"{user.role}: open sign-in page (learning)",
                 (200, 403, 405), auth=False)
        headers["X-CSRFToken"] = _csrf(user)
        if json_body is not None:
            data, headers["Content-Type"] = _json.dumps(json_body).encode(), "application/json"
    return send(user, method, base + path, name, expect, data, headers, auth=False)


def kolibri_sign_in(user, base, name):
    """Sign the simulated user in: a new Kolibri session (once per simulated user session)."""
    body = {"username": user.account.username, "password": user.account.password}
    if (getattr(user, "learning", None) or {}).get("facility"):
        body["facility"] = user.learning["facility"]
    r = kolibri_send(user, "POST", base, "/api/auth/session/", name, (200,), body)
    user.signed_in = r.status_code == 200
    return r


def kolibri_sign_out(user, base, name):
    r = kolibri_send(user, "DELETE", base, "/api/auth/session/current/", name, (200, 204))
    user.signed_in = False
    return r


def kolibri_new_session(user, base, name):
    """A user who signs in anew (a shared class device, a new browser): sign out, then sign in once."""
    if getattr(user, "signed_in", False):
        kolibri_sign_out(user, base, name.replace("sign in", "sign out"))
    return kolibri_sign_in(user, base, name)


def _ids(response) -> list[str]:
    try:
        found = response.json()
    except Exception:
        return []
    return [x["id"] for x in found if isinstance(x, dict) and x.get("id")] if isinstance(found, list) else []


def kolibri_my_classes(user, base, name):
    """The learner's classes (Kolibri's learner Home): GET /learn/api/learnerclassroom/."""
    return kolibri_send(user, "GET", base, "/learn/api/learnerclassroom/", name)


def kolibri_open_lesson(user, base, name):
    """The learner's lessons, then one of them (GET /learn/api/learnerlesson/ and /<id>/)."""
    lessons = _ids(kolibri_send(user, "GET", base, "/learn/api/learnerlesson/", name))
    if lessons:
        kolibri_send(user, "GET", base, f"/learn/api/learnerlesson/{user.rng.choice(lessons)}/", name)


def kolibri_class_lessons(user, base, name):
    """A coach's classes and the lessons of one (GET /api/auth/classroom/?role=coach, /api/lessons/lesson/)."""
    classes = _ids(kolibri_send(user, "GET", base, "/api/auth/classroom/?role=coach", name))
    known = (getattr(user, "learning", None) or {}).get("class")
    classes = [known] if known in classes else classes
    if classes:
        kolibri_send(user, "GET", base, f"/api/lessons/lesson/?collection={user.rng.choice(classes)}", name)


#: the learning protocols with load actions: protocol -> action -> function(user, base_url, name)
LEARNING = {
    "kolibri-rest": {"sign_in_learning": kolibri_new_session, "see_my_classes": kolibri_my_classes,
                     "open_lesson": kolibri_open_lesson, "look_at_class_lessons": kolibri_class_lessons,
                     "_sign_in": kolibri_sign_in},
}
#: the capabilities whose load actions exist only for some protocols
PROTOCOLS = {"learning": LEARNING}


def implemented(capability: str, protocol: str | None, action: str | None = None) -> bool:
    """Is there a load action for `capability` over `protocol`? (files, calendar, sharing: as before)"""
    if capability not in PROTOCOLS:
        return True
    functions = PROTOCOLS[capability].get(protocol or "")
    return functions is not None and (action is None or action in functions)


def select(role: str, profile: str | None, target, behaviour: dict | None = None) -> tuple[dict, list[str]]:
    """The actions `role` does on `target` in `profile` with their weights, and those left out (named).

    An action is left out when the suite lacks its capability, offers it over a protocol that has no
    load action here (e.g. learning over moodle-ws), or (teachers) when the suite has no teacher account."""
    from . import data
    behaviour = behaviour or data.behaviour()
    chosen, left_out = {}, []
    for action, weight in data.weights(role, profile).items():
        if int(weight) <= 0:
            continue
        capability = behaviour["actions"][action]["capability"]
        if capability not in target.capabilities or (role == "teacher" and "teacher" not in target.accounts):
            left_out.append(f"{role}: {action} (needs {capability})")
        elif not implemented(capability, target.protocol(capability), action):
            left_out.append(f"{role}: {action} (needs {capability}; no load actions over "
                            f"{target.protocol(capability) or 'its protocol'} yet)")
        else:
            chosen[action] = int(weight)
    return chosen, left_out


def setup_learning(base_url: str, accounts: dict, timeout: float = 30.0, people: list | None = None) -> dict:
    """Something for the users to see: one class with the suite's pupils, its teacher as coach, and an
    active lesson, made once per load process as the suite's admin (not in the statistics; found again
    by name when it is there already). Without an admin account the users see what the suite has.
    With `people` (a provisioned school's accounts, poc/load/school_accounts.py) its pupils are the
    class's members and its teachers the class's coaches instead of the suite's test accounts.

    Returns {"facility", "class", "lessons"} (what was found or made), never a password."""
    import requests
    base = base_url.rstrip("/")
    ctx: dict = {}
    admin = accounts.get("admin")
    http = requests.Session()
    try:
        facilities = http.get(base + "/api/auth/facility/", timeout=timeout).json()
        if isinstance(facilities, list) and len(facilities) == 1:
            ctx["facility"] = facilities[0]["id"]
        if admin is None or not admin.password:
            return ctx
        http.get(base + "/api/auth/session/current/", timeout=timeout)  # the CSRF cookie

        def call(method, path, body=None, ok=(200, 201)):
            r = http.request(method, base + path, json=body, timeout=timeout,
                             headers={"X-CSRFToken": http.cookies.get(KOLIBRI_CSRF, "")})
            if r.status_code not in ok:
                raise RuntimeError(f"{method} {path} answered HTTP {r.status_code}")
            return r.json() if r.content else None

        me = call("POST", "/api/auth/session/", {"username": admin.username, "password": admin.password,
                                                  **({"facility": ctx["facility"]} if "facility" in ctx else {})})
        facility = ctx.setdefault("facility", me.get("facility_id"))
        room = next((c for c in call("GET", f"/api/auth/classroom/?parent={facility}") if c["name"] == LOAD_CLASS),
                    None) or call("POST", "/api/auth/classroom/", {"name": LOAD_CLASS, "parent": facility})
        ctx["class"] = room["id"]
        if people:
            ids = {u["username"]: u["id"] for u in call("GET", f"/api/auth/facilityuser/?member_of={facility}")}
            pupils = [ids[a.username] for a in people if a.role != "teacher" and a.username in ids]
            coaches = [ids[a.username] for a in people if a.role == "teacher" and a.username in ids]
            ctx["members"], ctx["coaches"] = len(pupils), len(coaches)
        else:
            users = {}
            for role, account in accounts.items():
                if role.startswith("pupil") or role == "teacher":
                    found = call("GET", f"/api/auth/facilityuser/?search={account.username}")
                    users[role] = next((u["id"] for u in found if u["username"] == account.username), None)
            pupils = [uid for r, uid in users.items() if uid and r != "teacher"]
            coaches = [users["teacher"]] if users.get("teacher") else []
        for i in range(0, len(pupils), 200):  # one bulk POST per 200 members; 400: a member already
            call("POST", "/api/auth/membership/", [{"collection": room["id"], "user": uid} for uid in pupils[i:i + 200]],
                 ok=(200, 201, 400))
        for uid in coaches:
            if not any(r.get("collection") == room["id"] and r.get("kind") == "coach"
                       for r in call("GET", f"/api/auth/role/?user={uid}")):
                call("POST", "/api/auth/role/", {"user": uid, "collection": room["id"], "kind": "coach"})
        lessons = [x for x in call("GET", f"/api/lessons/lesson/?collection={room['id']}") if x["title"] == LOAD_LESSON]
        if not lessons:
            lessons = [call("POST", "/api/lessons/lesson/", {
                "title": LOAD_LESSON, "description": "Læs siderne 12-15 og løs opgave 1-6. Æbler, øer og åer.",
                "collection": room["id"], "assignments": [room["id"]], "learner_ids": [], "resources": [],
                "active": True})]
        ctx["lessons"] = [x["id"] for x in lessons]
        call("DELETE", "/api/auth/session/current/", ok=(200, 204))
    finally:
        http.close()
    return ctx
