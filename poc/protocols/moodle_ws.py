"""Moodle's web services over REST with a token: the `learning` and `provisioning` capabilities.

Follows Moodle's documentation (examples replayed in tests/test_adapters_documented.py and tests/test_adapters_recorded_moodle.py):

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
course. The site's administrator runs suites/moodle/provision/enable_webservices.php once; it makes
a template course (``provision.template``) holding a page and an assignment, and the teacher's
``create_lesson``/``create_assignment`` import them into the class with Moodle's own Import
(core_course_import_course), keep the one asked for (core_course_edit_module deletes the other) and
give it its title (core_update_inplace_editable), as a teacher reuses material from another course.
The same script creates the administrator's token (Moodle refuses to make one on request for a site
administrator): the admin account's client takes it from ``provision.admin_token_env``.
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
        self.category = provision.get("category", 1)  # an id, or the name of a category
        self.template = provision.get("template", "")  # short name of the course with the activities
        self.assignment_cmid_env = provision.get("assignment_cmid_env", "")
        token_env = provision.get("admin_token_env", "")
        if token is None and token_env and getattr(account, "role", "") == "admin" and os.environ.get(token_env):
            token = os.environ[token_env]
            from ..redact import add
            add(token)
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

    def password_accepted(self, password: str) -> bool:
        """Does Moodle let this account sign in with that password? /login/token.php on a fresh
        connection: a token is in; Moodle's invalidlogin is refused."""
        with Session(close_connections=True) as fresh:
            r = fresh.post(self.base + TOKEN, data={"username": self.account.username, "password": password,
                                                    "service": self.service}, expect=200)
        answer = r.json()
        if "token" in answer:
            from ..redact import add
            add(answer["token"])
            return True
        if answer.get("errorcode") == "invalidlogin":
            return False
        raise MoodleError("login/token.php", {"errorcode": answer.get("errorcode", ""),
                                              "message": answer.get("error", "")})

    def removal_hint(self, username: str) -> str:
        return (f"as an administrator: Site administration > Users > Browse list of users, delete {username!r} "
                f"(or core_user_delete_users through the web services)")

    # -- who am I --------------------------------------------------------------------------------
    def site_info(self) -> dict:
        info = self.call("core_webservice_get_site_info")
        if isinstance(info, dict) and info.get("userprivateaccesskey"):  # a key to the user's files
            from ..redact import add
            add(info["userprivateaccesskey"])
        return info

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
        if account.role == "teacher":
            self._teacher_rights(userid)
        return True

    def _teacher_rights(self, userid: int) -> None:
        """The school's set-up for a teacher: manager of the school's course category, so the teacher
        creates courses there and runs them (enrols, imports material, grades). Moodle's own course
        form enrols a course's creator as its teacher (creatornewroleid); its web service does not,
        so a system-wide course creator could create a class through the API but not enrol into it."""
        self.call("core_role_assign_roles", assignments=[{
            "roleid": self.roles.get("manager", 1), "userid": userid, "contextlevel": "coursecat",
            "instanceid": self.category_id}])

    @property
    def category_id(self) -> int:
        if isinstance(self.category, int) or str(self.category).isdigit():
            return int(self.category)
        found = self.call("core_course_get_categories", criteria=[{"key": "name", "value": self.category}])
        if not found:
            raise LearningError(f"no Moodle course category {self.category!r}: run the provisioning script "
                                "(suites/moodle/provision/enable_webservices.php) on the site first")
        self.category = int(found[0]["id"])
        return self.category

    # -- classes (courses) -----------------------------------------------------------------------
    def create_class(self, name: str) -> ClassRef:
        shortname = name if len(name) <= 100 else name[:100]
        created = self.call("core_course_create_courses", courses=[{
            "fullname": name, "shortname": shortname, "categoryid": self.category_id}])
        course = ClassRef(str(created[0]["id"]), name)
        if getattr(self.account, "role", "") != "admin":
            # what Moodle's own course form does for a course's creator (creatornewroleid): the
            # creator becomes the course's teacher, so the course is among the teacher's own
            self.call("enrol_manual_enrol_users", enrolments=[{
                "roleid": self.roles["teacher"], "userid": self.userid, "courseid": int(course.id)}])
        return course

    def delete_class(self, class_id: str) -> None:
        answer = self.call("core_course_delete_courses", courseids=[int(class_id)])
        # a refused deletion comes back as a warning (cannotdeletecourse), not as an error
        _no_warnings("core_course_delete_courses", (answer or {}).get("warnings") if isinstance(answer, dict) else None)

    def enrol(self, class_id: str, username: str, role: str = "pupil") -> None:
        self.call("enrol_manual_enrol_users", enrolments=[{
            "roleid": self.roles[role], "userid": self.user_id_for_class(class_id, username),
            "courseid": int(class_id)}])

    def user_id_for_class(self, class_id, username: str) -> int:
        """A user's id as a teacher finds it: among the class's participants, else among the users
        the course's manual enrolment may add (what Moodle's "Enrol users" dialog searches). A
        site administrator may look anyone up (core_user_get_users_by_field); a teacher may not."""
        for user in self.call("core_enrol_get_enrolled_users", courseid=int(class_id)):
            if user.get("username") == username:
                return int(user["id"])
        # enrolid 0: every user the course could enrol, as the "Enrol users" dialog searches them;
        # Moodle matches the search on names and identity fields and does not return user names
        found = self.call("core_enrol_get_potential_users", courseid=int(class_id), enrolid=0, search=username,
                          searchanywhere=0, page=0, perpage=20)
        exact = [u for u in found if u.get("username") == username
                 or str(u.get("email", "")).lower().startswith(username.lower() + "@")]
        if len(exact) == 1 or len(found) == 1:
            return int((exact or found)[0]["id"])
        return self.user_id(username)

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
    def _from_template(self, class_id, keep: str, title: str) -> str:
        """Import the template course's activities into the class, keep the one of module `keep`
        (page, assign) with the given title, delete the others; the kept module's cmid."""
        if not self.template:
            raise NotThroughAPI("Moodle core web services have no function that adds an activity to a course, "
                                "and the suite names no template course to import it from (provision.template)")
        found = self.call("core_course_get_courses_by_field", field="shortname", value=self.template)
        if not found.get("courses"):
            raise LearningError(f"no template course {self.template!r}: run the provisioning script "
                                "(suites/moodle/provision/enable_webservices.php) on the site first")
        before = {m["id"] for m in self._modules(class_id)}
        self.call("core_course_import_course", importfrom=int(found["courses"][0]["id"]), importto=int(class_id),
                  deletecontent=0, options=[{"name": "activities", "value": 1}, {"name": "blocks", "value": 0},
                                            {"name": "filters", "value": 0}])
        new = [m for m in self._modules(class_id) if m["id"] not in before]
        kept = next((m for m in new if m.get("modname") == keep), None)
        if kept is None:
            raise LearningError(f"the template course {self.template!r} holds no {keep} to import")
        for m in new:
            if m is not kept:
                self.call("core_course_edit_module", action="delete", id=int(m["id"]))
        self.call("core_update_inplace_editable", component="core_course", itemtype="activityname",
                  itemid=str(kept["id"]), value=title)
        return str(kept["id"])

    def _modules(self, class_id) -> list[dict]:
        return [m for section in self.call("core_course_get_contents", courseid=int(class_id))
                for m in section.get("modules", [])]

    def create_lesson(self, class_id, title, text, attachment=None) -> LessonRef:
        if attachment is not None:
            raise NotThroughAPI("Moodle core web services cannot upload a file into a course's material, and "
                                "the template's page holds no attachment")
        return LessonRef(self._from_template(class_id, "page", title), title, str(class_id))

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
            cmid = self._from_template(class_id, "assign", title)
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
        status = self.call("mod_assign_get_submission_status", assignid=int(assignment.id))
        if ((status.get("lastattempt") or {}).get("submission") or {}).get("status") == "submitted":
            return  # an assignment without drafts takes the saved text as handed in
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
        if statuses:  # the teacher knows the class's participants (not every user of the site)
            for u in self.call("core_enrol_get_enrolled_users", courseid=int(assignment.class_id)):
                names[int(u["id"])] = u["username"]
        return {names.get(uid, str(uid)): status for uid, status in statuses.items()}

    def grade(self, assignment: AssignmentRef, username: str, grade: float, comment: str) -> None:
        self.call("mod_assign_save_grade", assignmentid=int(assignment.id),
                  userid=self.user_id_for_class(assignment.class_id, username),
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

    # -- a whole school at once (poc/school_provisioning.py) ----------------------------------------
    # Moodle's functions take many records per call: one call per batch, not one per person.
    def users_by_username(self, usernames) -> list[dict]:
        """The users with these user names that exist (as a site administrator sees them: id, email)."""
        return list(self.call("core_user_get_users_by_field", field="username", values=list(usernames)) or [])

    def create_users(self, users: list[dict]) -> dict[str, int]:
        """core_user_create_users for many users in one call ({username, password, firstname,
        lastname, email} each; Moodle makes all of them or none); {username: id}."""
        created = self.call("core_user_create_users", users=[{**u, "auth": "manual"} for u in users])
        return {str(u["username"]): int(u["id"]) for u in created}

    def delete_users(self, userids) -> None:
        self.call("core_user_delete_users", userids=[int(i) for i in userids])

    def create_courses(self, courses: list[dict]) -> dict[str, int]:
        """core_course_create_courses for many courses ({fullname, shortname} each) in the school's
        category; {shortname: id}."""
        created = self.call("core_course_create_courses",
                            courses=[{**c, "categoryid": self.category_id} for c in courses])
        return {str(c["shortname"]): int(c["id"]) for c in created}

    def courses_in_category(self) -> list[dict]:
        """The courses of the school's category (id, shortname, fullname, ...)."""
        found = self.call("core_course_get_courses_by_field", field="category", value=self.category_id)
        return list((found or {}).get("courses") or [])

    def delete_courses(self, course_ids) -> None:
        answer = self.call("core_course_delete_courses", courseids=[int(i) for i in course_ids])
        _no_warnings("core_course_delete_courses", (answer or {}).get("warnings") if isinstance(answer, dict) else None)

    def enrol_users(self, enrolments) -> None:
        """enrol_manual_enrol_users for many (userid, courseid, role) in one call; role is pupil or teacher."""
        self.call("enrol_manual_enrol_users", enrolments=[
            {"roleid": self.roles[role], "userid": int(userid), "courseid": int(courseid)}
            for userid, courseid, role in enrolments])


def _no_warnings(function: str, warnings) -> None:
    if warnings:
        raise LearningError(f"{function} answered warnings: {warnings}")
