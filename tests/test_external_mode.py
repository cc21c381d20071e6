"""External mode end to end: a real single-origin server (WsgiDAV + Radicale under one cheroot,
tests/data/suites/single/server.py) is started here, and `python -m poc evaluate --suite single
--url http://127.0.0.1:PORT` evaluates it with the passwords in environment variables only."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from poc.protocols._http import basic_authorization

ROOT = Path(__file__).resolve().parent.parent
SUITES = ROOT / "tests" / "data" / "suites"
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server_env():
    """Extra environment for the single-origin server (a test may set a fault switch first)."""
    return {}


@pytest.fixture
def single_server(tmp_path, server_env):
    port, password = _free_port(), server_env.pop("admin_password", None) or "adm-" + secrets.token_urlsafe(12)
    env = {**os.environ, "SINGLE_ADMIN_PASSWORD": password, **server_env}
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, str(SUITES / "single" / "server.py"), str(port), str(tmp_path / "srv")],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/admin/users", headers=_basic("admin", password), timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("the single-origin test server did not start: " + (tmp_path / "server.log").read_text())
    yield {"url": url, "password": password, "admin": lambda: requests.get(url + "/admin/users",
                                                                            headers=_basic("admin", password)).json()["users"]}
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    log.close()


def _basic(username, password):
    return {"Authorization": basic_authorization(username, password)}


def evaluate(tmp_path, url, extra_env, *args, timeout=400):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SINGLE_", "POC_"))}
    env.update(POC_SUITES_DIR=str(SUITES), POC_REPORTS_DIR=str(tmp_path / "reports"), **extra_env)
    cmd = [sys.executable, "-m", "poc", "evaluate", "--suite", "single", "--url", url, "--only", "api", *args]
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    runs = sorted((tmp_path / "reports" / "runs").glob("*"))
    return result, (runs[-1] if runs else None)


def records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines() if line.strip()]


def all_text(run_dir: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in run_dir.rglob("*") if p.is_file())


def test_provisions_evaluates_and_cleans_up(tmp_path, single_server):
    result, run = evaluate(tmp_path, single_server["url"], {"SINGLE_ADMIN_PASSWORD": single_server["password"]},
                           "-k", "not large_file")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert "created the pupil account elev.anna" in out and "removed the pupil account elev.anna" in out
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["options"]["url"] == single_server["url"]
    verdicts = {(r["requirement"], r["verdict"]) for r in records(run)}
    for rid in ("FIL-01", "FIL-04", "CAL-01", "CON-01", "IAM-01"):
        assert (rid, "pass") in verdicts, f"{rid} did not pass: {sorted(v for v in verdicts if v[0] == rid)}"
    assert ("FIL-07", "unsupported") in verdicts  # the test server offers no sharing
    assert single_server["admin"]() == [], "the test accounts were not removed at the end"
    assert single_server["password"] not in all_text(run) and single_server["password"] not in out


def test_existing_accounts_from_the_environment_are_kept(tmp_path, single_server):
    admin = ("admin", single_server["password"])
    env = {}
    for role, name in (("PUPIL", "elev.kari"), ("PUPIL2", "elev.ole"), ("TEACHER", "laerer.mette")):
        password = secrets.token_urlsafe(14)
        requests.put(f"{single_server['url']}/admin/users/{name}", json={"password": password}, headers=_basic(*admin))
        env.update({f"SINGLE_{role}_USER": name, f"SINGLE_{role}_PASSWORD": password})
    result, run = evaluate(tmp_path, single_server["url"], env, "--no-provision", "-k",
                           "roundtrip_with_danish or personal_calendar or wrong_password")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert "created the" not in out and "removed the" not in out
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["suite"]["accounts"]["pupil"] == "elev.kari"
    assert {r["verdict"] for r in records(run) if r["requirement"] in ("FIL-01", "CAL-01")} == {"pass"}
    assert sorted(single_server["admin"]()) == ["elev.kari", "elev.ole", "laerer.mette"]
    text = all_text(run)
    assert not any(env[k] in text for k in env if k.endswith("PASSWORD"))


def test_keep_leaves_the_created_accounts(tmp_path, single_server):
    result, _ = evaluate(tmp_path, single_server["url"], {"SINGLE_ADMIN_PASSWORD": single_server["password"]},
                         "--keep", "-k", "roundtrip_with_danish")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert sorted(single_server["admin"]()) == ["elev.anna", "elev.bjoern", "laerer.soeren"]


def test_missing_admin_password_stops_with_the_variable_named(tmp_path, single_server):
    result, run = evaluate(tmp_path, single_server["url"], {}, "-k", "roundtrip_with_danish", timeout=120)
    assert result.returncode == 3
    assert "SINGLE_ADMIN_PASSWORD" in result.stdout + result.stderr
    assert json.loads((run / "manifest.json").read_text())["status"] == "start-failed"
    assert single_server["admin"]() == []


def test_unreachable_url_is_named(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}"
    result, _ = evaluate(tmp_path, url, {"SINGLE_ADMIN_PASSWORD": "irrelevant-123"}, "-k", "roundtrip_with_danish",
                         timeout=120)
    assert result.returncode == 3 and f"{url} does not answer" in result.stdout + result.stderr


@pytest.mark.parametrize("server_env", [{"admin_password": "Admin-Æblegrød-ø-å-" + secrets.token_hex(4)}])
def test_passwords_with_danish_letters_are_sent_as_utf8(tmp_path, single_server, server_env):
    """RFC 7617: Basic credentials in UTF-8. Every account's and the admin's password holds æøå; the
    servers (WsgiDAV, Radicale, the admin API) read UTF-8, so a Latin-1 client would be refused."""
    env = {"SINGLE_ADMIN_PASSWORD": single_server["password"]}
    for role in ("PUPIL", "PUPIL2", "TEACHER"):
        env[f"SINGLE_{role}_PASSWORD"] = f"Kode-{role.lower()}-Æøå-" + secrets.token_hex(4)
    result, run = evaluate(tmp_path, single_server["url"], env, "-k",
                           "roundtrip_with_danish or personal_calendar or addressbook_created or wrong_password "
                           "or pupil_sign_in")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    verdicts = {}
    for r in records(run):
        verdicts.setdefault(r["requirement"], set()).add(r["verdict"])
    for rid in ("FIL-01", "CAL-01", "CON-01", "IAM-01", "IAM-08"):
        assert verdicts.get(rid) == {"pass"}, f"{rid}: {verdicts.get(rid)}"
    assert single_server["admin"]() == []
    text = all_text(run)
    assert not any(v in text or v in out for k, v in env.items() if k.endswith("PASSWORD"))


@pytest.mark.parametrize("server_env", [{"SINGLE_REFUSE_DELETE": "1"}])
def test_clean_up_that_fails_names_what_it_left_and_exits_non_zero(tmp_path, single_server, server_env):
    result, run = evaluate(tmp_path, single_server["url"], {"SINGLE_ADMIN_PASSWORD": single_server["password"]},
                           "-k", "roundtrip_with_danish")
    out = result.stdout + result.stderr
    assert result.returncode == 5, out[-3000:]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "completed"
    left = {item["what"] for item in manifest["left_behind"]}
    assert left == {"the pupil account elev.anna", "the pupil2 account elev.bjoern",
                    "the teacher account laerer.soeren"}
    assert all("403" in item["why"] and "elev" in item["how"] or "laerer" in item["how"]
               for item in manifest["left_behind"])
    assert "clean-up left the pupil account elev.anna" in out
    report = (tmp_path / "reports" / "single.html").read_text()
    assert "elev.bjoern" in report and "could not remove" in report
    assert sorted(single_server["admin"]()) == ["elev.anna", "elev.bjoern", "laerer.soeren"]
