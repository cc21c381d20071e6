#!/usr/bin/env python3
"""Record what a REAL Nextcloud answers to the exchanges the harness's adapters depend on.

The real servers do not run in CI; tests/test_adapters_recorded.py replays what this script records
against the harness's own adapters (webdav, ocs, http-status, wopi/cool-convert) with no network.
The script speaks plain HTTP (requests) to the URL it is given and to nothing else: it neither
fetches nor builds Nextcloud, and it does not use the adapters, so a fault of theirs cannot shape
the recording. It sends what the adapters send (same paths, percent-encoding, headers, bodies and
form fields), so the replay can check each adapter request against the recorded one.

As the administrator it creates a test user whose password holds æ, ø and å (OCS provisioning);
as that user it makes a folder "Mine filer æøå", puts "Årsplan 7.b – Ærø.txt" in it, lists the
folder (PROPFIND Depth 1: Nextcloud writes its hrefs with LOWER-case escapes, %c3%a6), asks
OPTIONS of the files root and of the file (DAV classes), LOCKs the file (501 here), trades the
password for an app password, shares the file by a public link whose password holds Æ and GETs it
over public WebDAV with the credentials in UTF-8 (200) and in Latin-1 (401); then a wrong password,
status.php, the office server's discovery and conversion API through Nextcloud's CODE proxy (404:
none installed),
and the clean-up (share and user deleted).

Every secret is replaced by a placeholder, the same one wherever it occurs (see README.md beside
this file): a password by ``<PASSWORD:...>`` naming the non-ASCII letters it held, the app password
by ``<APP_PASSWORD>``, the share token by ``<SHARE_TOKEN>``, the hash of the link's password that
Nextcloud answers by ``<PASSWORD_HASH:share-Æ>``, the instance id by ``<INSTANCE_ID>``, request ids
by ``<REQUEST_ID>``; cookies and Authorization headers are not kept at all (a request's
credentials are kept as ``auth``: user, password placeholder and the charset they were encoded in).
Before anything is written the script checks that none of the real values appears in any file in
any encoding (raw, percent-encoded, JSON-escaped, base64, Basic credentials); else it writes nothing.

    source /srv/real/nextcloud/env.sh     # POC_NEXTCLOUD_URL, POC_NEXTCLOUD_ADMIN_USER/_PASSWORD
    .venv/bin/python tests/data/recorded/record_nextcloud.py [--url URL] [--out DIR]

The fixtures go to tests/data/recorded/nextcloud-<versionstring>/<name>.json (the version that
status.php answers). Exit status 0 when everything was recorded, cleaned up and written; 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import re
import secrets
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus, urlencode, urlsplit
from xml.sax.saxutils import escape as xml_escape

import requests
from urllib3 import encode_multipart_formdata

HERE = Path(__file__).resolve().parent
TIMEOUT = (5, 60)
USER_AGENT = "os2skole-poc-harness"  # what the adapters send

USER = "optagelse.elev"
DISPLAY_NAME = "Optagelse Ærø"
FOLDER = "Mine filer æøå"
FILE = "Årsplan 7.b – Ærø.txt"
CONTENT = "Årsplan for 7.b\nUge 38: lejrskole på Ærø – husk madpakke, sovepose og gummistøvler.\n"

DOCUMENT = ("Årsplan 7.b.docx", "ikke et rigtigt dokument – kun til optagelsen".encode("utf-8"))
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BOUNDARY = "os2skole-poc-recorded-boundary"

# the bodies the adapters send (poc/protocols/webdav.py: listdir's PROPFIND, lock's LOCK)
PROPFIND_RESOURCETYPE = ('<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:">'
                         '<D:prop><D:resourcetype/></D:prop></D:propfind>')
LOCK_BODY = ('<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/>'
             '</D:lockscope><D:locktype><D:write/></D:locktype>'
             '<D:owner>os2skole-poc</D:owner></D:lockinfo>')
XML = "application/xml; charset=utf-8"
FORM = "application/x-www-form-urlencoded"

# the headers worth keeping: a request's that shape the answer, an answer's that the adapters read
REQUEST_HEADERS = ("Depth", "Content-Type", "OCS-APIRequest", "X-Requested-With", "Timeout", "Destination",
                   "Overwrite", "Lock-Token")
RESPONSE_HEADERS = ("DAV", "Content-Type", "Allow", "WWW-Authenticate", "Location")


def basic(username: str, password: str, charset: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode(charset)).decode("ascii")


# -- secrets -----------------------------------------------------------------------------------------

class Secrets:
    """secret -> placeholder, each secret always the same placeholder."""

    def __init__(self):
        self.known: dict[str, str] = {}
        self.users: set[str] = set()  # user names that sent Basic credentials (for their base64 forms)

    def add(self, value: str | None, placeholder: str) -> None:
        if not value:
            return
        if len(value) < 6:
            raise SystemExit(f"a secret too short to replace safely ({placeholder})")
        if self.known.get(value, placeholder) != placeholder:
            raise SystemExit(f"one secret under two placeholders: {self.known[value]} and {placeholder}")
        self.known[value] = placeholder

    @staticmethod
    def encodings(text: str) -> list[str]:
        """The ways a text may be spelt in a request or an answer, each mapped alike."""
        upper = quote(text, safe="")
        lower = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), upper)
        return [text, quote_plus(text), upper, lower, quote(text, safe="/"), json.dumps(text)[1:-1],
                json.dumps(text)[1:-1].replace("/", "\\/")]

    def scrub(self, text: str, *, xml: bool = False) -> str:
        """The text with every secret replaced, each encoding of it by the same encoding of its
        placeholder; in an XML body the placeholder is escaped (&lt;APP_PASSWORD&gt;), so that the
        body still parses and its text reads <APP_PASSWORD>."""
        if not text:
            return text
        for secret, placeholder in sorted(self.known.items(), key=lambda kv: -len(kv[0])):
            holders = self.encodings(placeholder)
            if xml:
                holders[0] = xml_escape(placeholder)
            for spelt, holder in zip(self.encodings(secret), holders):
                text = text.replace(spelt, holder)
        return text

    def forms(self, secret: str) -> set[str]:
        """Every way the secret could be spelt in a saved file (for the final check)."""
        out = set(self.encodings(secret)) | {json.dumps(secret, ensure_ascii=False)[1:-1]}
        for charset in ("utf-8", "latin-1"):
            try:
                raw = secret.encode(charset)
            except UnicodeEncodeError:
                continue
            out.add(base64.b64encode(raw).decode().rstrip("="))
            for user in self.users | {"<SHARE_TOKEN>"} | set(self.known):
                try:
                    out.add(basic(user, secret, charset)[6:].rstrip("="))
                except UnicodeEncodeError:
                    pass
        return {f for f in out if len(f) >= 6}

    def leaks(self, text: str) -> list[str]:
        found = []
        for secret, placeholder in self.known.items():
            if any(form in text for form in self.forms(secret)):
                found.append(placeholder)
        return found


# -- the recorder ------------------------------------------------------------------------------------

class Recorder:
    def __init__(self, base: str, secrets_: Secrets, server: str = ""):
        self.base = base.rstrip("/")
        self.secrets = secrets_
        self.server = server
        self.exchanges: list[tuple[str, dict]] = []  # (name, raw exchange, not yet scrubbed)

    def send(self, name: str, method: str, path: str, *, note: str, auth: tuple[str, str, str] | None = None,
             headers: dict | None = None, body: str | bytes | None = None, record: bool = True) -> requests.Response:
        """One request on a fresh connection with no cookies (as a fresh adapter session would)."""
        assert path.startswith("/"), path
        hdrs = {"User-Agent": USER_AGENT, **(headers or {})}
        if auth is not None:
            user, password, charset = auth
            hdrs["Authorization"] = basic(user, password, charset)
            self.secrets.users.add(user)
        data = body.encode("utf-8") if isinstance(body, str) else body
        with requests.Session() as s:
            r = s.request(method, self.base + path, headers=hdrs, data=data, timeout=TIMEOUT,
                          allow_redirects=False)
        self.learn(r)
        if record:
            self.exchanges.append((name, {
                "name": name,
                "server": self.server,
                "recorded": dt.date.today().isoformat(),
                "note": note,
                "request": {
                    "method": method,
                    "path": path,
                    "headers": {k: v for k, v in hdrs.items() if k in REQUEST_HEADERS},
                    "auth": None if auth is None else {"scheme": "Basic", "username": auth[0],
                                                       "password": auth[1], "charset": auth[2]},
                    "body": body.decode("utf-8") if isinstance(body, bytes) else (body or ""),
                },
                "response": {
                    "status": r.status_code,
                    "reason": r.reason,
                    "headers": {k: r.headers[k] for k in RESPONSE_HEADERS if k in r.headers},
                    "body": r.content.decode("utf-8"),
                },
            }))
        print(f"{r.status_code} {r.reason:<20} {method} {path}" + (f"  -> {name}" if record else ""))
        return r

    def learn(self, r: requests.Response) -> None:
        """Secrets an answer carries outside its body: the instance id (the session cookie's
        name, oc + 10 letters and digits), cookie values, the request id."""
        for cookie in r.cookies:
            if re.fullmatch(r"oc[a-z0-9]{10,}", cookie.name):
                self.secrets.add(cookie.name, "<INSTANCE_ID>")  # the session cookie is named by the instance id
            if cookie.value and len(cookie.value) >= 6 and cookie.value != "true":
                self.secrets.add(cookie.value, "<COOKIE>")
        request_id = r.headers.get("X-Request-Id", "")
        if len(request_id) >= 6:
            self.secrets.add(request_id, "<REQUEST_ID>")

    def scrubbed(self) -> list[tuple[str, dict]]:
        """The exchanges with every secret replaced, in every string (keys too)."""
        def walk(value):
            if isinstance(value, dict):
                return {self.secrets.scrub(k): walk(v) for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v) for v in value]
            return self.secrets.scrub(value) if isinstance(value, str) else value

        out = []
        for name, ex in self.exchanges:
            body = ex["response"]["body"]
            ex = walk(ex)
            xml = re.search(r"xml|html", ex["response"]["headers"].get("Content-Type", ""), re.I) is not None
            ex["response"]["body"] = self.secrets.scrub(body, xml=xml)
            out.append((name, ex))
        return out


def ocs_body(r: requests.Response) -> str:
    return r.content.decode("utf-8")


def ocs_value(r: requests.Response, tag: str) -> str:
    m = re.search(rf"<{tag}>([^<]*)</{tag}>", ocs_body(r))
    if not m:
        raise SystemExit(f"no <{tag}> in the answer to {r.request.method} {r.request.url}: {r.text[:300]!r}")
    return m.group(1)


def record(base: str, admin_user: str, admin_password: str) -> tuple[str, Recorder]:
    secrets_ = Secrets()
    secrets_.add(admin_password, "<PASSWORD:admin>")
    user_password = "Kode-æøå-" + secrets.token_urlsafe(12)
    share_password = "Del-Æble-" + secrets.token_urlsafe(12)
    wrong_password = "Forkert-æøå-" + secrets.token_urlsafe(12)
    secrets_.add(user_password, "<PASSWORD:user-æøå>")
    secrets_.add(share_password, "<PASSWORD:share-Æ>")
    secrets_.add(wrong_password, "<PASSWORD:wrong-æøå>")

    rec = Recorder(base, secrets_)
    admin = (admin_user, admin_password, "utf-8")
    user = (USER, user_password, "utf-8")
    ocs = {"OCS-APIRequest": "true"}
    dav = f"/remote.php/dav/files/{quote(USER)}/"
    folder = dav + quote(FOLDER) + "/"
    file = dav + quote(f"{FOLDER}/{FILE}")

    status = rec.send("status", "GET", "/status.php", note="GET /status.php, anonymous (StatusClient)")
    version = status.json().get("versionstring") or status.json()["version"]
    rec.server = f"Nextcloud {version}"

    # a user left over from an aborted run goes first (not recorded)
    rec.send("", "DELETE", f"/ocs/v1.php/cloud/users/{quote(USER, safe='')}", note="", auth=admin,
             headers=ocs, record=False)
    share_id = None
    created = False
    try:
        r = rec.send("admin-create-user", "POST", "/ocs/v1.php/cloud/users", auth=admin,
                     headers={**ocs, "Content-Type": FORM},
                     body=urlencode([("userid", USER), ("password", user_password), ("displayName", DISPLAY_NAME)]),
                     note="the administrator creates the test user, password with æøå (OCSClient.create_user)")
        if ocs_value(r, "statuscode") != "100":
            raise SystemExit(f"the user was not created: {r.text[:300]!r}")
        created = True
        rec.send("user-mkcol-folder", "MKCOL", folder, auth=user, note=f"MKCOL '{FOLDER}/' (WebDAVClient.mkcol)")
        rec.send("user-put-file", "PUT", file, auth=user, headers={"Content-Type": "text/plain; charset=utf-8"},
                 body=CONTENT, note=f"PUT '{FOLDER}/{FILE}' (WebDAVClient.put)")
        # without the trailing slash, as WebDAVClient.listdir asks (the answer names the folder with one)
        r = rec.send("user-propfind-folder-depth1", "PROPFIND", folder.rstrip("/"), auth=user,
                     headers={"Depth": "1", "Content-Type": XML}, body=PROPFIND_RESOURCETYPE,
                     note="PROPFIND Depth 1 of the folder, resourcetype (WebDAVClient.listdir): the hrefs come "
                          "back with LOWER-case percent escapes (%c3%a6) where the request had upper-case ones, "
                          "and the folder's own with a trailing slash the request had not")
        assert r.status_code == 207, r.status_code
        rec.send("user-options-root", "OPTIONS", dav, auth=user,
                 note="OPTIONS on the user's files root (WebDAVClient.dav_classes): DAV classes without 2")
        rec.send("user-lock-file", "LOCK", file, auth=user,
                 headers={"Timeout": "Second-60", "Depth": "0", "Content-Type": XML}, body=LOCK_BODY,
                 note="LOCK on the file (WebDAVClient.lock): Nextcloud does not implement it for this client")
        rec.send("user-options-file", "OPTIONS", file, auth=user,
                 note="OPTIONS on the file, which WebDAVClient.lock asks after a 501 (its DAV classes)")
        r = rec.send("user-getapppassword", "GET", "/ocs/v2.php/core/getapppassword", auth=user, headers=ocs,
                     note="the user's password traded for an app password (OCSClient.app_password)")
        secrets_.add(ocs_value(r, "apppassword"), "<APP_PASSWORD>")
        r = rec.send("user-create-public-link", "POST", "/ocs/v2.php/apps/files_sharing/api/v1/shares", auth=user,
                     headers={**ocs, "Content-Type": FORM},
                     body=urlencode({"path": f"/{FOLDER}/{FILE}", "shareType": "3", "password": share_password}),
                     note="a public link to the file with a password holding Æ (OCSClient.public_link)")
        token = ocs_value(r, "token")
        share_id = ocs_value(r, "id")
        secrets_.add(token, "<SHARE_TOKEN>")
        # Nextcloud 29 answers the link's password HASH (password, share_with): not kept either
        for tag in ("password", "share_with"):
            value = ocs_value(r, tag)
            if value and value != share_password:
                secrets_.add(value, "<PASSWORD_HASH:share-Æ>")
        public = {"X-Requested-With": "XMLHttpRequest"}
        r = rec.send("public-get-utf8", "GET", "/public.php/webdav/", auth=(token, share_password, "utf-8"),
                     headers=public, note="GET of the public link over public WebDAV, Basic token:password "
                                          "encoded in UTF-8 (RFC 7617; OCSClient.open_public_link)")
        assert r.status_code == 200 and r.content.decode("utf-8") == CONTENT, (r.status_code, r.text[:200])
        r = rec.send("public-get-latin1", "GET", "/public.php/webdav/", auth=(token, share_password, "latin-1"),
                     headers=public, note="the same GET with the same password encoded in Latin-1 (what "
                                          "requests' own HTTPBasicAuth sends): refused")
        rec.send("user-wrong-password-propfind", "PROPFIND", dav, auth=(USER, wrong_password, "utf-8"),
                 headers={"Depth": "0"},
                 note="PROPFIND Depth 0 on the files root with a wrong password (WebDAVClient.password_accepted)")
        office = "/apps/richdocumentscode/proxy.php?req="
        rec.send("office-discovery", "GET", office + "/hosting/discovery",
                 note="WOPI discovery through Nextcloud's built-in CODE proxy (the suite's office endpoint): "
                      "no office server is installed on this server")
        # the conversion API through the same proxy (ConvertClient.convert), its multipart body as
        # requests builds it (urllib3), with a fixed boundary
        body, content_type = encode_multipart_formdata({"data": (DOCUMENT[0], DOCUMENT[1], DOCX)},
                                                       boundary=BOUNDARY)
        rec.send("office-convert-to", "POST", office + "/cool/convert-to/odt", headers={"Content-Type": content_type},
                 body=body, note="Collabora's conversion API through Nextcloud's CODE proxy: no office server")
        rec.send("user-delete-share", "DELETE", f"/ocs/v2.php/apps/files_sharing/api/v1/shares/{share_id}",
                 auth=user, headers=ocs, note="the public link deleted (OCSClient.delete_share)")
        share_id = None
        rec.send("admin-delete-user", "DELETE", f"/ocs/v1.php/cloud/users/{quote(USER, safe='')}", auth=admin,
                 headers=ocs, note="the administrator deletes the test user (OCSClient.delete_user)")
        created = False
    finally:
        if share_id is not None:
            rec.send("", "DELETE", f"/ocs/v2.php/apps/files_sharing/api/v1/shares/{share_id}", note="",
                     auth=user, headers=ocs, record=False)
        if created:
            rec.send("", "DELETE", f"/ocs/v1.php/cloud/users/{quote(USER, safe='')}", note="", auth=admin,
                     headers=ocs, record=False)
    return version, rec


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=os.environ.get("POC_NEXTCLOUD_URL", ""),
                    help="the Nextcloud's base URL (default: $POC_NEXTCLOUD_URL)")
    ap.add_argument("--out", help="the folder to write (default: nextcloud-<version> beside this script)")
    args = ap.parse_args(argv)
    admin_user = os.environ.get("POC_NEXTCLOUD_ADMIN_USER", "admin")
    admin_password = os.environ.get("POC_NEXTCLOUD_ADMIN_PASSWORD", "")
    if not args.url or not admin_password:
        print("give --url (or POC_NEXTCLOUD_URL) and POC_NEXTCLOUD_ADMIN_PASSWORD", file=sys.stderr)
        return 1
    if urlsplit(args.url).scheme not in ("http", "https"):
        print(f"not an http(s) URL: {args.url}", file=sys.stderr)
        return 1

    version, rec = record(args.url, admin_user, admin_password)
    out = Path(args.out) if args.out else HERE / f"nextcloud-{version}"
    files = {}
    for name, ex in rec.scrubbed():
        ex["server"] = rec.server
        files[name] = json.dumps(ex, ensure_ascii=False, indent=2) + "\n"

    # nothing is written while any real secret shows, in any encoding, in any file
    leaks = {}
    for name, text in files.items():
        for variant in (text, json.dumps(json.loads(text), ensure_ascii=True)):
            found = rec.secrets.leaks(variant)
            if found:
                leaks[name] = sorted(set(found))
    if leaks:
        print(f"NOT WRITTEN: secrets would leak: {leaks}", file=sys.stderr)
        return 1
    if "<INSTANCE_ID>" not in rec.secrets.known.values():
        print("NOT WRITTEN: the instance id was not learnt (no oc<instanceid> cookie), so it could not be "
              "checked for", file=sys.stderr)
        return 1
    for placeholder in ("<PASSWORD:admin>", "<PASSWORD:user-æøå>", "<PASSWORD:share-Æ>", "<APP_PASSWORD>",
                        "<SHARE_TOKEN>"):
        assert placeholder in rec.secrets.known.values(), placeholder
    hashes = [name for name, text in files.items() if re.search(r"\$(argon2i?d?|2[aby])\$", text)]
    if hashes:
        print(f"NOT WRITTEN: a password hash would be kept in {hashes}", file=sys.stderr)
        return 1

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    for name, text in files.items():
        (out / f"{name}.json").write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} exchanges from {rec.server} to {out}; replaced: "
          f"{sorted(set(rec.secrets.known.values()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
