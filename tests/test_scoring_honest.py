"""Honest categories: a score says on how many of its requirements it rests, and requirements whose
scenarios ran but could not judge them (a load stage smaller or shorter than the school day) are counted
visibly as not verified, in the category, the overall line, the reports and the comparison."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from poc import catalogue as catalogue_mod
from poc import report, scoring
from poc.commands._common import render_all

from .conftest import ROOT
from .runfactory import make_run, prf_records

PRF = ["PRF-01", "PRF-02", "PRF-03", "PRF-04", "PRF-05", "PRF-06"]
NOT_VERIFIED = {rid: "skipped" for rid in PRF if rid != "PRF-04"}
PAGE_LOAD = {"scenario": "scenarios/ui/test_pages.py::test_page_load", "requirement": "PRF-04", "verdict": "pass"}


@pytest.fixture(scope="module")
def cat():
    return catalogue_mod.load(ROOT / "requirements.yaml")


def _frame(records) -> pd.DataFrame:
    return pd.DataFrame(records)


def test_a_category_judged_on_one_requirement_says_so(cat):
    res = _frame([PAGE_LOAD, *prf_records(NOT_VERIFIED)])
    s = scoring.score(cat, "baseline", {"files", "calendar", "contacts", "web-ui"}, res)
    perf = s.categories.loc["performance"]
    assert perf["score"] == 1.0, "the one judged requirement passed"
    assert (perf["judged"], perf["requirements"], perf["not_verified"]) == (1, 6, 5)
    assert bool(perf["few"]), "judged on fewer than half of its requirements"
    for rid in NOT_VERIFIED:
        row = s.requirements.loc[rid]
        assert row["verdict"] == "not-tested" and bool(row["not_verified"])
        assert row["not_verified_reason"].startswith("not verified")
    assert not s.requirements.loc["PRF-04", "not_verified"]
    assert s.not_verified == 5 and s.judged == int((s.requirements["verdict"] != "not-tested").sum())
    assert s.total == len(cat.requirements)


def test_not_verified_never_counts_as_judged_and_a_judged_one_is_not_flagged(cat):
    # a requirement with one pass and one skipped scenario is judged (pass), not "not verified"
    res = _frame([PAGE_LOAD, {**PAGE_LOAD, "scenario": "x::y", "verdict": "skipped", "message": "no API"}])
    s = scoring.score(cat, "baseline", {"web-ui"}, res)
    assert s.requirements.loc["PRF-04", "verdict"] == "pass" and not s.requirements.loc["PRF-04", "not_verified"]
    assert s.categories.loc["performance", "not_verified"] == 0


def test_the_overall_line_says_what_it_rests_on(cat, reports):
    run = make_run(cat, "baseline", "2026-02-01T08:00:00+00:00", records=[PAGE_LOAD, *prf_records(NOT_VERIFIED)])
    view = report.run_view(run, cat, reports)
    line = report.verdict_line(view, "en")
    assert f"of {view.score.judged}/{view.score.total} requirements judged (5 not verified)" in line, line
    assert "ikke verificeret" in report.verdict_line(view, "da")


def test_reports_and_comparison_show_the_judged_counts(cat, reports):
    make_run(cat, "baseline", "2026-02-01T08:00:00+00:00", records=[PAGE_LOAD, *prf_records(NOT_VERIFIED)])
    out = render_all(cat, "en", progress=lambda *_: None)
    html = (reports / "comparison.html").read_text(encoding="utf-8")
    assert "1 of 6 judged, 5 not verified" in html, "the performance category row says on what its 100 % rests"
    assert "1/6 judged, 5 not verified" in html, "and so does its bar in the chart"
    assert "⚠" in html and "not verified</span>" in html
    # today's solution (reference columns) says what its scores rest on too
    assert html.count("0 of 6 judged") >= 2 and html.count("requirements judged;") >= 3
    suite_html = (reports / "baseline.html").read_text(encoding="utf-8")
    assert "<td>1 / 6</td>" in suite_html and "requirements judged" in suite_html
    data = json.loads((reports / "comparison.json").read_text(encoding="utf-8"))["suites"]["baseline"]
    assert data["category_counts"]["performance"] == {"requirements": 6, "judged": 1, "not_verified": 5, "few": True}
    assert data["not_verified"] == 5 and data["judged"] < data["total"]
    assert data["requirements"]["PRF-01"]["not_verified"].startswith("not verified")
    with open(reports / "comparison.csv", encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    assert rows["PRF-01"]["baseline_not_verified"] == "True" and rows["PRF-04"]["baseline_not_verified"] == "False"
    assert out["views"]["baseline"].score.not_verified == 5


def test_danish_reports_say_it_too(cat, reports):
    make_run(cat, "baseline", "2026-02-01T08:00:00+00:00", records=[PAGE_LOAD, *prf_records(NOT_VERIFIED)])
    render_all(cat, "da", progress=lambda *_: None)
    html = (reports / "comparison.html").read_text(encoding="utf-8")
    assert "1 af 6 vurderet, 5 ikke verificeret" in html
