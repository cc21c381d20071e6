#!/usr/bin/env python3
"""Record the exchanges of the school's learning flow with a REAL Moodle, as replayable fixtures.

The real servers do not run in CI; tests/test_adapters_recorded_moodle.py replays what this script
records against the harness's own MoodleClient with no network. The script speaks HTTP to the URL
it is given and nothing else: it neither fetches nor builds Moodle. The site must have been set up
once by its administrator with suites/moodle/provision/enable_webservices.php (web services, the
os2skole_poc service, the "OS2skole PoC" category, the template course, the administrator's token).

It drives the harness's own adapter (poc.protocols.moodle_ws.MoodleClient, configured by
poc.suites.load("moodle")) through the whole flow, step by step, with every requests.Session the
adapter makes carrying a response hook that captures the exchange: the administrator asking
login/token.php for a token himself (Moodle never creates one for a site administrator and answers
cannotcreatetoken, unless a valid token exists already, which it hands out), the
administrator creating a teacher and two pupils (passwords with æ, ø, å) and making the teacher
manager of the school's category, the teacher's token and a wrong password, the teacher creating a
class with a Danish name, enrolling a pupil, importing a lesson and an assignment from the template
course, the pupils' views (one enrolled, one refused), the hand-in, the teacher's list and grade,
the pupil's feedback; then the clean-up (course and users deleted).

Every token, password, sesskey and cookie is replaced by a placeholder (``<TOKEN:teacher>``,
``<PASSWORD:pupil>``, ...), the same one wherever the secret occurs; before anything is written the
script checks that no secret it knows of appears in any file, in any encoding. The fixtures go to
tests/data/recorded/moodle-<release>/NN-<step>-<function>.json with a README.md listing them.

    source /srv/real/moodle/env.sh          # POC_MOODLE_URL, POC_MOODLE_ADMIN_USER/_PASSWORD
    export POC_MOODLE_ADMIN_TOKEN=...       # the provisioning script's last line (or --admin-token-file)
    .venv/bin/python tests/data/recorded/record_moodle.py [--url URL] [--out DIR]

Exit status 0 when the flow was recorded, cleaned up and written; 1 otherwise (nothing written).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import json
import os
import re
import secrets
import sys
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))  # the repository root, for `poc`

from poc import suites  # noqa: E402
from poc.protocols import moodle_ws  # noqa: E402
from poc.protocols.learning import Forbidden, LearningError  # noqa: E402
from poc.protocols.moodle_ws import MoodleClient, MoodleError, MoodleForbidden  # noqa: E402
from poc.suites import Account  # noqa: E402

CLASS_NAME = "7.B Dansk – Ærø (optagelse)"
LESSON = ("Brøker – øvelser til uge 37", "Læs side 12–15 og lav opgave 1–4.")
ASSIGNMENT = ("Stil: Min sommerferie på Ærø", "Skriv en side om din sommerferie.")
HAND_IN = "<p>Jeg badede ved Ærøskøbing og spiste æbleskiver.</p>"
GRADE = (10.0, "Flot arbejde – god brug af æ, ø og å.")
# response headers not kept: the body is stored decoded and with placeholders, so its length and
# transfer encoding no longer apply
DROPPED_HEADERS = {"content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"}
SECRET_HEADERS = {"set-cookie": "<COOKIE>", "cookie": "<COOKIE>", "authorization": "<AUTHORIZATION>"}
SESSKEY = re.compile(r"(sesskey[\"']?\s*[=:]\s*[\"']?)([A-Za-z0-9]{6,})")


# -- capture -----------------------------------------------------------------------------------------

class Capture:
    """Every exchange of every session the adapter makes, labelled with the flow's current step."""

    def __init__(self):
        self.exchanges: list[dict] = []
        self.step = "setup"
        self.on = True

    @contextlib.contextmanager
    def at(self, step: str):
        self.step = step
        print(f"  {step}", flush=True)
        yield

    def hook(self, response, *args, **kwargs):
        if not self.on:
            return None
        request = response.request
        body = request.body or ""
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        form = parse_qsl(body, keep_blank_values=True)
        self.exchanges.append({
            "step": self.step,
            "request": {"method": request.method, "path": urlsplit(request.url).path,
                        "headers": {k: v for k, v in request.headers.items()
                                    if k.lower() not in DROPPED_HEADERS | {"user-agent", "accept", "accept-encoding"}},
                        "form": [list(pair) for pair in form]},
            "response": {"status": response.status_code, "reason": response.reason,
                         "headers": {k: v for k, v in response.headers.items() if k.lower() not in DROPPED_HEADERS},
                         "body": response.content.decode("utf-8")},
        })
        return None


def capturing_sessions(capture: Capture):
    """moodle_ws.Session with the capture hook: client.session and password_accepted's fresh one."""
    base = moodle_ws.Session

    class CapturingSession(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.hooks["response"].append(capture.hook)

    moodle_ws.Session = CapturingSession
    return base


# -- secrets -----------------------------------------------------------------------------------------

class Secrets:
    """secret -> placeholder, each secret always the same placeholder."""

    def __init__(self):
        self.known: dict[str, str] = {}

    def add(self, value: str | None, placeholder: str) -> None:
        if value:
            if self.known.get(value, placeholder) != placeholder:
                raise SystemExit(f"one secret under two placeholders: {self.known[value]} and {placeholder}")
            self.known[value] = placeholder

    @staticmethod
    def forms(secret: str) -> set[str]:
        """Every way the secret may be spelt in a saved file."""
        return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1],
                json.dumps(secret, ensure_ascii=False)[1:-1], json.dumps(secret)[1:-1].replace("/", "\\/"),
                base64.b64encode(secret.encode()).decode().rstrip("=")}

    def scrub(self, text: str) -> str:
        pairs = sorted(((form, ph) for s, ph in self.known.items() for form in self.forms(s)),
                       key=lambda p: len(p[0]), reverse=True)
        for form, placeholder in pairs:
            text = text.replace(form, placeholder)
        return text

    def leaks(self, text: str) -> list[str]:
        return [ph for s, ph in self.known.items() for form in self.forms(s) if form in text]


SECRET_KEYS = {"token": "TOKEN", "privatetoken": "PRIVATETOKEN", "userprivateaccesskey": "PRIVATEACCESSKEY",
               "sesskey": "SESSKEY"}


def learn_secrets(capture: Capture, clients: dict[str, MoodleClient], admin_token: str, secrets_: Secrets) -> None:
    """The secrets Moodle handed out during the flow, each under the placeholder of the account it
    went to: tokens from login/token.php, the private access key for files in
    core_webservice_get_site_info (userprivateaccesskey), any sesskey."""
    by_user = {c.account.username: role for role, c in clients.items()}
    by_token = {c._token: role for role, c in clients.items() if c._token}

    def walk(value, role):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in SECRET_KEYS and isinstance(item, str) and item:
                    kind = SECRET_KEYS[key]
                    if kind == "TOKEN" and role == "admin" and item != admin_token:
                        secrets_.add(item, "<TOKEN:admin-other>")  # not the provisioning script's token
                    else:
                        secrets_.add(item, f"<{kind}:{role}>")
                else:
                    walk(item, role)
        elif isinstance(value, list):
            for item in value:
                walk(item, role)

    for ex in capture.exchanges:
        form = dict(ex["request"]["form"])
        role = by_user.get(form.get("username", ""), None) or by_token.get(form.get("wstoken", ""), "unknown")
        try:
            walk(json.loads(ex["response"]["body"]), role)
        except ValueError:
            continue


def scrub_exchange(ex: dict, secrets_: Secrets) -> dict:
    out = json.loads(json.dumps(ex))
    for headers in (out["request"]["headers"], out["response"]["headers"]):
        for name in list(headers):
            if name.lower() in SECRET_HEADERS:
                headers[name] = SECRET_HEADERS[name.lower()]
    out["request"]["form"] = [[k, secrets_.scrub(v)] for k, v in out["request"]["form"]]
    body = secrets_.scrub(out["response"]["body"])
    out["response"]["body"] = SESSKEY.sub(lambda m: m.group(1) + "<SESSKEY>", body)
    out["request"]["form"] = [[k, "<SESSKEY>" if k == "sesskey" else v] for k, v in out["request"]["form"]]
    return out


def name_of(ex: dict) -> str:
    form = dict(ex["request"]["form"])
    if "wsfunction" in form:
        return form["wsfunction"]
    return ex["request"]["path"].strip("/").replace("/", "_").replace(".php", "")


def outcome(ex: dict) -> str:
    try:
        answer = json.loads(ex["response"]["body"]) if ex["response"]["body"].strip() else None
    except ValueError:
        return "not JSON"
    if isinstance(answer, dict) and ("exception" in answer or "errorcode" in answer):
        return f"{answer.get('exception', 'error')}: {answer.get('errorcode', '')}"
    if isinstance(answer, dict) and "token" in answer:
        return "token"
    return "ok"


# -- the flow ----------------------------------------------------------------------------------------

def password() -> str:
    """A password Moodle's default policy accepts, with æ, ø and å."""
    return f"Sø{secrets.token_hex(6)}-Æå7!"


def run_flow(url: str, suite, admin_account: Account, admin_token: str, prefix: str, capture: Capture,
             secrets_: Secrets, wrong: str, made: dict) -> dict:
    """The flow, step by step; `made` says what is on the site (for the clean-up if a step fails)."""
    accounts = suite.config["accounts"]
    people = {role: Account(role, prefix + accounts[role]["username"], password(), accounts[role]["display_name"])
              for role in ("teacher", "pupil", "pupil2")}
    for role, account in people.items():
        secrets_.add(account.password, f"<PASSWORD:{role}>")
    clients = {"admin": MoodleClient(url, admin_account, suite, token=admin_token)}
    clients.update({role: MoodleClient(url, account, suite) for role, account in people.items()})
    admin, teacher, pupil, pupil2 = (clients[r] for r in ("admin", "teacher", "pupil", "pupil2"))
    made.update({"clients": clients, "class": None, "users": []})
    facts: dict = {}

    with capture.at("admin-site-info"):
        info = admin.site_info()
        facts["release"] = info["release"]
    with capture.at("admin-asks-token"):
        asking = MoodleClient(url, admin_account, suite)  # no token: it asks login/token.php
        assert asking._token is None, "the admin's client took a token from the environment"
        try:
            given = asking.token
            whose = "the provisioning script's token" if given == admin_token else "ANOTHER token"
            facts["admin_token_refused"] = (f"NOT refused: login/token.php handed the administrator {whose} (Moodle "
                                            "creates none for a site administrator, but hands out a valid one "
                                            "that exists)")
        except MoodleForbidden as exc:
            facts["admin_token_refused"] = f"refused: {exc.errorcode}"
        asking.close()
    for role in ("teacher", "pupil", "pupil2"):
        with capture.at(f"admin-ensure-{role}"):
            created = admin.ensure_user(people[role])
            made["users"].append(people[role].username)
            assert created, f"{people[role].username} existed already"
    with capture.at("teacher-token"):
        teacher.token
    with capture.at("teacher-wrong-password"):
        facts["wrong_password_accepted"] = teacher.password_accepted(wrong)
    with capture.at("teacher-token-wrong-password"):
        wrong_client = MoodleClient(url, Account("teacher", people["teacher"].username, wrong), suite)
        try:
            wrong_client.token
            facts["wrong_token"] = "NOT refused"
        except MoodleForbidden as exc:
            facts["wrong_token"] = f"MoodleForbidden {exc.errorcode}"
        wrong_client.close()
    with capture.at("teacher-password-accepted"):
        facts["own_password_accepted"] = teacher.password_accepted(people["teacher"].password)
    with capture.at("teacher-create-class"):
        klass = teacher.create_class(CLASS_NAME)
        made["class"] = klass.id
    with capture.at("teacher-enrol-pupil"):
        teacher.enrol(klass.id, people["pupil"].username, "pupil")
    with capture.at("teacher-participants"):
        facts["participants"] = {p.username: p.role for p in teacher.participants(klass.id)}
    with capture.at("teacher-create-lesson"):
        lesson = teacher.create_lesson(klass.id, *LESSON)
        facts["lesson"] = lesson
    with capture.at("teacher-create-assignment"):
        assignment = teacher.create_assignment(klass.id, ASSIGNMENT[0], None, ASSIGNMENT[1])
        facts["assignment"] = assignment
    with capture.at("pupil-token"):
        pupil.token
    with capture.at("pupil-lessons"):
        facts["pupil_lessons"] = [l.title for l in pupil.lessons(klass.id)]
    with capture.at("pupil-my-classes"):
        facts["pupil_classes"] = [c.name for c in pupil.my_classes()]
    with capture.at("pupil2-token"):
        pupil2.token
    with capture.at("pupil2-my-classes"):
        facts["pupil2_classes"] = [c.name for c in pupil2.my_classes()]
    with capture.at("pupil2-open-class-refused"):
        try:
            pupil2.open_class(klass.id)
            facts["pupil2_open"] = "NOT refused"
        except Forbidden as exc:
            facts["pupil2_open"] = f"Forbidden: {exc}"
        except MoodleError as exc:
            facts["pupil2_open"] = f"MoodleError (not Forbidden): {exc}"
    with capture.at("pupil-submit"):
        pupil.submit(assignment, HAND_IN)
    with capture.at("teacher-submissions"):
        facts["submissions"] = teacher.submissions(assignment)
    with capture.at("teacher-grade"):
        teacher.grade(assignment, people["pupil"].username, *GRADE)
    with capture.at("pupil-feedback"):
        facts["feedback"] = pupil.feedback(assignment)
    with capture.at("pupil2-feedback-refused"):
        try:
            facts["pupil2_feedback"] = f"answered: {pupil2.feedback(assignment)}"
        except Forbidden as exc:
            facts["pupil2_feedback"] = f"Forbidden: {exc}"
        except LearningError as exc:
            facts["pupil2_feedback"] = f"{type(exc).__name__} (not Forbidden): {exc}"
    with capture.at("teacher-delete-class"):
        teacher.delete_class(klass.id)
        made["class"] = None
    for role in ("teacher", "pupil", "pupil2"):
        with capture.at(f"admin-delete-{role}"):
            admin.delete_user(people[role].username)
            made["users"].remove(people[role].username)
    return facts


def clean_up(url: str, suite, admin_account: Account, admin_token: str, prefix: str, made: dict | None) -> list[str]:
    """Whatever the flow left (it failed midway), then what the administrator still finds: [] when clean."""
    admin = MoodleClient(url, admin_account, suite, token=admin_token)
    usernames = [prefix + a["username"] for r, a in suite.config["accounts"].items() if r != "admin"]
    for course in admin.call("core_course_get_courses_by_field", field="shortname", value=CLASS_NAME)["courses"]:
        admin.delete_class(str(course["id"]))
    if made and made.get("class"):
        with contextlib.suppress(Exception):
            admin.delete_class(made["class"])
    for username in usernames:
        if admin.user_exists(username):
            admin.delete_user(username)
    left = [f"user {u}" for u in usernames if admin.user_exists(u)]
    left += [f"course {c['id']} {c['shortname']}" for c in
             admin.call("core_course_get_courses_by_field", field="shortname", value=CLASS_NAME)["courses"]]
    if made and made.get("class"):
        left += [f"course {c['id']}" for c in
                 admin.call("core_course_get_courses_by_field", field="id", value=made["class"])["courses"]]
    admin.close()
    return left


# -- writing -----------------------------------------------------------------------------------------

README_HEAD = """# Moodle {release}: recorded exchanges

What a real Moodle {release} ({stack}) answered the harness's own adapter
(`poc/protocols/moodle_ws.py`, `MoodleClient`, configured by `suites/moodle/suite.yaml`) along the
school's whole learning flow, recorded on {date} by `tests/data/recorded/record_moodle.py` and
replayed with no network by `tests/test_adapters_recorded_moodle.py`.

The site had been set up by `suites/moodle/provision/enable_webservices.php` (service
`os2skole_poc`, category "OS2skole PoC", template course `OS2SKOLE-POC-TEMPLATE`, the
administrator's token). The recorder created its own accounts (`{prefix}` + the suite's user names),
ran the flow, and deleted the course and the accounts again.

Each `NN-<step>-<function>.json` is one HTTP exchange, in the order they happened:

- `server`: the Moodle release that answered (from `core_webservice_get_site_info`);
- `step`: the step of the flow (the adapter method the recorder called);
- `request`: method, path, the headers that matter and the form fields as sent (decoded);
- `response`: status, reason, headers (without Content-Length/-Encoding: the body is stored decoded)
  and the body exactly as Moodle sent it, secrets aside.

Secrets are replaced by placeholders, each secret always by the same one: `<TOKEN:role>` for the
web-service token login/token.php gave that account (`<TOKEN:admin>` is the provisioning script's
token), `<PASSWORD:role>` for an account's password (all held æ, ø and å), `<PASSWORD:wrong>` for
the wrong password tried, `<PRIVATEACCESSKEY:role>` for the key to the account's files that
`core_webservice_get_site_info` answers (`userprivateaccesskey`), and `<PRIVATETOKEN:role>`,
`<SESSKEY>`, `<COOKIE>` wherever those occur (none did: Moodle sends no privatetoken over plain
HTTP, and its web services set no cookie). The recorder checked, before writing, that none of the
real values appears in any file in any encoding, nor anything shaped like a token (32 hex digits).
The replay gives the accounts the placeholders as passwords and tokens, so the adapter's requests
must match the recorded ones field for field.

What the flow found on this server:

{facts}

Not recorded: Moodle's `cannotcreatetoken`. Moodle never creates a token for a site administrator,
but login/token.php hands out a valid token that exists; on a provisioned site the script's token
exists, so the administrator's request (02) got it. The refusal of a token is recorded with a wrong
password instead (13, `invalidlogin`).

To record again (the site provisioned, nothing else needed; the recorder cleans up after itself):

    source /srv/real/moodle/env.sh   # POC_MOODLE_URL, POC_MOODLE_ADMIN_USER, POC_MOODLE_ADMIN_PASSWORD
    .venv/bin/python tests/data/recorded/record_moodle.py --admin-token-file <the provisioning output>

It replaces every `NN-*.json` here and this README; the tests read the ids from the recording.

| # | step | function | status | answer |
|---|------|----------|--------|--------|
"""


def describe(facts: dict) -> str:
    lesson, assignment, fb = facts["lesson"], facts["assignment"], facts["feedback"]
    lines = [
        f"- the administrator asking login/token.php for an os2skole_poc token: {facts['admin_token_refused']}",
        f"- a wrong password: password_accepted {facts['wrong_password_accepted']}, the token "
        f"{facts['wrong_token']}; the teacher's own "
        f"password with æøå: {facts['own_password_accepted']}",
        f"- participants after enrolment: {facts['participants']}",
        f"- lesson imported and renamed: cmid {lesson.id}, {lesson.title!r}; assignment id {assignment.id}, "
        f"{assignment.title!r}, due {assignment.due}",
        f"- the pupil's lessons: {facts['pupil_lessons']}; the pupil's classes: {facts['pupil_classes']}",
        f"- the second pupil's classes: {facts['pupil2_classes']}; opening the class: {facts['pupil2_open']}",
        f"- the teacher's submissions: {facts['submissions']}",
        f"- the pupil's feedback: submitted={fb.submitted}, grade={fb.grade}, comment={fb.comment!r}",
        f"- the second pupil's feedback: {facts['pupil2_feedback']}",
    ]
    return "\n".join(lines)


STRING = r'"(?:[^"\\]|\\.)*"'
PAIR = re.compile(r"\[\n\s+(" + STRING + r"),\n\s+(" + STRING + r")\n\s+\]")


def compact_pairs(text: str) -> str:
    """Each form field's [name, value] on one line."""
    return PAIR.sub(r"[\1, \2]", text)


def write(out: Path, exchanges: list[dict], release: str, facts: dict, secrets_: Secrets, prefix: str) -> None:
    files: dict[str, str] = {}
    rows = []
    for n, ex in enumerate(exchanges, 1):
        clean = {"server": f"Moodle {release}", "step": ex["step"], **scrub_exchange(ex, secrets_)}
        name = f"{n:02d}-{ex['step']}-{name_of(ex)}.json"
        files[name] = compact_pairs(json.dumps(clean, ensure_ascii=False, indent=2)) + "\n"
        rows.append(f"| {n:02d} | {ex['step']} | `{name_of(ex)}` | {clean['response']['status']} | {outcome(clean)} |")
    server = {ex["response"]["headers"].get("Server", "") for ex in exchanges} - {""}
    stack = ", ".join(["PHP", "PostgreSQL", *sorted(server)]) if server else "PHP, PostgreSQL"
    readme = README_HEAD.format(release=release, date=dt.date.today().isoformat(), prefix=prefix, stack=stack,
                                facts=secrets_.scrub(describe(facts))) + "\n".join(rows) + "\n"
    files["README.md"] = readme
    leaks = {name: secrets_.leaks(text) for name, text in files.items()}
    leaks = {name: found for name, found in leaks.items() if found}
    assert not leaks, f"secrets left in {sorted(leaks)}: {leaks}"  # placeholder names only, never values
    loose = {name for name, text in files.items() if re.search(r"\b[0-9a-f]{32}\b", text)}
    assert not loose, f"something shaped like a Moodle token (32 hex digits) in {sorted(loose)}"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("[0-9][0-9]-*.json"):
        old.unlink()
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files) - 1} exchanges and README.md to {out}")


# -- main --------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=os.environ.get("POC_MOODLE_URL"), help="the site's base URL (POC_MOODLE_URL)")
    ap.add_argument("--admin-token-file", help="a file whose last line is the administrator's token "
                                               "(default: POC_MOODLE_ADMIN_TOKEN)")
    ap.add_argument("--out", help="where the fixtures go (default: moodle-<release> beside this script)")
    ap.add_argument("--prefix", default="rec.", help="prefix of the recorder's own user names (default: rec.)")
    args = ap.parse_args(argv)
    if not args.url:
        ap.error("no --url and no POC_MOODLE_URL")
    if args.admin_token_file:
        admin_token = Path(args.admin_token_file).read_text().strip().splitlines()[-1].strip()
    else:
        admin_token = os.environ.get("POC_MOODLE_ADMIN_TOKEN", "")
    user, pw = os.environ.get("POC_MOODLE_ADMIN_USER", "admin"), os.environ.get("POC_MOODLE_ADMIN_PASSWORD", "")
    if not admin_token or not pw:
        ap.error("needs POC_MOODLE_ADMIN_PASSWORD and the administrator's token (POC_MOODLE_ADMIN_TOKEN or "
                 "--admin-token-file)")
    # the flow decides itself which client has a token: none from the environment
    for name in ("POC_MOODLE_ADMIN_TOKEN", "POC_MOODLE_ASSIGNMENT_CMID"):
        os.environ.pop(name, None)

    suite = suites.load("moodle")
    admin_account = Account("admin", user, pw, "Skoleadministrator")
    secrets_ = Secrets()
    secrets_.add(admin_token, "<TOKEN:admin>")
    secrets_.add(pw, "<PASSWORD:admin>")
    wrong = f"Forkert-{secrets.token_hex(4)}-æøå"
    secrets_.add(wrong, "<PASSWORD:wrong>")

    capture = Capture()
    original = capturing_sessions(capture)
    facts, failure, made = None, None, {}
    print(f"recording the learning flow at {args.url}")
    try:
        facts = run_flow(args.url.rstrip("/"), suite, admin_account, admin_token, args.prefix, capture, secrets_, wrong,
                         made)
    except Exception as exc:  # report, clean up, write nothing
        failure = exc
    finally:
        capture.on = False
        moodle_ws.Session = original
    if failure is not None:
        import traceback
        traceback.print_exception(failure)
        print(f"the flow failed at step {capture.step!r}; cleaning up, writing nothing", file=sys.stderr)
    try:
        left = clean_up(args.url.rstrip("/"), suite, admin_account, admin_token, args.prefix, made)
    except Exception as exc:  # the site itself is unreachable or refuses the administrator
        left = [f"unknown: the clean-up could not ask the site ({type(exc).__name__}: {exc})"]
    if left:
        print(f"LEFT ON THE SITE: {left}", file=sys.stderr)
    else:
        print("the administrator finds none of the recorder's users or courses left")
    if failure is not None or left:
        return 1
    learn_secrets(capture, made["clients"], admin_token, secrets_)
    release = facts["release"]
    out = Path(args.out) if args.out else HERE / f"moodle-{release.split()[0]}"
    print("flow done; what it found:")
    print(secrets_.scrub(describe(facts)))
    write(out, capture.exchanges, release, facts, secrets_, args.prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
