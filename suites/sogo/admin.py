"""What SOGo's administrator does on the server (see poc/privacy.py).

SOGo has no API or page for accounts: its users come from a directory it reads (here the SQL user
source `sogo_users` the launcher manages; at a school an LDAP or SQL directory fed from the
municipality's school data). An account is made by adding a row and closed by removing it. SOGo's
own tool for a user's data is `sogo-tool`: `sogo-tool remove <user>` deletes the user's folders,
settings and rights from SOGo's database (its documented way to delete a user's data), and
`sogo-tool backup` writes property lists of them. The web interface's sign-in is `POST
/SOGo/connect` (a session cookie). SOGo's administrators are the `SOGoSuperUsernames` (the suite's
admin account): they reach every user's folders, in the web interface and over DAV.
"""

from __future__ import annotations

import secrets

import requests

from poc.privacy import Attempt, WebLogin, launcher_of

# SOGo answers curl-like clients with a "browser not supported" page; its web sign-in is for browsers
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 os2skole-poc"
SOGO_TOOL = "/usr/sbin/sogo-tool"


class _Names:
    def __init__(self, names: dict):
        self.__dict__.update(names)


def _launcher_module(launcher):
    """The names of the launcher's module (PG_BIN, DB_NAME, USER_TABLE, ...): it is loaded by path,
    not importable by name."""
    return _Names(type(launcher).start.__globals__)


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _query(launcher, sql: str) -> list[str]:
    """Rows of a query in SOGo's database, '|'-separated (psql -At), through the launcher's private socket."""
    mod = _launcher_module(launcher)
    script = launcher.pg_dir / f"query-{secrets.token_hex(4)}.sql"
    script.write_text(sql, encoding="utf-8")
    script.chmod(0o600)
    launcher._chown(script, mod.PG_USER)
    try:
        out = launcher.run([str(mod.PG_BIN / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-h", str(launcher.pg_socket), "-p", str(launcher.pg_port), "-U", "postgres",
                            "-d", mod.DB_NAME, "-f", str(script)], user=mod.PG_USER, cwd=str(launcher.pg_dir),
                           name="psql-privacy").stdout
    finally:
        script.unlink(missing_ok=True)
    return [line for line in out.splitlines() if line.strip()]


def add_account(dep, account) -> None:
    launcher_of(dep).create_accounts([account])


def remove_account(dep, username: str) -> None:
    """The user's row out of the SQL user source: what a directory does when a user leaves."""
    launcher = launcher_of(dep)
    mod = _launcher_module(launcher)
    _query(launcher, f"DELETE FROM {mod.USER_TABLE} WHERE c_uid = {_literal(username)};")


def delete_user_data(dep, username: str) -> list[str]:
    launcher = launcher_of(dep)
    remove_account(dep, username)
    steps = [f"removed {username} from SOGo's user source (the SQL table sogo_users)"]
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(launcher.sogo_dir / "home"), "LANG": "C.UTF-8",
           "TZ": "Europe/Copenhagen", "GNUSTEP_CONFIG_FILE": str(launcher.sogo_dir / "GNUstep.conf")}
    mod = _launcher_module(launcher)
    launcher.run([SOGO_TOOL, "remove", username], env=env, user=mod.SOGO_USER, cwd=str(launcher.sogo_dir / "home"),
                 name="sogo-tool")
    steps.append(f"`sogo-tool remove {username}`: SOGo's own deletion of the user's folders, settings and rights")
    return steps


def storage_survivors(dep, username: str, markers: list[str]) -> list[str]:
    """What SOGo's database still holds of the user: rows naming them, planted texts anywhere."""
    launcher = launcher_of(dep)
    mod = _launcher_module(launcher)
    u = _literal(username)
    checks = {
        f"{mod.USER_TABLE} (the user source)": f"SELECT count(*) FROM {mod.USER_TABLE} WHERE c_uid = {u}",
        "sogo_folder_info (the user's folders)": f"SELECT count(*) FROM sogo_folder_info WHERE c_path2 = {u}",
        "sogo_user_profile (settings)": f"SELECT count(*) FROM sogo_user_profile WHERE c_uid = {u}",
        "sogo_acl (rights granted to the user)": f"SELECT count(*) FROM sogo_acl WHERE c_uid = {u}",
        "sogo_cache_folder": f"SELECT count(*) FROM sogo_cache_folder WHERE c_uid = {u}",
    }
    for marker in [m for m in markers if m]:
        like = _literal(f"%{marker}%")
        checks[f"sogo_store (objects holding {marker!r})"] = \
            f"SELECT count(*) FROM sogo_store WHERE c_content LIKE {like}"
        checks[f"sogo_quick_appointment ({marker!r})"] = \
            f"SELECT count(*) FROM sogo_quick_appointment WHERE c_title LIKE {like}"
        checks[f"sogo_quick_contact ({marker!r})"] = f"SELECT count(*) FROM sogo_quick_contact WHERE c_cn LIKE {like}"
    names = list(checks)
    rows = _query(launcher, ";\n".join(checks.values()) + ";")
    return [f"{name}: {n} row(s)" for name, n in zip(names, rows) if n.strip() not in ("0", "")]


def web_login(dep, username: str, password: str) -> WebLogin:
    sogo = dep.endpoints["sogo"]
    session = requests.Session()
    session.headers["User-Agent"] = UA
    r = session.post(f"{sogo}/connect", json={"userName": username, "password": password, "rememberLogin": 0},
                     timeout=30)
    signed_in = r.status_code == 200

    def alive() -> bool:
        page = session.get(f"{sogo}/so/{username}/Calendar/view", allow_redirects=False, timeout=30)
        return page.status_code == 200

    return WebLogin(r.status_code, signed_in, alive if signed_in else None, session.close, session)


NO_ADMIN_API = ("SOGo has no function for this: its accounts come from the directory it reads (SQL or LDAP), its "
                "settings from sogo.conf on the server, and it has no classes")


def attempt(dep, account, action: str) -> Attempt:
    """IAM-07 on SOGo: the administrator's function is reaching other users' folders (SOGoSuperUsernames,
    the Administration module): tried on another user's calendar page in the web interface."""
    if action != "admin page":
        return Attempt(action, account.role, None, None, NO_ADMIN_API)
    other = dep.accounts["teacher" if account.role != "teacher" else "pupil"].username
    login = web_login(dep, account.username, account.own_password)
    try:
        if not login.signed_in:
            return Attempt(action, account.role, login.status, False, "the web sign-in itself was refused")
        r = login.session.get(f"{dep.endpoints['sogo']}/so/{other}/Calendar/view", allow_redirects=False,
                              timeout=30)
        return Attempt(action, account.role, r.status_code, r.status_code == 200,
                       f"GET /SOGo/so/{other}/Calendar/view (another user's calendar in the web interface, what "
                       "SOGo's administrators reach through their Administration module)")
    finally:
        login.close()
