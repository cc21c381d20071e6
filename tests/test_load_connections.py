"""The simulated users keep their connections, as pupils' browsers do, however many files the generator
has open. Locust's FastHttpUser checks an idle connection with select(), which fails for file numbers of
1024 and above, so past about 1,000 users almost every request opened a new connection; the harness's
users (poc/load/keepalive.py) check with poll(). Against a small keep-alive server that counts what it
accepts, with 1,100 files held open first so every socket is numbered above 1024."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from poc.lifecycle.local import free_port
from poc.load import limits, runner

from .conftest import ROOT

HOLD = 1100  # files held open before any user starts: every connection gets a number above 1024
STUB = ROOT / "tests" / "dav_stub.py"

MINIMAL = f'''
import os, sys
from locust import FastHttpUser, constant, task
sys.path.insert(0, {str(ROOT)!r})
from poc.load.keepalive import KeepAliveHttpUser
HELD = [os.open("/dev/null", os.O_RDONLY) for _ in range({HOLD})]
Base = KeepAliveHttpUser if os.environ["USER_KIND"] == "keepalive" else FastHttpUser
class Pupil(Base):
    host = os.environ["STUB_URL"]
    wait_time = constant(0.5)
    @task
    def open_file(self):
        self.client.get("/materials/lektion-1.txt")
'''

# the harness's own locustfile, in a process that holds the files first
WRAPPED = f'''
import os, sys
HELD = [os.open("/dev/null", os.O_RDONLY) for _ in range({HOLD})]
sys.path.insert(0, {str(ROOT / "scenarios" / "load")!r})
from locustfile import *  # noqa: F401,F403  the pupils, teachers and the profile's shape
'''


class Stub:
    def __init__(self, folder: Path):
        self.port = free_port()
        self.counts = folder / f"stub-{self.port}.json"
        self.proc = subprocess.Popen([sys.executable, str(STUB), str(self.port), str(self.counts)],
                                     start_new_session=True)
        deadline = time.monotonic() + 10
        while not self.counts.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.url = f"http://127.0.0.1:{self.port}"

    def read(self) -> dict:
        time.sleep(1.2)  # it writes its counts every second
        return json.loads(self.counts.read_text())

    def stop(self):
        os.kill(self.proc.pid, signal.SIGTERM)
        self.proc.wait(10)


@pytest.fixture
def stub(tmp_path):
    s = Stub(tmp_path)
    yield s
    s.stop()


def _locust(locustfile: Path, env: dict, users: int, seconds: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-u", str(users),
                           "-r", str(users), "-t", f"{seconds}s", "--only-summary", "--loglevel", "WARNING"],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=90)


def test_plain_fasthttpuser_reconnects_above_1024_files_and_the_harness_user_does_not(stub, tmp_path):
    locustfile = tmp_path / "minimal.py"
    locustfile.write_text(MINIMAL)
    users = 200
    before = stub.read()
    plain = _locust(locustfile, {"USER_KIND": "plain", "STUB_URL": stub.url}, users, 6)
    mid = stub.read()
    ours = _locust(locustfile, {"USER_KIND": "keepalive", "STUB_URL": stub.url}, users, 6)
    after = stub.read()
    assert plain.returncode == 0 and ours.returncode == 0, plain.stderr[-2000:] + ours.stderr[-2000:]
    plain_conn, plain_req = mid["connections"] - before["connections"], mid["requests"] - before["requests"]
    ours_conn, ours_req = after["connections"] - mid["connections"], after["requests"] - mid["requests"]
    assert plain_req > 4 * users and ours_req > 4 * users, (plain_req, ours_req)
    # the bug this fixes: Locust's own user opens a connection for nearly every request
    assert plain_conn > 0.8 * plain_req, (plain_conn, plain_req)
    # the harness's user keeps one per user
    assert ours_conn <= users * 1.05 + 5, (ours_conn, ours_req)


def _state(tmp_path: Path, url: str) -> Path:
    state = {"suite": "stub", "mode": "local", "url": None, "version": "stub", "pids": {},
             "endpoints": {"files": url, "dav": url},
             "capabilities": {"files": {"protocol": "webdav", "url": "{files}/{user}/"},
                              "calendar": {"protocol": "caldav", "url": "{dav}/"}},
             "accounts": {"pupil": {"username": "elev.anna", "display_name": "", "email": "",
                                    "password_env": "POC_STUB_PUPIL_PASSWORD"},
                          "teacher": {"username": "laerer.soeren", "display_name": "", "email": "",
                                      "password_env": "POC_STUB_TEACHER_PASSWORD"}}}
    path = tmp_path / "suite-state.json"
    path.write_text(json.dumps(state))
    return path


def test_the_harness_pupils_keep_their_connections_and_the_stage_counts_them(stub, tmp_path):
    wrapped = tmp_path / "locustfile_held.py"
    wrapped.write_text(WRAPPED)
    stage = runner.Stage(name="steady", folder=tmp_path / "load" / "steady", profile="steady", size="S",
                         duration=12, think=1.0, locustfile=wrapped,
                         extra_env={"POC_STUB_PUPIL_PASSWORD": "x" * 12, "POC_STUB_TEACHER_PASSWORD": "y" * 12})
    said = []
    before = stub.read()
    summary = runner.run(stage, _state(tmp_path, stub.url), progress=said.append)
    after = stub.read()
    assert summary["exit_code"] in (0, 1), (tmp_path / "load" / "steady" / "locust.out").read_text()[-3000:]
    users = summary["peak_users"]
    assert users >= 600, summary["peak_users"]  # size S: 600 pupils and their teachers
    c = summary["connections"]
    assert c is not None and c["requests"] >= 3 * users, c
    # one kept connection per user to the one host (the per-account set-up uses a few of its own)
    assert c["opened"] <= users * 1.05 + 10, c
    # the stub answers every GET alike, so the hand-ins read back after the stage (one session per pupil,
    # poc/load/handins.py) do not match: that check's own connections are not the load's
    checks = (summary.get("handins") or {}).get("pupils", 0)
    assert after["connections"] - before["connections"] <= users * 1.05 + 30 + checks, (after, checks)
    assert c["per_user"] <= 1.06 and c["stale"] <= 0.02 * c["requests"], c
    # how many users one generator process can hold here, said and recorded
    assert any("one generator process holds up to" in line for line in said), said
    assert summary["users_per_process"] == limits.users_per_process(summary["open_files"], 1)
    assert summary["open_files"] > HOLD + users


def test_the_open_files_limit_is_raised_to_the_hard_limit():
    soft, hard = limits.raise_open_files()
    import resource
    assert soft == (hard if hard != resource.RLIM_INFINITY else soft)
    assert limits.users_per_process(20_000, 1) == 19_800 and limits.users_per_process(20_000, 2) == 9_900
    assert limits.processes_needed(10_800, 20_000, 2) == 2
    assert "holds up to 9,900 users" in limits.describe(20_000, 20_000, 2)


def test_the_report_counts_new_connections_per_profile():
    from poc.sections import load as section
    stage = {"stage": "morning", "size": "S", "peak_users": 648, "duration_s": 1800, "total": {"requests": 9000},
             "rps": 5.0, "error_rate": 0.0, "generator_cpu_peak": 20,
             "connections": {"opened": 1296, "per_user": 2.0, "requests": 9000}}
    html = section._stage_table([stage], section.WORDS["en"])
    assert "New connections (per user)" in html and "1,296 (2)" in html
