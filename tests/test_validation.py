"""`poc validate`: catalogue, suites, assessments and scenario markers, before anything runs."""

from __future__ import annotations

import shutil

import pytest

from poc import assessments, catalogue, validation
from poc.errors import ConfigError

from .conftest import ROOT, write


def test_the_repository_validates():
    summary = validation.validate()
    assert "baseline" in {s.name for s in summary.suites}
    assert "FIL-01" in summary.markers and "CAL-03" in summary.markers


def test_marker_with_unknown_id_is_named_with_file_and_line(tmp_path):
    shutil.copy(ROOT / "requirements.yaml", tmp_path / "requirements.yaml")
    write(tmp_path / "scenarios" / "api" / "test_x.py", '''import pytest


@pytest.mark.requirement("FIL-01", "XYZ-99")
def test_something():
    assert True
''')
    with pytest.raises(ConfigError) as exc:
        validation.validate(tmp_path, suites_folder=ROOT / "suites")
    assert str(exc.value) == "scenarios/api/test_x.py:4: [test_something] marker names unknown requirement 'XYZ-99'"


def test_assessments_are_validated(tmp_path):
    cat = catalogue.load(ROOT / "requirements.yaml")
    write(tmp_path / "assessments.yaml", """\
assessments:
  - {requirement: OPS-05, verdict: pass, who: Projektgruppen, when: 2026-11-20, comment: GPL}
  - {requirement: OPS-99, verdict: pass, who: Projektgruppen, when: 2026-11-20, comment: x}
  - {requirement: OPS-05, verdict: fail, who: Projektgruppen, when: 2026-11-21, comment: again}
  - {requirement: OPS-02, verdict: partial, who: Projektgruppen, when: 2026-11-21, comment: no share}
  - {requirement: OPS-03, verdict: great, who: Projektgruppen, when: 2026-11-21, comment: x}
""")
    with pytest.raises(ConfigError) as exc:
        assessments.load(tmp_path, cat)
    text = str(exc.value)
    assert ":6: [assessments.4.verdict] 'great' is not one of" in text
    write(tmp_path / "assessments.yaml", (tmp_path / "assessments.yaml").read_text().splitlines(True)[0]
          + "".join((tmp_path / "assessments.yaml").read_text().splitlines(True)[1:5]))
    with pytest.raises(ConfigError) as exc:
        assessments.load(tmp_path, cat)
    text = str(exc.value)
    assert ":3: [assessments.1.requirement] unknown requirement 'OPS-99'" in text
    assert ":4: [assessments.2.requirement] OPS-05 is assessed twice (first at line 2)" in text
    assert ":5: [assessments.3.share] a partial verdict needs a share" in text


def test_validate_command_exit_codes(poc_cli, tmp_path):
    ok = poc_cli("validate")
    assert ok.returncode == 0, ok.stderr
    assert "requirements in" in ok.stdout
    broken = write(tmp_path / "broken.yaml", (ROOT / "requirements.yaml").read_text().replace("priority: must", "priority: mustt", 1))
    bad = poc_cli("validate", "--catalogue", broken)
    assert bad.returncode == 2
    assert f"{broken}:" in bad.stderr and "'mustt' is not one of" in bad.stderr
