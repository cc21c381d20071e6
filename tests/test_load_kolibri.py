"""A short, bounded load stage against a real Kolibri (local, 127.0.0.1): the simulated pupils and
teachers act over its learning API (capability learning, protocol kolibri-rest); the requests are
recorded in the run folder by action, the PRF verdicts in results.jsonl, and no password is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import ROOT

PASSWORDS = {f"POC_KOLIBRI_{r}_PASSWORD": f"Kolibri-Load-{r.title()}-" + os.urandom(4).hex()
             for r in ("PUPIL", "PUPIL2", "TEACHER", "ADMIN")}

pytestmark = pytest.mark.skipif(not (ROOT / ".venv-kolibri" / ".poc-installed").exists(),
                                reason="Kolibri is not installed: python suites/kolibri/launcher.py install")


@pytest.fixture(scope="module")
def kolibri_stage(tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    run_dir = reports / "runs" / "20260101T000000Z-kolibri-load1"
    run_dir.mkdir(parents=True)
    env = {**os.environ, **PASSWORDS, "POC_REPORTS_DIR": str(reports), "POC_LOAD_STAGE_SECONDS": "5",
           "POC_LOAD_STAGE_SIZE": "XS"}
    # the morning profile only (PRF-01 and PRF-05 both name it): one Locust run, ~20 s with Kolibri's start
    proc = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "scenarios" / "load"), "--suite", "kolibri",
                           "--run-dir", str(run_dir), "-p", "no:cacheprovider", "-q", "--rootdir", str(ROOT),
                           "-c", str(ROOT / "scenarios" / "pytest.ini"), "-k", "PRF-01 or PRF-05"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert (run_dir / "results.jsonl").exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return run_dir, proc


def test_learning_load_gives_prf_verdicts(kolibri_stage):
    run_dir, proc = kolibri_stage
    records = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines() if line.strip()]
    by_id = {r["requirement"]: r for r in records if r["kind"] == "load"}
    assert {"PRF-01", "PRF-05"} <= set(by_id), proc.stdout[-2000:]
    for rid, r in by_id.items():
        # no longer `unsupported`: real load; one class (XS) never passes a school's level
        # (or `error` when other work kept this machine busy: a breach measured so is not blamed on Kolibri)
        busy = r["verdict"] == "error" and "run the stage on a quiet machine" in (r.get("message") or "")
        assert r["verdict"] in ("skipped", "fail") or busy, (rid, r["verdict"], r.get("message"))
        if r["verdict"] == "skipped":
            assert "not verified" in r["message"] and "XS" in r["message"]


def test_learning_requests_are_recorded_by_action_without_secrets(kolibri_stage):
    run_dir, _ = kolibri_stage
    folder = run_dir / "load" / "morning"
    summary = json.loads((folder / "summary.json").read_text())
    actions = {a["name"]: a for a in summary["actions"]}
    assert actions["pupil: sign in (learning)"]["requests"] > 0
    assert actions.get("pupil: see my classes", {}).get("requests", 0) + \
        actions.get("pupil: open lesson", {}).get("requests", 0) > 0, sorted(actions)
    total = summary["total"]
    assert total["requests"] >= 25 and total["failures"] <= 0.02 * total["requests"], summary["failures"]
    assert any("list_files (needs files)" in x for x in summary["left_out"])
    assert not any("learning" in x for x in summary["left_out"])
    stats = (folder / "locust_stats.csv").read_text()
    assert "pupil: sign in (learning)" in stats
    for path in folder.iterdir():
        text = path.read_text(errors="replace")
        for password in PASSWORDS.values():
            assert password not in text, path
        if path.suffix == ".csv":
            assert "elev_anna" not in text and "laerer_soeren" not in text, path  # actions, not accounts
