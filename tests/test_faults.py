"""Bad input and faults: each gets a clear message and a non-zero exit, and what was gathered is kept."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from .conftest import ROOT, write
from .processes import marked, new_mark

PLUGIN_ENV = {"PYTEST_PLUGINS": "poc_fault_injection", "PYTHONPATH": str(ROOT / "tests" / "plugins"), "LOAD": "0"}


def test_unknown_suite_lists_the_suites_and_writes_nothing(poc_cli, reports):
    proc = poc_cli("evaluate", "--suite", "nosuch")
    assert proc.returncode == 2
    assert "unknown suite 'nosuch'; the suites are:" in proc.stderr and "baseline" in proc.stderr
    assert not (reports / "runs").exists()


def test_malformed_catalogue_is_named_and_nothing_is_half_written(poc_cli, reports, tmp_path):
    text = (ROOT / "requirements.yaml").read_text().splitlines(True)
    line = next(i for i, t in enumerate(text) if t.strip().startswith("- id: CAL-03"))
    text[line + 1] = "    title: {da: Ugentlig, en: [unclosed\n"
    broken = write(tmp_path / "requirements.yaml", "".join(text))
    proc = poc_cli("evaluate", "--suite", "baseline", "--catalogue", broken)
    assert proc.returncode == 2
    assert f"{broken}:" in proc.stderr and "invalid YAML" in proc.stderr
    assert not (reports / "runs").exists() and list(reports.iterdir()) == []


def test_malformed_suite_file_is_named(poc_cli, suites_copy):
    path = suites_copy / "baseline" / "suite.yaml"
    path.write_text(path.read_text().replace("protocol: caldav", "protocol: cal-dav"))
    proc = poc_cli("evaluate", "--suite", "baseline")
    assert proc.returncode == 2
    assert f"{path}:" in proc.stderr and "unknown protocol 'cal-dav'" in proc.stderr


def test_suite_that_will_not_start_shows_its_log_and_still_reports(poc_cli, reports, suites_copy):
    launcher = suites_copy / "baseline" / "launcher.py"
    launcher.write_text(launcher.read_text().replace('"-C", config]', '"-C", config, "--no-such-option"]'))
    env = new_mark()
    proc = poc_cli("evaluate", "--suite", "baseline", "--only", "api", env={**env, "LOAD": "0"})
    assert proc.returncode == 3, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert "radicale exited with code" in out and "--no-such-option" in out, "the log's last lines are shown"
    (run_dir,) = (reports / "runs").iterdir()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "start-failed" and "radicale" in manifest["message"]
    rows = [json.loads(x) for x in (run_dir / "results.jsonl").read_text().splitlines()]
    assert rows and {r["verdict"] for r in rows} == {"error"}
    assert "did not start" in (reports / "baseline.html").read_text()
    assert marked(env) == [], "the server that did start (WsgiDAV) was left running"


def test_suite_killed_mid_run_is_cut_short(poc_cli, reports):
    env = {**new_mark(), **PLUGIN_ENV, "POC_TEST_KILL": "radicale:3"}
    runs_dir = reports / "runs"
    # the fault plugin needs the run folder; evaluate makes one per run, so pass it through pytest directly
    run_dir = runs_dir / "killed-run"
    proc = subprocess.run([sys.executable, "-m", "pytest", "scenarios/api", "--suite", "baseline", "--run-dir",
                           str(run_dir), "--poc-progress", "-p", "no:cacheprovider"], cwd=ROOT,
                          env={**os.environ, **env, "POC_REPORTS_DIR": str(reports), "POC_TEST_RUN_DIR": str(run_dir)},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rows = [json.loads(x) for x in (run_dir / "results.jsonl").read_text().splitlines()]
    scenarios = list(dict.fromkeys(r["scenario"] for r in rows))
    verdict = {r["scenario"]: r["verdict"] for r in rows}
    assert all(verdict[s] == "pass" for s in scenarios[:3])
    after = [r for r in rows if r["scenario"] in scenarios[3:]]
    calendar_after = [r for r in after if "caldav" in r["scenario"] or "carddav" in r["scenario"]]
    assert calendar_after and all(r["verdict"] == "error" for r in after)
    assert all("the suite died during the run: radicale" in r["message"] for r in after)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "cut-short" and "radicale" in manifest["message"]
    assert marked(env) == []
    report = subprocess.run([sys.executable, "-m", "poc", "report", str(run_dir)], cwd=ROOT,
                            env={**os.environ, "POC_REPORTS_DIR": str(reports)}, capture_output=True, text=True)
    assert report.returncode == 0, report.stderr
    assert "This run was cut short" in (reports / "baseline.html").read_text()


def test_evaluate_exit_code_when_the_suite_dies(poc_cli, reports):
    env = {**new_mark(), **PLUGIN_ENV, "POC_TEST_KILL": "wsgidav:2"}
    # POC_TEST_RUN_DIR is unknown before evaluate names the run: point it at the newest run folder
    env["POC_TEST_RUN_DIR"] = "__newest__"
    proc = poc_cli("evaluate", "--suite", "baseline", "--only", "api", env=env)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "cut-short" in proc.stdout + proc.stderr
    (run_dir,) = (reports / "runs").iterdir()
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "cut-short"
    assert (reports / "baseline.html").exists() and (reports / "comparison.html").exists()
    assert marked(env) == []


def test_interrupt_stops_the_suite_and_keeps_the_results(reports):
    env = {**os.environ, **new_mark(), **PLUGIN_ENV, "POC_TEST_PAUSE": "2", "POC_REPORTS_DIR": str(reports),
           "POC_TEST_RUN_DIR": "__newest__"}
    # as from a terminal, where Ctrl-C works: a shell's background job (e.g. `make test &`) ignores SIGINT,
    # and an ignored signal stays ignored in every program it starts
    proc = subprocess.Popen([sys.executable, "-m", "poc", "evaluate", "--suite", "baseline", "--only", "api"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list((reports / "runs").glob("*/paused")):
        time.sleep(0.2)
    assert list((reports / "runs").glob("*/paused")), "the run never reached the pause"
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the whole foreground group
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out
    (run_dir,) = (reports / "runs").iterdir()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert len((run_dir / "results.jsonl").read_text().splitlines()) >= 2, "the results so far are kept"
    assert (reports / "baseline.html").exists()
    assert marked({"POC_TEST_MARK": env["POC_TEST_MARK"]}) == []
