"""Nextcloud's OCS APIs: user provisioning, sharing and app passwords, on requests.

Follows Nextcloud's published documentation (examples replayed in tests/test_adapters_documented.py and tests/test_adapters_recorded.py):

- User provisioning, ``/ocs/v1.php/cloud/...``:
  https://docs.nextcloud.com/server/latest/admin_manual/configuration_user/instruction_set_for_users.html
  https://docs.nextcloud.com/server/latest/admin_manual/configuration_user/instruction_set_for_groups.html
- Sharing, ``/ocs/v2.php/apps/files_sharing/api/v1/shares``:
  https://docs.nextcloud.com/server/latest/developer_manual/client_apis/OCS/ocs-share-api.html
- App passwords, ``/ocs/v2.php/core/getapppassword`` and ``/ocs/v2.php/core/apppassword``:
  https://docs.nextcloud.com/server/latest/developer_manual/client_apis/LoginFlow/index.html

Every call carries ``OCS-APIRequest: true``; POST bodies are form-encoded. An OCS answer is
``<ocs><meta><status/><statuscode/><message/></meta><data/></ocs>``; v1 answers HTTP 200 with
statuscode 100 on success, v2 mirrors the HTTP status and uses statuscode 200.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import quote

from . import register
from ._http import Refused, Session, credentials_accepted

OK_CODES = {100, 200}

# share types and permissions (OCS Share API)
SHARE_USER, SHARE_GROUP, SHARE_LINK = 0, 1, 3
READ, UPDATE, CREATE, DELETE, SHARE = 1, 2, 4, 8, 16
READ_WRITE = READ | UPDATE | CREATE | DELETE


class OCSError(Exception):
    """An OCS answer whose statuscode is not a success; `statuscode` is the documented code."""

    def __init__(self, method: str, path: str, statuscode: int, message: str, http_status: int):
        self.statuscode, self.message, self.http_status = statuscode, message, http_status
        super().__init__(f"{method} {path}: OCS statuscode {statuscode} (HTTP {http_status}): {message}")


class OCSForbidden(OCSError):
    """The account may not do this (HTTP 401/403 or OCS 997)."""


def parse(content: bytes) -> tuple[dict, object]:
    """(meta, data) of an OCS XML answer; <element> children become lists, leaves become text."""
    root = ET.fromstring(content)
    meta_el = root.find("meta")
    meta = {c.tag: (c.text or "") for c in meta_el} if meta_el is not None else {}
    data_el = root.find("data")
    return meta, (_to_python(data_el) if data_el is not None else None)


def _to_python(el: ET.Element):
    children = list(el)
    if not children:
        return (el.text or "").strip() if (el.text or "").strip() else ({} if el.text is None else "")
    if all(c.tag == "element" for c in children):
        return [_to_python(c) for c in children]
    out: dict = {}
    for c in children:
        value = _to_python(c)
        if c.tag in out:  # a repeated tag (the v1 share list repeats <element>, handled above)
            out[c.tag] = out[c.tag] if isinstance(out[c.tag], list) else [out[c.tag]]
            out[c.tag].append(value)
        else:
            out[c.tag] = value
    return out


@dataclass
class Share:
    id: str
    share_type: int
    path: str
    permissions: int
    share_with: str = ""
    token: str = ""
    url: str = ""
    expiration: str = ""

    @classmethod
    def from_data(cls, d: dict) -> "Share":
        return cls(id=str(d.get("id", "")), share_type=int(d.get("share_type") or 0), path=d.get("path") or "",
                   permissions=int(d.get("permissions") or 0), share_with=d.get("share_with") or "",
                   token=d.get("token") or "", url=d.get("url") or "", expiration=d.get("expiration") or "")


@register("ocs")
class OCSClient:
    """OCS for one account, rooted at the server's base URL (the capability url is ``{url}``)."""

    READ, READ_WRITE = READ, READ_WRITE  # the permissions the sharing scenarios ask for

    def __init__(self, url: str, account, suite=None, *, close_connections: bool = False):
        self.base = url.rstrip("/")
        self.account = account
        # the interface language the test accounts get (suite.yaml provision.language), if any
        self.language = ((suite.config.get("provision") or {}).get("language", "") if suite is not None else "")
        self.session = Session(account.username, account.password, close_connections=close_connections,
                               raise_5xx=True)
        self.session.headers["OCS-APIRequest"] = "true"

    # -- the call --------------------------------------------------------------------------------
    def call(self, method: str, path: str, *, version: int = 1, data: dict | list | None = None,
             params: dict | None = None):
        url = f"{self.base}/ocs/v{version}.php/{path.lstrip('/')}"
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if data is not None else {}
        r = self.session.request(method, url, data=data, params=params, headers=headers)
        if r.status_code in (401, 403) and not r.content.lstrip().startswith(b"<?xml"):
            raise Refused(r, "an OCS answer")
        try:
            meta, payload = parse(r.content)
        except ET.ParseError:
            raise Refused(r, "an OCS XML answer") from None
        code = int(meta.get("statuscode") or 0)
        if code not in OK_CODES:
            kind = OCSForbidden if code == 997 or r.status_code in (401, 403) else OCSError
            raise kind(method, path, code, meta.get("message", ""), r.status_code)
        return payload

    # -- users (provisioning API, v1) ------------------------------------------------------------
    def users(self, search: str = "") -> list[str]:
        data = self.call("GET", "cloud/users", params={"search": search} if search else None)
        return list((data or {}).get("users") or [])

    def user_exists(self, userid: str) -> bool:
        return userid in self.users(userid)

    def create_user(self, userid: str, password: str, *, display_name: str = "", email: str = "",
                    groups: list[str] = (), language: str = "") -> None:
        form = [("userid", userid), ("password", password)]
        if display_name:
            form.append(("displayName", display_name))
        if email:
            form.append(("email", email))
        if language:
            form.append(("language", language))
        form += [("groups[]", g) for g in groups]
        self.call("POST", "cloud/users", data=form)

    def user(self, userid: str) -> dict:
        return self.call("GET", f"cloud/users/{quote(userid, safe='')}") or {}

    def edit_user(self, userid: str, key: str, value: str) -> None:
        self.call("PUT", f"cloud/users/{quote(userid, safe='')}", data={"key": key, "value": value})

    def set_enabled(self, userid: str, enabled: bool) -> None:
        self.call("PUT", f"cloud/users/{quote(userid, safe='')}/{'enable' if enabled else 'disable'}", data={})

    def delete_user(self, userid: str) -> None:
        self.call("DELETE", f"cloud/users/{quote(userid, safe='')}")

    def user_groups(self, userid: str) -> list[str]:
        data = self.call("GET", f"cloud/users/{quote(userid, safe='')}/groups")
        return list((data or {}).get("groups") or [])

    def add_to_group(self, userid: str, groupid: str) -> None:
        self.call("POST", f"cloud/users/{quote(userid, safe='')}/groups", data={"groupid": groupid})

    def remove_from_group(self, userid: str, groupid: str) -> None:
        self.call("DELETE", f"cloud/users/{quote(userid, safe='')}/groups", data={"groupid": groupid})

    # -- groups (classes) ------------------------------------------------------------------------
    def groups(self, search: str = "") -> list[str]:
        data = self.call("GET", "cloud/groups", params={"search": search} if search else None)
        return list((data or {}).get("groups") or [])

    def create_group(self, groupid: str) -> None:
        self.call("POST", "cloud/groups", data={"groupid": groupid})

    def group_members(self, groupid: str) -> list[str]:
        data = self.call("GET", f"cloud/groups/{quote(groupid, safe='')}")
        return list((data or {}).get("users") or [])

    def delete_group(self, groupid: str) -> None:
        self.call("DELETE", f"cloud/groups/{quote(groupid, safe='')}")

    # -- the provisioning interface the lifecycle uses (same names on every provisioning adapter) --
    def ensure_user(self, account) -> bool:
        """Create the account; True when it was created, False when it existed (its password is set)."""
        if self.user_exists(account.username):
            self.edit_user(account.username, "password", account.password)
            if self.language:
                self.edit_user(account.username, "language", self.language)
            return False
        self.create_user(account.username, account.password, display_name=account.display_name,
                         email=account.email, language=self.language)
        return True

    def ensure_group(self, name: str) -> bool:
        if name in self.groups(name):
            return False
        self.create_group(name)
        return True

    # -- app passwords (Login Flow: converting to app passwords) ---------------------------------
    def app_password(self) -> str:
        """Trade this session's real password for an app password, as a client's login does."""
        data = self.call("GET", "core/getapppassword", version=2)
        token = (data or {}).get("apppassword") if isinstance(data, dict) else None
        if not token:
            raise OCSError("GET", "core/getapppassword", 0, "no apppassword in the answer", 200)
        return token

    def delete_app_password(self) -> None:
        """Revoke the app password this session authenticates with."""
        self.call("DELETE", "core/apppassword", version=2)

    # -- sharing (OCS Share API, v2) -------------------------------------------------------------
    SHARES = "apps/files_sharing/api/v1/shares"

    def create_share(self, path: str, share_type: int, *, share_with: str = "", permissions: int | None = None,
                     password: str = "", expire_date: dt.date | str | None = None,
                     public_upload: bool | None = None) -> Share:
        form = {"path": path, "shareType": str(share_type)}
        if share_with:
            form["shareWith"] = share_with
        if permissions is not None:
            form["permissions"] = str(permissions)
        if password:
            form["password"] = password
        if expire_date:
            form["expireDate"] = expire_date.isoformat() if isinstance(expire_date, dt.date) else str(expire_date)
        if public_upload is not None:
            form["publicUpload"] = "true" if public_upload else "false"
        return Share.from_data(self.call("POST", self.SHARES, version=2, data=form))

    def shares(self, path: str = "", *, shared_with_me: bool = False) -> list[Share]:
        params = {}
        if path:
            params["path"] = path
        if shared_with_me:
            params["shared_with_me"] = "true"
        data = self.call("GET", self.SHARES, version=2, params=params or None)
        return [Share.from_data(d) for d in (data or []) if isinstance(d, dict)]

    def share(self, share_id: str) -> Share:
        data = self.call("GET", f"{self.SHARES}/{share_id}", version=2)
        return Share.from_data(data[0] if isinstance(data, list) else data)

    def update_share(self, share_id: str, **fields) -> Share:
        names = {"permissions": "permissions", "password": "password", "expire_date": "expireDate",
                 "public_upload": "publicUpload", "note": "note"}
        form = {names[k]: (v.isoformat() if isinstance(v, dt.date) else str(v)) for k, v in fields.items()}
        data = self.call("PUT", f"{self.SHARES}/{share_id}", version=2, data=form)
        return Share.from_data(data[0] if isinstance(data, list) else data)

    def delete_share(self, share_id: str) -> None:
        self.call("DELETE", f"{self.SHARES}/{share_id}", version=2)

    # the sharing interface the scenarios use
    def share_with_group(self, path: str, group: str, permissions: int = READ) -> Share:
        return self.create_share(path, SHARE_GROUP, share_with=group, permissions=permissions)

    def share_with_user(self, path: str, user: str, permissions: int = READ) -> Share:
        return self.create_share(path, SHARE_USER, share_with=user, permissions=permissions)

    def public_link(self, path: str, *, password: str = "", expire_date: dt.date | None = None) -> Share:
        return self.create_share(path, SHARE_LINK, password=password, expire_date=expire_date)

    def open_public_link(self, share: Share, password: str | None = None, path: str = ""):
        """GET a file through a public link over public WebDAV (the token is the user name).

        https://docs.nextcloud.com/server/latest/developer_manual/client_apis/WebDAV/basic.html (public shares)
        """
        anon = Session(share.token, password or "", raise_5xx=True)
        anon.headers["X-Requested-With"] = "XMLHttpRequest"
        try:
            return anon.get(f"{self.base}/public.php/webdav/{quote(path.lstrip('/'))}")
        finally:
            anon.close()

    def password_accepted(self, password: str) -> bool:
        """Does the suite let this account in with that password? GET cloud/user (the signed-in
        user's own record) on a fresh connection."""
        return credentials_accepted(f"{self.base}/ocs/v2.php/cloud/user", self.account.username, password,
                                    method="GET", headers={"OCS-APIRequest": "true"})

    def removal_hint(self, username: str) -> str:
        return (f"as an administrator: `php occ user:delete {username}` on the server, or "
                f"DELETE {self.base}/ocs/v1.php/cloud/users/{quote(username, safe='')} with the header "
                "OCS-APIRequest: true")

    def close(self):
        self.session.close()

    # -- a whole school at once (poc/school_provisioning.py) ----------------------------------------
    def create_group_named(self, groupid: str, display_name: str = "") -> None:
        """POST cloud/groups with a display name (what the web interface shows) beside the id."""
        form = {"groupid": groupid}
        if display_name:
            form["displayname"] = display_name
        self.call("POST", "cloud/groups", data=form)
