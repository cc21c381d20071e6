"""The school day at real length (make evaluate LOAD=full): every service level's own profile at its size
and real length, recorded in the run (manifest, results, report) and kept for the comparison, with the
run's date and size, until a newer real-length run replaces it; a later short run does not throw it away.

The real lengths are 30 and 45 minutes; here POC_LOAD_PROFILE_SECONDS (for the harness's own tests only)
makes every profile last ten seconds, and a copy of the catalogue names size XS, so the machinery is
proven in seconds. A run made so records the override and its report says so."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest

from poc import catalogue as catalogue_mod
from poc import runs
from poc.commands._common import render_all
from poc.load import kept, stages

from .conftest import ROOT
from .runfactory import make_run, prf_records

SHORT_SKIP = {"PRF-01": "skipped", "PRF-02": "skipped", "PRF-03": "skipped", "PRF-05": "skipped", "PRF-06": "skipped"}


@pytest.fixture(scope="module")
def cat():
    return catalogue_mod.load(ROOT / "requirements.yaml")


def _summary(run, folder: str, size="S", users=648, p95=420.0, seconds=1800.0):
    path = run.path / "load" / folder
    path.mkdir(parents=True)
    (path / "summary.json").write_text(json.dumps({
        "stage": folder, "profile": folder.split("-")[0], "size": size, "peak_users": users, "duration_s": seconds,
        "time_factor": 1.0, "real_length": True, "length_override_s": None, "started": run.manifest["started"],
        "total": {"requests": 9000, "p95_ms": p95}, "error_rate": 0.001, "connections": {"opened": users}}))


def _full_run(cat, started, verdicts, **kw):
    run = make_run(cat, "baseline", started, records=prf_records(verdicts),
                   extra={"load": {"mode": "full", "requirements": "all", "length_override_s": None}}, **kw)
    for folder in ("morning-S", "deadline-S", "steady-S", "morning-M"):
        _summary(run, folder, size=folder.split("-")[1])
    return run


def test_the_plan_of_a_real_length_run(cat, monkeypatch):
    monkeypatch.delenv("POC_LOAD_PROFILE_SECONDS", raising=False)
    levels = {r.id: r.service_level for r in cat.requirements.values() if r.service_level.get("profile")}
    morning = stages.plan(levels["PRF-01"], stages.FULL)
    assert (morning.profile, morning.size, morning.seconds, morning.folder) == ("morning", "S", 1800.0, "morning-S")
    assert stages.plan(levels["PRF-02"], stages.FULL).seconds == 1800.0
    assert stages.plan(levels["PRF-03"], stages.FULL).size == "S", "min_users 600: the smallest size with 600 users"
    assert stages.plan(levels["PRF-05"], stages.FULL).size == "M"
    short = stages.plan(levels["PRF-01"], stages.SHORT)
    assert (short.size, short.seconds, short.folder) == ("XS", 6.0, "morning")
    monkeypatch.setenv(stages.ENV_ONLY, "PRF-01,PRF-02")
    assert stages.left_out("PRF-03", stages.FULL) and not stages.left_out("PRF-01", stages.FULL)
    assert not stages.left_out("PRF-03", stages.SHORT)


def test_a_later_short_run_keeps_the_real_length_verdicts_with_date_and_size(cat, reports):
    full = _full_run(cat, "2026-03-01T07:45:00+00:00", {"PRF-01": "pass", "PRF-02": "fail", "PRF-03": "pass",
                                                         "PRF-05": "error", "PRF-06": "pass"})
    short = make_run(cat, "baseline", "2026-03-05T10:00:00+00:00", records=prf_records(SHORT_SKIP))
    out = render_all(cat, "en", progress=lambda *_: None)
    view = out["views"]["baseline"]
    assert view.run.id == short.id, "the column is the latest evaluation"
    verdicts = view.score.requirements["verdict"]
    assert verdicts["PRF-01"] == "pass" and verdicts["PRF-02"] == "fail", "kept from the real-length run"
    assert not view.score.requirements.loc["PRF-01", "not_verified"]
    school_day = view.extra["real_length_load"]
    assert school_day["PRF-01"]["run_id"] == full.id and school_day["PRF-01"]["size"] == "S"
    html = (reports / "comparison.html").read_text(encoding="utf-8")
    assert 'id="school-day"' in html and full.id in html and "2026-03-01T07:45:00+00:00" in html
    data = json.loads((reports / "comparison.json").read_text(encoding="utf-8"))["suites"]["baseline"]
    assert data["run_id"] == short.id
    assert data["real_length_load"]["PRF-02"] | {} and data["real_length_load"]["PRF-02"]["verdict"] == "fail"
    assert data["requirements"]["PRF-01"]["verdict"] == "pass"
    with open(reports / "comparison.csv", encoding="utf-8") as f:
        row = {r["id"]: r for r in csv.DictReader(f)}["PRF-01"]
    assert row["baseline"] == "pass" and full.id in row["baseline_real_length"] and "size S" in row["baseline_real_length"]
    # the short run's own report keeps its own records, and shows the kept ones apart
    suite_html = (reports / "baseline.html").read_text(encoding="utf-8")
    assert 'id="school-day"' in suite_html and full.id in suite_html


def test_a_newer_real_length_run_replaces_only_what_it_judged(cat, reports):
    first = _full_run(cat, "2026-03-01T07:45:00+00:00", {"PRF-01": "pass", "PRF-02": "pass"})
    only_morning = {**{rid: "skipped" for rid in ("PRF-02", "PRF-03", "PRF-05", "PRF-06")}, "PRF-01": "fail"}
    second = _full_run(cat, "2026-03-08T07:45:00+00:00", only_morning)
    school_day = kept.for_suite("baseline", cat)
    assert school_day["PRF-01"]["run_id"] == second.id and school_day["PRF-01"]["verdict"] == "fail"
    assert school_day["PRF-02"]["run_id"] == first.id, "left out of the newer run: the older verdict stays"
    # a short run is never a real-length run, whatever it recorded
    make_run(cat, "baseline", "2026-03-09T10:00:00+00:00", records=prf_records({"PRF-01": "pass"}))
    assert kept.for_suite("baseline", cat)["PRF-01"]["run_id"] == second.id


def _small_catalogue(tmp_path):
    text = (ROOT / "requirements.yaml").read_text(encoding="utf-8")
    for a, b in (("profile: morning, size: S,", "profile: morning, size: XS,"),
                 ("profile: deadline, size: S,", "profile: deadline, size: XS,"),
                 ("profile: morning, size: M,", "profile: morning, size: XS,"),
                 ("profile: steady, size: S,", "profile: steady, size: XS,"),
                 ("min_users: 600}", "min_users: 20}")):
        assert a in text
        text = text.replace(a, b)
    path = tmp_path / "requirements-xs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_full_records_real_verdicts_in_the_run_and_the_comparison(cat, reports, tmp_path):
    """make evaluate SUITE=baseline ONLY=load LOAD=full on the real baseline servers, every profile 4 s long
    and the catalogue's sizes XS: PRF-01 and PRF-02 end as pass or fail (never not verified), in the
    manifest, results, the run's report and the comparison beside the latest complete evaluation."""
    small = _small_catalogue(tmp_path)
    small_cat = catalogue_mod.load(small)
    complete = make_run(small_cat, "baseline", "2026-01-01T08:00:00+00:00", records=prf_records(SHORT_SKIP))
    env = {**os.environ, "POC_REPORTS_DIR": str(reports), "POC_LOAD_PROFILE_SECONDS": "10", "ISOLATE": "0"}
    proc = subprocess.run([sys.executable, "-m", "poc", "evaluate", "--suite", "baseline", "--only", "load",
                           "--load", "full", "--load-only", "PRF-01,PRF-02", "--catalogue", str(small),
                           "--isolate", "off"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run = max((r for r in runs.all_runs() if r.id != complete.id), key=lambda r: r.manifest["started"])
    records = {r["requirement"]: r for r in map(json.loads, (run.path / "results.jsonl").read_text().splitlines())
               if r.get("kind") == "load"}
    assert run.manifest["load"]["mode"] == "full" and run.manifest["load"]["length_override_s"] == 10.0
    assert run.manifest["load"]["requirements"] == ["PRF-01", "PRF-02"]
    assert set(run.manifest["load"]["stages"]) == {"morning-XS", "deadline-XS"}
    assert {rid: v["verdict"] for rid, v in run.manifest["load"]["verdicts"].items()} == \
        {rid: records[rid]["verdict"] for rid in ("PRF-01", "PRF-02")}
    for rid in ("PRF-01", "PRF-02"):
        assert records[rid]["verdict"] in ("pass", "fail"), (rid, records[rid])
    assert records["PRF-06"]["verdict"] == "skipped" and "left out" in records["PRF-06"]["message"]
    assert not (run.path / "load" / "steady-XS").exists(), "LOAD_ONLY: only the stages PRF-01 and PRF-02 need"
    for folder in ("morning-XS", "deadline-XS"):
        s = json.loads((run.path / "load" / folder / "summary.json").read_text())
        assert s["real_length"] and s["length_override_s"] == 10.0 and s["duration_s"] == 10.0, s
        assert s["peak_users"] >= 25, s["peak_users"]  # the whole class was reached
        assert s["connections"]["opened"] <= 2 * s["peak_users"] + 4, s["connections"]  # baseline: two hosts
        a = s["accounts"]  # a school of its own on the suite: each simulated user signs in as its own person
        assert (a["mode"], a["pupils"], a["teachers"], a["accounts"]) == ("school", 25, 2, 27), a
        assert a["distinct_used"] == s["peak_users"], ("one account per simulated user", a, s["peak_users"])
        assert not a["prepare_failed"], a
    own = (run.path / "report.html").read_text(encoding="utf-8")
    assert "PRF-01" in own and 'id="school-day"' in own and "test length 10 s" in own
    assert "27 own (25 pupils, 2 teachers of school" in own, "the stage table names whose accounts were used"
    data = json.loads((reports / "comparison.json").read_text(encoding="utf-8"))["suites"]["baseline"]
    assert data["run_id"] == complete.id, "an ONLY=load run is an attempt: the complete run keeps the column"
    for rid in ("PRF-01", "PRF-02"):
        k = data["real_length_load"][rid]
        assert k["run_id"] == run.id and k["size"] == "XS" and k["verdict"] == records[rid]["verdict"]
        assert data["requirements"][rid]["verdict"] == records[rid]["verdict"]
