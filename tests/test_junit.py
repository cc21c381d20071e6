"""junit.xml: every run's results in the JUnit XML format other tools' CI read."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from poc import junit, redact


def _run(tmp_path, records, manifest=None):
    run = tmp_path / "20261130T120000Z-baseline-abcd"
    run.mkdir()
    (run / "manifest.json").write_text(json.dumps(manifest or {
        "run_id": run.name, "status": "completed", "started": "2026-11-30T12:00:00+00:00",
        "suite": {"name": "baseline", "version": "Radicale 3.9.0, WsgiDAV 4.4.0"},
        "harness": {"commit": "abc123"}, "catalogue": {"sha256": "f00"}}), encoding="utf-8")
    (run / "results.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                       encoding="utf-8")
    return run


def rec(scenario, verdict, requirement=None, kind="api", message="", duration=0.5):
    return {"scenario": scenario, "file": scenario.split("::")[0], "kind": kind, "verdict": verdict,
            "requirement": requirement, "duration": duration, "message": message, "evidence": []}


def test_one_testcase_per_scenario_and_requirement_with_the_verdict_as_result(tmp_path):
    secret = "Hemmeligt-Æble-42"
    redact.add(secret)
    records = [
        rec("scenarios/api/test_files_webdav.py::test_roundtrip", "pass", "FIL-01"),
        rec("scenarios/api/test_files_webdav.py::test_roundtrip", "pass", "FIL-02"),
        rec("scenarios/api/test_files_webdav.py::test_lock", "fail", "FIL-06",
            message=f"a write without the lock token answered 204, not 423\nlogin {secret} \x1b[31m"),
        rec("scenarios/api/test_calendar_caldav.py::test_event", "error", "CAL-01", message="ConnectionError: refused"),
        rec("scenarios/api/test_sharing.py::test_share", "unsupported", "FIL-07",
            message="baseline does not offer the capability 'sharing'"),
        rec("scenarios/load/test_service_levels.py::test_service_level[PRF-01]", "skipped", "PRF-01", kind="load",
            message="not verified: XS is smaller than S"),
        rec("scenarios/conformance/test_litmus.py::test_litmus[basic]", "pass", None, kind="conformance"),
    ]
    run = _run(tmp_path, records)
    path = junit.write(run)
    assert path == run / "junit.xml"
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("7", "1", "1", "2")
    assert [ts.get("name") for ts in root.findall("testsuite")] == ["baseline.api", "baseline.conformance",
                                                                    "baseline.load"]
    cases = root.findall(".//testcase")
    assert len(cases) == len(records)
    by = {(c.get("classname"), c.get("name")): c for c in cases}
    lock = by["FIL-06", "scenarios/api/test_files_webdav.py::test_lock"]
    failure = lock.find("failure")
    assert failure.get("message") == "a write without the lock token answered 204, not 423"
    assert secret not in ET.tostring(root, encoding="unicode") and redact.MASK in failure.text
    assert by["CAL-01", "scenarios/api/test_calendar_caldav.py::test_event"].find("error").text == "ConnectionError: refused"
    skipped = by["FIL-07", "scenarios/api/test_sharing.py::test_share"].find("skipped")
    assert skipped.get("message").startswith("unsupported: baseline does not offer")
    plain = by["scenarios/conformance/test_litmus.py", "scenarios/conformance/test_litmus.py::test_litmus[basic]"]
    assert list(plain) == [], "a pass is a plain testcase; a scenario without requirement is classed by its file"
    props = {p.get("name"): p.get("value") for p in root.find("testsuite").find("properties")}
    assert props["suite"] == "baseline" and props["status"] == "completed" and props["harness_commit"] == "abc123"


def test_a_torn_results_file_and_an_empty_run_still_give_valid_xml(tmp_path):
    run = _run(tmp_path, [rec("scenarios/api/test_x.py::test_a", "pass", "FIL-01")])
    with open(run / "results.jsonl", "a", encoding="utf-8") as f:
        f.write('{"scenario": "scenarios/api/test_x.py::test_b", "verd')  # the process was killed mid-line
    root = ET.parse(junit.write(run)).getroot()
    assert root.get("tests") == "1"
    (run / "results.jsonl").unlink()
    root = ET.parse(junit.write(run)).getroot()
    assert root.get("tests") == "0" and root.findall("testsuite") == []
