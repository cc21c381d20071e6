"""The Nextcloud adapters against answers RECORDED from a real Nextcloud 29.0.6.

tests/data/recorded/nextcloud-29.0.6/ holds HTTP exchanges as a real Nextcloud 29.0.6 (PHP 8.2,
SQLite, nginx, no office server) answered them, recorded by tests/data/recorded/record_nextcloud.py
with every secret replaced by a placeholder (see tests/data/recorded/README.md). Here the REAL
adapters (poc.protocols webdav, ocs, http-status, wopi and cool-convert) run against them with no
network: requests' transport (HTTPAdapter.send) is replaced by a replay that answers each request
with the next recorded exchange, after checking that the adapter asked for the same thing (method,
path with its escapes, the headers that matter, the credentials and the charset they are encoded
in, the body). The accounts get the placeholders as passwords, so the recorded requests are what
the adapters must send.

This is not a simulation of Nextcloud: nothing is answered that Nextcloud did not answer to that
request.
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from poc.protocols._http import NotImplementedByServer, basic_authorization
from poc.protocols.ocs import SHARE_LINK, OCSClient, parse
from poc.protocols.status import StatusClient
from poc.protocols.webdav import WebDAVClient, parse_multistatus, resource_key
from poc.protocols.wopi import ConvertClient, NoOfficeServer, WOPIClient
from poc.suites import Account
from poc.verdicts import FAIL, classify

VERSION = "29.0.6"
SERVER = f"Nextcloud {VERSION}"
DATA = Path(__file__).parent / "data" / "recorded" / f"nextcloud-{VERSION}"
URL = "http://nextcloud.recorded.invalid"  # never contacted: every request answers from the recording

# what the recorder made (its own constants); the replay checks them against the recorded requests
USER = "optagelse.elev"
DISPLAY_NAME = "Optagelse Ærø"
FOLDER = "Mine filer æøå"
FILE = "Årsplan 7.b – Ærø.txt"
DOCUMENT = ("Årsplan 7.b.docx", "ikke et rigtigt dokument – kun til optagelsen".encode("utf-8"))
OFFICE = f"{URL}/apps/richdocumentscode/proxy.php?req="  # the suite's office endpoint
DAV_ROOT = f"{URL}/remote.php/dav/files/{USER}/"

# the placeholders that stand for the secrets (tests/data/recorded/README.md)
PASSWORD = "<PASSWORD:user-æøå>"
SHARE_PASSWORD = "<PASSWORD:share-Æ>"
WRONG_PASSWORD = "<PASSWORD:wrong-æøå>"
ADMIN_PASSWORD = "<PASSWORD:admin>"
PLACEHOLDER = re.compile(r"^<(PASSWORD|PASSWORD_HASH):[a-z]+(-[^<>]+)?>$|^<(APP_PASSWORD|SHARE_TOKEN)>$")

PUPIL = Account("pupil", USER, PASSWORD, DISPLAY_NAME)
ADMIN = Account("admin", "admin", ADMIN_PASSWORD, "Skoleadministrator")


def _load() -> dict[str, dict]:
    out = {}
    for path in sorted(DATA.glob("*.json")):
        ex = json.loads(path.read_text(encoding="utf-8"))
        ex["file"] = path.name
        out[path.stem] = ex
    return out


EXCHANGES = _load()


def recorded(name: str) -> dict:
    assert name in EXCHANGES, f"{name}.json is not recorded in {DATA}"
    return EXCHANGES[name]


# -- the replay --------------------------------------------------------------------------------------

def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _boundary(content_type: str) -> str:
    m = re.search(r"boundary=([^;\s]+)", content_type or "")
    return m.group(1) if m else ""


class Replay:
    """Stands in for requests' HTTP transport: answers each request with the next recorded exchange."""

    def __init__(self):
        self.queue: list[dict] = []
        self.sent: list[requests.PreparedRequest] = []

    def play(self, *names: str) -> None:
        self.queue = [recorded(n) for n in names]
        self.sent = []

    def send(self, adapter, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        self.sent.append(request)
        target = _target(request.url)
        if not self.queue:
            raise AssertionError(f"the adapter sent {request.method} {target}, and nothing more was recorded")
        ex = self.queue.pop(0)
        rec, where = ex["request"], ex["file"]
        assert (request.method, target) == (rec["method"], rec["path"]), \
            f"{where}: the adapter sent {request.method} {target}, the recording has {rec['method']} {rec['path']}"
        for name, value in rec["headers"].items():
            if name.lower() == "content-type" and value.startswith("multipart/"):
                assert request.headers.get(name, "").startswith("multipart/form-data; boundary="), where
                continue
            assert request.headers.get(name) == value, \
                f"{where}: the adapter sent {name}: {request.headers.get(name)!r}, the recording has {value!r}"
        auth = rec["auth"]
        expected = None if auth is None else "Basic " + base64.b64encode(
            f"{auth['username']}:{auth['password']}".encode(auth["charset"])).decode("ascii")
        assert request.headers.get("Authorization") == expected, \
            f"{where}: the adapter's credentials are not the recorded ones ({auth and auth['charset']})"
        body = request.body or b""
        body = body.encode("utf-8") if isinstance(body, str) else body
        want = rec["body"].encode("utf-8")
        if rec["headers"].get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            assert parse_qsl(body.decode("ascii"), keep_blank_values=True) == \
                parse_qsl(want.decode("ascii"), keep_blank_values=True), f"{where}: {body!r} != {want!r}"
        elif rec["headers"].get("Content-Type", "").startswith("multipart/"):
            mine = _boundary(request.headers.get("Content-Type", "")).encode()
            theirs = _boundary(rec["headers"]["Content-Type"]).encode()
            assert body.replace(mine, b"BOUNDARY") == want.replace(theirs, b"BOUNDARY"), where
        else:
            assert body == want, f"{where}: the adapter sent the body {body[:200]!r}, the recording has {want[:200]!r}"

        response = requests.Response()
        response.status_code = ex["response"]["status"]
        response.reason = ex["response"]["reason"]
        response.headers = CaseInsensitiveDict(ex["response"]["headers"])
        response._content = ex["response"]["body"].encode("utf-8")
        response.encoding = requests.utils.get_encoding_from_headers(response.headers) or "utf-8"
        response.url, response.request, response.connection = request.url, request, adapter
        return response

    def done(self) -> None:
        assert not self.queue, f"recorded but not asked for: {[ex['file'] for ex in self.queue]}"


@pytest.fixture
def replay(monkeypatch):
    """Every requests session, whichever adapter made it, answers from the recording: no request
    reaches the network."""
    r = Replay()

    def send(adapter, request, **kwargs):
        return r.send(adapter, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return r


def webdav() -> WebDAVClient:
    return WebDAVClient(DAV_ROOT, PUPIL)


# -- the recording itself ----------------------------------------------------------------------------

def _spellings(secret: str) -> set[str]:
    """The ways a secret could be written into a fixture."""
    out = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    out.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(secret, safe="")))
    for charset in ("utf-8", "latin-1"):
        try:
            out.add(base64.b64encode(secret.encode(charset)).decode().rstrip("="))
            out.add(base64.b64encode(f"admin:{secret}".encode(charset)).decode().rstrip("="))
        except UnicodeEncodeError:
            pass
    return {s for s in out if len(s) >= 6}


def test_recording_names_its_server_and_holds_placeholders_only():
    """Every exchange came from Nextcloud 29.0.6 (status.php says so) and holds placeholders, never
    a secret: no Authorization, Cookie or Set-Cookie header, every password, app password, share
    token and password hash a placeholder, nothing shaped like one of them or like the instance id.
    (The recorder checked the real values before writing; where this machine has the admin's
    password, POC_NEXTCLOUD_ADMIN_PASSWORD, it is looked for here too.)"""
    assert len(EXCHANGES) >= 17
    assert {ex["server"] for ex in EXCHANGES.values()} == {SERVER}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", ex["recorded"]) for ex in EXCHANGES.values())
    assert json.loads(recorded("status")["response"]["body"])["versionstring"] == VERSION

    texts = {ex["file"]: (DATA / ex["file"]).read_text(encoding="utf-8") for ex in EXCHANGES.values()}
    for ex in EXCHANGES.values():
        where = ex["file"]
        for name in {**ex["request"]["headers"], **ex["response"]["headers"]}:
            assert name.lower() not in ("authorization", "cookie", "set-cookie"), f"{where} keeps {name}"
        if ex["request"]["auth"]:
            assert PLACEHOLDER.match(ex["request"]["auth"]["password"]), f"{where}: a password is not a placeholder"
        if ex["request"]["headers"].get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            for key, value in parse_qsl(ex["request"]["body"]):
                if "password" in key.lower():
                    assert PLACEHOLDER.match(value), f"{where}: the form's {key} is not a placeholder"
        text = texts[where]
        assert not re.search(r"\$(argon2i?d?|2[aby])\$", text), f"{where} holds a password hash"
        assert not re.search(r"(?<![A-Za-z0-9])[A-Za-z0-9]{72}(?![A-Za-z0-9])", text), \
            f"{where} holds something shaped like an app password"
        assert not re.search(r"/s/[A-Za-z0-9]{15}\b", text), f"{where} holds something shaped like a share token"
        assert not re.search(r"\boc[a-z0-9]{10}\b", text), f"{where} holds something shaped like an instance id"
        assert "oc_sessionPassphrase" not in text and "nc_session_id" not in text, f"{where} holds a cookie"
    # the answers that carried secrets carry placeholders now, and still parse
    _, data = parse(recorded("user-getapppassword")["response"]["body"].encode())
    assert data == {"apppassword": "<APP_PASSWORD>"}
    _, data = parse(recorded("user-create-public-link")["response"]["body"].encode())
    assert data["token"] == "<SHARE_TOKEN>" and data["url"].endswith("/s/<SHARE_TOKEN>")
    assert data["password"] == data["share_with"] == "<PASSWORD_HASH:share-Æ>"

    real = os.environ.get("POC_NEXTCLOUD_ADMIN_PASSWORD", "")
    if real:  # on the machine that recorded them
        for where, text in texts.items():
            variants = (text, json.dumps(json.loads(text)))
            assert not any(s in v for s in _spellings(real) for v in variants), f"{where} holds the admin's password"


# -- WebDAV ------------------------------------------------------------------------------------------

def test_listdir_reads_lower_case_escapes(replay):
    """Nextcloud 29.0.6 answers PROPFIND with hrefs in LOWER-case escapes (%c3%a6) where the request
    had upper-case ones (%C3%A6): WebDAVClient.listdir still tells the folder from its content and
    lists exactly the file, by its decoded name."""
    ex = recorded("user-propfind-folder-depth1")
    assert "%C3%A6" in ex["request"]["path"]
    assert "%c3%a6" in ex["response"]["body"] and "%C3%A6" not in ex["response"]["body"]
    hrefs = [e.href for e in parse_multistatus(ex["response"]["body"].encode())]
    assert hrefs[0] != ex["request"]["path"]  # the folder's own href differs as text ...
    assert resource_key(URL + hrefs[0]) == resource_key(URL + ex["request"]["path"])  # ... not as a resource

    client = webdav()
    assert client.same_resource(hrefs[0], FOLDER) and not client.same_resource(hrefs[1], FOLDER)
    replay.play("user-propfind-folder-depth1")
    assert client.listdir(FOLDER) == [FILE]
    replay.done()


def test_mkcol_and_put_with_danish_names(replay):
    """MKCOL of "Mine filer æøå" and PUT of "Årsplan 7.b – Ærø.txt" as Nextcloud 29.0.6 answered them
    (201 both): the adapter asks the recorded URLs, escapes and body."""
    client = webdav()
    replay.play("user-mkcol-folder", "user-put-file")
    assert client.mkcol(FOLDER).status_code == 201
    content = recorded("user-put-file")["request"]["body"].encode("utf-8")
    assert client.put(f"{FOLDER}/{FILE}", content, content_type="text/plain; charset=utf-8").status_code == 201
    replay.done()


def test_dav_classes_of_the_files_root_have_no_class_2(replay):
    """OPTIONS on the files root of Nextcloud 29.0.6: DAV 1 and 3, no class 2 (no locking)."""
    replay.play("user-options-root")
    classes = webdav().dav_classes()
    assert "1" in classes and "3" in classes and "2" not in classes
    replay.done()


def test_lock_answered_501_is_not_implemented_and_a_fail(replay):
    """LOCK on a file of Nextcloud 29.0.6 answered 501 Not Implemented (Sabre: no plugin willing to
    handle LOCK): WebDAVClient.lock raises NotImplementedByServer saying so and that the server
    announces no DAV class 2 (from the recorded OPTIONS on the file), and its verdict is `fail`."""
    assert recorded("user-lock-file")["response"]["status"] == 501
    replay.play("user-lock-file", "user-options-file")
    with pytest.raises(NotImplementedByServer) as err:
        webdav().lock(f"{FOLDER}/{FILE}")
    message = str(err.value)
    assert "LOCK not implemented (501)" in message and "no DAV class 2" in message
    assert err.value.status == 501 and err.value.method == "LOCK"
    assert classify(err.value) == FAIL
    assert [r.method for r in replay.sent] == ["LOCK", "OPTIONS"]
    replay.done()


def test_wrong_password_is_refused(replay):
    """PROPFIND with a wrong password on Nextcloud 29.0.6: 401, whose challenge names charset UTF-8;
    WebDAVClient.password_accepted says False."""
    ex = recorded("user-wrong-password-propfind")
    assert ex["response"]["status"] == 401 and 'charset="UTF-8"' in ex["response"]["headers"]["WWW-Authenticate"]
    replay.play("user-wrong-password-propfind")
    assert webdav().password_accepted(WRONG_PASSWORD) is False


# -- OCS ---------------------------------------------------------------------------------------------
    replay.done()


def test_public_link_with_ae_password_is_opened_in_utf8(replay):
    """A public link with a password holding Æ on Nextcloud 29.0.6: public WebDAV let token:password
    in when the Basic credentials were UTF-8 (200) and refused the same password in Latin-1 (401).
    OCSClient.open_public_link sends the UTF-8 form, the one recorded with 200."""
    utf8, latin1 = recorded("public-get-utf8"), recorded("public-get-latin1")
    assert (utf8["response"]["status"], latin1["response"]["status"]) == (200, 401)
    assert utf8["request"]["auth"]["charset"] == "utf-8" and latin1["request"]["auth"]["charset"] == "latin-1"
    same = {k: v for k, v in utf8["request"].items() if k != "auth"}
    assert same == {k: v for k, v in latin1["request"].items() if k != "auth"}  # only the charset differs
    assert {k: v for k, v in utf8["request"]["auth"].items() if k != "charset"} == \
        {k: v for k, v in latin1["request"]["auth"].items() if k != "charset"}

    client = OCSClient(URL, PUPIL)
    replay.play("user-create-public-link")
    share = client.public_link(f"/{FOLDER}/{FILE}", password=SHARE_PASSWORD)
    assert (share.share_type, share.token, share.path) == (SHARE_LINK, "<SHARE_TOKEN>", f"/{FOLDER}/{FILE}")

    replay.play("public-get-utf8")
    r = client.open_public_link(share, SHARE_PASSWORD)
    assert r.status_code == 200 and r.text == utf8["response"]["body"]
    sent = replay.sent[0].headers["Authorization"]
    assert sent.startswith("Basic ")
    raw = base64.b64decode(sent[len("Basic "):])
    assert raw.decode("utf-8") == f"{share.token}:{SHARE_PASSWORD}"
    assert raw != f"{share.token}:{SHARE_PASSWORD}".encode("latin-1")  # not the refused form
    assert sent == basic_authorization(share.token, SHARE_PASSWORD)
    replay.done()


def test_app_password_is_parsed(replay):
    """GET /ocs/v2.php/core/getapppassword on Nextcloud 29.0.6 (its apppassword a placeholder):
    OCSClient.app_password returns it."""
    replay.play("user-getapppassword")
    assert OCSClient(URL, PUPIL).app_password() == "<APP_PASSWORD>"
    replay.done()


def test_provisioning_and_clean_up(replay):
    """The OCS exchanges around the flow on Nextcloud 29.0.6: the administrator creating the user
    (v1, statuscode 100), the user deleting the link (v2), the administrator deleting the user."""
    replay.play("admin-create-user")
    OCSClient(URL, ADMIN).create_user(USER, PASSWORD, display_name=DISPLAY_NAME)
    replay.play("user-delete-share")
    share_id = recorded("user-delete-share")["request"]["path"].rsplit("/", 1)[-1]
    OCSClient(URL, PUPIL).delete_share(share_id)
    replay.play("admin-delete-user")
    OCSClient(URL, ADMIN).delete_user(USER)
    assert not replay.queue, "an exchange of the recording was not asked for"


# -- status and office -------------------------------------------------------------------------------
    replay.done()


def test_status_is_parsed(replay):
    """GET /status.php of Nextcloud 29.0.6: StatusClient finds it healthy, version 29.0.6, and
    nothing sensitive in it."""
    replay.play("status")
    healthy, body = StatusClient(f"{URL}/status.php").healthy()
    assert healthy is True
    assert body["versionstring"] == VERSION and body["productname"] == "Nextcloud"
    assert StatusClient.sensitive(body) == []
    replay.done()


def test_no_office_server_behind_the_code_proxy(replay):
    """Nextcloud 29.0.6 without an office server: its CODE proxy path answered 404 to the WOPI
    discovery and to the conversion API; WOPIClient and ConvertClient raise NoOfficeServer, whose
    message starts "no office server answers at" the office endpoint, and its verdict is `fail`."""
    assert recorded("office-discovery")["response"]["status"] == 404
    replay.play("office-discovery")
    with pytest.raises(NoOfficeServer) as err:
        WOPIClient(OFFICE).discovery()
    assert str(err.value).startswith(f"no office server answers at {OFFICE}")
    assert classify(err.value) == FAIL

    replay.play("office-convert-to")
    with pytest.raises(NoOfficeServer) as err:
        ConvertClient(OFFICE).convert(DOCUMENT[1], DOCUMENT[0], "odt")
    assert str(err.value).startswith("no office server answers at")
    replay.done()
