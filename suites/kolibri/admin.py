"""What Kolibri's administrator does (see poc/privacy.py), through Kolibri's own REST API (the one
its Facility pages use) and its own command line on the server.

- Accounts: the facility admin creates users (POST /api/auth/facilityuser/) and deletes them
  (DELETE /api/auth/facilityuser/<id>/, the Facility page's "Delete"). That deletion is *soft*: the
  user is marked deleted, its sessions end, and Kolibri removes it for good after 30 days (a fixed
  period: kolibri/core/auth/tasks.py cleanup_expired_deleted_users); until then the admin can list
  and restore it (/api/auth/deletedfacilityuser/).
- A pupil's data, for GDPR requests: Kolibri's own commands `kolibri manage user_info <user>`
  ("To allow administrators to comply with GDPR requests, this command dumps all associated data
  for a user to several files", JSON) and `kolibri manage deleteuser <user>` (a hard delete of the
  user and all its data), run on the server (kolibri/core/auth/management/commands/). The
  Facility page's "Export users" (`bulkexportusers`, CSV of every user with the classes they are
  in) is kept beside the export as well, filtered to the pupil.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

from poc.privacy import Attempt, Planted, WebLogin, launcher_of
from poc.suites import new_password


def _api():
    name = "poc_suite_kolibri_api"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("api.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _facility(dep) -> str:
    name = (dep.suite.config.get("provision") or {}).get("facility")
    return _api().KolibriClient(dep.endpoints["web"]).facility_id(name)


def _signed_in(dep, username: str, password: str):
    client = _api().KolibriClient(dep.endpoints["web"])
    client.login(username, password, _facility(dep))
    return client


def _admin(dep):
    a = dep.accounts["admin"]
    return _signed_in(dep, a.username, a.password)


def _user(client, username: str) -> dict | None:
    return next((u for u in client.users(search=username) if u["username"] == username), None)


# -- accounts ---------------------------------------------------------------------------------------

def add_account(dep, account) -> None:
    admin = _admin(dep)
    try:
        role = "coach" if account.role == "teacher" else "learner"
        admin.create_user(account.username, account.password, account.display_name, role=role,
                          facility=_facility(dep))
    finally:
        admin.logout()


def remove_account(dep, username: str) -> None:
    """The Facility page's Delete: a soft delete (sessions end at once; the user is purged after 30 days)."""
    admin = _admin(dep)
    try:
        user = _user(admin, username)
        if user is not None:
            admin.request("DELETE", f"/api/auth/facilityuser/{user['id']}/", expect=(200, 204))
    finally:
        admin.logout()


# -- Kolibri's command line on the server --------------------------------------------------------------

def _manage(dep, args: list[str], cwd: Path, answers: str = "") -> subprocess.CompletedProcess:
    launcher = launcher_of(dep)
    exe = launcher.repo_root / launcher.venv_dirname / "bin" / "kolibri"
    env = {"KOLIBRI_HOME": str(launcher.home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
           "PYTHONNOUSERSITE": "1", "HOME": str(launcher.workdir)}
    return subprocess.run([str(exe), "manage", *args], cwd=str(cwd), env=env, capture_output=True, text=True,
                          timeout=180, input=answers)


def _purge(admin, username: str) -> bool:
    """Delete a soft-deleted user for good (DELETE /api/auth/deletedfacilityuser/<id>/, the Facility
    page's "delete permanently"); False if there is no such deleted user."""
    gone = admin.request("GET", "/api/auth/deletedfacilityuser/", params={"search": username}).json()
    for user in gone:
        if user.get("username") == username:
            admin.request("DELETE", f"/api/auth/deletedfacilityuser/{user['id']}/", expect=(200, 204))
            return True
    return False


def delete_user_data(dep, username: str) -> list[str]:
    admin = _admin(dep)
    try:
        if _user(admin, username) is None and _purge(admin, username):  # already soft-deleted (a leaver)
            return [f"{username} (already deleted on the Facility page) deleted permanently through "
                    "/api/auth/deletedfacilityuser/"]
    finally:
        admin.logout()
    proc = _manage(dep, ["deleteuser", username, "--facility", _facility(dep)], launcher_of(dep).workdir,
                   answers="yes\nyes\n")
    if proc.returncode != 0:
        raise RuntimeError(f"`kolibri manage deleteuser {username}` exited {proc.returncode}: "
                           + (proc.stdout + proc.stderr)[-600:])
    return [f"`kolibri manage deleteuser {username}` on the server: Kolibri's GDPR deletion (a hard delete of the "
            "user and everything linked to it)"]


def export_user_data(dep, username: str, dest: Path) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    proc = _manage(dep, ["user_info", username], dest)
    log = dest / "user_info.log"
    log.write_text(f"$ kolibri manage user_info {username}\nexit {proc.returncode}\n{proc.stdout}{proc.stderr}",
                   encoding="utf-8")
    out.append(log)
    if proc.returncode != 0:
        last = [line for line in proc.stderr.strip().splitlines() if line.strip()][-1:] or ["?"]
        (dest / "user_info.FAILED").write_text(f"kolibri manage user_info exited {proc.returncode}: {last[0]}\n",
                                               encoding="utf-8")
    out += sorted(p for p in (dest / username).rglob("*") if p.is_file()) if (dest / username).exists() else []
    # the Facility page's user export (CSV, every user with their classes), kept for the pupil's row only
    tmp = dest / "facility-users-all.csv"
    proc = _manage(dep, ["bulkexportusers", "--facility", _facility(dep), "-O", str(tmp)], dest)
    if proc.returncode == 0 and tmp.exists():
        rows = list(csv.reader(io.StringIO(tmp.read_text(encoding="utf-8"))))
        tmp.unlink()
        keep = [rows[0]] + [r for r in rows[1:] if username in r] if rows else []
        mine = dest / "facility-users.csv"
        with open(mine, "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(keep)
        out.append(mine)
    return out


# -- planting and checking ------------------------------------------------------------------------------

def plant(dep, account, tag: str, classes: list) -> list[Planted]:
    """Attendance taken in each of the pupil's classes, and the pupil's own sign-in (a session log)."""
    planted = []
    admin = _admin(dep)
    try:
        user = _user(admin, account.username)
        for klass in classes:
            records = [{"user": user["id"], "present": True}]
            r = admin.request("POST", "/api/attendance/attendancesession/", expect=(200, 201),
                              json={"collection": klass.id, "attendance_records": records})
            session = r.json()
            planted.append(Planted("attendance", f"attendance in {klass.name!r} (present)",
                                   ('"model": "attendance.attendancerecord"',), "learning",
                                   f"/api/attendance/attendancesession/{session['id']}/",
                                   ids={"user": user["id"], "session": session["id"], "class": klass.id}))
    finally:
        admin.logout()
    pupil = _signed_in(dep, account.username, account.password)
    try:
        pupil.request("PUT", "/api/auth/session/current/", json={"active": True})
    finally:
        pupil.logout()
    planted.append(Planted("sign-in log", "the pupil's sign-in (Kolibri's user session log)",
                           ('"model": "logger.usersessionlog"',), "learning"))
    return planted


def reachable_after_deletion(dep, username: str, planted: list[Planted]) -> list[str]:
    """What Kolibri's API still gives the admin or the class's coach about the pupil."""
    out = []
    for role in ("admin", "teacher"):
        a = dep.accounts[role]
        client = _signed_in(dep, a.username, a.password)
        try:
            if _user(client, username) is not None:
                out.append(f"the {role} still finds the user in /api/auth/facilityuser/")
            if role == "admin":
                gone = client.request("GET", "/api/auth/deletedfacilityuser/", params={"search": username}).json()
                if any(u.get("username") == username for u in gone):
                    out.append("the admin still lists the user among deleted users (/api/auth/deletedfacilityuser/), "
                               "with its data, restorable")
            for item in planted:
                if item.url.startswith("/api/attendance/"):
                    r = client.request("GET", item.url, expect=(200, 403, 404))
                    if r.status_code == 200 and item.ids.get("user", "?") in r.text:
                        out.append(f"the {role} still reads the pupil's attendance record at {item.url}")
        finally:
            client.logout()
    return out


def storage_survivors(dep, username: str, markers: list[str]) -> list[str]:
    """Rows in Kolibri's SQLite databases that still hold the username or a planted text."""
    launcher = launcher_of(dep)
    needles = [username] + [m for m in markers if m and not m.startswith('"model"')]
    out = []
    for db in sorted(Path(launcher.home).glob("*.sqlite3")):
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                cols = [c[1] for c in con.execute(f'PRAGMA table_info("{table}")')
                        if any(k in (c[2] or "").lower() for k in ("char", "text", "clob")) or not c[2]]
                for col in cols:
                    where = " OR ".join(f'"{col}" LIKE ?' for _ in needles)
                    try:
                        n = con.execute(f'SELECT count(*) FROM "{table}" WHERE {where}',
                                        [f"%{x}%" for x in needles]).fetchone()[0]
                    except sqlite3.Error:
                        continue
                    if n:
                        out.append(f"{db.name}: {table}.{col}: {n} row(s)")
        finally:
            con.close()
    return out


# -- sign-in ------------------------------------------------------------------------------------------

def web_login(dep, username: str, password: str) -> WebLogin:
    """Kolibri's sign-in page posts to /api/auth/session/: the same request, the same session cookie."""
    client = _api().KolibriClient(dep.endpoints["web"])
    status = client.try_login(username, password, _facility(dep))

    def alive() -> bool:
        r = client.request("PUT", "/api/auth/session/current/", json={}, expect=(200, 401, 403))
        return r.status_code == 200 and bool(r.json().get("user_id"))

    return WebLogin(status, status == 200, alive if status == 200 else None, client.http.close, client.http)


# -- IAM-07: the administrator's actions as any account ---------------------------------------------------

def attempt(dep, account, action: str) -> Attempt:
    client = _signed_in(dep, account.username, account.own_password)
    admin = None
    try:
        if action == "create account":
            name = f"poc_tmp_{uuid.uuid4().hex[:8]}"
            r = client.request("POST", "/api/auth/facilityuser/", expect=range(200, 600),
                               json={"username": name, "password": new_password(), "full_name": "Midlertidig",
                                     "facility": _facility(dep)})
            if r.status_code in (200, 201):
                admin = _admin(dep)
                admin.request("DELETE", f"/api/auth/facilityuser/{r.json()['id']}/", expect=(200, 204))
                _purge(admin, name)
            return Attempt(action, account.role, r.status_code, r.status_code in (200, 201),
                           "POST /api/auth/facilityuser/ (the Facility page's New user)")
        if action == "delete account":
            admin = _admin(dep)
            target = admin.create_user(f"poc_tmp_{uuid.uuid4().hex[:8]}", new_password(), "Midlertidig",
                                       facility=_facility(dep))
            r = client.request("DELETE", f"/api/auth/facilityuser/{target['id']}/", expect=range(200, 600))
            if r.status_code not in (200, 204):
                admin.request("DELETE", f"/api/auth/facilityuser/{target['id']}/", expect=(200, 204))
            _purge(admin, target["username"])
            return Attempt(action, account.role, r.status_code, r.status_code in (200, 204),
                           "DELETE /api/auth/facilityuser/<a learner>/ (the Facility page's Delete)")
        if action == "change settings":
            dataset = client.facility_settings(_facility(dep))
            key = "show_download_button_in_learn"
            before = bool(dataset.get(key))
            r = client.request("PATCH", f"/api/auth/facilitydataset/{dataset['id']}/", expect=range(200, 600),
                               json={key: not before})
            if r.status_code == 200:
                client.request("PATCH", f"/api/auth/facilitydataset/{dataset['id']}/", json={key: before})
            return Attempt(action, account.role, r.status_code, r.status_code == 200,
                           f"PATCH /api/auth/facilitydataset/ {key} (the Facility page's settings), set back after")
        if action == "admin page":
            r = client.request("GET", "/api/auth/facilityuser/", expect=range(200, 600))
            others = [u for u in (r.json() if r.status_code == 200 else []) if u.get("username") != account.username]
            return Attempt(action, account.role, r.status_code, r.status_code == 200 and bool(others),
                           f"GET /api/auth/facilityuser/ (the Facility page's user list): {len(others)} other user(s) "
                           "listed; Kolibri serves the page's shell (/en/facility/) to every signed-in user and "
                           "guards the data behind it")
        return Attempt(action, account.role, None, None, f"no Kolibri action {action!r} in this module")
    finally:
        client.logout()
        if admin is not None:
            admin.logout()
