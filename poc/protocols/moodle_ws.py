"""Moodle's web services over REST with a token: the `learning` and `provisioning` capabilities.

Follows Moodle's documentation (examples replayed in tests/test_adapters_moodle.py):

- Token: ``POST /login/token.php`` (username, password, service) -> ``{"token": ...}``
  https://docs.moodle.org/dev/Creating_a_web_service_client#How_to_get_a_user_token
- Calls: ``POST /webservice/rest/server.php`` with ``wstoken``, ``wsfunction`` and
  ``moodlewsrestformat=json``; arrays and structures in PHP's bracket notation
  (``users[0][username]=...``); an error is ``{"exception", "errorcode", "message"}``.
  https://docs.moodle.org/dev/Web_service_API_functions (each function's parameters and returns)
- Functions used: core_webservice_get_site_info, core_user_create_users, core_user_get_users_by_field,
  core_user_update_users, core_user_delete_users, core_role_assign_roles, core_course_create_courses, core_course_delete_courses,
  enrol_manual_enrol_users, core_enrol_get_enrolled_users, core_enrol_get_users_courses,
  core_course_get_contents, mod_assign_get_assignments, mod_assign_save_submission,
  mod_assign_submit_for_grading, mod_assign_get_submissions, mod_assign_save_grade,
  mod_assign_get_submission_status.

Moodle core has no web-service function that adds an activity (a page or an assignment) to a
course: ``create_lesson`` and ``create_assignment`` raise NotThroughAPI unless the suite names an
existing assignment to use (``provision.assignment_cmid_env``), and the flow from hand-in to
feedback is then tested on that assignment.
"""

from __future__ import annotations

import datetime as dt
import os

from . import register
from ._http import Refused, Session
from .learning import (AssignmentRef, ClassRef, Feedback, Forbidden, LearningAdapter, LearningError, LessonRef,
                       NotThroughAPI, Participant)

REST = "/webservice/rest/server.php"
TOKEN = "/login/token.php"
DEFAULT_SERVICE = "moodle_mobile_app"
# Moodle's default role ids (Site administration > Users > Define roles); a suite may override them.
DEFAULT_ROLES = {"pupil": 5, "teacher": 3}
FORBIDDEN_CODES = {"nopermissions", "accessexception", "requireloginerror", "errorcoursecontextnotvalid",
                   "notingroup", "invalidtoken", "webservicesnotenabled", "servicerequireslogin"}


class MoodleError(LearningError):
    def __init__(self, function: str, answer: dict):
        self.errorcode = answer.get("errorcode", "")
        self.exception = answer.get("exception", "")
        super().__init__(f"{function}: {self.exception} {self.errorcode}: {answer.get('message', '')}".strip())


class MoodleForbidden(MoodleError, Forbidden):
    pass


def flatten(params: dict, prefix: str = "") -> list[tuple[str, str]]:
    """PHP bracket notation: {"users": [{"username": "a"}]} -> [("users[0][username]", "a")]."""
    out: list[tuple[str, str]] = []
    items = params.items() if isinstance(params, dict) else enumerate(params)
    for key, value in items:
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, (dict, list, tuple)):
            out += flatten(value if not isinstance(value, tuple) else list(value), name)
        elif isinstance(value, bool):
            out.append((name, "1" if value else "0"))
        elif value is not None:
            out.append((name, str(value)))
    return out


@register("moodle-ws")
class MoodleClient(LearningAdapter):
    """Moodle web services for one account; the capability url is the site's base URL."""

    def __init__(self, url: str, account, suite=None, *, close_connections: bool = False, token: str | None = None):
        self.base = url.rstrip("/")
        self.account = account
        provision = (suite.config.get("provision") or {}) if suite is not None else {}
        self.service = provision.get("service", DEFAULT_SERVICE)
        self.roles = {**DEFAULT_ROLES, **provision.get("roles", {})}
        self.category = int(provision.get("category", 1))
        self.assignment_cmid_env = provision.get("assignment_cmid_env", "")
        self.session = Session(close_connections=close_connections)
        self._token = token
        self._userid: int | None = None

    # -- the two endpoints -----------------------------------------------------------------------
    @property
    def token(self) -> str:
        if self._token is None:
            r = self.session.post(self.base + TOKEN, data={"username": self.account.username,
                                                           "password": self.account.password,
                                                           "service": self.service}, expect=200)
            answer = r.json()
            if "token" not in answer:
                raise MoodleForbidden("login/token.php", {"errorcode": answer.get("errorcode", ""),
                                                          "message": answer.get("error", "")})
            self._token = answer["token"]
            from ..redact import add
            add(self._token)
        return self._token

    def call(self, function: str, **params):
        form = [("wstoken", self.token), ("wsfunction", function), ("moodlewsrestformat", "json")]
        form += flatten(params)
        r = self.session.post(self.base + REST, data=form)
        if r.status_code != 200:
            raise Refused(r, 200)
        answer = r.json() if r.content.strip() else None
        if isinstance(answer, dict) and "exception" in answer:
            kind = MoodleForbidden if answer.get("errorcode") in FORBIDDEN_CODES else MoodleError
            raise kind(function, answer)
        return answer

    # -- who am I --------------------------------------------------------------------------------
    def site_info(self) -> dict:
        return self.call("core_webservice_get_site_info")

    @property
    def userid(self) -> int:
        if self._userid is None:
            self._userid = int(self.site_info()["userid"])
        return self._userid

    def user_id(self, username: str) -> int:
        found = self.call("core_user_get_users_by_field", field="username", values=[username])
        if not found:
            raise LearningError(f"no Moodle user {username!r}")
        return int(found[0]["id"])

    # -- provisioning ----------------------------------------------------------------------------
    def create_user(self, username: str, password: str, firstname: str, lastname: str, email: str) -> int:
        created = self.call("core_user_create_users", users=[{
            "username": username, "password": password, "firstname": firstname, "lastname": lastname,
            "email": email, "auth": "manual"}])
        return int(created[0]["id"])

    def delete_user(self, username: str) -> None:
        self.call("core_user_delete_users", userids=[self.user_id(username)])

    def user_exists(self, username: str) -> bool:
        return bool(self.call("core_user_get_users_by_field", field="username", values=[username]))

    def ensure_user(self, account) -> bool:
        if self.user_exists(account.username):
            self.call("core_user_update_users", users=[{"id": self.user_id(account.username),
                                                        "password": account.password}])
            return False
        first, _, last = (account.display_name or account.username).partition(" ")
        userid = self.create_user(account.username, account.password, first, last or first, account.email)
        if account.role == "teacher":  # course creator, so the teacher can create a class (a course)
            self.call("core_role_assign_roles", assignments=[{
                "roleid": self.roles.get("coursecreator", 2), "userid": userid, "contextlevel": "system",
                "instanceid": 0}])
        return True

    # -- classes (courses) -----------------------------------------------------------------------
    def create_class(self, name: str) -> ClassRef:
        shortname = name if len(name) <= 100 else name[:100]
        created = self.call("core_course_create_courses", courses=[{
            "fullname": name, "shortname": shortname, "categoryid": self.category}])
        return ClassRef(str(created[0]["id"]), name)

    def delete_class(self, class_id: str) -> None:
        self.call("core_course_delete_courses", courseids=[int(class_id)])

    def enrol(self, class_id: str, username: str, role: str = "pupil") -> None:
        self.call("enrol_manual_enrol_users", enrolments=[{
            "roleid": self.roles[role], "userid": self.user_id(username), "courseid": int(class_id)}])

    def participants(self, class_id: str) -> list[Participant]:
        by_id = {v: k for k, v in self.roles.items()}
        out = []
        for user in self.call("core_enrol_get_enrolled_users", courseid=int(class_id)):
            roles = [by_id.get(int(r["roleid"]), r.get("shortname", "")) for r in user.get("roles", [])]
            out.append(Participant(user["username"], roles[0] if roles else ""))
        return out

    def my_classes(self) -> list[ClassRef]:
        return [ClassRef(str(c["id"]), c.get("fullname") or c.get("shortname", ""))
                for c in self.call("core_enrol_get_users_courses", userid=self.userid)]

    def open_class(self, class_id: str) -> dict:
        return {"sections": self.call("core_course_get_contents", courseid=int(class_id))}

    # -- material --------------------------------------------------------------------------------
    def create_lesson(self, class_id, title, text, attachment=None) -> LessonRef:
        raise NotThroughAPI("Moodle core web services have no function that adds a page or resource to a "
                            "course (checked against the function list of Moodle 4.x)")

    def lessons(self, class_id: str) -> list[LessonRef]:
        out = []
        for section in self.call("core_course_get_contents", courseid=int(class_id)):
            for module in section.get("modules", []):
                if module.get("modname") in ("page", "resource", "lesson", "book"):
                    out.append(LessonRef(str(module["id"]), module.get("name", ""), str(class_id)))
        return out

    # -- assignments -----------------------------------------------------------------------------
    def create_assignment(self, class_id, title, due, text="") -> AssignmentRef:
        cmid = os.environ.get(self.assignment_cmid_env, "") if self.assignment_cmid_env else ""
        if not cmid:
            raise NotThroughAPI("Moodle core web services have no function that adds an assignment to a course; "
                                f"name an existing one in {self.assignment_cmid_env or 'provision.assignment_cmid_env'}")
        for course in self.call("mod_assign_get_assignments", courseids=[int(class_id)])["courses"]:
            for a in course.get("assignments", []):
                if str(a["cmid"]) == str(cmid):
                    due_at = dt.datetime.fromtimestamp(int(a["duedate"]), dt.timezone.utc) if a.get("duedate") else None
                    return AssignmentRef(str(a["id"]), a["name"], str(course["id"]), due_at)
        raise LearningError(f"assignment cmid {cmid} is not in course {class_id}")

    def assignments(self, class_id: str) -> list[AssignmentRef]:
        out = []
        for course in self.call("mod_assign_get_assignments", courseids=[int(class_id)])["courses"]:
            for a in course.get("assignments", []):
                due = dt.datetime.fromtimestamp(int(a["duedate"]), dt.timezone.utc) if a.get("duedate") else None
                out.append(AssignmentRef(str(a["id"]), a["name"], str(course["id"]), due))
        return out

    def submit(self, assignment: AssignmentRef, text: str) -> None:
        warnings = self.call("mod_assign_save_submission", assignmentid=int(assignment.id), plugindata={
            "onlinetext_editor": {"text": text, "format": 1, "itemid": 0}})
        _no_warnings("mod_assign_save_submission", warnings)
        warnings = self.call("mod_assign_submit_for_grading", assignmentid=int(assignment.id),
                             acceptsubmissionstatement=1)
        _no_warnings("mod_assign_submit_for_grading", warnings)

    def submissions(self, assignment: AssignmentRef) -> dict[str, str]:
        answer = self.call("mod_assign_get_submissions", assignmentids=[int(assignment.id)])
        statuses = {}
        for a in answer.get("assignments", []):
            for s in a.get("submissions", []):
                statuses[int(s["userid"])] = s.get("status", "")
        names = {}
        if statuses:
            for u in self.call("core_user_get_users_by_field", field="id", values=sorted(statuses)):
                names[int(u["id"])] = u["username"]
        return {names.get(uid, str(uid)): status for uid, status in statuses.items()}

    def grade(self, assignment: AssignmentRef, username: str, grade: float, comment: str) -> None:
        self.call("mod_assign_save_grade", assignmentid=int(assignment.id), userid=self.user_id(username),
                  grade=grade, attemptnumber=-1, addattempt=0, workflowstate="", applytoall=1,
                  plugindata={"assignfeedbackcomments_editor": {"text": comment, "format": 1}})

    def feedback(self, assignment: AssignmentRef, userid: int | None = None) -> Feedback:
        params = {"assignid": int(assignment.id)}
        if userid is not None:
            params["userid"] = userid
        status = self.call("mod_assign_get_submission_status", **params)
        submission = ((status.get("lastattempt") or {}).get("submission") or {})
        fb = status.get("feedback") or {}
        grade = (fb.get("grade") or {}).get("grade")
        comment = ""
        for plugin in fb.get("plugins", []):
            if plugin.get("type") == "comments":
                for field in plugin.get("editorfields", []):
                    comment += field.get("text", "")
        return Feedback(submitted=submission.get("status") == "submitted",
                        grade=float(grade) if grade not in (None, "") else None, comment=comment,
                        extra={"gradefordisplay": fb.get("gradefordisplay", "")})

    def close(self):
        self.session.close()


def _no_warnings(function: str, warnings) -> None:
    if warnings:
        raise LearningError(f"{function} answered warnings: {warnings}")
