"""The scoring rules of DESIGN.md on small hand-made result sets."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from poc import catalogue, scoring

from .conftest import write
from .test_catalogue import MINI

EXTRA = """\
  - id: FIL-02
    title: {da: Mapper, en: Folders}
    category: files
    priority: should
    weight: 1
    capability: files
    acceptance: {da: [x], en: [x]}
    source: s
  - id: FIL-03
    title: {da: Deling, en: Sharing}
    category: files
    priority: must
    weight: 2
    capability: sharing
    acceptance: {da: [x], en: [x]}
    source: s
  - id: OPS-01
    title: {da: Licens, en: Licence}
    category: calendar
    priority: must
    weight: 4
    capability: platform
    acceptance: {da: [x], en: [x]}
    source: s
"""


@pytest.fixture
def cat(tmp_path):
    text = MINI.replace("  - {id: platform", "  - {id: sharing, description: s}\n  - {id: platform") + EXTRA
    return catalogue.load(write(tmp_path / "r.yaml", text))


def records(*rows):
    return pd.DataFrame([{"scenario": s, "requirement": r, "verdict": v} for s, r, v in rows])


def test_all_pass_partial_fail_and_not_tested(cat):
    res = records(("a", "FIL-01", "pass"), ("b", "FIL-01", "pass"),
                  ("c", "FIL-02", "pass"), ("d", "FIL-02", "fail"), ("e", "FIL-02", "fail"), ("f", "FIL-02", "pass"),
                  ("g", "CAL-01", "fail"), ("h", "CAL-01", "error"))
    s = scoring.score(cat, "x", {"files", "calendar", "sharing"}, res)
    v = s.requirements["verdict"].to_dict()
    assert v == {"FIL-01": "pass", "CAL-01": "fail", "FIL-02": "partial", "FIL-03": "not-tested", "OPS-01": "not-tested"}
    assert s.requirements.loc["FIL-02", "credit"] == 0.5
    # files: FIL-01 (w3, 1.0) + FIL-02 (w1, 0.5); FIL-03 not tested is left out
    assert s.categories.loc["files", "score"] == pytest.approx((3 * 1 + 1 * 0.5) / 4)
    assert s.categories.loc["calendar", "score"] == 0.0
    assert s.overall == pytest.approx((10 * 3.5 / 4 + 5 * 0) / 15)
    assert list(s.knockouts.index) == ["FIL-03", "OPS-01"]  # CAL-01 is only a should
    assert s.coverage == pytest.approx(3 / 5)


def test_error_only_is_error_and_unsupported_scenarios_are_unsupported(cat):
    res = records(("a", "FIL-01", "error"), ("b", "FIL-01", "error"), ("c", "CAL-01", "unsupported"),
                  ("d", "FIL-02", "pass"), ("e", "FIL-02", "unsupported"))
    s = scoring.score(cat, "x", {"files", "calendar"}, res)
    assert s.requirements.loc["FIL-01", "verdict"] == "error"
    assert s.requirements.loc["CAL-01", "verdict"] == "unsupported"
    assert s.requirements.loc["FIL-02", "verdict"] == "pass", "an unsupported variant does not spoil a pass"


def test_capability_not_offered_is_unsupported_whatever_ran(cat):
    res = records(("a", "FIL-03", "pass"))
    s = scoring.score(cat, "x", {"files"}, res)
    assert s.requirements.loc["FIL-03", "verdict"] == "unsupported"
    assert s.requirements.loc["FIL-03", "note"] == "capability not offered"
    assert "FIL-03" in s.knockouts.index
    # platform is implicit: never unsupported for lack of declaration
    assert s.requirements.loc["OPS-01", "verdict"] == "not-tested"


def test_manual_assessment_decides_and_is_marked(cat):
    res = records(("a", "OPS-01", "fail"))
    manual = [{"requirement": "OPS-01", "verdict": "pass", "who": "p", "when": "2026-11-20", "comment": "GPL"},
              {"requirement": "FIL-02", "verdict": "partial", "share": 0.25, "who": "p", "when": "2026-11-20",
               "comment": "c"}]
    s = scoring.score(cat, "x", {"files"}, res, manual)
    assert s.requirements.loc["OPS-01", ["verdict", "manual"]].tolist() == ["pass", True]
    assert s.requirements.loc["FIL-02", "credit"] == 0.25
    assert "OPS-01" not in s.knockouts.index


def test_weights_come_from_the_catalogue(cat, tmp_path):
    res = records(("a", "FIL-01", "pass"), ("b", "CAL-01", "fail"))
    before = scoring.score(cat, "x", {"files", "calendar"}, res).overall
    text = (cat.path.read_text().replace("weight: 10}", "weight: 30}"))
    heavier = catalogue.load(write(tmp_path / "r2.yaml", text))
    after = scoring.score(heavier, "x", {"files", "calendar"}, res).overall
    # files: FIL-01 passes (w3) and FIL-03 is unsupported (w2) -> 0.6; calendar: CAL-01 fails -> 0
    assert before == pytest.approx(10 * 0.6 / 15) and after == pytest.approx(30 * 0.6 / 35)


def test_nothing_tested_gives_no_overall_but_unsupported_counts_zero(cat):
    s = scoring.score(cat, "x", {"files", "calendar", "sharing"}, records())
    assert s.overall is None
    assert math.isnan(s.categories.loc["files", "score"])
    assert set(s.requirements["verdict"]) == {"not-tested"}
    lacking = scoring.score(cat, "x", {"files"}, records())
    assert set(lacking.requirements["verdict"]) == {"not-tested", "unsupported"}
    assert lacking.overall == 0.0, "a suite lacking capabilities scores 0 on them, not 'unknown'"
