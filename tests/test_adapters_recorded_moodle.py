"""The Moodle web-service adapter against answers RECORDED from a real Moodle 4.3 (Build: 20231009).

tests/data/recorded/moodle-4.3/ holds the HTTP exchanges of the school's whole learning flow as a
real Moodle 4.3 (PHP 8.2, PostgreSQL 15, nginx) answered them to the harness's own MoodleClient,
recorded by tests/data/recorded/record_moodle.py with every secret replaced by a placeholder
(see that folder's README.md). Here the REAL MoodleClient runs against them with no network: a
requests transport adapter, mounted on every session the adapter makes, answers each request with
the next recorded exchange, after checking that the adapter asked for the same thing (method, path,
wsfunction and every form field, in order). The accounts get the placeholders as passwords and
tokens, so the recorded requests are what the adapter must send.

This is not a simulation of Moodle: nothing is answered that Moodle did not answer to that request.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from poc import suites
from poc.protocols import _http, moodle_ws
from poc.protocols.learning import AssignmentRef, ClassRef, Forbidden, LessonRef
from poc.protocols.moodle_ws import MoodleClient, MoodleForbidden
from poc.suites import Account

RELEASE = "4.3 (Build: 20231009)"  # core_webservice_get_site_info's release
SERVER = f"Moodle {RELEASE}"
DATA = Path(__file__).parent / "data" / "recorded" / "moodle-4.3"
URL = "http://moodle.recorded.invalid"  # never contacted: every session answers from the recording

# what the recorder asked for (its own constants); the replay checks them against the recorded forms
CLASS_NAME = "7.B Dansk – Ærø (optagelse)"
LESSON = ("Brøker – øvelser til uge 37", "Læs side 12–15 og lav opgave 1–4.")
ASSIGNMENT = ("Stil: Min sommerferie på Ærø", "Skriv en side om din sommerferie.")
HAND_IN = "<p>Jeg badede ved Ærøskøbing og spiste æbleskiver.</p>"
GRADE = (10.0, "Flot arbejde – god brug af æ, ø og å.")


def _load() -> list[dict]:
    out = []
    for path in sorted(DATA.glob("[0-9][0-9]-*.json")):
        ex = json.loads(path.read_text(encoding="utf-8"))
        ex["file"] = path.name
        out.append(ex)
    return out


EXCHANGES = _load()


def function(ex: dict) -> str:
    form = dict(ex["request"]["form"])
    return form.get("wsfunction") or ex["request"]["path"]


def recorded(step: str, name: str) -> dict:
    """The one exchange of `step` calling `name` (a wsfunction, or a path such as /login/token.php)."""
    found = [ex for ex in EXCHANGES if ex["step"] == step and function(ex) == name]
    assert len(found) == 1, f"{len(found)} recorded exchanges for {step} {name}"
    return found[0]


def answer(step: str, name: str):
    return json.loads(recorded(step, name)["response"]["body"])


def field(step: str, name: str, key: str) -> str:
    return dict(recorded(step, name)["request"]["form"])[key]


# -- the replay --------------------------------------------------------------------------------------

class Replay(requests.adapters.BaseAdapter):
    """A requests transport adapter answering each request with the next recorded exchange."""

    def __init__(self):
        super().__init__()
        self.queue: list[dict] = []
        self.sent: list[str] = []  # the wsfunction (or path) of each request the adapter made

    def play(self, *steps: str) -> None:
        self.queue = [ex for ex in EXCHANGES if ex["step"] in steps]
        assert self.queue, f"nothing recorded for {steps}"
        self.sent = []

    def send(self, request, **kwargs):
        body = request.body or ""
        body = body.decode("utf-8") if isinstance(body, bytes) else body
        form = parse_qsl(body, keep_blank_values=True)
        path = urlsplit(request.url).path
        asked = dict(form).get("wsfunction") or path
        self.sent.append(asked)
        if not self.queue:
            raise AssertionError(f"the adapter sent {request.method} {path} {asked}, and nothing more was recorded")
        ex = self.queue.pop(0)
        rec = ex["request"]
        assert (request.method, path) == (rec["method"], rec["path"]), \
            f"{ex['file']}: the adapter sent {request.method} {path}, the recording has {rec['method']} {rec['path']}"
        assert asked == function(ex), f"{ex['file']}: the adapter asked for {asked}, the recording for {function(ex)}"
        assert form == [tuple(pair) for pair in rec["form"]], \
            f"{ex['file']}: the adapter sent {form}, the recording has {rec['form']}"
        response = requests.Response()
        response.status_code = ex["response"]["status"]
        response.reason = ex["response"]["reason"]
        response.headers = CaseInsensitiveDict(ex["response"]["headers"])
        response._content = ex["response"]["body"].encode("utf-8")
        response.encoding = "utf-8"
        response.url, response.request, response.connection = request.url, request, self
        return response

    def close(self):
        pass

    def done(self) -> None:
        assert not self.queue, f"recorded but not asked for: {[ex['file'] for ex in self.queue]}"


@pytest.fixture
def replay(monkeypatch):
    """Every session moodle_ws makes (the client's, and password_accepted's fresh one) answers from
    the recording; a real HTTP connection fails the test."""
    r = Replay()

    class ReplaySession(_http.Session):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.mount("http://", r)
            self.mount("https://", r)

    def no_network(*args, **kwargs):
        raise AssertionError("a real HTTP request in a replayed test")

    monkeypatch.setattr(moodle_ws, "Session", ReplaySession)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", no_network)
    for name in ("POC_MOODLE_ADMIN_TOKEN", "POC_MOODLE_ASSIGNMENT_CMID"):
        monkeypatch.delenv(name, raising=False)
    yield r


@pytest.fixture(scope="module")
def suite():
    return suites.load("moodle")


def account(suite, role: str, password: str | None = None) -> Account:
    """The recorder's account for `role`: its user name as recorded, the password's placeholder."""
    if role == "admin":
        username = field("admin-asks-token", "/login/token.php", "username")
        display = suite.config["accounts"]["admin"]["display_name"]
    else:
        username = field(f"admin-ensure-{role}", "core_user_create_users", "users[0][username]")
        display = suite.config["accounts"][role]["display_name"]
    return Account(role, username, password or f"<PASSWORD:{role}>", display)


def client(suite, role: str, *, token: bool = True, password: str | None = None) -> MoodleClient:
    """A MoodleClient for `role`, holding its token's placeholder (as if login/token.php had been
    asked) unless token=False."""
    return MoodleClient(URL, account(suite, role, password), suite, token=f"<TOKEN:{role}>" if token else None)


def class_id() -> str:
    return str(answer("teacher-create-class", "core_course_create_courses")[0]["id"])


def the_assignment() -> AssignmentRef:
    for course in answer("teacher-create-assignment", "mod_assign_get_assignments")["courses"]:
        for a in course["assignments"]:
            if str(a["cmid"]) == field("teacher-create-assignment", "core_update_inplace_editable", "itemid"):
                return AssignmentRef(str(a["id"]), a["name"], str(course["id"]))
    raise AssertionError("the recorded assignment is not in the recorded course")


# -- the recording itself ----------------------------------------------------------------------------

def test_recording_names_its_server_and_holds_placeholders_only():
    """Every exchange came from Moodle 4.3 (Build: 20231009) and holds placeholders, never a secret:
    tokens, passwords, the private access key for files, sesskeys, cookies."""
    assert len(EXCHANGES) >= 50
    assert {ex["server"] for ex in EXCHANGES} == {SERVER}
    assert json.loads(EXCHANGES[0]["response"]["body"])["release"] == RELEASE
    assert DATA.name == "moodle-" + RELEASE.split()[0]
    assert [int(ex["file"][:2]) for ex in EXCHANGES] == list(range(1, len(EXCHANGES) + 1))
    placeholder = re.compile(r"^<(TOKEN|PASSWORD|PRIVATEACCESSKEY|PRIVATETOKEN|SESSKEY|COOKIE)(:[a-z0-9-]+)?>$")
    for ex in EXCHANGES:
        text = json.dumps(ex, ensure_ascii=False)
        assert not re.search(r"\b[0-9a-f]{32}\b", text), f"{ex['file']} holds something shaped like a token"
        for key, value in ex["request"]["form"]:
            if key == "wstoken" or key.endswith("[password]") or key in ("password", "sesskey"):
                assert placeholder.match(value), f"{ex['file']}: {key} is not a placeholder"
        for name, value in {**ex["request"]["headers"], **ex["response"]["headers"]}.items():
            if name.lower() in ("cookie", "set-cookie", "authorization"):
                assert placeholder.match(value), f"{ex['file']}: header {name} is not a placeholder"
        body = ex["response"]["body"]
        for key in ("token", "privatetoken", "userprivateaccesskey", "sesskey"):
            for value in re.findall(rf'"{key}":"([^"]*)"', body):
                assert placeholder.match(value), f"{ex['file']}: {key} in the answer is not a placeholder"
    assert (DATA / "README.md").read_text(encoding="utf-8").count(SERVER) >= 1


# -- tokens and passwords ----------------------------------------------------------------------------

def test_site_administrator_is_handed_the_existing_token(replay, suite):
    """Moodle 4.3 (Build: 20231009): login/token.php never CREATES a token for a site administrator
    (cannotcreatetoken) but hands out a valid one that exists; on the provisioned site that is the
    provisioning script's token, so the admin's client without POC_MOODLE_ADMIN_TOKEN got it."""
    replay.play("admin-asks-token")
    admin = client(suite, "admin", token=False)
    assert admin.token == "<TOKEN:admin>"
    replay.done()


def test_token_refusal_is_moodle_forbidden(replay, suite):
    """Moodle 4.3 (Build: 20231009): login/token.php refusing a token (200 with error/errorcode
    invalidlogin, no token) becomes MoodleForbidden (a Forbidden) with Moodle's errorcode."""
    refused = recorded("teacher-token-wrong-password", "/login/token.php")["response"]
    assert refused["status"] == 200 and json.loads(refused["body"])["errorcode"] == "invalidlogin"
    replay.play("teacher-token-wrong-password")
    teacher = client(suite, "teacher", token=False, password="<PASSWORD:wrong>")
    with pytest.raises(MoodleForbidden) as err:
        teacher.site_info()  # the token is asked for first; the refusal stops the call
    assert isinstance(err.value, Forbidden) and err.value.errorcode == "invalidlogin"
    assert replay.sent == ["/login/token.php"]
    replay.done()


def test_password_accepted(replay, suite):
    """Moodle 4.3 (Build: 20231009): password_accepted is False on invalidlogin and True when
    login/token.php gives a token for the password with æ, ø and å."""
    teacher = client(suite, "teacher", token=False)
    replay.play("teacher-wrong-password")
    assert teacher.password_accepted("<PASSWORD:wrong>") is False
    replay.done()
    replay.play("teacher-password-accepted")
    assert teacher.password_accepted("<PASSWORD:teacher>") is True
    replay.done()


def test_teacher_gets_a_token(replay, suite):
    """Moodle 4.3 (Build: 20231009): a teacher's token from login/token.php for os2skole_poc."""
    replay.play("teacher-token")
    assert client(suite, "teacher", token=False).token == "<TOKEN:teacher>"
    assert field("teacher-token", "/login/token.php", "service") == "os2skole_poc"
    replay.done()


# -- provisioning ------------------------------------------------------------------------------------

def test_admin_provisions_teacher_and_pupils(replay, suite):
    """Moodle 4.3 (Build: 20231009): ensure_user creates each account (names with æøå) and makes the
    teacher manager of the "OS2skole PoC" category found by name."""
    admin = client(suite, "admin")
    replay.play("admin-ensure-teacher", "admin-ensure-pupil", "admin-ensure-pupil2")
    for role in ("teacher", "pupil", "pupil2"):
        assert admin.ensure_user(account(suite, role)) is True
    replay.done()
    category = answer("admin-ensure-teacher", "core_course_get_categories")[0]
    assert category["name"] == "OS2skole PoC" and admin.category == category["id"]
    assign = dict(recorded("admin-ensure-teacher", "core_role_assign_roles")["request"]["form"])
    assert (assign["assignments[0][roleid]"], assign["assignments[0][contextlevel]"],
            assign["assignments[0][instanceid]"]) == ("1", "coursecat", str(category["id"]))
    assert replay.sent.count("core_role_assign_roles") == 1  # the teacher only


# -- the class ---------------------------------------------------------------------------------------

def test_teacher_creates_class_enrols_self_and_pupil(replay, suite):
    """Moodle 4.3 (Build: 20231009): the teacher creates the class with a Danish name in the school's
    category, is enrolled in it as its teacher, finds the pupil among the potential users (Moodle
    answers no user names there: the adapter matches the e-mail) and enrols the pupil."""
    teacher = client(suite, "teacher")
    replay.play("teacher-create-class", "teacher-enrol-pupil", "teacher-participants")
    klass = teacher.create_class(CLASS_NAME)
    assert klass == ClassRef(class_id(), CLASS_NAME)
    pupil = account(suite, "pupil")
    teacher.enrol(klass.id, pupil.username, "pupil")
    assert not any("username" in u for u in answer("teacher-enrol-pupil", "core_enrol_get_potential_users"))
    people = {p.username: p.role for p in teacher.participants(klass.id)}
    assert people == {teacher.account.username: "teacher", pupil.username: "pupil"}
    replay.done()
    assert replay.sent.count("enrol_manual_enrol_users") == 2


def test_create_lesson_imports_renames_and_pupil_sees_it(replay, suite):
    """Moodle 4.3 (Build: 20231009): create_lesson imports the template course, deletes every new
    module but the page (the import brings the template's Announcements forum too), renames the
    page to the given title and returns a LessonRef with it; the enrolled pupil's lessons hold it."""
    teacher = client(suite, "teacher")
    replay.play("teacher-create-lesson")
    lesson = teacher.create_lesson(class_id(), *LESSON)
    replay.done()
    assert isinstance(lesson, LessonRef)
    assert (lesson.title, lesson.class_id) == (LESSON[0], class_id())
    renamed = answer("teacher-create-lesson", "core_update_inplace_editable")
    assert renamed["value"] == LESSON[0] and renamed["itemid"] == lesson.id
    template = answer("teacher-create-lesson", "core_course_get_courses_by_field")["courses"][0]
    assert template["shortname"] == "OS2SKOLE-POC-TEMPLATE"
    assert replay.sent.count("core_course_edit_module") == 2  # the imported forum and assignment

    replay.play("pupil-lessons")
    seen = client(suite, "pupil").lessons(class_id())
    replay.done()
    assert LessonRef(lesson.id, LESSON[0], class_id()) in seen
    assert [l.title for l in seen] == [LESSON[0]]


def test_create_assignment_imports_and_renames(replay, suite):
    """Moodle 4.3 (Build: 20231009): create_assignment imports the template's assignment the same
    way and returns it by its assignment id; Moodle's duedate 0 (none can be set through the API)
    becomes due None."""
    teacher = client(suite, "teacher")
    replay.play("teacher-create-assignment")
    assignment = teacher.create_assignment(class_id(), ASSIGNMENT[0], None, ASSIGNMENT[1])
    replay.done()
    assert assignment == AssignmentRef(the_assignment().id, ASSIGNMENT[0], class_id(), None)


def test_pupils_classes_and_the_outsider_refused(replay, suite):
    """Moodle 4.3 (Build: 20231009): the enrolled pupil's classes show the Danish name; the pupil who
    is not enrolled does not see it, and opening the class or asking for its feedback raises
    Forbidden (Moodle's errorcoursecontextnotvalid and requireloginerror)."""
    replay.play("pupil-my-classes")
    assert CLASS_NAME in [c.name for c in client(suite, "pupil").my_classes()]
    replay.done()
    outsider = client(suite, "pupil2")
    replay.play("pupil2-my-classes")
    assert CLASS_NAME not in [c.name for c in outsider.my_classes()]
    replay.done()
    replay.play("pupil2-open-class-refused")
    with pytest.raises(Forbidden) as err:
        outsider.open_class(class_id())
    assert err.value.errorcode == "errorcoursecontextnotvalid"
    replay.done()
    replay.play("pupil2-feedback-refused")
    with pytest.raises(Forbidden) as err:
        outsider.feedback(the_assignment())
    assert err.value.errorcode == "requireloginerror"
    replay.done()


# -- hand-in, grade, feedback ------------------------------------------------------------------------

def test_submit_skips_submit_for_grading_when_already_submitted(replay, suite):
    """Moodle 4.3 (Build: 20231009): the template's assignment has no drafts (submissiondrafts 0), so
    the saved text is handed in at once (status "submitted") and submit() does not call
    mod_assign_submit_for_grading (the replay would fail on a request that was not recorded)."""
    status = answer("pupil-submit", "mod_assign_get_submission_status")
    assert status["lastattempt"]["submission"]["status"] == "submitted"
    replay.play("pupil-submit")
    client(suite, "pupil").submit(the_assignment(), HAND_IN)
    replay.done()
    assert replay.sent == ["mod_assign_save_submission", "mod_assign_get_submission_status"]


def test_teacher_sees_submission_and_grades(replay, suite):
    """Moodle 4.3 (Build: 20231009): the teacher sees the pupil's hand-in as submitted (user ids
    named from the class's participants) and grades it with a comment in Danish."""
    teacher = client(suite, "teacher")
    pupil = account(suite, "pupil")
    replay.play("teacher-submissions", "teacher-grade")
    assert teacher.submissions(the_assignment()) == {pupil.username: "submitted"}
    teacher.grade(the_assignment(), pupil.username, *GRADE)
    replay.done()
    assert recorded("teacher-grade", "mod_assign_save_grade")["response"]["body"] == "null"


def test_feedback_parses_grade_and_comment(replay, suite):
    """Moodle 4.3 (Build: 20231009): the pupil's feedback: submitted, grade "10.00000" as 10.0, the
    teacher's comment with æ, ø and å (sent by Moodle as \\u escapes) as written."""
    replay.play("pupil-feedback")
    fb = client(suite, "pupil").feedback(the_assignment())
    replay.done()
    assert fb.submitted is True and fb.grade == GRADE[0] and fb.comment == GRADE[1]
    assert answer("pupil-feedback", "mod_assign_get_submission_status")["feedback"]["grade"]["grade"] == "10.00000"
    assert fb.extra["gradefordisplay"] == "10.00&nbsp;/&nbsp;100.00"  # Moodle's HTML, passed on as is


def test_clean_up(replay, suite):
    """Moodle 4.3 (Build: 20231009): the teacher deletes the class (Moodle answers {"warnings": []})
    and the administrator deletes the three accounts."""
    replay.play("teacher-delete-class")
    client(suite, "teacher").delete_class(class_id())
    replay.done()
    admin = client(suite, "admin")
    replay.play("admin-delete-teacher", "admin-delete-pupil", "admin-delete-pupil2")
    for role in ("teacher", "pupil", "pupil2"):
        admin.delete_user(account(suite, role).username)
    assert not replay.queue, "an exchange of the recording was not asked for"
    replay.done()


def test_whole_flow_in_recorded_order(replay, suite):
    """Moodle 4.3 (Build: 20231009): the whole recording, every exchange in order, asked for by the
    adapter's methods from the accounts' passwords alone (tokens from login/token.php)."""
    replay.queue = list(EXCHANGES)
    people = {role: account(suite, role) for role in ("teacher", "pupil", "pupil2")}
    admin = client(suite, "admin")
    teacher, pupil, pupil2 = (client(suite, role, token=False) for role in ("teacher", "pupil", "pupil2"))
    assert admin.site_info()["release"] == RELEASE
    assert client(suite, "admin", token=False).token == "<TOKEN:admin>"
    for role in ("teacher", "pupil", "pupil2"):
        admin.ensure_user(people[role])
    assert teacher.token == "<TOKEN:teacher>"
    assert teacher.password_accepted("<PASSWORD:wrong>") is False
    with pytest.raises(MoodleForbidden):
        client(suite, "teacher", token=False, password="<PASSWORD:wrong>").token
    assert teacher.password_accepted("<PASSWORD:teacher>") is True
    klass = teacher.create_class(CLASS_NAME)
    teacher.enrol(klass.id, people["pupil"].username)
    teacher.participants(klass.id)
    lesson = teacher.create_lesson(klass.id, *LESSON)
    assignment = teacher.create_assignment(klass.id, ASSIGNMENT[0], None, ASSIGNMENT[1])
    assert pupil.token == "<TOKEN:pupil>"
    assert lesson in pupil.lessons(klass.id)
    assert klass in pupil.my_classes()
    assert pupil2.token == "<TOKEN:pupil2>"
    assert klass not in pupil2.my_classes()
    with pytest.raises(Forbidden):
        pupil2.open_class(klass.id)
    pupil.submit(assignment, HAND_IN)
    assert teacher.submissions(assignment) == {people["pupil"].username: "submitted"}
    teacher.grade(assignment, people["pupil"].username, *GRADE)
    assert pupil.feedback(assignment).grade == GRADE[0]
    with pytest.raises(Forbidden):
        pupil2.feedback(assignment)
    teacher.delete_class(klass.id)
    for role in ("teacher", "pupil", "pupil2"):
        admin.delete_user(people[role].username)
    replay.done()
