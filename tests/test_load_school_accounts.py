"""Each simulated user its own account (poc/load/school_accounts.py): the picking is disjoint across
generator processes, the Locust side reads the school without any password in a file, and a school
that lacks a password is refused with the variable's name."""

from __future__ import annotations

import json

import pytest

from poc import school as school_mod
from poc.errors import PocError
from poc.load import school_accounts


def test_generators_take_disjoint_accounts_until_every_account_is_used():
    accounts = [f"elev{i}" for i in range(600)]
    generators = 3
    taken = [school_accounts.pick(accounts, k, g, generators) for g in range(generators) for k in range(200)]
    assert len(set(taken)) == 600, "600 users over 3 processes: 600 different accounts"
    one = [school_accounts.pick(accounts, k, 0, 1) for k in range(600)]
    assert one == accounts


def test_the_school_sizes_match_the_load_sizes():
    from poc.load import data
    for size in ("XS", "S"):
        s = school_mod.build(size, 1, passwords=False)
        assert (len(s.pupils), len(s.teachers)) == (data.size(size).pupils, data.size(size).teachers), size


def test_the_locust_side_reads_the_people_with_passwords_from_the_environment_only(tmp_path, monkeypatch):
    school = school_mod.build("XS", 3)
    provided = school_accounts.ProvidedSchool(school, {"mode": "school"},
                                              {school_accounts.ENV_PASSWORDS: json.dumps({p.username: p.password
                                                                                          for p in school.people})},
                                              {school.pupils[0].username: {"files": "http://127.0.0.1:1/x/"}})
    env = provided.write(tmp_path)
    text = (tmp_path / school_accounts.SCHOOL_FILE).read_text(encoding="utf-8")
    assert not any(p.password in text for p in school.people), "no password in the school file"
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    people = school_accounts.load_people()
    assert len(people["pupil"]) == 25 and len(people["teacher"]) == 2
    assert {a.username: a.password for a in people["pupil"]} == {p.username: p.password for p in school.pupils}
    assert school_accounts.load_prepared()[school.pupils[0].username]["files"].endswith("/x/")
    monkeypatch.setenv(school_accounts.ENV_PASSWORDS, "{}")
    with pytest.raises(PocError, match=school_accounts.ENV_PASSWORDS):
        school_accounts.load_people()


def test_the_mode_defaults_to_a_school_for_real_length_stages(monkeypatch):
    monkeypatch.delenv(school_accounts.ENV_MODE, raising=False)
    assert school_accounts.mode(True) == "school" and school_accounts.mode(False) == "shared"
    monkeypatch.setenv(school_accounts.ENV_MODE, "shared")
    assert school_accounts.mode(True) == "shared"
    monkeypatch.setenv(school_accounts.ENV_MODE, "everyone")
    with pytest.raises(PocError, match="POC_LOAD_ACCOUNTS"):
        school_accounts.mode(True)
