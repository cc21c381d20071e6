"""What Moodle's administrator does for PRI-05 and PRI-06 (see poc/privacy.py): Moodle's own data
privacy tool (admin/tool/dataprivacy, "Data requests"), driven over HTTP so it works on any
deployment the harness reaches.

- Accounts are made and deleted through the web services (core_user_*; poc/protocols/moodle_ws.py).
- The export (PRI-05) and the deletion (PRI-06) are data requests of the pupil's, made by the site
  administrator (the privacy officer) on the Data requests page (createdatarequest.php?manage=1:
  Moodle 4.3 has no web-service function that creates one), approved through the web service
  tool_dataprivacy_approve_data_request and followed with tool_dataprivacy_get_data_request until
  Moodle's cron has processed them (an ad-hoc task; the site must run admin/cli/cron.php, every
  minute as Moodle's documentation says). An export ends "Download ready": a zip of JSON files with
  an HTML viewer, downloaded from the request's row on the Data requests page. A deletion ends
  "Deleted": the privacy API deletes the user's data in every context, then Moodle deletes the user
  (delete_user: the user row stays, marked deleted, with the user name replaced).
- The two web-service functions must be in the harness's service (the provisioning script,
  suites/moodle/provision/enable_webservices.php, adds them).
- After the deletion (``reachable_after_deletion``): the admin looks the user up by name and by
  id, the teacher asks for the pupil's submission, grade and comment in the class's assignment.

The wait is bounded (``POC_MOODLE_PRIVACY_WAIT`` seconds, default 600) with a progress line.
"""

from __future__ import annotations

import html
import io
import os
import re
import time
import uuid
import zipfile
from pathlib import Path

from poc.privacy import Export, Planted, client, progress
from poc.protocols._http import Session
from poc.protocols.moodle_ws import MoodleError

TYPE_EXPORT, TYPE_DELETE = 1, 2
STATUS = {0: "Pending", 1: "Preprocessing", 2: "Awaiting approval", 3: "Approved", 4: "Processing", 5: "Complete",
          6: "Cancelled", 7: "Rejected", 8: "Download ready", 9: "Expired", 10: "Deleted"}
DONE = {TYPE_EXPORT: {8, 5}, TYPE_DELETE: {10, 5}}
BROKEN = {6, 7, 9}
PAGE = "/admin/tool/dataprivacy"

_user_ids: dict[str, int] = {}  # the pupil's id, kept from before its deletion for the checks after it


class DataRequestError(RuntimeError):
    """A data request that Moodle refused, lost or did not finish in time."""


def _wait_seconds() -> int:
    return int(os.environ.get("POC_MOODLE_PRIVACY_WAIT", "600"))


def _admin_ws(dep):
    return client(dep, "provisioning", dep.accounts["admin"])


def _user(ws, field: str, value) -> dict | None:
    found = ws.call("core_user_get_users_by_field", field=field, values=[value])
    return found[0] if found else None


# -- the administrator's web session -------------------------------------------------------------------

class WebSession:
    """Moodle's login form (login/index.php with its logintoken), then the pages as that user."""

    def __init__(self, base: str, account):
        self.base = base.rstrip("/")
        self.http = Session()
        r = self.http.get(self.base + "/login/index.php", expect=200)
        token = re.search(r'name="logintoken" value="([^"]+)"', r.text)
        r = self.http.post(self.base + "/login/index.php", expect=200,
                           data={"username": account.username, "password": account.password,
                                 "logintoken": token.group(1) if token else ""})
        if "/login/index.php" in r.url or 'name="logintoken"' in r.text:
            raise DataRequestError(f"Moodle's login page did not sign {account.username} in")

    def get(self, path: str, **params):
        return self.http.get(self.base + path, params=params or None, expect=200)

    def sesskey(self, text: str) -> str:
        m = re.search(r'name="sesskey" value="([^"]+)"', text) or re.search(r'"sesskey":"([^"]+)"', text)
        if not m:
            raise DataRequestError("no sesskey on Moodle's page")
        return m.group(1)

    def close(self):
        try:
            self.http.get(self.base + "/login/logout.php", params={"sesskey": self._last_sesskey}) \
                if getattr(self, "_last_sesskey", "") else None
        finally:
            self.http.close()


def _rows(text: str) -> list[tuple[str, str, str]]:
    """(request id, row as plain text, row html) of the Data requests table."""
    out = []
    for row in re.findall(r"<tr[^>]*>.*?</tr>", text, re.S):
        ids = set(re.findall(r'data-requestid="(\d+)"', row))
        if len(ids) == 1:
            out.append((ids.pop(), " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()), row))
    return out


def create_request(web: WebSession, userid: int, kind: int, comment: str) -> str:
    """The Data requests page's "New request" as the administrator; the new request's id."""
    page = web.get(f"{PAGE}/createdatarequest.php", manage=1, type=kind)
    sesskey = web.sesskey(page.text)
    web._last_sesskey = sesskey
    r = web.http.post(f"{web.base}{PAGE}/createdatarequest.php?manage=1&type={kind}", expect=200, data={
        "sesskey": sesskey, "_qf__tool_dataprivacy_data_request_form": "1", "userid": str(userid),
        "type": str(kind), "comments": comment, "submitbutton": "Save changes"})
    # the page lists the requests newest first when asked to (the table's own sort link)
    listing = web.get(f"{PAGE}/datarequests.php", tsort="timecreated", tdir=3)
    for rid, text, _ in _rows(listing.text):
        if comment in text:
            return rid
    raise DataRequestError(f"the new data request ({comment!r}) is not on the Data requests page "
                           f"(the form answered {r.status_code} at {r.url})")


def download_link(web: WebSession, rid: str) -> str:
    listing = web.get(f"{PAGE}/datarequests.php", tsort="timecreated", tdir=3)
    for found, _, row in _rows(listing.text):
        if found == rid:
            for href in re.findall(r'href="([^"]+)"', row):
                href = html.unescape(href)
                if "/tool_dataprivacy/export/" in href:
                    return href
    raise DataRequestError(f"no download link for data request {rid} on the Data requests page")


def follow(ws, rid: str, kind: int, what: str) -> tuple[dict, float]:
    """Approve the request and wait (bounded) until Moodle's cron has processed it."""
    answer = ws.call("tool_dataprivacy_approve_data_request", requestid=int(rid))
    if not (answer or {}).get("result"):
        raise DataRequestError(f"tool_dataprivacy_approve_data_request {rid} answered {answer}")
    t0, last_said, limit = time.monotonic(), 0.0, _wait_seconds()
    while True:
        result = ws.call("tool_dataprivacy_get_data_request", requestid=int(rid))["result"]
        status, waited = int(result["status"]), time.monotonic() - t0
        if status in DONE[kind]:
            return result, waited
        if status in BROKEN:
            raise DataRequestError(f"Moodle's data request {rid} ({what}) ended {STATUS.get(status, status)}")
        if waited > limit:
            raise DataRequestError(f"Moodle's data request {rid} ({what}) was still "
                                   f"{STATUS.get(status, status)!r} after {limit} s: is Moodle's cron running "
                                   "(admin/cli/cron.php every minute)?")
        if waited - last_said >= 30:
            progress(f"moodle: data request {rid} ({what}): {STATUS.get(status, status)} after {waited:.0f} s "
                     f"(processed by Moodle's cron; waiting up to {limit} s)")
            last_said = waited
        time.sleep(3)


# -- PRI-05 ----------------------------------------------------------------------------------------------

def _extract(body: bytes, dest: Path) -> list[Path]:
    out = []
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        for info in z.infolist():
            parts = [p for p in info.filename.replace("\\", "/").split("/") if p not in ("", ".", "..")]
            if info.is_dir() or not parts:
                continue
            path = dest.joinpath(*parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(z.read(info))
            out.append(path)
    return out


def _run_request(ws, web, username: str, kind: int, word: str) -> tuple[int, int, dict, float]:
    """A data request of `kind` for the user, made by the admin, followed until Moodle has processed it:
    (user id, request id, the request's last state, seconds waited)."""
    user = _user(ws, "username", username)
    if user is None:
        raise DataRequestError(f"no Moodle user {username!r}")
    # the comment names no one: the request outlives the user
    rid = create_request(web, int(user["id"]), kind, f"OS2skole PoC: {word} {uuid.uuid4().hex[:12]}")
    result, waited = follow(ws, rid, kind, f"{word} of {username}")
    return int(user["id"]), rid, result, waited


def export_user_data(dep, username: str, dest: Path) -> Export:
    dest.mkdir(parents=True, exist_ok=True)
    ws = _admin_ws(dep)
    web = WebSession(dep.url, dep.accounts["admin"])
    try:
        _uid, rid, result, waited = _run_request(ws, web, username, TYPE_EXPORT, "export")
        link = download_link(web, rid)
        r = web.http.get(link, expect=200)
        if not zipfile.is_zipfile(io.BytesIO(r.content)):
            raise DataRequestError(f"data request {rid}: the download is not a zip "
                                   f"({r.headers.get('Content-Type')}, {len(r.content)} bytes)")
        archive = dest / "export.zip"
        archive.write_bytes(r.content)
        files = _extract(r.content, dest / "export")
    finally:
        web.close()
        ws.close()
    return Export(
        what=(f"Moodle's data privacy tool: an export request for the pupil (request {rid}, "
              f"{result.get('typename', 'Export')!r}) made by the admin on the Data requests page (Moodle 4.3 has no "
              "web-service function that creates one), approved through tool_dataprivacy_approve_data_request, "
              f"processed by Moodle's cron ({STATUS.get(int(result['status']))} after {waited:.0f} s) and downloaded "
              f"from the page: export.zip, {len(files)} files (JSON per context, with an HTML viewer)"),
        paths=[archive, *files])


# -- PRI-06 ----------------------------------------------------------------------------------------------

def delete_user_data(dep, username: str) -> list[str]:
    ws = _admin_ws(dep)
    web = WebSession(dep.url, dep.accounts["admin"])
    try:
        _user_ids[username], rid, result, waited = _run_request(ws, web, username, TYPE_DELETE, "deletion")
    finally:
        web.close()
        ws.close()
    return [f"Moodle's data privacy tool: a deletion request for the pupil (request {rid}) made by the admin on "
            "the Data requests page, approved through tool_dataprivacy_approve_data_request and processed by "
            f"Moodle's cron ({STATUS.get(int(result['status']))} after {waited:.0f} s: the user's data deleted in "
            "every context, then the user)"]


def reachable_after_deletion(dep, username: str, planted: list[Planted]) -> list[str]:
    out = []
    uid = _user_ids.get(username)
    ws = _admin_ws(dep)
    try:
        if _user(ws, "username", username) is not None:
            out.append(f"the admin still finds the user {username} (core_user_get_users_by_field username)")
        if uid is not None:
            row = _user(ws, "id", uid)
            if row is not None:
                kept = ", ".join(f"{k} {row[k]!r}" for k in ("username", "fullname", "email") if row.get(k))
                out.append(f"the admin still finds user id {uid} (core_user_get_users_by_field id): {kept}")
    finally:
        ws.close()
    teacher = client(dep, "learning", dep.accounts["teacher"])
    try:
        seen = set()
        for item in planted:
            aid = item.ids.get("assignment")
            if not aid or aid in seen or uid is None:
                continue
            seen.add(aid)
            answer = teacher.call("mod_assign_get_submissions", assignmentids=[int(aid)])
            for a in answer.get("assignments", []):
                for s in a.get("submissions", []):
                    if int(s.get("userid", 0)) == uid:
                        text = str(s)
                        held = [m for p in planted for m in p.markers if m.startswith("POC-") and m in text]
                        out.append(f"the teacher still sees the pupil's submission to assignment {aid} "
                                   f"(status {s.get('status')!r}{', holding ' + ', '.join(held) if held else ''})")
            try:
                status = teacher.call("mod_assign_get_submission_status", assignid=int(aid), userid=uid)
            except MoodleError:
                continue  # refused: the user is gone from the course
            fb = status.get("feedback") or {}
            text = str(status)
            held = [m for p in planted for m in p.markers if m.startswith("POC-") and m in text]
            if held or (fb.get("grade") or {}).get("grade") not in (None, ""):
                out.append(f"the teacher still reads the pupil's hand-in, grade or comment in assignment {aid} "
                           f"(mod_assign_get_submission_status: {', '.join(held) or 'a grade'})")
    finally:
        teacher.close()
    return out
