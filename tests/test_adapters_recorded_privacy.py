"""The privacy steps of the suites' admin modules (PRI-05, PRI-06) against answers RECORDED from a
real Moodle 4.3 and a real Nextcloud 29.0.6 (tests/data/recorded/<server>/privacy/, recorded by
tests/data/recorded/record_privacy.py with every secret a placeholder).

The REAL functions of suites/moodle/admin.py and suites/nextcloud/admin.py run with requests'
transport replaced by a replay that answers each request with the next recorded exchange, after
checking that the module asked for the same thing (method, path, form fields, credentials). What
is checked is the parsing: Moodle's Data requests page (the request's id, its download link), the
data request's status, the export zip, the deleted user's row the admin still finds; Nextcloud's
share and group answers and what the admin and the teacher still find after the deletion.
"""

from __future__ import annotations

import base64
import json
import re
import zipfile
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from poc import privacy, suites
from poc.lifecycle import Deployment
from poc.suites import Account

RECORDED = Path(__file__).parent / "data" / "recorded"
MOODLE = RECORDED / "moodle-4.3" / "privacy"
NEXTCLOUD = RECORDED / "nextcloud-29.0.6" / "privacy"
SECRETLIKE = re.compile(r"\b[0-9a-f]{32}\b")


def _load(folder: Path) -> list[dict]:
    out = []
    for path in sorted(folder.glob("[0-9][0-9]-*.json")):
        ex = json.loads(path.read_text(encoding="utf-8"))
        ex["file"] = path.name
        out.append(ex)
    return out


class Replay:
    def __init__(self, exchanges: list[dict]):
        self.queue = list(exchanges)

    def send(self, adapter, request, **kwargs):
        target = urlsplit(request.url)
        target = target.path + (f"?{target.query}" if target.query else "")
        assert self.queue, f"the module sent {request.method} {target}, and nothing more was recorded"
        ex = self.queue.pop(0)
        rec, where = ex["request"], ex["file"]
        # a placeholder stands in the recorded path unescaped (the real value needed no escapes)
        assert (request.method, unquote(target)) == (rec["method"], unquote(rec["path"])), \
            f"{where}: the module sent {request.method} {target}, the recording has {rec['method']} {rec['path']}"
        for name, value in rec["headers"].items():
            assert request.headers.get(name) == value, f"{where}: {name} {request.headers.get(name)!r} != {value!r}"
        auth = rec["auth"]
        expected = None if auth is None else "Basic " + base64.b64encode(
            f"{auth['username']}:{auth['password']}".encode(auth["charset"])).decode("ascii")
        assert request.headers.get("Authorization") == expected, f"{where}: not the recorded credentials"
        body = request.body or b""
        body = body.decode("utf-8") if isinstance(body, bytes) else body
        if rec["headers"].get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            assert parse_qsl(body, keep_blank_values=True) == parse_qsl(rec["body"], keep_blank_values=True), where
        else:
            assert body == rec["body"], where
        response = requests.Response()
        response.status_code, response.reason = ex["response"]["status"], ex["response"]["reason"]
        response.headers = CaseInsensitiveDict(ex["response"]["headers"])
        response._content = (base64.b64decode(ex["response"]["body_base64"]) if "body_base64" in ex["response"]
                             else ex["response"]["body"].encode("utf-8"))
        response._content_consumed = True
        response.encoding = requests.utils.get_encoding_from_headers(response.headers) or "utf-8"
        response.url, response.request, response.connection = request.url, request, adapter
        return response

    def done(self):
        assert not self.queue, f"recorded but not asked for: {[ex['file'] for ex in self.queue]}"


@pytest.fixture
def replay(monkeypatch):
    def start(exchanges):
        r = Replay(exchanges)
        monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", lambda adapter, request, **kw: r.send(adapter, request))
        return r
    return start


class Dep:
    url_for = Deployment.url_for

    def __init__(self, suite, url, accounts):
        self.suite, self.url, self.accounts = suite, url, accounts
        self.endpoints = {k: v.format(url=url) for k, v in (suite.config.get("endpoints") or {}).items()}


def _placeholders_only(exchanges: list[dict], placeholder: re.Pattern) -> None:
    for ex in exchanges:
        for name in {**ex["request"]["headers"], **ex["response"]["headers"]}:
            assert name.lower() not in ("authorization", "cookie", "set-cookie"), f"{ex['file']} keeps {name}"
        if ex["request"]["auth"]:
            assert placeholder.match(ex["request"]["auth"]["password"]), f"{ex['file']}: a password is no placeholder"
        for key, value in parse_qsl(ex["request"]["body"]):
            if key in ("password", "wstoken", "sesskey", "token"):
                assert placeholder.match(value), f"{ex['file']}: {key} is not a placeholder"


# -- Moodle 4.3: the data privacy tool ---------------------------------------------------------------------

def _moodle(monkeypatch):
    suite = suites.load("moodle")
    monkeypatch.setenv("POC_MOODLE_ADMIN_TOKEN", "<TOKEN:admin>")
    admin = Account("admin", "admin", "<PASSWORD:admin>", "Skoleadministrator")
    teacher = Account("teacher", "rec.privacy.laerer", "<PASSWORD:teacher>", "Optagelse Lærer")
    module = suite.load_module("admin.py", "admin")
    monkeypatch.setattr(module.time, "sleep", lambda s: None)
    return Dep(suite, "http://moodle.recorded.invalid", {"admin": admin, "teacher": teacher}), module


def test_moodle_recording_holds_placeholders_only():
    exchanges = _load(MOODLE)
    assert len(exchanges) >= 20
    assert {ex["server"] for ex in exchanges} == {"Moodle 4.3 (Build: 20231009)"}
    _placeholders_only(exchanges, re.compile(r"^<(PASSWORD:[a-z]+|TOKEN:[a-z]+|SESSKEY)>$"))
    for ex in exchanges:  # a web-service token is 32 hex digits; the only such values are md5s of e-mails
        body = ex["response"].get("body", "")
        for hit in SECRETLIKE.findall(json.dumps(ex)):
            assert re.search(r'"(email|identity)":"%s"' % hit, body), f"{ex['file']}: {hit} looks like a token"


def _recorded_comment(monkeypatch, module, exchanges: list[dict]) -> None:
    """The request's comment holds a random tag; the replay gives the module the recorded one."""
    form = next(dict(parse_qsl(ex["request"]["body"])) for ex in exchanges
                if "createdatarequest.php" in ex["request"]["path"] and ex["request"]["method"] == "POST")
    tag = form["comments"].rsplit(" ", 1)[-1]

    class Fixed:
        hex = tag + "0" * (32 - len(tag))

    monkeypatch.setattr(module.uuid, "uuid4", lambda: Fixed)


def test_moodle_export_delete_and_what_survives(monkeypatch, replay, tmp_path):
    dep, module = _moodle(monkeypatch)
    exchanges = _load(MOODLE)
    _recorded_comment(monkeypatch, module, [ex for ex in exchanges if ex["step"] == "export"])
    r = replay([ex for ex in exchanges if ex["step"] == "export"])
    result = module.export_user_data(dep, "rec.privacy.elev", tmp_path)
    r.done()
    assert isinstance(result, privacy.Export)
    rid = re.search(r"request (\d+)", result.what).group(1)
    assert "Download ready" in result.what and "Data requests page" in result.what
    assert zipfile.is_zipfile(tmp_path / "export.zip")
    names = [p.relative_to(tmp_path / "export").as_posix() for p in result.paths[1:]]
    assert "index.html" in names and any(n.endswith("/data.json") for n in names)
    mine = [p for p in result.paths if p.name == "data.json" and "Data requests" in p.as_posix()]
    assert mine, "the pupil's own data requests are part of its export"
    formats = {privacy.open_format(p.name, p.read_bytes()) for p in result.paths}
    assert "ZIP (ISO/IEC 21320-1)" in formats and "JSON (RFC 8259)" in formats

    _recorded_comment(monkeypatch, module, [ex for ex in exchanges if ex["step"] == "delete"])
    r = replay([ex for ex in exchanges if ex["step"] == "delete"])
    steps = module.delete_user_data(dep, "rec.privacy.elev")
    r.done()
    assert "Deleted" in steps[0] and "deletion request" in steps[0]

    r = replay([ex for ex in exchanges if ex["step"] == "after"])
    survivors = module.reachable_after_deletion(dep, "rec.privacy.elev", [])
    r.done()
    # Moodle keeps the deleted user's row: the user name replaced by e-mail + time, the name kept
    assert len(survivors) == 1 and "the admin still finds user id" in survivors[0]
    assert "rec.privacy.elev@" in survivors[0] and "Optagelse Ærø" in survivors[0]


def test_moodle_data_requests_page_is_parsed():
    """The request id and download link come from the Data requests table as Moodle 4.3 draws it."""
    from importlib import util
    spec = util.spec_from_file_location("moodle_admin_parse", Path("suites/moodle/admin.py").resolve())
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pages = [ex for ex in _load(MOODLE) if "datarequests.php?tsort" in ex["request"]["path"]]
    rows = module._rows(pages[-1]["response"]["body"])
    assert rows and all(rid.isdigit() for rid, _, _ in rows)
    ready = [row for _, text, row in rows if "Download ready" in text]
    assert any("/tool_dataprivacy/export/" in row for row in ready)


# -- Nextcloud 29.0.6: the class, the share, the public link -------------------------------------------------

def _nextcloud():
    suite = suites.load("nextcloud")
    admin = Account("admin", "admin", "<PASSWORD:admin>", "Skoleadministrator")
    teacher = Account("teacher", "optagelse.laerer", "<PASSWORD:teacher-æøå>", "Optagelse Lærer")
    pupil = Account("pupil", "optagelse.privat", "<PASSWORD:user-æøå>", "Optagelse Ærø")
    dep = Dep(suite, "http://nextcloud.recorded.invalid", {"admin": admin, "teacher": teacher})
    return dep, suite.load_module("admin.py", "admin"), pupil


@pytest.mark.skipif(not NEXTCLOUD.exists(), reason="no Nextcloud privacy recording")
def test_nextcloud_recording_holds_placeholders_only():
    exchanges = _load(NEXTCLOUD)
    assert {ex["server"] for ex in exchanges} == {"Nextcloud 29.0.6"}
    _placeholders_only(exchanges, re.compile(r"^<(PASSWORD:[a-z]+(-[^<>]+)?|SHARE_TOKEN)>$"))


@pytest.mark.skipif(not NEXTCLOUD.exists(), reason="no Nextcloud privacy recording")
def test_nextcloud_plant_export_and_after_deletion(replay, tmp_path):
    dep, module, pupil = _nextcloud()
    exchanges = _load(NEXTCLOUD)
    r = replay([ex for ex in exchanges if ex["step"] == "plant"])
    planted = module.plant(dep, pupil, "optag01", [])
    r.done()
    kinds = {p.kind: p for p in planted}
    assert set(kinds) == {"class membership", "share", "public link", "directory entry"}
    assert kinds["class membership"].ids["group"] == "poc-privatliv-7b-optag01"
    assert "/files/optagelse.laerer/" in kinds["share"].url and kinds["share"].url.endswith(".txt")
    assert kinds["public link"].url.endswith("/download") and "/s/" in kinds["public link"].url

    r = replay([ex for ex in exchanges if ex["step"] == "export-extra"])
    what = module.export_extra(dep, pupil, tmp_path)
    r.done()
    assert "user_migration app, is not installed" in what
    me = json.loads((tmp_path / "ocs" / "cloud-user.json").read_text(encoding="utf-8"))
    assert me["id"] == "optagelse.privat" and "poc-privatliv-7b-optag01" in me["groups"]
    found = privacy.find_in_export(planted, tmp_path)
    assert all(found[p.label] for p in planted), found
    shares = (tmp_path / "ocs" / "shares.json").read_text(encoding="utf-8")
    assert "<SHARE_TOKEN>" not in shares and '"token": "********"' in shares

    r = replay([ex for ex in exchanges if ex["step"] == "after"])
    assert module.reachable_after_deletion(dep, pupil.username, planted) == []
    r.done()
    r = replay([ex for ex in exchanges if ex["step"] == "unplant"])
    module.unplant(dep, pupil, planted)
    r.done()
