"""Attempts beside the comparison: a run that did not start, was cut short or covered only part of the
scenarios (-k, ONLY=) never replaces a suite's latest complete run; what a suite does not offer stays
`unsupported` whatever happened to the run (issue 9, items 11 and 12)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest
import yaml

from poc import catalogue as catalogue_mod
from poc import manifest, runs, suites
from poc.commands._common import render_all

from .conftest import ROOT
from .processes import marked, new_mark

SCEN = ROOT / "scenarios"
WHOLE = [str(SCEN / "api"), str(SCEN / "ui"), str(SCEN / "load")]


@pytest.fixture(scope="module")
def cat():
    return catalogue_mod.load(ROOT / "requirements.yaml")


def make_run(cat, suite: str, started: str, *, status="completed", paths=WHOLE, keyword=None, records=(),
             message="", with_scope=True) -> runs.Run:
    """A run folder written with the harness's own writers: manifest.build + runs.write_json, and
    results.jsonl lines as the plugin writes them. records: (scenario, requirement, verdict)."""
    s = suites.load(suite, capabilities=set(cat.capabilities))
    run_id = f"{started.replace('-', '').replace(':', '')[:15]}Z-{suite}-{len(records):04x}"
    folder = runs.runs_dir() / run_id
    folder.mkdir(parents=True)
    args = [*paths, "--suite", suite, "--run-dir", str(folder), "-c", str(SCEN / "pytest.ini")]
    if keyword:
        args += ["-k", keyword]
    scope = manifest.scope(paths, keyword=keyword) if with_scope else None
    m = manifest.build(run_id, s, cat, started=started, options={"args": args}, scope=scope)
    if not with_scope:
        del m["scope"]  # as a run made before the manifest had one
    m.update(status=status, message=message, finished=started)
    runs.write_json(folder / runs.MANIFEST, m)
    with open(folder / runs.RESULTS, "w", encoding="utf-8") as f:
        for scenario, rid, verdict in records:
            f.write(json.dumps({"run_id": run_id, "suite": suite, "scenario": scenario, "requirement": rid,
                                "verdict": verdict, "duration": 0.1, "message": message if verdict == "error" else "",
                                "evidence": [], "kind": "api", "file": scenario.split("::")[0]}) + "\n")
    return runs.load(folder)


GOOD = [("scenarios/api/test_files_webdav.py::test_roundtrip", "FIL-01", "pass"),
        ("scenarios/api/test_calendar_caldav.py::test_event", "CAL-01", "pass")]
BROKEN = [("scenarios/api/test_files_webdav.py::test_roundtrip", "FIL-01", "error"),
          ("scenarios/api/test_calendar_caldav.py::test_event", "CAL-01", "error")]


# -- the scope a run records ---------------------------------------------------------------------

def test_scope_says_what_a_run_covered():
    whole = manifest.scope(WHOLE)
    assert whole["complete"] and whole["load"] and whole["kinds"] == ["api", "ui", "load"]
    no_load = manifest.scope(WHOLE[:2])
    assert no_load["complete"] and not no_load["load"], "LOAD=0 still counts as complete for API and UI"
    only = manifest.scope([str(SCEN / "api")])
    assert only["only"] == "api" and not only["complete"]
    assert not manifest.scope(WHOLE, keyword="roundtrip")["complete"]
    assert not manifest.scope([str(SCEN / "api" / "test_files_webdav.py"), str(SCEN / "ui")])["complete"]
    assert manifest.scope([str(SCEN)])["complete"] and manifest.scope([str(ROOT)])["complete"]
    # a run from before "scope" is read from the pytest arguments it recorded
    old = manifest.scope_from_args([str(SCEN / "api"), "--suite", "baseline", "--run-dir", "/x/runs/r",
                                    "-c", str(SCEN / "pytest.ini"), "-k", "roundtrip", "-p", "no:cacheprovider"])
    assert old["kinds"] == ["api"] and old["keyword"] == "roundtrip" and not old["complete"]
    # and in words, in both languages
    from poc.report import scope_text
    assert scope_text(no_load, "en") == "API + UI (browser) (load stage left out)"
    assert scope_text(old, "da") == "kun API, -k roundtrip"
    assert "load stage left out" not in scope_text(manifest.scope(WHOLE), "en")


def test_plugin_records_the_scope_of_a_k_run(reports):
    env = {**os.environ, **new_mark(), "POC_REPORTS_DIR": str(reports)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "scenarios/api", "--suite", "baseline", "-q",
                           "-p", "no:cacheprovider", "-k", "no_such_scenario_at_all"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 5, proc.stdout + proc.stderr  # nothing selected
    (run_dir,) = (reports / "runs").iterdir()
    scope = json.loads((run_dir / "manifest.json").read_text())["scope"]
    assert scope["kinds"] == ["api"] and scope["keyword"] == "no_such_scenario_at_all" and not scope["complete"]
    assert marked(env) == []


# -- which run the comparison holds ---------------------------------------------------------------

def test_newer_run_that_did_not_start_does_not_replace_the_complete_one(cat, reports):
    good = make_run(cat, "baseline", "2026-11-20T09:00:00+00:00", records=GOOD)
    failed = make_run(cat, "baseline", "2026-11-21T09:00:00+00:00", status="start-failed", records=BROKEN,
                      message="radicale exited with code 2")
    picked = runs.comparison_runs()["baseline"]
    assert picked.complete.id == good.id and picked.shown.id == good.id
    assert [a.id for a in picked.attempts] == [failed.id]
    assert runs.latest_per_suite()["baseline"].id == good.id


def test_k_run_does_not_replace_the_complete_one_and_an_old_partial_one_is_dropped(cat, reports):
    make_run(cat, "baseline", "2026-11-19T09:00:00+00:00", keyword="roundtrip", records=GOOD[:1], with_scope=False)
    good = make_run(cat, "baseline", "2026-11-20T09:00:00+00:00", records=GOOD)
    k_run = make_run(cat, "baseline", "2026-11-22T09:00:00+00:00", keyword="roundtrip", records=GOOD[:1])
    only = make_run(cat, "baseline", "2026-11-23T09:00:00+00:00", paths=[str(SCEN / "api")], records=GOOD)
    assert not runs.is_complete(k_run) and not runs.is_complete(only) and runs.is_complete(good)
    picked = runs.comparison_runs()["baseline"]
    assert picked.complete.id == good.id
    assert [a.id for a in picked.attempts] == [only.id, k_run.id], "newest first; attempts older than it are not listed"


def test_no_load_run_is_complete_and_replaces_an_older_one(cat, reports):
    make_run(cat, "baseline", "2026-11-20T09:00:00+00:00", records=GOOD)
    newer = make_run(cat, "baseline", "2026-11-21T09:00:00+00:00", paths=WHOLE[:2], records=GOOD)
    assert runs.comparison_runs()["baseline"].complete.id == newer.id


# -- what the comparison shows -----------------------------------------------------------------------

def test_attempts_appear_in_comparison_html_json_and_csv(cat, reports):
    good = make_run(cat, "baseline", "2026-11-20T09:00:00+00:00", records=GOOD)
    failed = make_run(cat, "baseline", "2026-11-21T09:00:00+00:00", status="start-failed", records=BROKEN,
                      message="radicale exited with code 2")
    out = render_all(cat, "en", focus=failed)
    assert out["focus"].run.id == failed.id and not out["focus"].complete
    # the run just made still has its report, and it says it is an attempt
    own = (reports / "baseline.html").read_text()
    assert failed.id in own and "An attempt (did not start" in own
    assert (failed.path / "report.html").exists()
    data = json.loads((reports / "comparison.json").read_text())
    entry = data["suites"]["baseline"]
    assert entry["run_id"] == good.id and entry["complete"] is True and entry["overall"] is not None
    assert entry["requirements"]["CAL-01"]["verdict"] == "pass"
    (attempt,) = entry["attempts"]
    assert attempt["run_id"] == failed.id and attempt["status"] == "start-failed"
    assert "radicale exited" in attempt["message"] and attempt["scope"]["complete"] is True
    assert attempt["report"] == "baseline.html" and attempt["recorded"]["FIL-01"] == "error"
    # the complete run's own report: <suite>.html now holds the attempt, so the link goes to its folder
    assert entry["report"] == f"runs/{good.id}/report.html" and (good.path / "report.html").exists()
    html = (reports / "comparison.html").read_text()
    assert "Attempts (not in the comparison)" in html and failed.id in html and "did not start" in html
    assert f'href="runs/{good.id}/report.html"' in html
    rows = list(csv.DictReader(open(reports / "comparison.csv", encoding="utf-8")))
    fil = next(r for r in rows if r["id"] == "FIL-01")
    assert fil["baseline"] == "pass" and fil["baseline_run"] == good.id
    assert fil["baseline_attempt"] == "error" and fil["baseline_attempt_run"].startswith(failed.id)
    # compare rebuilds the same from disk, with <suite>.html the newest run's report again
    again = render_all(cat, "da")
    assert again["views"]["baseline"].run.id == good.id
    assert "Forsøg (indgår ikke i sammenligningen)" in (reports / "comparison.html").read_text()


def test_suite_with_only_attempts_is_marked_and_not_scored(cat, reports):
    make_run(cat, "baseline", "2026-11-20T09:00:00+00:00", records=GOOD)
    failed = make_run(cat, "moodle", "2026-11-20T10:00:00+00:00", status="start-failed", records=[],
                      message="docker compose up failed")
    partial = make_run(cat, "moodle", "2026-11-19T10:00:00+00:00", keyword="learning",
                       records=[("scenarios/api/test_learning_flow.py::test_x", "LRN-01", "pass")])
    out = render_all(cat, "en")
    view = out["views"]["moodle"]
    assert view.standin and view.run.id == partial.id, "a run that finished its scenarios stands in before one that did not start"
    entry = json.loads((reports / "comparison.json").read_text())["suites"]["moodle"]
    assert entry["no_complete_run"] is True and entry["overall"] is None and entry["knockouts"] is None
    assert entry["requirements"]["LRN-01"]["verdict"] == "pass" and entry["requirements"]["LRN-01"]["credit"] is None
    assert [a["run_id"] for a in entry["attempts"]] == [failed.id, partial.id]
    html = (reports / "comparison.html").read_text()
    assert "No complete run yet" in html and "Shown is an attempt" in html
    assert "0 %" not in html.split('id="attempts"')[0].split("Moodle LMS")[1], "no score for a suite with no complete run"
    header = next(csv.reader(open(reports / "comparison.csv", encoding="utf-8")))
    assert "moodle" in header and "moodle_run" in header


def test_a_run_that_did_not_start_keeps_what_the_suite_does_not_offer_unsupported(cat, reports):
    # Moodle offers no calendar: even with every scenario recorded as error, CAL-* stay unsupported
    records = [("scenarios/api/test_calendar_caldav.py::test_event", "CAL-01", "error"),
               ("scenarios/api/test_calendar_caldav.py::test_event", "STD-02", "error"),
               ("scenarios/api/test_learning_flow.py::test_x", "LRN-01", "error")]
    make_run(cat, "moodle", "2026-11-20T10:00:00+00:00", status="start-failed", records=records,
             message="docker compose up failed")
    render_all(cat, "en")
    entry = json.loads((reports / "comparison.json").read_text())["suites"]["moodle"]
    for rid in ("CAL-01", "CAL-02", "STD-02", "LOC-02"):
        assert entry["requirements"][rid]["verdict"] == "unsupported", rid
    assert entry["requirements"]["LRN-01"]["verdict"] == "error"


def test_plugin_records_unsupported_not_error_for_a_missing_capability_when_the_suite_does_not_start(
        reports, suites_copy):
    """A real run whose suite does not start, on a suite without the calendar capability and with no
    ui: block: the calendar and browser scenarios are `unsupported`, the files scenarios `error`."""
    path = suites_copy / "baseline" / "suite.yaml"
    config = yaml.safe_load(path.read_text())
    del config["capabilities"]["calendar"]
    config.pop("ui", None)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    launcher = suites_copy / "baseline" / "launcher.py"
    launcher.write_text(launcher.read_text().replace('"-C", config]', '"-C", config, "--no-such-option"]'))
    assert "--no-such-option" in launcher.read_text()
    env = {**os.environ, **new_mark(), "POC_REPORTS_DIR": str(reports)}
    run_dir = reports / "runs" / "not-started"
    proc = subprocess.run([sys.executable, "-m", "pytest", "scenarios/api/test_calendar_caldav.py",
                           "scenarios/api/test_files_webdav.py", "scenarios/ui/test_login_ui.py", "--suite", "baseline",
                           "--run-dir", str(run_dir), "-p", "no:cacheprovider", "-q"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    rows = [json.loads(x) for x in (run_dir / "results.jsonl").read_text().splitlines()]
    by_file = {}
    for r in rows:
        by_file.setdefault(r["file"].split("/")[-1], set()).add(r["verdict"])
    assert by_file["test_calendar_caldav.py"] == {"unsupported"}, rows
    assert by_file["test_login_ui.py"] == {"unsupported"}, rows
    assert by_file["test_files_webdav.py"] == {"error"}, rows
    calendar = [r for r in rows if r["file"].endswith("test_calendar_caldav.py")]
    assert all("does not offer the capability 'calendar'" in r["message"] and "did not start" in r["message"]
               for r in calendar)
    m = json.loads((run_dir / "manifest.json").read_text())
    assert m["status"] == "start-failed" and not m["scope"]["complete"]
    assert marked(env) == [], "the server that did start was left running"
