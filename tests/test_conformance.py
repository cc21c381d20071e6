"""The conformance stage: litmus and caldav-server-tester, their parsers on real recorded output, the
cross-check table, a real run against the baseline suite's servers, and the disputed flag."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

import pytest

from poc import catalogue as catalogue_mod
from poc import conformance, redact, suites
from poc.conformance import caldav_tester, crosscheck, litmus
from poc.errors import ConfigError

from .conftest import ROOT, write
from .processes import marked, new_mark

DATA = ROOT / "tests" / "data" / "conformance"


def recorded(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8")  # carriage returns kept, as litmus wrote them


@pytest.fixture(scope="module")
def catalogue():
    return catalogue_mod.load(ROOT / "requirements.yaml")


# -- litmus's output ------------------------------------------------------------------------------

LITMUS_FILES = ["litmus-0.13_wsgidav-4.4.0.txt", "litmus-0.13_wsgidav-4.4.0-no-locks-no-dead-props.txt",
                "litmus-0.13_radicale-3.9.0.txt"]


@pytest.mark.parametrize("name", LITMUS_FILES)
def test_litmus_parse_agrees_with_litmus_own_summary(name):
    text = recorded(name)
    checks, summaries = litmus.parse(text)
    assert set(summaries) == set(litmus.GROUPS)
    skipped_said = {}
    for m in re.finditer(r"-> running `(\w+)'.*?(?:-> (\d+) tests? (?:was|were) skipped\.)?\s*<- summary", text, re.S):
        skipped_said[m.group(1)] = int(m.group(2) or 0)
    for group, line in summaries.items():
        run, passed, failed = map(int, re.search(r"of (\d+) tests run: (\d+) passed, (\d+) failed", line).groups())
        mine = [c for c in checks if c.group == group]
        assert sum(c.outcome == conformance.PASS for c in mine) == passed, (group, line)
        assert sum(c.outcome == conformance.FAIL for c in mine) == failed, (group, line)
        assert sum(c.outcome == conformance.SKIPPED for c in mine) == skipped_said[group], group
        assert passed + failed == run


def test_litmus_everything_passes_on_baseline_wsgidav():
    checks, _ = litmus.parse(recorded("litmus-0.13_wsgidav-4.4.0.txt"))
    assert len(checks) == 104 and all(c.outcome == conformance.PASS and not c.detail for c in checks)
    names = {g: tuple(dict.fromkeys(c.name for c in checks if c.group == g)) for g in litmus.GROUPS}
    assert names == litmus.TESTS, "the test names crosscheck.yaml is checked against are litmus 0.13's"
    keys = [c.key for c in checks]
    assert len(keys) == len(set(keys)) and "locks/09 notowner_modify" in keys and "locks/12 notowner_modify" in keys


def test_litmus_warnings_multiline_reasons_and_skips():
    checks, _ = litmus.parse(recorded("litmus-0.13_wsgidav-4.4.0-no-locks-no-dead-props.txt"))
    by_key = {c.key: c for c in checks}
    options = by_key["basic/02 options"]
    assert options.outcome == conformance.PASS and options.detail == "warning: server does not claim Class 2 compliance"
    propset = by_key["props/06 propset"]
    assert propset.outcome == conformance.FAIL
    assert propset.detail == "PROPPATCH on `/litmus/prop': http://127.0.0.1:38999/litmus/prop: 403 Forbidden"
    assert by_key["props/27 propget"].detail == "No value given for property {http://example.com/kappa}somename"
    precond = by_key["locks/03 precond"]
    assert precond.outcome == conformance.SKIPPED
    assert precond.detail == "locking tests skipped, server does not claim Class 2 compliance"
    assert not any(c.group == "locks" and c.n > 3 for c in checks), "litmus stopped the group at precond"


def test_litmus_stops_at_begin_when_the_server_refuses_mkcol():
    checks, _ = litmus.parse(recorded("litmus-0.13_radicale-3.9.0.txt"))
    begins = [c for c in checks if c.name == "begin"]
    assert len(begins) == 5 and all(c.outcome == conformance.FAIL for c in begins)
    assert "403 Forbidden Server must allow `MKCOL /elev.anna/litmus-r/litmus/' for tests to proceed" in begins[0].detail


def test_litmus_output_is_kept_as_a_terminal_shows_it():
    shown = litmus.as_terminal(recorded("litmus-0.13_wsgidav-4.4.0.txt"))
    assert "\r" not in shown and shown.count("put_get..............") == 1
    assert litmus.parse(shown)[0] == litmus.parse(recorded("litmus-0.13_wsgidav-4.4.0.txt"))[0]


def test_litmus_unknown_result_is_never_a_silent_pass():
    checks, _ = litmus.parse("-> running `basic':\n 3. put_get............... OOPS unexpected test result `7'\n")
    assert [(c.name, c.outcome) for c in checks] == [("put_get", conformance.FAIL)]


def test_a_missing_litmus_is_an_error_that_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(litmus, "COMMAND", "litmus-that-is-not-installed")
    result = litmus.run("basic", "http://127.0.0.1:9/", "elev.anna", "x", tmp_path)
    assert result.status == conformance.ERROR and "litmus is not installed: apt-get install -y litmus" in result.message


# -- caldav-server-tester's output ----------------------------------------------------------------

def test_caldav_tester_parse_on_radicale():
    checks = caldav_tester.parse(recorded("caldav-server-tester-1.7.0_radicale-3.9.0.hints"))
    by = {c.name: c for c in checks}
    assert len(checks) == 100, "101 features, one of them a value (has-calendar), not a check"
    assert "get-current-user-principal.has-calendar" not in by
    assert by["save-load.event.timezone"].outcome == conformance.PASS and by["save-load.event.timezone"].group == "save-load"
    assert by["sync-token.limit"].outcome == conformance.FAIL and by["sync-token.limit"].detail == "unsupported: DAV:limit is ignored"
    assert by["well-known"].outcome == conformance.SKIPPED
    assert sum(c.outcome == conformance.FAIL for c in checks) == 10


def test_caldav_tester_parse_on_sogo():
    by = {c.name: c for c in caldav_tester.parse(recorded("caldav-server-tester-1.7.0_sogo-5.8.0.hints"))}
    assert by["freebusy-query"].outcome == conformance.FAIL and by["freebusy-query"].detail.startswith("ungraceful: ")
    assert by["calendar-order"].outcome == conformance.FAIL and "read-only" in by["calendar-order"].detail
    assert by["sync-token"].outcome == conformance.FAIL and by["sync-token"].detail == "fragile"
    assert by["search.recurrences.includes-implicit.event"].outcome == conformance.FAIL
    assert by["search.time-range.event"].outcome == conformance.PASS


def test_caldav_tester_levels_as_python_caldav_reads_them():
    text = "{'a': {'support': 'quirk', 'behaviour': 'needs care'}, 'b': {'support': 'broken'}, 'c': {'value': 3}}"
    by = {c.name: c for c in caldav_tester.parse("Some log line\n" + text + "\n")}
    assert by["a"].outcome == conformance.PASS and by["a"].detail == "quirk: needs care"
    assert by["b"].outcome == conformance.FAIL and set(by) == {"a", "b"}
    with pytest.raises(ValueError):
        caldav_tester.parse("Traceback (most recent call last): nothing else")


# -- the cross-check table -------------------------------------------------------------------------

def test_crosscheck_table_is_valid(catalogue):
    assert crosscheck.problems(catalogue) == []
    rows = crosscheck.load()
    assert {("FIL-01", "litmus"), ("FIL-04", "litmus"), ("FIL-05", "litmus"), ("FIL-06", "litmus"),
            ("CAL-02", "caldav-server-tester")} <= {(r.requirement, r.tool) for r in rows}
    assert all(len(r.reason) > 40 and r.line for r in rows)


def test_a_broken_crosscheck_table_is_named_with_file_and_line(tmp_path, catalogue):
    bad = write(tmp_path / "crosscheck.yaml", """\
version: 1
rows:
  - requirement: FIL-99
    tool: litmus
    checks: [basic/put_get]
    reason: a requirement that is not in the catalogue
  - requirement: CAL-02
    tool: litmus
    checks: [basic/put_gett]
    reason: the wrong tool for a calendar requirement, and a test litmus does not have
  - requirement: CAL-03
    tool: caldav-server-tester
    checks: [save-load.event.no-such-feature]
    reason: a feature python-caldav does not know
  - requirement: FIL-01
    tool: litmus
    checks: [basic/put_get]
""")
    text = "\n".join(str(p) for p in crosscheck.problems(catalogue, bad))
    assert f"{bad}:3: [rows.0.requirement] unknown requirement 'FIL-99'" in text
    assert f"{bad}:8: [rows.1.tool] litmus tests the files capability; CAL-02 is about 'calendar'" in text
    assert f"{bad}:9: [rows.1.checks.0] litmus has no check 'basic/put_gett'" in text
    assert f"{bad}:13: [rows.2.checks.0] caldav-server-tester has no check 'save-load.event.no-such-feature'" in text
    assert f"{bad}:15: [rows.3] 'reason' is required" in text


def test_make_validate_checks_the_table(tmp_path, root):
    """`python -m poc validate` reads the table from the checkout: a copy with a broken table is refused."""
    import shutil
    copy = tmp_path / "checkout"
    shutil.copytree(root / "scenarios", copy / "scenarios", ignore=shutil.ignore_patterns("__pycache__"))
    table = copy / "scenarios" / "conformance" / "crosscheck.yaml"
    table.write_text(table.read_text(encoding="utf-8").replace("basic/put_get,", "basic/put_and_get,", 1),
                     encoding="utf-8")
    from poc import validation
    with pytest.raises(ConfigError) as exc:
        validation.validate(copy, catalogue_path=root / "requirements.yaml", suites_folder=root / "tests" / "data" / "suites")
    assert f"{table}:" in str(exc.value) and "litmus has no check 'basic/put_and_get'" in str(exc.value)


# -- disputed: both sides -----------------------------------------------------------------------------

def _result(tool, checks, status=conformance.COMPLETED, message=""):
    return conformance.ToolResult(tool=tool, status=status, message=message, groups=sorted({c.group for c in checks}),
                                  checks=checks)


def test_disputed_where_the_harness_and_the_tool_disagree():
    rows = crosscheck.load()
    locks = [conformance.Check("locks", n, conformance.PASS, n=i) for i, n in enumerate(litmus.TESTS["locks"])]
    locks[9] = conformance.Check("locks", "notowner_modify", conformance.FAIL, "PUT on a locked resource: 204", n=9)
    props = [conformance.Check("props", n, conformance.PASS, n=i) for i, n in enumerate(litmus.TESTS["props"])]
    basic = [conformance.Check("basic", n, conformance.PASS, n=i) for i, n in enumerate(litmus.TESTS["basic"])]
    results = [_result("litmus", basic), _result("litmus", locks), _result("litmus", props),
               _result("caldav-server-tester", [], conformance.ERROR, "caldav-server-tester gave no feature report")]
    verdicts = {"FIL-01": "pass", "FIL-06": "pass", "FIL-05": "fail", "FIL-04": "error", "CAL-02": "pass"}
    by = {(c.requirement, c.tool): c for c in crosscheck.compare(rows, verdicts, results)}
    assert by["FIL-01", "litmus"].status == crosscheck.AGREE
    six = by["FIL-06", "litmus"]
    assert six.status == crosscheck.DISPUTED and (six.harness_side, six.conformance_side) == ("pass", "fail")
    assert any(x["key"] == "locks/09 notowner_modify" and x["outcome"] == "fail" for x in six.checks), "both sides shown"
    five = by["FIL-05", "litmus"]
    assert five.status == crosscheck.DISPUTED and (five.harness_side, five.conformance_side) == ("fail", "pass")
    assert by["FIL-04", "litmus"].status == crosscheck.NOT_COMPARED and "error" in by["FIL-04", "litmus"].why
    cal = by["CAL-02", "caldav-server-tester"]
    assert cal.status == crosscheck.NOT_COMPARED and "gave no feature report" in cal.why
    summary = crosscheck.summary(list(by.values()))
    assert summary["disputed"] == ["FIL-05", "FIL-06"] and summary["compared"] == 3 and summary["agree"] == 1


def test_partial_and_unsupported_count_as_not_met_and_not_applicable_is_not_compared():
    rows = [r for r in crosscheck.load() if r.requirement in ("FIL-01", "CAL-02")]
    basic = [conformance.Check("basic", n, conformance.PASS, n=i) for i, n in enumerate(litmus.TESTS["basic"])]
    na = conformance.ToolResult("caldav-server-tester", conformance.NOT_APPLICABLE, "not applicable: no CalDAV endpoint")
    by = {c.requirement: c for c in crosscheck.compare(rows, {"FIL-01": "partial", "CAL-02": "unsupported"},
                                                         [_result("litmus", basic), na])}
    assert by["FIL-01"].status == crosscheck.DISPUTED and by["FIL-01"].harness_side == "fail"
    assert by["CAL-02"].status == crosscheck.NOT_COMPARED and "no CalDAV endpoint" in by["CAL-02"].why


# -- real runs against the baseline suite's servers ---------------------------------------------------

PASSWORD = "Skøn-Æble år 2026"  # Danish letters and a space: as a municipality's password may be


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """The baseline suite up (WsgiDAV, Radicale), its pupil with a password in Danish."""
    from poc.lifecycle import deployment
    run = tmp_path_factory.mktemp("run")
    saved = os.environ.get("POC_BASELINE_PUPIL_PASSWORD")
    os.environ["POC_BASELINE_PUPIL_PASSWORD"] = PASSWORD
    d = deployment(suites.load("baseline"), run, progress=lambda *_: None)
    try:
        d.up()
        yield d, run
    finally:
        d.down()
        if saved is None:
            os.environ.pop("POC_BASELINE_PUPIL_PASSWORD", None)
        else:
            os.environ["POC_BASELINE_PUPIL_PASSWORD"] = saved


def _no_password_in(folder: Path):
    basic = base64.b64encode(f"elev.anna:{PASSWORD}".encode()).decode()
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for form in (PASSWORD, quote(PASSWORD), basic[:24]):
                assert form.encode() not in data, f"{form!r} in {path}"


@pytest.mark.skipif(not litmus.available(), reason="litmus is not installed: make setup-suites (as root) installs it")
def test_litmus_for_real_against_baseline_wsgidav(baseline, tmp_path):
    d, _ = baseline
    from poc.protocols.webdav import WebDAVClient
    pupil = d.accounts["pupil"]
    client = WebDAVClient(d.url_for("files", pupil), pupil)
    client.mkcol("litmus-test")
    result = litmus.run("basic", client.url("litmus-test") + "/", pupil.username, pupil.password, tmp_path,
                        run_dir=tmp_path.parent)
    client.delete("litmus-test/")
    assert result.status == conformance.COMPLETED, result.message
    assert result.counts() == {"passed": 16, "failed": 0, "skipped": 0} and result.version.startswith("litmus 0.13")
    raw = (tmp_path / "litmus-basic.txt").read_text(encoding="utf-8")
    assert "16 passed, 0 failed" in raw and f"elev.anna {redact.MASK}" in raw
    assert (tmp_path / "litmus-basic-debug.log").exists() and "Authorization: Basic ********" in \
        (tmp_path / "litmus-basic-debug.log").read_text(encoding="utf-8")
    _no_password_in(tmp_path)


def test_caldav_tester_for_real_against_baseline_radicale(baseline, tmp_path):
    """Logs in with a password in Danish (Basic credentials in UTF-8) and leaves no calendar behind."""
    d, _ = baseline
    from poc.protocols.caldav import CalDAVClient
    pupil = d.accounts["pupil"]
    url = d.url_for("calendar", pupil)
    result = caldav_tester.run(url, pupil.username, pupil.password, tmp_path, timeout=120)
    assert result.status == conformance.COMPLETED, result.message
    by = {c.name: c for c in result.checks}
    assert by["create-calendar"].outcome == conformance.PASS and by["save-load.event.timezone"].outcome == conformance.PASS
    assert len(result.checks) >= 90 and result.version.startswith("1.7.0")
    assert not [c for c in CalDAVClient(url, pupil).calendars() if caldav_tester.is_probe(str(c.url), c)]
    _no_password_in(tmp_path)


def test_conformance_stage_beside_the_api_scenarios_on_baseline(tmp_path, monkeypatch):
    """The conformance scenarios and the file and calendar scenarios in one run: conformance rows in
    results.jsonl (no requirement, no score), junit.xml, and on baseline no disputed verdict."""
    reports = tmp_path / "reports"
    run_dir = reports / "runs" / "run-conformance"
    env = {**os.environ, **new_mark(), "POC_REPORTS_DIR": str(reports), "POC_BASELINE_PUPIL_PASSWORD": PASSWORD}
    cmd = [sys.executable, "-m", "pytest", "scenarios/api/test_files_webdav.py", "scenarios/api/test_calendar_caldav.py",
           "scenarios/conformance", "--suite", "baseline", "--run-dir", str(run_dir), "-k", "not large_file",
           "-p", "no:cacheprovider", "-c", "scenarios/pytest.ini", "--rootdir", ".", "-q"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert (run_dir / "manifest.json").exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    assert marked(env) == [], "the suite left a process behind"
    records = [json.loads(line) for line in (run_dir / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    mine = [r for r in records if r["kind"] == "conformance"]
    assert len(mine) == 6 and all(r["requirement"] is None for r in mine)
    assert {r["scenario"].split("::")[1]: r["verdict"] for r in mine if "litmus" in r["scenario"]} == \
        {f"test_litmus[{g}]": "pass" for g in litmus.GROUPS}
    assert len(conformance.read_results(run_dir)) == 6
    # junit.xml: one testcase per line of results.jsonl, the verdicts as results
    tree = ET.parse(run_dir / "junit.xml")
    cases = tree.getroot().findall(".//testcase")
    assert len(cases) == len(records) == int(tree.getroot().get("tests"))
    assert sum(1 for c in cases if c.find("failure") is not None) == sum(r["verdict"] == "fail" for r in records)
    # the report: the tools' groups, the cross-check, and no dispute on baseline
    rendered = subprocess.run([sys.executable, "-m", "poc", "report", str(run_dir)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    data = json.loads((reports / "comparison.json").read_text(encoding="utf-8"))["suites"]["baseline"]["conformance"]
    assert data["disputed"] == [] and data["compared"] >= 8 and data["agree"] == data["compared"]
    assert data["tools"]["litmus"] == {"passed": 104, "failed": 0, "skipped": 0, "status": "completed",
                                       "version": data["tools"]["litmus"]["version"]}
    html = (reports / "baseline.html").read_text(encoding="utf-8")
    assert 'id="conformance"' in html and "litmus-basic.txt" in html and "agree on" in html
    # this run is an attempt (-k), so the comparison page leaves it out; its section, given the run, shows
    # every check side by side and the disputed count
    from poc import report, runs
    from poc.sections import conformance as section
    view = report.run_view(runs.load(run_dir), catalogue_mod.load(ROOT / "requirements.yaml"), reports)
    html = section.comparison_section({"views": [view], "lang": "en"}).html
    assert "locks/09 notowner_modify" in html and "caldav-server-tester · save-load" in html
    assert re.search(r"<td>\d+</td><td>\d+</td>\s*<td>0</td>\s*<td>100 %</td>", html), "compared, agree, 0 disputed"
    _no_password_in(run_dir)
    _no_password_in(reports)


def test_not_applicable_on_a_suite_without_dav(tmp_path, suites_copy):
    """A suite with no WebDAV or CalDAV endpoint: each tool is not applicable (unsupported), not an error."""
    suite_yaml = suites_copy / "baseline" / "suite.yaml"
    text = suite_yaml.read_text(encoding="utf-8")
    text = re.sub(r"  files: .*\n", "  files:    {protocol: http, url: \"{files}/{user}/\"}\n", text)
    text = re.sub(r"  calendar: .*\n", "", text)
    suite_yaml.write_text(text, encoding="utf-8")
    run_dir = tmp_path / "reports" / "runs" / "run-nodav"
    env = {**os.environ, **new_mark(), "POC_SUITES_DIR": str(suites_copy), "POC_REPORTS_DIR": str(tmp_path / "reports")}
    cmd = [sys.executable, "-m", "pytest", "scenarios/conformance", "--suite", "baseline", "--run-dir", str(run_dir),
           "-p", "no:cacheprovider", "-c", "scenarios/pytest.ini", "--rootdir", ".", "-q"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    records = [json.loads(line) for line in (run_dir / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 6 and all(r["verdict"] == "unsupported" for r in records), proc.stdout[-2000:]
    assert all(r["message"].startswith("not applicable: baseline has no ") for r in records)
    results = conformance.read_results(run_dir)
    assert {r.status for r in results} == {conformance.NOT_APPLICABLE}
    assert any("its files capability is over http" in r.message for r in results)
    assert any("no calendar capability" in r.message for r in results)
