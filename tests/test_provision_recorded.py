"""poc/school_provisioning.py against answers RECORDED from a real Nextcloud 29.0.6 and Moodle 4.3.

tests/data/recorded/<server>/school/ holds what the servers answered to the harness's real school
provisioning (recorded by tests/data/recorded/record_school.py: a school of one class, 3 pupils and
2 teachers, one session, small batches; every secret a placeholder). Here the same code runs with no
network: every HTTP request is answered with the next recorded exchange after checking that it is
the same request (method, path, the form fields in order, the credentials). So CI exercises the
batching, the naming, the leftover and conflict checks and the clean-up against real answers.

Scenarios: ``school`` provisions the school and removes it; ``conflict`` meets a user of the school's
names that is not the harness's: provisioning stops, removes what it made and leaves that user alone.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from poc import school as school_mod, school_provisioning
from poc.suites import Account

DATA = Path(__file__).parent / "data" / "recorded"
FOLDERS = {"nextcloud": DATA / "nextcloud-29.0.6" / "school", "moodle": DATA / "moodle-4.3" / "school"}
URL = {"nextcloud": "http://nextcloud.recorded.invalid", "moodle": "http://moodle.recorded.invalid"}

_spec = importlib.util.spec_from_file_location("record_school", DATA / "record_school.py")
record_school = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(record_school)


def exchanges(kind: str, scenario: str | None = None) -> list[dict]:
    out = []
    for path in sorted(FOLDERS[kind].glob("[0-9][0-9]-*.json")):
        ex = json.loads(path.read_text(encoding="utf-8"))
        ex["file"] = path.name
        if scenario is None or ex["scenario"] == scenario:
            out.append(ex)
    return out


def wsfunction(ex: dict) -> str:
    return dict(ex["request"]["form"]).get("wsfunction", ex["request"]["path"])


class Replay:
    """Stands in for requests' HTTP transport: each request gets the next recorded answer."""

    def __init__(self, kind: str):
        self.kind = kind
        self.queue: list[dict] = []
        self.sent: list[tuple[str, str, list]] = []

    def play(self, scenario: str) -> None:
        self.queue = exchanges(self.kind, scenario)
        assert self.queue, f"nothing recorded for {self.kind} {scenario}"

    def send(self, adapter, request, **kwargs):
        parts = urlsplit(request.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body or ""
        body = body.decode("utf-8") if isinstance(body, bytes) else body
        form = parse_qsl(body, keep_blank_values=True)
        self.sent.append((request.method, target, form))
        assert self.queue, f"the code sent {request.method} {target} {dict(form).get('wsfunction', '')}, and nothing more was recorded"
        ex = self.queue.pop(0)
        rec, where = ex["request"], ex["file"]
        assert (request.method, target) == (rec["method"], rec["path"]), \
            f"{where}: sent {request.method} {target}, recorded {rec['method']} {rec['path']}"
        if self.kind == "moodle":
            assert form == [tuple(p) for p in rec["form"]], f"{where}: sent {form}, recorded {rec['form']}"
        else:
            assert form == parse_qsl(rec["body"], keep_blank_values=True), f"{where}: sent {form}, recorded {rec['body']}"
            auth = rec["auth"]
            expected = "Basic " + base64.b64encode(f"{auth['username']}:{auth['password']}".encode("utf-8")).decode()
            assert request.headers.get("Authorization") == expected, f"{where}: not the recorded credentials"
            assert request.headers.get("OCS-APIRequest") == "true", where
        response = requests.Response()
        response.status_code = ex["response"]["status"]
        response.reason = ex["response"]["reason"]
        response.headers = CaseInsensitiveDict(ex["response"]["headers"])
        response._content = ex["response"]["body"].encode("utf-8")
        response.encoding = "utf-8"
        response.url, response.request, response.connection = request.url, request, adapter
        return response

    def done(self) -> None:
        assert not self.queue, f"recorded but not asked for: {[ex['file'] for ex in self.queue]}"

    def calls(self, name: str) -> list[list]:
        """The forms of the requests sent to a Moodle function (or an OCS path ending)."""
        if self.kind == "moodle":
            return [f for _, _, f in self.sent if dict(f).get("wsfunction") == name]
        return [f for m, t, f in self.sent if f"{m} {t}".endswith(name)]


def replay_for(kind: str, monkeypatch) -> Replay:
    r = Replay(kind)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", lambda adapter, request, **kw: r.send(adapter, request, **kw))
    monkeypatch.setenv(school_provisioning.WORKERS_ENV, "1")
    monkeypatch.setattr(school_provisioning, "MOODLE_BATCH", dict(record_school.BATCH))
    monkeypatch.setattr(school_provisioning, "RETRY_DELAYS", ())
    monkeypatch.setattr(school_provisioning, "_MADE", {})
    monkeypatch.setenv("POC_MOODLE_ADMIN_TOKEN", "<TOKEN:admin>")
    return r


@pytest.fixture
def school():
    names = [p.username for p in record_school.small_school().people]
    return record_school.small_school(passwords={u: f"<PASSWORD:{u}>" for u in names})


def dep(kind: str):
    return record_school.deployment(kind, URL[kind], Account("admin", "admin", "<PASSWORD:admin>"))


# -- the recording itself ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(FOLDERS))
def test_recording_names_its_server_and_holds_placeholders_only(kind):
    found = exchanges(kind)
    assert len(found) >= 20
    assert {ex["server"] for ex in found} == {record_school.SERVERS[kind]}
    assert {ex["scenario"] for ex in found} == {"school", "conflict"}
    assert [int(ex["file"][:2]) for ex in found] == list(range(1, len(found) + 1))
    placeholder = re.compile(r"^<(PASSWORD|TOKEN):[a-z0-9_.-]+>$")
    for ex in found:
        text = (FOLDERS[kind] / ex["file"]).read_text(encoding="utf-8")
        assert not re.search(r"\b[0-9a-f]{32}\b", text), f"{ex['file']} holds something shaped like a token"
        assert not re.search(r"\$(argon2i?d?|2[aby])\$", text), f"{ex['file']} holds a password hash"
        if kind == "moodle":
            for key, value in ex["request"]["form"]:
                if key == "wstoken" or key.endswith("[password]"):
                    assert placeholder.match(value), f"{ex['file']}: {key} is not a placeholder"
        else:
            assert placeholder.match(ex["request"]["auth"]["password"]), ex["file"]
            for key, value in parse_qsl(ex["request"]["body"]):
                if "password" in key:
                    assert placeholder.match(value), f"{ex['file']}: {key} is not a placeholder"


# -- Nextcloud -------------------------------------------------------------------------------------------

def test_nextcloud_school_made_with_groups_in_the_same_call_and_removed(monkeypatch, school):
    """One group per class and one for the teachers, then one POST cloud/users per person carrying
    display name, Danish and its groups (no request per membership, no e-mail: Nextcloud would mail an
    invitation); the removal finds the school by its groups and deletes users, then groups."""
    r = replay_for("nextcloud", monkeypatch)
    d = dep("nextcloud")
    assert school_provisioning.supported(d) is None
    r.play("school")
    made = school_provisioning.provision(d, school, progress=lambda t: None)
    assert made["users"] == 5 and made["groups"] == 2 and made["memberships"] == 3 + 2 + 2
    assert made["workers"] == 1 and "OCS" in made["via"]
    groups = [dict(f)["groupid"] for f in r.calls("POST /ocs/v1.php/cloud/groups")]
    assert groups == [school_provisioning.class_key(school, school.classes[0].name), school_provisioning.teachers_key(school)]
    assert all(g.startswith("poc-testskolen-xs1-") for g in groups)
    users = r.calls("POST /ocs/v1.php/cloud/users")
    assert [dict(f)["userid"] for f in users] == [p.username for p in school.people]
    for form, person in zip(users, school.people):
        sent = [v for k, v in form if k == "groups[]"]
        assert sent[0] == groups[0] and (groups[1] in sent) == (person.role == "teacher")
        assert dict(form)["language"] == "da" and dict(form)["displayName"] == person.display_name
        assert "email" not in dict(form)
    assert school_provisioning.remove(d, school, progress=lambda t: None) == []
    deleted = [t.rsplit("/", 1)[-1] for m, t, _ in r.sent if m == "DELETE" and "/cloud/users/" in t]
    assert sorted(deleted) == sorted(p.username for p in school.people)
    assert [t.rsplit("/", 1)[-1] for m, t, _ in r.sent if m == "DELETE" and "/cloud/groups/" in t] == sorted(groups)
    r.done()


def test_nextcloud_removal_in_another_process_finds_the_school_by_its_groups(monkeypatch, school):
    """remove() without provision()'s record (e.g. a later run): the school's groups (by their prefix)
    and their members among the school's names are what is deleted, the same requests."""
    r = replay_for("nextcloud", monkeypatch)
    d = dep("nextcloud")
    r.play("school")
    school_provisioning.provision(d, school, progress=lambda t: None)
    school_provisioning._MADE.clear()
    assert school_provisioning.remove(d, school, progress=lambda t: None) == []
    r.done()


def test_nextcloud_foreign_user_stops_provisioning_and_what_was_made_is_removed(monkeypatch, school):
    """A user of the school's names that is in none of its groups: OCS 102 on creation; provisioning
    stops, deletes the users and groups it made, leaves that user alone and says so."""
    r = replay_for("nextcloud", monkeypatch)
    d = dep("nextcloud")
    r.play("conflict")
    with pytest.raises(school_provisioning.ProvisioningError) as err:
        school_provisioning.provision(d, school, progress=lambda t: None)
    foreign = school.pupils[1].username
    assert f"a user {foreign!r} exists" in str(err.value) and "nothing was left behind" in str(err.value)
    deleted = [t.rsplit("/", 1)[-1] for m, t, _ in r.sent if m == "DELETE" and "/cloud/users/" in t]
    assert foreign not in deleted and len(deleted) == 3
    r.done()


# -- Moodle ----------------------------------------------------------------------------------------------

def test_moodle_school_made_in_batches_and_removed(monkeypatch, school):
    """Users in batches (2 a call here), one course per class in the school's category (full name the
    class, short name poc-<school>-<class>), enrolments in batches (3 a call here), pupils as students
    (5) and teachers as editing teachers (3); the removal deletes the course, then the users in batches."""
    r = replay_for("moodle", monkeypatch)
    d = dep("moodle")
    assert school_provisioning.supported(d) is None
    r.play("school")
    made = school_provisioning.provision(d, school, progress=lambda t: None)
    assert (made["users"], made["classes"], made["enrolments"]) == (5, 1, 5)
    creates = r.calls("core_user_create_users")
    assert [len([k for k, _ in f if k.endswith("[username]")]) for f in creates] == [2, 2, 1]
    for form in creates:
        f = dict(form)
        assert f["users[0][email]"].endswith("@" + school_mod.EMAIL_DOMAIN) and f["users[0][auth]"] == "manual"
    (course,) = r.calls("core_course_create_courses")
    assert dict(course)["courses[0][fullname]"] == school.classes[0].name
    assert dict(course)["courses[0][shortname]"] == school_provisioning.class_key(school, school.classes[0].name)
    enrols = r.calls("enrol_manual_enrol_users")
    assert [len([k for k, _ in f if k.endswith("[roleid]")]) for f in enrols] == [3, 2]
    roles = [v for f in enrols for k, v in f if k.endswith("[roleid]")]
    assert roles.count("5") == 3 and roles.count("3") == 2
    assert school_provisioning.remove(d, school, progress=lambda t: None) == []
    assert len(r.calls("core_course_delete_courses")) == 1
    assert [len([k for k, _ in f if k.startswith("userids[")]) for f in r.calls("core_user_delete_users")] == [2, 2, 1]
    r.done()


def test_moodle_foreign_user_stops_before_anything_is_made(monkeypatch, school):
    """A user of the school's names whose e-mail is not the school's: provisioning stops before it
    makes anything, and the clean-up it runs deletes nothing."""
    r = replay_for("moodle", monkeypatch)
    d = dep("moodle")
    r.play("conflict")
    with pytest.raises(school_provisioning.ProvisioningError) as err:
        school_provisioning.provision(d, school, progress=lambda t: None)
    assert "not the harness's" in str(err.value) and school.pupils[1].username in str(err.value)
    assert not r.calls("core_user_create_users") and not r.calls("core_user_delete_users")
    r.done()
