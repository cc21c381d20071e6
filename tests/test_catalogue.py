"""The catalogue and the YAML files: loading, the schema, and errors that name file, line and field."""

from __future__ import annotations

import pytest

from poc import catalogue, suites, yamlfile
from poc.errors import ConfigError

from .conftest import ROOT, write

MINI = """\
version: "t"
specification: {title: {da: Krav, en: Requirements}, date: "2026-09-30"}
categories:
  - {id: files, title: {da: Filer, en: Files}, weight: 10}
  - {id: calendar, title: {da: Kalender, en: Calendar}, weight: 5}
capabilities:
  - {id: files, description: files}
  - {id: calendar, description: calendar}
  - {id: platform, description: any suite, implicit: true}
requirements:
  - id: FIL-01
    title: {da: Gem en fil, en: Store a file}
    category: files
    priority: must
    weight: 3
    capability: files
    acceptance: {da: [x], en: [x]}
    source: Kravspecifikation afsnit 4.1.1
  - id: CAL-01
    title: {da: Kalender, en: Calendar}
    category: calendar
    priority: should
    weight: 2
    capability: calendar
    acceptance: {da: [x], en: [x]}
    source: Kravspecifikation afsnit 4.2.1
"""


def test_the_real_catalogue_meets_the_brief():
    cat = catalogue.load(ROOT / "requirements.yaml")
    assert len(cat.requirements) >= 60
    assert len(cat.categories) >= 10
    used = {r.category for r in cat.requirements.values()}
    assert used == set(cat.categories), "every category holds requirements"
    for r in cat.requirements.values():
        assert r.title["da"] and r.title["en"] and r.acceptance["da"] and r.source
    assert {"must", "should", "could"} <= {r.priority for r in cat.requirements.values()}


def test_mini_catalogue_loads(tmp_path):
    cat = catalogue.load(write(tmp_path / "r.yaml", MINI))
    assert list(cat.requirements) == ["FIL-01", "CAL-01"]
    assert cat.implicit_capabilities == {"platform"}
    assert cat.line_of("CAL-01") == 19


def test_broken_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path / "r.yaml", MINI.replace("    weight: 2\n", "    weight: [2\n"))
    with pytest.raises(ConfigError) as exc:
        catalogue.load(path)
    assert f"{path}:" in str(exc.value) and "invalid YAML" in str(exc.value)
    assert exc.value.problems[0].line in (23, 24, 25)


def test_duplicate_id_is_reported_with_both_lines(tmp_path):
    path = write(tmp_path / "r.yaml", MINI.replace("  - id: CAL-01", "  - id: FIL-01"))
    with pytest.raises(ConfigError) as exc:
        catalogue.load(path)
    text = str(exc.value)
    assert f"{path}:19: [requirements.1.id] duplicate id 'FIL-01' (first at line 11)" in text


def test_unknown_priority_and_capability_are_named(tmp_path):
    path = write(tmp_path / "r.yaml", MINI.replace("priority: should", "priority: nice-to-have")
                 .replace("capability: calendar\n    acceptance", "capability: telepathy\n    acceptance"))
    with pytest.raises(ConfigError) as exc:
        catalogue.load(path)
    text = str(exc.value)
    assert "[requirements.1.priority] 'nice-to-have' is not one of 'must', 'should', 'could', 'wont'" in text
    assert ":22:" in text
    # the schema error stops the run before the semantic check; fix it and the capability is named
    path = write(tmp_path / "r2.yaml", MINI.replace("capability: calendar\n    acceptance", "capability: telepathy\n    acceptance"))
    with pytest.raises(ConfigError) as exc:
        catalogue.load(path)
    assert "[requirements.1.capability] unknown capability 'telepathy'" in str(exc.value)
    assert f"{path}:24:" in str(exc.value)


def test_missing_field_and_duplicate_key(tmp_path):
    path = write(tmp_path / "r.yaml", MINI.replace("    source: Kravspecifikation afsnit 4.2.1\n", ""))
    with pytest.raises(ConfigError, match=r"\[requirements\.1\] 'source' is required"):
        catalogue.load(path)
    path = write(tmp_path / "d.yaml", MINI.replace("    weight: 2\n", "    weight: 2\n    weight: 3\n"))
    with pytest.raises(ConfigError, match=r"d.yaml:24: \[requirements.1.weight\] duplicate key 'weight'"):
        catalogue.load(path)


def test_not_utf8_and_missing_file(tmp_path):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("titel: Årsplan".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        yamlfile.load(bad)
    with pytest.raises(ConfigError, match="file not found"):
        catalogue.load(tmp_path / "nope.yaml")


def test_suite_file_problems_are_located(tmp_path):
    folder = tmp_path / "suites"
    (folder / "demo").mkdir(parents=True)
    write(folder / "demo" / "suite.yaml", """\
name: demo
title: {da: Demo, en: Demo}
mode: external
capabilities:
  files: {protocol: webdav, url: "{url}/dav/{user}/"}
  calendar: {protocol: carrier-pigeon, url: "{url}/cal/"}
  telepathy: {protocol: webdav, url: "{url}/x/"}
accounts:
  pupil: {username: elev, password_env: DEMO_PUPIL}
  teacher: {username: laerer, password: hemmelig, password_env: DEMO_TEACHER}
""")
    with pytest.raises(ConfigError) as exc:
        suites.load("demo", folder, capabilities={"files", "calendar"})
    text = str(exc.value)
    assert "suite.yaml:10: [accounts.teacher] unknown field(s) ('password' was unexpected)" in text
    write(folder / "demo" / "suite.yaml", (folder / "demo" / "suite.yaml").read_text()
          .replace("password: hemmelig, ", ""))
    with pytest.raises(ConfigError) as exc:
        suites.load("demo", folder, capabilities={"files", "calendar"})
    text = str(exc.value)
    assert "suite.yaml:6: [capabilities.calendar.protocol] unknown protocol 'carrier-pigeon'" in text
    assert "suite.yaml:7: [capabilities.telepathy] unknown capability 'telepathy'" in text


def test_unknown_suite_lists_the_known_ones(tmp_path):
    from poc.errors import UnknownSuite
    with pytest.raises(UnknownSuite, match="unknown suite 'nosuch'; the suites are: .*baseline"):
        suites.load("nosuch")


def test_external_accounts_need_their_environment_variables(monkeypatch):
    suite = suites.load("baseline")
    monkeypatch.delenv("POC_BASELINE_PUPIL_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="POC_BASELINE_PUPIL_PASSWORD"):
        suite.accounts(generate=False)
    generated = suite.accounts(generate=True)
    assert len(generated["pupil"].password) >= 20
    assert generated["pupil"].password != suite.accounts(generate=True)["pupil"].password
    assert generated["pupil"].password not in repr(generated["pupil"])
