"""Manual assessments, honestly attributed: who and source required, proposed vs confirmed in the
score, the checklist for the people who confirm, and today's solution as reference columns."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from poc import assessments, catalogue, reference, scoring, suites
from poc.errors import ConfigError

from .conftest import ROOT, write

MANUAL_ENTRY = """\
  - requirement: {rid}
    verdict: pass
    status: {status}
    who: {who}
    when: 2026-11-30
    source:
      - url: https://example.org/licence
        read: 2026-11-30
    reason: The licence file says so.
"""


@pytest.fixture(scope="module")
def cat():
    return catalogue.load(ROOT / "requirements.yaml")


def fake_run(reports, suite="baseline", choice=None, run_id="20261130T100000Z-baseline-abcd"):
    """A finished, complete run of `suite` on disk (one passed scenario), as `evaluate` leaves it."""
    folder = reports / "runs" / run_id
    folder.mkdir(parents=True)
    loaded = suites.load(suite)
    manifest = {
        "run_id": run_id, "status": "completed", "message": "", "started": "2026-11-30T10:00:00+00:00",
        "finished": "2026-11-30T10:01:00+00:00",
        "suite": {"name": suite, "title": loaded.config["title"], "mode": loaded.mode, "version": "test",
                  "suite_yaml_sha256": loaded.sha256(),
                  "capabilities": {c: v["protocol"] for c, v in loaded.capabilities.items()}},
        "harness": {"version": "0", "commit": "0" * 40, "dirty": False},
        "catalogue": {"file": "requirements.yaml", "version": "x", "sha256": "0" * 64},
        "scenarios": {}, "options": {"args": []}, "python": "3.11", "platform": "linux", "packages": {},
        "scope": {"kinds": ["api", "ui"], "complete": True}, "counts": {"pass": 1}}
    if choice:
        manifest["assessments"] = choice
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    record = {"scenario": "scenarios/api/test_files.py::test_roundtrip", "requirement": "FIL-01", "verdict": "pass",
              "duration": 0.1, "message": "", "evidence": [], "kind": "api", "file": "scenarios/api/test_files.py"}
    (folder / "results.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    return folder


# -- the file: who and source are required, with file and line ------------------------------------

def test_assessment_without_source_or_who_is_refused_with_file_and_line(tmp_path, cat):
    write(tmp_path / "assessments.yaml", """\
assessments:
  - requirement: OPS-05
    verdict: pass
    status: proposed
    who: OS2skole PoC harness maintainers (draft from public sources)
    when: 2026-11-30
    reason: GPL.
  - requirement: PRI-04
    verdict: pass
    status: confirmed
    when: 2026-11-30
    source:
      - url: https://example.org/hosting
        read: 2026-11-30
    reason: On the municipality's servers.
  - requirement: OPS-07
    verdict: pass
    status: proposed
    who: someone
    when: 2026-11-30
    source: []
    reason: Packages exist.
""")
    with pytest.raises(ConfigError) as exc:
        assessments.load(tmp_path, cat)
    text = str(exc.value)
    path = str(tmp_path / "assessments.yaml")
    assert f"{path}:2: [assessments.0] 'source' is required" in text
    assert f"{path}:8: [assessments.1] 'who' is required" in text
    assert f"{path}:21: [assessments.2.source]" in text and "should be non-empty" in text


def test_validate_command_refuses_an_assessment_without_a_source(poc_cli, suites_copy):
    target = suites_copy / "sogo" / "assessments.yaml"
    text = target.read_text(encoding="utf-8")
    broken = text.replace("    source:\n      - url: https://github.com/Alinto/sogo/blob/ee2ebbb81cc0538626988e47d70ce4c0d4195377/COPYING.GPL",
                          "    sources_forgotten: true\n    source_was:\n      - url: https://github.com/Alinto/sogo/blob/ee2ebbb81cc0538626988e47d70ce4c0d4195377/COPYING.GPL", 1)
    assert broken != text
    target.write_text(broken, encoding="utf-8")
    line = next(n for n, l in enumerate(broken.splitlines(), 1) if l.startswith("  - requirement: OPS-05"))
    proc = poc_cli("validate", env={"POC_SUITES_DIR": str(suites_copy)})
    assert proc.returncode == 2, proc.stdout
    assert f"{target}:{line}: [assessments.0] 'source' is required" in proc.stderr


def test_a_confirmed_assessment_names_real_people_and_an_open_item_is_not_also_assessed(tmp_path, cat):
    write(tmp_path / "assessments.yaml", "assessments:\n"
          + MANUAL_ENTRY.format(rid="OPS-05", status="confirmed", who=assessments.DRAFTERS)
          + "open:\n  - requirement: OPS-05\n    reason: also open\n"
          + "  - requirement: OPS-04\n    reason: x\n    consulted:\n      - title: neither url nor document\n"
            "        read: 2026-11-30\n")
    with pytest.raises(ConfigError) as exc:
        assessments.load_file(tmp_path, cat)
    text = str(exc.value)
    assert ":5: [assessments.0.who] a confirmed assessment names the people who confirmed it" in text
    assert ":12: [open.0.requirement] OPS-05 is listed as open but also assessed (line 2)" in text
    assert ":17: [open.1.consulted.0] a source is either a url or a document" in text


def test_the_repository_attributes_every_assessment_honestly(cat):
    manual = {r.id for r in assessments.manual_requirements(cat)}
    for suite in suites.load_all():
        raw = (suite.folder / assessments.FILE).read_text(encoding="utf-8")
        assert "projektgruppe" not in yaml.safe_dump(yaml.safe_load(raw)).lower(), suite.name
        found = assessments.load_file(suite.folder, cat)
        for a in found.assessments:
            assert a["source"] and a["reason"], (suite.name, a["requirement"])
            if a["status"] == "proposed":
                assert a["who"] == assessments.DRAFTERS, (suite.name, a["requirement"])
        offered = set(suite.capabilities) | cat.implicit_capabilities
        needed = {r for r in manual if suite.is_reference or cat.requirements[r].capability in offered}
        covered = {a["requirement"] for a in found.assessments} | {o["requirement"] for o in found.open}
        assert needed <= covered, f"{suite.name}: neither assessed nor open: {sorted(needed - covered)}"


# -- the score: proposed only when the evaluator chooses so --------------------------------------

def test_proposed_assessments_count_only_when_chosen(cat):
    manual = [{"requirement": "OPS-05", "verdict": "pass", "status": "proposed", "who": "m", "when": "2026-11-30",
               "source": [{"url": "https://example.org", "read": "2026-11-30"}], "reason": "r"},
              {"requirement": "OPS-04", "verdict": "fail", "status": "confirmed", "who": "Anna Berg, IT",
               "when": "2026-11-30", "source": [{"document": "hosting contract", "read": "2026-11-30"}],
               "reason": "r"}]
    results = scoring.pd.DataFrame(columns=["requirement", "verdict"])
    default = scoring.score(cat, "x", set(), results, manual)
    req = default.requirements
    assert req.loc["OPS-05", ["verdict", "manual", "assessment_status", "proposed_verdict"]].tolist() == \
        ["not-tested", False, "proposed", "pass"]
    assert req.loc["OPS-04", ["verdict", "manual", "assessment_status"]].tolist() == ["fail", True, "confirmed"]
    assert "OPS-05" in default.knockouts.index and default.meta["assessments"] == "confirmed"
    counted = scoring.score(cat, "x", set(), results, manual, assessments_mode="all")
    assert counted.requirements.loc["OPS-05", ["verdict", "manual", "credit"]].tolist() == ["pass", True, 1.0]
    assert "OPS-05" not in counted.knockouts.index
    assert counted.coverage > default.coverage


def test_a_run_keeps_the_choice_and_its_report_prints_it(poc_cli, reports):
    fake_run(reports, choice="all")
    proc = poc_cli("compare")
    assert proc.returncode == 0, proc.stderr
    html = (reports / "baseline.html").read_text(encoding="utf-8")
    assert "(ASSESSMENTS=all)" in html and "confirmed and proposed" in html
    row = html[html.index('id="req-OPS-05"'):html.index('id="req-OPS-07"')]
    assert "manual assessment · proposed" in row and "Proposed (draft from public sources" in row
    assert "https://github.com/Kozea/Radicale/blob/" in row and "read 2026-11-30" in row
    data = json.loads((reports / "comparison.json").read_text())
    assert data["suites"]["baseline"]["requirements"]["OPS-05"]["verdict"] == "pass"


def test_by_default_a_proposed_assessment_is_shown_but_not_counted(poc_cli, reports):
    fake_run(reports)
    assert poc_cli("compare").returncode == 0
    html = (reports / "baseline.html").read_text(encoding="utf-8")
    assert "(ASSESSMENTS=confirmed)" in html and "confirmed only" in html
    row = html[html.index('id="req-OPS-05"'):html.index('id="req-OPS-07"')]
    assert "proposed: pass" in row and "not counted" in row
    open_row = html[html.index('id="req-OPS-02"'):html.index('id="req-OPS-03"')]
    assert "Open</strong>" in open_row and "restore" in open_row
    assert "projektgruppe" not in html.lower()
    data = json.loads((reports / "comparison.json").read_text())
    assert data["suites"]["baseline"]["requirements"]["OPS-05"]["verdict"] == "not-tested"


# -- today's solution: reference columns --------------------------------------------------------

def test_a_reference_suite_cannot_be_evaluated(poc_cli, reports):
    proc = poc_cli("evaluate", "--suite", "google-workspace")
    assert proc.returncode == 2
    assert "reference column" in proc.stderr and "no server to evaluate" in proc.stderr
    assert not (reports / "runs").exists() or not any((reports / "runs").iterdir())
    listing = poc_cli("suites")
    assert re.search(r"^google-workspace\s+reference\s", listing.stdout, re.M)
    assert re.search(r"^microsoft-365\s+reference\s", listing.stdout, re.M)


def test_the_comparison_shows_the_reference_columns_apart(poc_cli, reports):
    fake_run(reports)
    proc = poc_cli("compare")
    assert proc.returncode == 0, proc.stderr
    html = (reports / "comparison.html").read_text(encoding="utf-8")
    table = html[html.index('id="requirements"'):]
    assert "Today&#39;s solution (reference)" in table and "Candidates (evaluated here)" in table
    assert '<th class="ref ref-first"><a href="google-workspace.html">google-workspace</a>' in table
    assert '<th class="ref"><a href="microsoft-365.html">microsoft-365</a>' in table
    assert table.index(">baseline</a>") < table.index(">google-workspace</a>")
    assert "reference: no server, public sources only" in table
    data = json.loads((reports / "comparison.json").read_text())
    assert set(data["suites"]) == {"baseline"}, "a reference is no candidate"
    ref = data["references"]["google-workspace"]
    assert ref["mode"] == "reference" and ref["assessments"] == "confirmed"
    assert ref["requirements"]["FIL-01"]["verdict"] == "not-tested"
    assert ref["requirements"]["PRI-04"] == {"verdict": "not-tested", "manual": False, "assessment": "proposed",
                                             "proposed": "fail", "credit": None}
    page = (reports / "google-workspace.html").read_text(encoding="utf-8")
    assert "datatilsynet.dk/afgoerelser/afgoerelser/2022/jul" in page and "reference (public sources only)" in page
    header = (reports / "comparison.csv").read_text().splitlines()[0].split(",")
    assert "google-workspace (reference)" in header and "baseline" in header
    # counted when the comparison is asked to: PRI-04 is then the reference's own fail
    assert poc_cli("compare", "--assessments", "all").returncode == 0
    ref = json.loads((reports / "comparison.json").read_text())["references"]["google-workspace"]
    assert ref["assessments"] == "all" and ref["requirements"]["PRI-04"]["verdict"] == "fail"


def test_reference_view_leaves_automated_requirements_not_tested_with_the_reason(cat, tmp_path):
    (suite,) = [s for s in reference.reference_suites() if s.name == "microsoft-365"]
    view = reference.reference_view(suite, cat, tmp_path)
    req = view.score.requirements
    automated = req[req["assessment"] != "manual"]
    assert set(automated["verdict"]) == {"not-tested"} and set(automated["note"]) == {reference.REASON}
    assert "unsupported" not in set(req["verdict"]), "a reference declares no capability, so none is missing"


# -- the checklist for the people who confirm ---------------------------------------------------

def test_assess_lists_criteria_proposals_sources_and_open_items(poc_cli, tmp_path, suites_copy):
    proc = poc_cli("assess", "kolibri")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "OPS-05  Must   Open-source licence approved by the OSI  [PROPOSED pass]" in out
    assert "da: - Alle komponenter" in out and "en: - Every component needed" in out
    assert "source: Kolibri licence file (MIT License), https://github.com/learningequality/kolibri/blob/" in out
    assert "OPS-02" in out and "open: The user guide documents" in out
    assert "FIL-13" in out and "does not offer the capability 'files'" in out
    assert out.rstrip().splitlines()[-1].startswith("kolibri: 17 manual requirements: 0 confirmed, 9 proposed")
    skeleton = tmp_path / "kolibri-checklist.yaml"
    proc = poc_cli("assess", "kolibri", "--write", skeleton)
    assert proc.returncode == 0 and skeleton.exists()
    data = yaml.safe_load(skeleton.read_text(encoding="utf-8"))
    entries = {a["requirement"]: a for a in data["assessments"]}
    assert entries["OPS-05"]["status"] == "confirmed" and entries["OPS-05"]["who"] == ""
    assert entries["OPS-05"]["source"][0]["url"].startswith("https://github.com/learningequality/kolibri/")
    assert "FIL-13" not in entries and "OPS-02" in entries
    assert poc_cli("assess", "kolibri", "--write", skeleton).returncode == 2, "no silent overwrite"
    # unfilled, the skeleton is refused: who is empty
    (suites_copy / "kolibri" / "assessments.yaml").write_text(skeleton.read_text(encoding="utf-8"), encoding="utf-8")
    refused = poc_cli("validate", env={"POC_SUITES_DIR": str(suites_copy)})
    assert refused.returncode == 2 and "[assessments.0.who]" in refused.stderr


def test_evaluate_and_compare_take_the_choice(poc_cli):
    for command in ("evaluate", "compare"):
        proc = poc_cli(command, "--help")
        assert "--assessments {confirmed,all}" in proc.stdout
    bad = poc_cli("compare", "--assessments", "some")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
