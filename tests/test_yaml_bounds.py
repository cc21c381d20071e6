"""Every YAML file the harness reads from its users is bounded in time and memory: a file built to
expand (aliases of aliases), to nest without end or to be huge is refused at once, with file and line."""

from __future__ import annotations

import time

import pytest

from poc import catalogue, suites, yamlfile
from poc.errors import ConfigError

from .conftest import ROOT, write

# nine lines that expand to 9^9 (387 million) strings: the "billion laughs"
BOMB = "".join(f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}" if i else '"lol"'] * 9) + "]\n"
               for i in range(9))


def test_billion_laughs_is_refused_at_once_with_file_and_line(tmp_path):
    path = write(tmp_path / "bomb.yaml", BOMB)
    t0 = time.monotonic()
    with pytest.raises(ConfigError) as exc:
        yamlfile.load(path)
    assert time.monotonic() - t0 < 2
    assert str(exc.value).startswith(f"{path}:6: refused: with its aliases expanded the file would hold more than "
                                     f"{yamlfile.MAX_NODES:,} values")


def test_a_bomb_in_a_suite_file_stops_validate_quickly(poc_cli, suites_copy):
    """As a new user met it: `make validate` ran for more than 20 s on such a file; now it is refused."""
    path = suites_copy / "baseline" / "suite.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "x-laughs:\n" + "".join("  " + line + "\n" for line in
                                                                                BOMB.splitlines()), encoding="utf-8")
    t0 = time.monotonic()
    proc = poc_cli("validate", timeout=60)
    assert time.monotonic() - t0 < 20
    assert proc.returncode == 2
    assert f"{path}:" in proc.stderr and "refused: with its aliases expanded" in proc.stderr


def test_nesting_without_end_is_refused_not_a_recursion_error(tmp_path):
    path = write(tmp_path / "deep.yaml", "title: ok\nrequirements: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match=rf"deep.yaml:2: refused: nested more than {yamlfile.MAX_DEPTH} levels"):
        yamlfile.load(path)


def test_a_huge_file_is_refused_without_being_read(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlfile, "MAX_BYTES", 1000)
    path = write(tmp_path / "big.yaml", "a: " + "x" * 2000 + "\n")
    with pytest.raises(ConfigError, match=r"big.yaml: refused: 0.0 MB is more than"):
        yamlfile.load(path)
    with pytest.raises(ConfigError, match=r"compose.yml: refused"):
        yamlfile.safe_load("a: " + "x" * 2000, tmp_path / "compose.yml")


def test_the_other_readers_are_bounded_too(tmp_path, monkeypatch):
    """The load data (scenarios/load/*.yaml) and a suite's Compose file go through the same bounds."""
    from poc.load import data
    folder = tmp_path / "load"
    write(folder / "sizes.yaml", BOMB)
    monkeypatch.setattr(data, "FOLDER", folder)
    with pytest.raises(ConfigError, match=r"sizes.yaml:6: refused"):
        data._read("sizes.yaml")
    with pytest.raises(ConfigError, match=r"docker-compose.yml:6: refused"):
        yamlfile.safe_load(BOMB, tmp_path / "docker-compose.yml")
    # a Compose file's own anchors and merge keys still work
    compose = "x-common: &common {restart: always}\nservices:\n  app:\n    <<: *common\n    image: nextcloud\n"
    assert yamlfile.safe_load(compose, "docker-compose.yml")["services"]["app"] == {"restart": "always",
                                                                                   "image": "nextcloud"}


def test_the_harness_own_yaml_files_still_load():
    cat = catalogue.load(ROOT / "requirements.yaml")
    for name in suites.names(ROOT / "suites"):
        yamlfile.load(ROOT / "suites" / name / "suite.yaml")
    for path in sorted((ROOT / "scenarios").rglob("*.yaml")) + sorted((ROOT / "suites").rglob("docker-compose.yml")):
        yamlfile.check_bounds(path.read_text(encoding="utf-8"), path)
    assert len(cat.requirements) > 100
    text = (ROOT / "requirements.yaml").read_text(encoding="utf-8")
    t0 = time.monotonic()
    yamlfile.check_bounds(text, "requirements.yaml")
    assert time.monotonic() - t0 < 0.5, "the bounds cost next to nothing on the largest file"
