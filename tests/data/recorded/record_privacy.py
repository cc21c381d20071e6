"""Record what a real Nextcloud or Moodle answers to the privacy steps of the suites' admin modules
(PRI-05, PRI-06: suites/nextcloud/admin.py, suites/moodle/admin.py), for tests/test_privacy_recorded.py.

    source /srv/real/moodle/env.sh; export POC_MOODLE_ADMIN_TOKEN=...   # the provisioning script's token
    .venv/bin/python tests/data/recorded/record_privacy.py moodle
    source /srv/real/nextcloud/env.sh
    .venv/bin/python tests/data/recorded/record_privacy.py nextcloud

Unlike record_nextcloud.py and record_moodle.py, this recorder runs the admin modules' own functions
and records, at requests' transport (HTTPAdapter.send), every exchange they make: these steps parse
pages and answers (Moodle's Data requests page, its data request status, the export zip; Nextcloud's
OCS share and group answers) whose shape is the point. The accounts it makes (set up without
recording, through the web services / OCS as the admin) are deleted again at the end, also when a
step fails. Every secret is replaced by a placeholder before anything is written (see README.md):
passwords, tokens, Moodle's sesskey and session cookie, the public link's token; cookie headers are
not kept. Writes <folder>/privacy/NN-<step>.json (a binary body, the zip, as body_base64).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus

import requests

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from poc import privacy, redact, suites  # noqa: E402
from poc.lifecycle import Deployment  # noqa: E402
from poc.suites import Account  # noqa: E402

HERE = Path(__file__).parent
KEEP_REQUEST = ("Content-Type", "OCS-APIRequest", "Depth")
KEEP_RESPONSE = ("Content-Type", "Location", "Content-Disposition")


class Dep:
    """What the admin modules use of a deployment: the suite, its URL, endpoints and accounts."""

    url_for = Deployment.url_for

    def __init__(self, suite, url: str, accounts: dict):
        self.suite, self.url, self.accounts = suite, url.rstrip("/"), accounts
        self.endpoints = {k: v.format(url=self.url) for k, v in (suite.config.get("endpoints") or {}).items()}


class Recorder:
    def __init__(self):
        self.exchanges: list[dict] = []
        self.step = ""
        self.real_send = requests.adapters.HTTPAdapter.send

    def __enter__(self):
        recorder = self

        def send(adapter, request, **kwargs):
            response = recorder.real_send(adapter, request, **kwargs)
            recorder.keep(request, response)
            return response

        requests.adapters.HTTPAdapter.send = send
        return self

    def __exit__(self, *exc):
        requests.adapters.HTTPAdapter.send = self.real_send

    def keep(self, request, response):
        body = request.body or b""
        body = body if isinstance(body, bytes) else body.encode("utf-8")
        auth = None
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            auth = {"scheme": "Basic", "username": user, "password": password, "charset": "utf-8"}
        path = request.url.split("://", 1)[1]
        path = path[path.index("/"):] if "/" in path else "/"
        content = response.content
        try:
            text, b64 = content.decode("utf-8"), None
        except UnicodeDecodeError:
            text, b64 = None, base64.b64encode(content).decode("ascii")
        self.exchanges.append({
            "step": self.step,
            "request": {"method": request.method, "path": path, "auth": auth, "body": body.decode("utf-8"),
                        "headers": {k: request.headers[k] for k in KEEP_REQUEST if k in request.headers}},
            "response": {"status": response.status_code, "reason": response.reason,
                         "headers": {k: response.headers[k] for k in KEEP_RESPONSE if k in response.headers},
                         **({"body": text} if b64 is None else {"body_base64": b64})}})


def spellings(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1],
            re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(secret, safe="")),
            json.dumps(secret, ensure_ascii=False)[1:-1]}


def scrub(exchanges: list[dict], secrets: dict[str, str]) -> list[dict]:
    """Every secret replaced by its placeholder, in every spelling; refuses when one remains."""
    text = json.dumps(exchanges, ensure_ascii=False)
    for secret, placeholder in sorted(secrets.items(), key=lambda kv: -len(kv[0])):
        if not secret or len(secret) < 4:
            continue
        for form in sorted(spellings(secret), key=len, reverse=True):
            encoded = json.dumps(form, ensure_ascii=False)[1:-1]
            text = text.replace(encoded, json.dumps(placeholder, ensure_ascii=False)[1:-1])
    out = json.loads(text)
    for ex in out:  # a placeholder inside a form body is written escaped by the form: keep it readable
        if ex["request"]["headers"].get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            pairs = parse_qsl(ex["request"]["body"], keep_blank_values=True)
            ex["request"]["body"] = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs)
    for ex in out:  # in an XML body a placeholder is written escaped, so the body still parses
        if "xml" in ex["response"]["headers"].get("Content-Type", "") and "body" in ex["response"]:
            for placeholder in set(secrets.values()):
                escaped = placeholder.replace("<", "&lt;").replace(">", "&gt;")
                ex["response"]["body"] = ex["response"]["body"].replace(placeholder, escaped)
    final = json.dumps(out, ensure_ascii=False)
    for secret in secrets:
        if secret and len(secret) >= 4:
            for form in spellings(secret) | {base64.b64encode(secret.encode()).decode().rstrip("=")}:
                if len(form) >= 6 and form in final:
                    raise SystemExit(f"refusing to write: a secret ({secrets[secret]}) remains in the recording")
    for ex in out:
        body = ex["response"].get("body_base64")
        if body:
            raw = base64.b64decode(body)
            for secret in secrets:
                if secret and len(secret) >= 6 and secret.encode() in raw:
                    raise SystemExit(f"refusing to write: {secrets[secret]} is inside a binary answer")
    return out


def write(folder: Path, exchanges: list[dict], server: str, note: str) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    today = dt.date.today().isoformat()
    for i, ex in enumerate(exchanges, 1):
        name = f"{i:02d}-{ex['step']}"
        ex = {"name": name, "server": server, "recorded": today, "note": note, **ex}
        (folder / f"{name}.json").write_text(json.dumps(ex, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(exchanges)} exchanges to {folder}")


def sesskeys(exchanges: list[dict]) -> set[str]:
    text = json.dumps(exchanges)
    return set(re.findall(r'sesskey[\\"]*(?:=|:|\s*value=)[\\"]*([A-Za-z0-9]{10})', text))


def moodle(url: str) -> None:
    suite = suites.load("moodle")
    admin_pw, token = os.environ["POC_MOODLE_ADMIN_PASSWORD"], os.environ["POC_MOODLE_ADMIN_TOKEN"]
    admin = Account("admin", os.environ.get("POC_MOODLE_ADMIN_USER", "admin"), admin_pw, "Skoleadministrator")
    teacher_pw, pupil_pw = "Rec-" + uuid.uuid4().hex[:10] + "-æøå", "Rec-" + uuid.uuid4().hex[:10] + "-æøå"
    teacher = Account("teacher", "rec.privacy.laerer", teacher_pw, "Optagelse Lærer")
    pupil = Account("pupil", "rec.privacy.elev", pupil_pw, "Optagelse Ærø")
    dep = Dep(suite, url, {"admin": admin, "teacher": teacher})
    module = suite.load_module("admin.py", "admin")
    ws = privacy.client(dep, "provisioning", admin)
    for a in (teacher, pupil):
        ws.ensure_user(a)
    rec, tmp = Recorder(), Path(tempfile.mkdtemp())
    try:
        with rec:
            rec.step = "export"
            module.export_user_data(dep, pupil.username, tmp)
            rec.step = "delete"
            module.delete_user_data(dep, pupil.username)
            rec.step = "after"
            module.reachable_after_deletion(dep, pupil.username, [])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        for a in (teacher, pupil):
            try:
                if ws.user_exists(a.username):
                    ws.delete_user(a.username)
            except Exception as exc:  # noqa: BLE001
                print(f"warning: could not delete {a.username}: {exc}")
        ws.close()
    secrets = {admin_pw: "<PASSWORD:admin>", token: "<TOKEN:admin>", teacher_pw: "<PASSWORD:teacher>",
               pupil_pw: "<PASSWORD:pupil>"}
    secrets.update({s: "<SESSKEY>" for s in sesskeys(rec.exchanges)})
    out = scrub(rec.exchanges, secrets)
    for ex in out:  # the login form's one-time logintoken is no secret, but varies: kept as it was
        ex["response"]["headers"].pop("Set-Cookie", None)
    write(HERE / "moodle-4.3" / "privacy", out, "Moodle 4.3 (Build: 20231009)",
          "suites/moodle/admin.py: the data privacy tool's export and deletion requests")


def nextcloud(url: str) -> None:
    suite = suites.load("nextcloud")
    admin_pw = os.environ["POC_NEXTCLOUD_ADMIN_PASSWORD"]
    admin = Account("admin", os.environ.get("POC_NEXTCLOUD_ADMIN_USER", "admin"), admin_pw, "Skoleadministrator")
    teacher_pw, pupil_pw = "Rec-" + uuid.uuid4().hex[:10] + "-æøå", "Rec-" + uuid.uuid4().hex[:10] + "-æøå"
    teacher = Account("teacher", "optagelse.laerer", teacher_pw, "Optagelse Lærer")
    pupil = Account("pupil", "optagelse.privat", pupil_pw, "Optagelse Ærø")
    dep = Dep(suite, url, {"admin": admin, "teacher": teacher})
    module = suite.load_module("admin.py", "admin")
    ocs = privacy.client(dep, "provisioning", admin)
    tag = "optag01"
    for a in (teacher, pupil):
        ocs.ensure_user(a)
    files = privacy.client(dep, "files", pupil)
    files.mkcol(f"Privatliv {tag}")
    files.put(f"Privatliv {tag}/Aflevering {tag} – Ærø.txt", b"POC-optag01-FIL1\n", content_type="text/plain")
    files.put(f"Noter {tag}.txt", b"POC-optag01-FIL2\n", content_type="text/plain")
    files.close()
    rec, tmp, planted = Recorder(), Path(tempfile.mkdtemp()), []
    try:
        with rec:
            rec.step = "plant"
            planted = module.plant(dep, pupil, tag, [])
            rec.step = "export-extra"
            module.export_extra(dep, pupil, tmp)
        ocs.delete_user(pupil.username)
        with rec:
            rec.step = "after"
            module.reachable_after_deletion(dep, pupil.username, planted)
            rec.step = "unplant"
            module.unplant(dep, pupil, planted)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        for a in (teacher, pupil):
            try:
                if ocs.user_exists(a.username):
                    ocs.delete_user(a.username)
            except Exception as exc:  # noqa: BLE001
                print(f"warning: could not delete {a.username}: {exc}")
        group = f"poc-privatliv-7b-{tag}"
        if group in ocs.groups(group):
            ocs.delete_group(group)
        ocs.close()
    secrets = {admin_pw: "<PASSWORD:admin>", teacher_pw: "<PASSWORD:teacher-æøå>", pupil_pw: "<PASSWORD:user-æøå>"}
    secrets.update({t: "<SHARE_TOKEN>" for t in redact.known() if re.fullmatch(r"[A-Za-z0-9]{15}", t)})
    out = scrub(rec.exchanges, secrets)
    write(HERE / "nextcloud-29.0.6" / "privacy", out, "Nextcloud 29.0.6",
          "suites/nextcloud/admin.py: a class, a share and a public link planted, the OCS part of the export, "
          "the checks after the deletion")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("suite", choices=["moodle", "nextcloud"])
    p.add_argument("--url")
    args = p.parse_args()
    env = {"moodle": "POC_MOODLE_URL", "nextcloud": "POC_NEXTCLOUD_URL"}[args.suite]
    {"moodle": moodle, "nextcloud": nextcloud}[args.suite](args.url or os.environ[env])
