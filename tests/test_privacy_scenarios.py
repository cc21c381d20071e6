"""The privacy and identity Musts on the three local suites, for real: one pupil's data exported and
deleted (PRI-05, PRI-06) and the roles (IAM-07) through `poc evaluate -k`, each suite with a verdict
and the evidence it rests on; and the harness_changes data, checked and shown in the report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from poc import privacy

from .conftest import ROOT, write
from .processes import marked, new_mark

KEYWORD = "pupil_data or test_roles"
EXPECTED = {  # what each suite's own behaviour gives today (the messages say why)
    "baseline": {"PRI-05": {"pass"}, "PRI-06": {"pass"}, "IAM-07": {"pass", "unsupported"}},
    "sogo": {"PRI-05": {"pass"}, "PRI-06": {"fail"}, "IAM-07": {"pass", "unsupported"}},
    "kolibri": {"PRI-05": {"fail"}, "PRI-06": {"pass"}, "IAM-07": {"pass"}},
}


def _available(suite: str) -> str | None:
    if suite == "sogo" and not shutil.which("/usr/sbin/sogod"):
        return "SOGo is not installed (make setup-suites as root)"
    if suite == "kolibri" and not (ROOT / ".venv-kolibri" / ".poc-installed").exists():
        return "Kolibri is not installed: python suites/kolibri/launcher.py install"
    return None


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    env = {**os.environ, **new_mark(), "POC_REPORTS_DIR": str(reports)}
    out = {}
    for suite in EXPECTED:
        if _available(suite):
            continue
        proc = subprocess.run([sys.executable, "-m", "poc", "evaluate", "--suite", suite, "--only", "api",
                               "-k", KEYWORD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        (run,) = [r for r in (reports / "runs").iterdir() if r.name.split("-", 1)[1].startswith(suite)]
        rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines() if line.strip()]
        out[suite] = (proc, run, rows)
    return reports, out, env


@pytest.mark.parametrize("suite", list(EXPECTED))
def test_each_suite_has_a_verdict_with_its_reason(runs, suite):
    if _available(suite):
        pytest.skip(_available(suite))
    _, out, _ = runs
    proc, run, rows = out[suite]
    assert proc.returncode == 0, f"{suite}:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
    for rid, allowed in EXPECTED[suite].items():
        got = [r for r in rows if r["requirement"] == rid]
        assert got, f"{suite}: no {rid} line in results.jsonl"
        assert {r["verdict"] for r in got} <= allowed, f"{suite} {rid}: {[(r['verdict'], r['message']) for r in got]}"
        assert all(r["message"] for r in got), f"{suite} {rid}: a verdict without its reason"
    export = next(r for r in rows if r["requirement"] == "PRI-05")
    deletion = next(r for r in rows if r["requirement"] == "PRI-06")
    assert any(e.endswith("planted.json") for e in export["evidence"])
    assert any(e.endswith("deletion.json") for e in deletion["evidence"])
    if suite in ("baseline", "sogo"):
        assert "standard protocols" in export["message"]  # the verdict names what the export was
        assert any("/export/" in e and e.endswith((".ics", ".vcf")) for e in export["evidence"])
    if suite == "sogo":
        assert "directory" in export["message"], "SOGo's school directory is left out of the pupil's export"
        assert "still signs in" in deletion["message"], "SOGo's sign-in cache outlives the deletion"
    if suite == "kolibri":
        assert "user_info" in export["message"] and "usersyncstatus" in export["message"]
        assert "deleteuser" in deletion["message"]


def test_no_process_left_and_suite_reports_show_the_harness_changes(runs):
    reports, out, env = runs
    if not out:
        pytest.skip("none of the local suites is installed")
    assert marked(env) == [], "a suite left a process behind"
    for suite in out:
        html = (reports / f"{suite}.html").read_text()
        assert 'id="harness-changes"' in html, f"{suite}: no harness changes section"
        # (the comparison shows them too, but only for a suite's complete run: these -k runs are attempts)


def test_harness_changes_must_name_known_requirements(suites_copy, poc_cli):
    path = suites_copy / "baseline" / "suite.yaml"
    text = path.read_text(encoding="utf-8").replace("    requirements: [PRI-09]", "    requirements: [PRI-99]")
    write(path, text)
    proc = poc_cli("validate")
    assert proc.returncode == 2
    assert "PRI-99" in proc.stdout + proc.stderr and "suite.yaml" in proc.stdout + proc.stderr


def test_find_in_export_and_open_formats(tmp_path: Path):
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\n"
           "DTSTART:20260101T080000Z\r\nSUMMARY:POC-x-BEGIVENHED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()
    write(tmp_path / "calendar" / "k" / "a.ics", ics.decode())
    write(tmp_path / "files" / "Noter.txt", "POC-x-FIL2 Ærø\n")
    planted = [privacy.Planted("event", "the event", ("POC-x-BEGIVENHED",)),
               privacy.Planted("file", "the file", ("POC-x-FIL2",), content="POC-x-FIL2 Ærø\n".encode()),
               privacy.Planted("contact", "the contact", ("POC-x-KONTAKT",))]
    found = privacy.find_in_export(planted, tmp_path)
    assert found == {"the event": ["calendar/k/a.ics"], "the file": ["files/Noter.txt"], "the contact": []}
    assert privacy.open_format("a.ics", ics, "calendar").startswith("iCalendar")
    assert privacy.open_format("x", b"not a card", "contacts") == ""
    assert privacy.open_format("u.txt", b'{"a": 1}').startswith("JSON")
