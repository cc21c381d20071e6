"""The whole pipeline against the real baseline servers (Radicale + WsgiDAV on 127.0.0.1)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from poc import isolation

from .conftest import ROOT
from .processes import marked, new_mark

PASSWORDS = {"POC_BASELINE_PUPIL_PASSWORD": "Elev-Hemmelig-8843", "POC_BASELINE_PUPIL2_PASSWORD": "Elev2-Hemmelig-1197",
             "POC_BASELINE_TEACHER_PASSWORD": "Laerer-Hemmelig-5521", "POC_BASELINE_ADMIN_PASSWORD": "Admin-Hemmelig-7310"}


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def every_file(folder):
    return [p for p in folder.rglob("*") if p.is_file()]


def port_open(url):
    parts = urlsplit(url)
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((parts.hostname, parts.port)) == 0


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """One `python -m poc evaluate --suite baseline --only api` run, shared by the tests below."""
    reports = tmp_path_factory.mktemp("reports")
    env = {**os.environ, **PASSWORDS, **new_mark(), "POC_REPORTS_DIR": str(reports), "LOAD": "0"}
    proc = subprocess.run([sys.executable, "-m", "poc", "evaluate", "--suite", "baseline", "--only", "api"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    run_dirs = sorted((reports / "runs").iterdir())
    return proc, reports, run_dirs, env


def test_evaluate_exits_0_and_prints_report_and_verdict(evaluated):
    proc, reports, run_dirs, _ = evaluated
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"report:     {reports / 'baseline.html'}" in proc.stdout
    assert re.search(r"baseline: Overall \d+ % of \d+/\d+ requirements judged \(\d+ not verified\), "
                     r"\d+ Must knock-out\(s\), coverage \d+ %", proc.stdout)
    assert re.search(r"\[ *1/\d+\] pass", proc.stdout), "live progress, one line per scenario"
    assert len(run_dirs) == 1


def test_manifest_says_what_the_run_was_made_from(evaluated):
    _, _, (run_dir,), _ = evaluated
    m = json.loads((run_dir / "manifest.json").read_text())
    assert m["run_id"] == run_dir.name and m["status"] == "completed"
    assert m["suite"]["name"] == "baseline" and "Radicale" in m["suite"]["version"]
    assert m["suite"]["suite_yaml_sha256"] == sha256(ROOT / "suites/baseline/suite.yaml")
    assert m["catalogue"]["sha256"] == sha256(ROOT / "requirements.yaml")
    assert m["scenarios"]["scenarios/api/test_files_webdav.py"] == sha256(ROOT / "scenarios/api/test_files_webdav.py")
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", m["harness"]["commit"])
    assert m["started"] <= m["finished"]
    assert {"caldav", "pandas", "pytest", "radicale", "wsgidav"} <= set(m["packages"])


def test_results_hold_one_record_per_scenario_and_requirement(evaluated):
    _, _, (run_dir,), _ = evaluated
    rows = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    keys = {(r["scenario"].split("::")[-1], r["requirement"]) for r in rows}
    assert ("test_roundtrip_with_danish_names_and_spaces", "FIL-02") in keys
    assert ("test_roundtrip_with_danish_names_and_spaces", "STD-01") in keys
    assert len(keys) == len(rows)
    for r in rows:
        # skipped: not verified here, with its reason (PRI-09 on a suite served over plain HTTP by the harness)
        assert r["verdict"] in {"pass", "fail", "error", "unsupported", "skipped"}
        assert r["verdict"] != "skipped" or r["message"], r
        assert set(r) >= {"scenario", "requirement", "verdict", "duration", "message", "evidence"}
    verdicts = {r["requirement"]: r["verdict"] for r in rows}
    isolated = ("PRI-07",) if isolation.problem() is None else ()  # as root: nothing reached from its namespace
    for rid in ("FIL-01", "FIL-03", "FIL-06", "CAL-02", "CAL-03", "CON-02", "IAM-01", *isolated):
        assert verdicts[rid] == "pass", [r for r in rows if r["requirement"] == rid]


def test_reports_are_written_and_self_contained(evaluated):
    _, reports, (run_dir,), _ = evaluated
    html = (reports / "baseline.html").read_text()
    assert run_dir.name in html and "FIL-01" in html
    for page in ("baseline.html", "comparison.html"):
        text = (reports / page).read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text.replace('href="https://', "")), \
            "a resource is loaded from elsewhere"
        assert "<script src" not in text and "<link" not in text and "@import" not in text
        assert "url(http" not in text
    rows = list(csv.DictReader(open(reports / "comparison.csv", encoding="utf-8")))
    assert rows[0]["id"] and "baseline" in rows[0]
    data = json.loads((reports / "comparison.json").read_text())
    assert data["suites"]["baseline"]["run_id"] == run_dir.name
    assert data["suites"]["baseline"]["requirements"]["FIL-01"]["verdict"] == "pass"


def test_no_password_in_any_file(evaluated):
    _, reports, _, _ = evaluated
    for path in every_file(reports):
        content = path.read_bytes()
        for pw in PASSWORDS.values():
            assert pw.encode() not in content, f"a password is in {path}"


def test_the_suite_is_stopped_and_its_ports_closed(evaluated):
    _, _, (run_dir,), env = evaluated
    assert marked(env) == []
    state = json.loads((run_dir / "suite-state.json").read_text())
    for url in state["endpoints"].values():
        assert not port_open(url), f"{url} still answers"


def test_compare_in_danish(evaluated):
    _, reports, _, env = evaluated
    proc = subprocess.run([sys.executable, "-m", "poc", "compare", "--lang", "da"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    html = (reports / "comparison.html").read_text()
    assert 'lang="da"' in html and "Sammenligning af løsninger" in html and "bestået" in html


def test_pytest_runs_the_scenarios_directly_with_the_same_recording(reports):
    env = {**os.environ, "POC_REPORTS_DIR": str(reports)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "scenarios/api", "--suite", "baseline", "-q",
                           "-k", "roundtrip or wrong_password"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run_dir,) = (reports / "runs").iterdir()
    rows = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    assert {r["requirement"] for r in rows} == {"FIL-01", "FIL-02", "STD-01", "IAM-01"}
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "completed"
