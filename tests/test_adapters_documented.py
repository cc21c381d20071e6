"""The OCS, Moodle web-service and Collabora adapters against the products' documented examples.

A REPLAY of documented examples (tests/data/documented/*.json, each citing its source): a tiny
HTTP server on 127.0.0.1 answers each request with the documented example queued for it and
records what the adapter sent. It checks the shape of requests and the parsing of answers; it is
not a stand-in for a suite and simulates no behaviour.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from poc.protocols import registry
from poc.protocols.learning import INTERFACE, AssignmentRef, Forbidden, NotThroughAPI
from poc.protocols.moodle_ws import MoodleClient, flatten
from poc.protocols.ocs import SHARE_LINK, OCSClient, OCSError, OCSForbidden, parse
from poc.protocols.wopi import ConvertClient, WOPIClient
from poc.suites import Account

DATA = Path(__file__).parent / "data" / "documented"


def examples(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


class Replay:
    """Answers queued documented examples in order; records (method, path, query, headers, body)."""

    def __init__(self):
        self.queue: list[dict] = []
        self.requests: list[dict] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                replay.requests.append({"method": self.command, "path": url.path, "query": dict(parse_qsl(url.query)),
                                        "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                if not replay.queue:
                    self.send_response(599)
                    self.end_headers()
                    return
                ex = replay.queue.pop(0)
                ok = ex["method"] == self.command and ex["path"] == url.path
                data = ex["body"].encode("utf-8") if ok else b"unexpected request"
                self.send_response(ex["status"] if ok else 598)
                self.send_header("Content-Type", ex.get("content_type", "text/xml; charset=utf-8"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def play(self, product: str, *names: str):
        ex = examples(product)
        self.queue = [ex[n] for n in names]
        self.requests = []

    def form(self, i: int = -1) -> list[tuple[str, str]]:
        return parse_qsl(self.requests[i]["body"].decode("utf-8"), keep_blank_values=True)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def replay():
    r = Replay()
    yield r
    r.close()


ADMIN = Account("admin", "admin", "ikke-en-rigtig-kode-1")
PUPIL = Account("pupil", "elev.anna", "ikke-en-rigtig-kode-2", "Anna Østergård")


def test_every_fixture_names_its_source():
    for product in ("ocs", "moodle", "collabora"):
        for name, ex in examples(product).items():
            assert ex["source"].startswith("https://"), f"{product}.{name} cites no source"
            assert {"method", "path", "status", "body"} <= set(ex), f"{product}.{name} is incomplete"


# -- OCS --------------------------------------------------------------------------------------------

def test_ocs_parse_documented_answers():
    meta, data = parse(examples("ocs")["user_groups"]["body"].encode())
    assert meta["statuscode"] == "100" and data == {"groups": ["admin", "group1"]}
    meta, data = parse(examples("ocs")["create_user"]["body"].encode())
    assert meta["status"] == "ok" and data == {}


def test_ocs_provisioning_requests_and_answers(replay):
    client = OCSClient(replay.url, ADMIN)
    replay.play("ocs", "create_user")
    client.create_user("Frank", "frankspassword-9x", display_name="Frank Ø", groups=["7.B"])
    req = replay.requests[0]
    assert (req["method"], req["path"]) == ("POST", "/ocs/v1.php/cloud/users")
    assert req["headers"]["ocs-apirequest"] == "true"
    assert req["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert req["headers"]["authorization"].startswith("Basic ")
    assert replay.form() == [("userid", "Frank"), ("password", "frankspassword-9x"), ("displayName", "Frank Ø"),
                             ("groups[]", "7.B")]

    replay.play("ocs", "create_user_exists")
    with pytest.raises(OCSError) as err:
        client.create_user("Frank", "frankspassword-9x")
    assert err.value.statuscode == 102

    replay.play("ocs", "search_users")
    assert client.user_exists("Frank") is True
    assert replay.requests[0]["query"] == {"search": "Frank"}

    replay.play("ocs", "user_groups", "add_to_group", "delete_user")
    assert client.user_groups("Frank") == ["admin", "group1"]
    client.add_to_group("Frank", "group1")
    assert replay.form(1) == [("groupid", "group1")]
    client.delete_user("Frank")
    assert [r["method"] for r in replay.requests] == ["GET", "POST", "DELETE"]


def test_ocs_groups_and_ensure(replay):
    client = OCSClient(replay.url, ADMIN)
    replay.play("ocs", "search_groups", "create_group")
    assert client.ensure_group("newgroup") is True  # the search answered only "admin"
    assert replay.requests[1]["path"] == "/ocs/v1.php/cloud/groups" and replay.form(1) == [("groupid", "newgroup")]
    replay.play("ocs", "search_groups")
    assert client.ensure_group("admin") is False and len(replay.requests) == 1
    replay.play("ocs", "group_members")
    assert client.group_members("admin") == ["Frank"]


def test_ocs_app_password(replay):
    client = OCSClient(replay.url, PUPIL)
    replay.play("ocs", "getapppassword")
    token = client.app_password()
    assert token.startswith("M1DqHwuZ") and len(token) == 72
    assert replay.requests[0]["path"] == "/ocs/v2.php/core/getapppassword"
    assert replay.requests[0]["headers"]["ocs-apirequest"] == "true"


def test_ocs_public_link_share(replay):
    client = OCSClient(replay.url, PUPIL)
    replay.play("ocs", "create_share")
    import datetime as dt
    share = client.public_link("/Invitation.txt", password="en-god-kode-2026", expire_date=dt.date(2026, 9, 5))
    assert dict(replay.form()) == {"path": "/Invitation.txt", "shareType": str(SHARE_LINK),
                                   "password": "en-god-kode-2026", "expireDate": "2026-09-05"}
    assert replay.requests[0]["path"] == "/ocs/v2.php/apps/files_sharing/api/v1/shares"
    assert (share.id, share.share_type, share.token, share.permissions) == ("115", 3, "Xr7Tq2Zq9Lk3Bfe", 1)
    assert share.expiration.startswith("2026-09-05")
    replay.play("ocs", "share_forbidden")
    with pytest.raises(OCSForbidden):
        client.public_link("/Invitation.txt")


# -- Moodle -----------------------------------------------------------------------------------------

def test_moodle_bracket_notation():
    assert flatten({"users": [{"username": "a", "auth": "manual"}], "flag": True}) == [
        ("users[0][username]", "a"), ("users[0][auth]", "manual"), ("flag", "1")]
    assert flatten({"plugindata": {"onlinetext_editor": {"text": "x", "format": 1}}}) == [
        ("plugindata[onlinetext_editor][text]", "x"), ("plugindata[onlinetext_editor][format]", "1")]


def test_moodle_token_then_calls(replay):
    client = MoodleClient(replay.url, PUPIL)
    replay.play("moodle", "token", "core_user_create_users")
    assert client.create_user("elev.anna", "kode-Æ-1", "Anna", "Østergård", "elev.anna@skole.example.dk") == 27
    token_req, call = replay.requests
    assert token_req["path"] == "/login/token.php"
    assert dict(parse_qsl(token_req["body"].decode())) == {"username": "elev.anna", "password": PUPIL.password,
                                                           "service": "moodle_mobile_app"}
    form = dict(replay.form(1))
    assert call["path"] == "/webservice/rest/server.php"
    assert form["wstoken"] == "4ed876sd87g6d8f7g89fsg6987dfh78d" and form["wsfunction"] == "core_user_create_users"
    assert form["moodlewsrestformat"] == "json" and form["users[0][lastname]"] == "Østergård"
    assert form["users[0][auth]"] == "manual"


def test_moodle_refused_login_and_invalid_token(replay):
    client = MoodleClient(replay.url, PUPIL)
    replay.play("moodle", "token_refused")
    with pytest.raises(Forbidden):
        client.site_info()
    client = MoodleClient(replay.url, PUPIL, token="gammel-token-123")
    replay.play("moodle", "invalid_token")
    with pytest.raises(Forbidden) as err:
        client.site_info()
    assert err.value.errorcode == "invalidtoken"


def test_moodle_class_enrol_participants(replay):
    admin = MoodleClient(replay.url, Account("admin", "admin", "kode-9"), token="t0ken-abcdef")
    replay.play("moodle", "core_course_create_courses")  # the admin is not enrolled in what it creates
    klass = admin.create_class("7.B Dansk")
    assert klass.id == "12" and dict(replay.form())["courses[0][categoryid]"] == "1" and not replay.queue
    client = MoodleClient(replay.url, PUPIL, token="t0ken-abcdef")
    # a teacher finds the user among the class's participants (or whom the class could enrol)
    replay.play("moodle", "core_enrol_get_enrolled_users", "enrol_manual_enrol_users")
    client.enrol("12", "elev.anna", "pupil")
    assert dict(replay.form(0))["wsfunction"] == "core_enrol_get_enrolled_users"
    form = dict(replay.form(1))
    assert form["wsfunction"] == "enrol_manual_enrol_users"
    assert (form["enrolments[0][roleid]"], form["enrolments[0][userid]"], form["enrolments[0][courseid]"]) == \
        ("5", "27", "12")
    replay.play("moodle", "core_enrol_get_enrolled_users")
    people = {p.username: p.role for p in client.participants("12")}
    assert people == {"elev.anna": "pupil", "laerer.soeren": "teacher"}


def test_moodle_submission_grade_feedback(replay):
    client = MoodleClient(replay.url, PUPIL, token="t0ken-abcdef")
    assignment = AssignmentRef("4", "Stil", "12")
    # the status after saving says "submitted" (an assignment without drafts): nothing more to send
    replay.play("moodle", "mod_assign_save_submission", "mod_assign_get_submission_status")
    client.submit(assignment, "<p>Min stil om Ærø</p>")
    save = dict(replay.form(0))
    assert save["wsfunction"] == "mod_assign_save_submission" and save["assignmentid"] == "4"
    assert save["plugindata[onlinetext_editor][text]"] == "<p>Min stil om Ærø</p>"
    assert save["plugindata[onlinetext_editor][format]"] == "1" and save["plugindata[onlinetext_editor][itemid]"] == "0"
    assert len(replay.requests) == 2 and not replay.queue
    replay.play("moodle", "core_enrol_get_enrolled_users", "mod_assign_save_grade")
    client.grade(assignment, "elev.anna", 10.0, "Flot arbejde")
    grade = dict(replay.form(1))
    assert (grade["assignmentid"], grade["userid"], grade["grade"], grade["attemptnumber"]) == ("4", "27", "10.0", "-1")
    assert grade["applytoall"] == "1" and grade["addattempt"] == "0" and grade["workflowstate"] == ""
    assert grade["plugindata[assignfeedbackcomments_editor][text]"] == "Flot arbejde"
    replay.play("moodle", "mod_assign_get_submission_status")
    fb = client.feedback(assignment)
    assert dict(replay.form())["assignid"] == "4"
    assert fb.submitted and fb.grade == 10.0 and "æ, ø og å" in fb.comment


def test_moodle_no_permission_is_forbidden_and_activities_are_not_through_api(replay):
    client = MoodleClient(replay.url, PUPIL, token="t0ken-abcdef")
    replay.play("moodle", "nopermissions")
    with pytest.raises(Forbidden):
        client.open_class("99")
    with pytest.raises(NotThroughAPI):  # no template course named (provision.template)
        client.create_lesson("12", "Brøker", "tekst")
    with pytest.raises(NotThroughAPI):  # nor a file into a course's material
        client.create_lesson("12", "Brøker", "tekst", ("a.txt", b"x"))
    assert not replay.queue


def test_learning_adapters_implement_the_interface():
    for protocol, cls in registry().items():
        if protocol in ("moodle-ws",) or getattr(cls, "__module__", "").endswith("kolibri"):
            missing = [m for m in INTERFACE if not callable(getattr(cls, m, None))]
            assert not missing, f"{protocol} lacks {missing}"
    assert "create_class" in INTERFACE and "feedback" in INTERFACE


# -- Collabora --------------------------------------------------------------------------------------

def test_wopi_discovery(replay):
    client = WOPIClient(replay.url)
    replay.play("collabora", "discovery")
    actions = client.discovery()
    assert replay.requests[0]["path"] == "/hosting/discovery"
    edits = {a.ext for a in actions if a.name == "edit"}
    assert {"odt", "ods", "docx", "xlsx"} <= edits and "pdf" not in edits
    assert all(a.zone == "external-http" for a in actions)
    docx = [a for a in actions if a.handles("docx") and a.name == "edit"]
    assert docx and docx[0].urlsrc.endswith("cool.html?")


def test_convert_to_request_shape(replay):
    client = ConvertClient(replay.url)
    replay.play("collabora", "convert_to")
    out = client.convert(b"PK-original-docx", "årsplan.docx", "odt")
    req = replay.requests[0]
    assert out == b"PK-converted-odt"
    assert req["path"] == "/cool/convert-to/odt" and req["method"] == "POST"
    assert req["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="data"' in req["body"] and b"PK-original-docx" in req["body"]
    assert "wordprocessingml.document" in req["body"].decode("utf-8", "replace")


def test_unexpected_answer_is_not_parsed_as_success(replay):
    client = OCSClient(replay.url, ADMIN)
    replay.play("ocs", "create_user")  # queued for POST /cloud/users, but a GET comes
    with pytest.raises(Exception):
        client.users()
