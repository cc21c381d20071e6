"""The three local suites evaluated for real, side by side in one comparison page."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import ROOT
from .processes import marked, new_mark

SUITES = ("baseline", "sogo", "kolibri")


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    env = {**os.environ, **new_mark(), "POC_REPORTS_DIR": str(reports)}
    outcomes = {}
    for suite in SUITES:
        outcomes[suite] = subprocess.run([sys.executable, "-m", "poc", "evaluate", "--suite", suite, "--no-load"],
                                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    return reports, outcomes, env


def test_each_local_suite_evaluates(three_runs):
    _, outcomes, env = three_runs
    for suite, proc in outcomes.items():
        assert proc.returncode == 0, f"{suite}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        assert f"{suite}: Overall" in proc.stdout
    assert marked(env) == [], "a suite left a process behind"


def test_comparison_has_a_column_for_each_suite(three_runs):
    reports, _, _ = three_runs
    data = json.loads((reports / "comparison.json").read_text())
    assert set(data["suites"]) == set(SUITES)
    html = (reports / "comparison.html").read_text()
    for suite in SUITES:
        assert f'<th><a href="{suite}.html">{suite}</a></th>' in html
        assert (reports / f"{suite}.html").exists()
    header = (reports / "comparison.csv").read_text().splitlines()[0].split(",")
    assert set(SUITES) <= set(header)


def test_verdicts_come_from_each_real_server(three_runs):
    reports, _, _ = three_runs
    data = json.loads((reports / "comparison.json").read_text())["suites"]
    verdict = {s: {rid: r["verdict"] for rid, r in data[s]["requirements"].items()} for s in SUITES}
    # calendars: Radicale and SOGo speak CalDAV; Kolibri has no calendar
    assert verdict["baseline"]["CAL-03"] == "pass" and verdict["sogo"]["CAL-03"] == "pass"
    assert verdict["kolibri"]["CAL-03"] == "unsupported"
    # files: only WsgiDAV among the three
    assert verdict["baseline"]["FIL-04"] == "pass" and verdict["sogo"]["FIL-04"] == "unsupported"
    # learning: only Kolibri; a pupil sees the own class and not another one
    assert verdict["kolibri"]["LRN-02"] == "pass" and verdict["kolibri"]["LRN-04"] == "pass"
    assert verdict["baseline"]["LRN-02"] == "unsupported"
    # the finding: Kolibri's school preset lets pupils sign in with any password, API and web page alike
    assert verdict["kolibri"]["IAM-08"] == "fail" and verdict["kolibri"]["IAM-03"] == "fail"
    # the browser: each suite's own login page; SOGo's calendar takes an event through the page
    assert all(verdict[s]["IAM-02"] == "pass" for s in SUITES)
    assert verdict["sogo"]["CAL-06"] == "pass" and verdict["sogo"]["LOC-01"] == "pass"
    assert verdict["kolibri"]["LOC-01"] == "fail", "Kolibri offers no Danish"
    assert verdict["sogo"]["ACC-03"] == "pass", "SOGo's login works with the keyboard alone, focus visible"


def test_browser_evidence_reaches_each_report(three_runs):
    reports, _, _ = three_runs
    for suite in SUITES:
        html = (reports / f"{suite}.html").read_text()
        assert 'id="ui"' in html and "axe-core" in html, f"{suite}: no browser section"
        (run,) = [r for r in (reports / "runs").iterdir() if r.name.split("-", 1)[1].startswith(suite)]
        assert list((run / "evidence").rglob("*.png")), f"{suite}: no screenshots"


def test_leavers_browser_session_is_measured(three_runs):
    """IAM-11 in the browser (scenarios/ui/test_leaver_browser.py): a fresh pupil signed in through the
    suite's own page, the account closed, the next requests judged; each suite's finding as it is today."""
    reports, _, _ = three_runs
    found = {}
    for suite in SUITES:
        (run,) = [r for r in (reports / "runs").iterdir() if r.name.split("-", 1)[1].startswith(suite)]
        rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines() if line.strip()]
        (row,) = [r for r in rows if r["scenario"].endswith("test_leaver_browser.py::test_leaver_browser_session_ends")]
        assert row["requirement"] == "IAM-11"
        polls = json.loads((run / "evidence" / "test_leaver_browser_session_ends" / "leaver-browser.json").read_text())
        assert polls["polls"] and (run / "evidence" / "test_leaver_browser_session_ends" / "leaver-after.png").exists()
        found[suite] = (row["verdict"], row["message"], polls)
    # Kolibri: the learner's next page is its "You must be signed in" page at once
    verdict, message, _ = found["kolibri"]
    assert verdict == "pass" and "at request 1" in message, message
    # baseline (no provisioning API: unsupported, with the figures): WsgiDAV's Basic-auth page answers 401 at once
    verdict, message, polls = found["baseline"]
    assert verdict == "unsupported" and "HTTP 401" in message and "at request 1" in message, message
    assert "http_credentials" in polls["session_is"]
    # SOGo (no provisioning API): its cached sign-in keeps the web session alive past the bound,
    # which a second client with the same cookies confirms
    verdict, message, polls = found["sogo"]
    assert verdict == "unsupported" and "still signed in after 30 s" in message, message
    other = polls["second_client"]
    assert other["with"]["names_the_pupil"] and not other["without"]["names_the_pupil"]
