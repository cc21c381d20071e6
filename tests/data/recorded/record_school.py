"""Record what a real Nextcloud 29 and a real Moodle 4.3 answer to poc/school_provisioning.py.

Runs the harness's REAL school provisioning (provision, then remove) against a running server, with
a small school (one class of 3 pupils and 2 teachers, cut from size XS, seed 1), one session at a
time and small batches so that the batching shows in a few exchanges, and records every HTTP
exchange, secrets replaced by placeholders, under school/ of the server's folder:

    source /srv/real/nextcloud/env.sh && .venv/bin/python tests/data/recorded/record_school.py nextcloud
    source /srv/real/moodle/env.sh && POC_MOODLE_ADMIN_TOKEN=... .venv/bin/python tests/data/recorded/record_school.py moodle

Scenarios (each a numbered series of files, NN-<scenario>-<what>.json):
- ``school``: provision the small school, then remove it;
- ``conflict``: a user of the school's names exists and is not the harness's (made beforehand by the
  recorder, outside the recording, and deleted afterwards): provisioning stops and removes what it made.

Replayed by tests/test_provision_recorded.py. The placeholders: ``<PASSWORD:admin>``,
``<TOKEN:admin>``, ``<PASSWORD:<username>>`` for each school password. Before writing, every file is
checked for the real values (raw, form-encoded, JSON-escaped, base64 of Basic credentials).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import requests

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from poc import school as school_mod, school_provisioning, suites  # noqa: E402
from poc.suites import Account  # noqa: E402

HERE = Path(__file__).resolve().parent
FOLDERS = {"nextcloud": HERE / "nextcloud-29.0.6" / "school", "moodle": HERE / "moodle-4.3" / "school"}
SERVERS = {"nextcloud": "Nextcloud 29.0.6", "moodle": "Moodle 4.3 (Build: 20231009)"}
# small batches, one session: the batching shows in a few exchanges (the defaults are in the module)
BATCH = {"lookup": 100, "users": 2, "courses": 24, "enrol": 3, "delete_users": 2, "delete_courses": 4}
PUPILS, TEACHERS = 3, 2
CONFLICT_USER_EMAIL = "someone@kommune.example.invalid"


def small_school(passwords: dict[str, str] | None = None):
    """One class of 3 pupils and its 2 teachers, cut from size XS, seed 1 (the same names on every
    run); `passwords` {username: password}, else fresh random ones."""
    full = school_mod.build("XS", 1)
    cls = full.classes[0]
    pupils = [full.person(u) for u in cls.pupils[:PUPILS]]
    teachers = [full.person(u) for u in cls.teachers[:TEACHERS]]
    if passwords is not None:
        pupils = [replace(p, password=passwords[p.username]) for p in pupils]
        teachers = [replace(p, password=passwords[p.username]) for p in teachers]
    klass = replace(cls, pupils=tuple(p.username for p in pupils), teachers=tuple(t.username for t in teachers))
    return replace(full, classes=(klass,), pupils=tuple(pupils), teachers=tuple(teachers))


def placeholders(school) -> dict[str, str]:
    return {p.username: f"<PASSWORD:{p.username}>" for p in school.people}


class Dep(SimpleNamespace):
    """The part of a started external deployment school_provisioning uses."""

    mode = "external"

    def url_for(self, capability, account=None):
        return self.url


def deployment(suite_name: str, url: str, admin: Account):
    return Dep(suite=suites.load(suite_name), url=url.rstrip("/"), accounts={"admin": admin})


class Recorder:
    def __init__(self):
        self.exchanges: list[tuple[str, requests.PreparedRequest, requests.Response]] = []
        self.scenario = ""
        self._send = requests.adapters.HTTPAdapter.send

    def __enter__(self):
        recorder = self

        def send(adapter, request, **kwargs):
            response = recorder._send(adapter, request, **kwargs)
            response.content  # noqa: B018 - read it now
            recorder.exchanges.append((recorder.scenario, request, response))
            return response

        requests.adapters.HTTPAdapter.send = send
        return self

    def __exit__(self, *exc):
        requests.adapters.HTTPAdapter.send = self._send


def _spellings(secret: str) -> set[str]:
    out = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    for user in ("admin", ""):
        out.add(base64.b64encode(f"{user}:{secret}".encode()).decode().rstrip("="))
    out.add(base64.b64encode(secret.encode()).decode().rstrip("="))
    return {s for s in out if len(s) >= 6}


def _clean(text: str, secrets: dict[str, str]) -> str:
    for real, placeholder in sorted(secrets.items(), key=lambda kv: -len(kv[0])):
        for form in (real, quote_plus(real), quote(real, safe="")):
            text = text.replace(form, placeholder if form == real else quote_plus(placeholder))
    return text


def _step(kind: str, request) -> str:
    path = urlsplit(request.url).path
    if kind == "moodle":
        return dict(parse_qsl(request.body or "")).get("wsfunction", path.rsplit("/", 1)[-1])
    tail = path.split("/ocs/v1.php/cloud/", 1)[-1]
    what = tail.split("/", 1)[0]  # users or groups
    one = "s" if "/" not in tail else ""
    verb = {"GET": "get", "POST": "create", "DELETE": "delete", "PUT": "edit"}[request.method]
    if what == "users" and tail.endswith("/groups"):
        return f"{verb}-user-groups"
    return f"{verb}-{what.rstrip('s')}{one}" if one else f"{verb}-{what.rstrip('s')}"


def write(kind: str, exchanges, secrets: dict[str, str], admin_user: str) -> list[Path]:
    folder = FOLDERS[kind]
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    files = []
    today = dt.date.today().isoformat()
    for n, (scenario, req, resp) in enumerate(exchanges, 1):
        parts = urlsplit(req.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = req.body or ""
        body = body.decode("utf-8") if isinstance(body, bytes) else body
        step = _step(kind, req)
        keep = ("Content-Type", "OCS-APIRequest")
        request = {"method": req.method, "path": _clean(path, secrets),
                   "headers": {k: v for k, v in req.headers.items() if k in keep}}
        if kind == "moodle":
            request["form"] = [[k, secrets.get(v, v)] for k, v in parse_qsl(body, keep_blank_values=True)]
            ex = {"server": SERVERS[kind], "recorded": today, "scenario": scenario, "step": step, "request": request}
        else:
            auth = req.headers.get("Authorization", "")
            user, _, password = base64.b64decode(auth.split(" ", 1)[1]).decode("utf-8").partition(":")
            request["auth"] = {"scheme": "Basic", "username": user, "password": secrets.get(password, "<PASSWORD:?>"),
                               "charset": "utf-8"}
            request["body"] = _clean(body, secrets)
            ex = {"name": f"{n:02d}-{scenario}-{step}", "server": SERVERS[kind], "recorded": today,
                  "scenario": scenario, "note": f"school_provisioning ({scenario}): {req.method} {parts.path}",
                  "request": request}
        ex["response"] = {"status": resp.status_code, "reason": resp.reason,
                          "headers": {k: v for k, v in resp.headers.items() if k in ("Content-Type",)},
                          "body": _clean(resp.content.decode("utf-8"), secrets)}
        path_out = folder / f"{n:02d}-{scenario}-{step}.json"
        text = json.dumps(ex, ensure_ascii=False, indent=2) + "\n"
        for real in secrets:
            for form in _spellings(real):
                if form in text:
                    raise SystemExit(f"{path_out.name} would hold a secret ({secrets[real]}): nothing written")
        files.append((path_out, text))
    for p, text in files:
        p.write_text(text, encoding="utf-8")
    return [p for p, _ in files]


def main(kind: str) -> None:
    school_provisioning.MOODLE_BATCH.update(BATCH)
    os.environ[school_provisioning.WORKERS_ENV] = "1"
    school = small_school()
    secrets = {p.password: f"<PASSWORD:{p.username}>" for p in school.people}
    if kind == "nextcloud":
        url = os.environ["POC_NEXTCLOUD_URL"]
        admin = Account("admin", os.environ.get("POC_NEXTCLOUD_ADMIN_USER", "admin"),
                        os.environ["POC_NEXTCLOUD_ADMIN_PASSWORD"])
        secrets[admin.password] = "<PASSWORD:admin>"
    else:
        url = os.environ["POC_MOODLE_URL"]
        admin = Account("admin", os.environ.get("POC_MOODLE_ADMIN_USER", "admin"), os.environ["POC_MOODLE_ADMIN_PASSWORD"])
        secrets[admin.password] = "<PASSWORD:admin>"
        secrets[os.environ["POC_MOODLE_ADMIN_TOKEN"]] = "<TOKEN:admin>"
    dep = deployment(kind, url, admin)
    from poc.protocols import adapter
    cap = dep.suite.config["provision"]["via"]
    raw = adapter(dep.suite.capabilities[cap]["protocol"])(url, admin, dep.suite)
    someone = school.pupils[1]
    with Recorder() as rec:
        rec.scenario = "school"
        made = school_provisioning.provision(dep, school, progress=print)
        print(made)
        left = school_provisioning.remove(dep, school, progress=print)
        assert not left, left
        # the conflict: a user of the school's names that is not the harness's (made outside the recording)
        rec.scenario = "-"
        if kind == "nextcloud":
            raw.create_user(someone.username, "Kommune-" + someone.password, display_name="Someone Else")
        else:
            raw.create_users([{"username": someone.username, "password": "Kommune-" + someone.password,
                               "firstname": "Someone", "lastname": "Else", "email": CONFLICT_USER_EMAIL}])
        secrets["Kommune-" + someone.password] = "<PASSWORD:someone-else>"
        rec.scenario = "conflict"
        try:
            school_provisioning.provision(dep, school, progress=print)
            raise SystemExit("provisioning over a foreign user did not stop")
        except school_provisioning.PocError as exc:
            print("refused as it should:", exc)
        rec.scenario = "-"
        raw.delete_user(someone.username)
    raw.close()
    exchanges = [e for e in rec.exchanges if e[0] != "-"]
    for p in write(kind, exchanges, secrets, admin.username):
        print(p.relative_to(ROOT))


if __name__ == "__main__":
    main(sys.argv[1])
