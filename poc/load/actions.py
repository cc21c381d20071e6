"""The requests the simulated users make, per protocol, on a Locust client.

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


def send(user, method: str, url: str, name: str, expect=(200,), data=None, headers=None):
    """One request through Locust's client; refused unless it goes to a host the suite declares."""
    if not url.startswith(user.allowed_prefixes):
        raise LoadRefused(f"refused: {url.split('?')[0]} is not on a host the suite declares")
    with user.client.request(method, url, name=name, data=data, headers={**user.auth, **(headers or {})},
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
