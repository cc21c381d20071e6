"""poc/school_provisioning.py on a local suite (baseline, real Radicale and WsgiDAV), what it says of
deployments it cannot provision, and the school's passwords against Moodle's default policy."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from poc import school, school_provisioning, suites
from poc.commands.provision import check_sign_in
from poc.lifecycle import deployment
from poc.suites import Account


def test_passwords_meet_moodles_default_policy():
    """At least 8 characters, a digit, a lower- and an upper-case letter and a non-alphanumeric one
    (Moodle's default password policy), for every person of a school, every time."""
    for seed in range(5):
        for p in school.build("S", seed).people:
            pw = p.password
            assert len(pw) >= 8 and re.search(r"\d", pw) and re.search(r"[a-z]", pw) and re.search(r"[A-Z]", pw) \
                and re.search(r"[^a-zA-Z0-9]", pw) and pw.isascii(), "a school password misses a class"


def test_baseline_school_through_school_provisioning(tmp_path):
    """supported() says yes; provision() goes through the launcher's provision_school and returns the
    counts, via, seconds and users/s; every sampled person signs in with their own password; remove()
    has nothing to do on a local suite (its data folder goes with it)."""
    suite = suites.load("baseline")
    dep = deployment(suite, tmp_path, progress=lambda t: None)
    xs = school.build("XS", 3, reserved={spec["username"] for spec in suite.config["accounts"].values()})
    try:
        dep.up()
        assert school_provisioning.supported(dep) is None
        made = school_provisioning.provision(dep, xs, progress=lambda t: None)
        assert made["users"] == 27 and "provision_school" in made["via"]
        assert made["seconds"] >= 0 and made["users_per_s"] > 0 and "password" not in repr(made).lower()
        for person in xs.sample(3):
            row = check_sign_in(dep, person)
            assert row["signed_in"] is True and row["wrong_password_refused"] is True, row
        assert school_provisioning.remove(dep, xs, progress=lambda t: None) == []
    finally:
        dep.down()


def _dep(suite_name: str, mode: str = "external", accounts: dict | None = None):
    return SimpleNamespace(suite=suites.load(suite_name), mode=mode, url="http://example.invalid",
                           accounts=accounts if accounts is not None else
                           {"admin": Account("admin", "admin", "x" * 12)})


@pytest.mark.parametrize("name, reason", [
    ("collabora", "holds no user accounts"),
    ("google-workspace", "reference column"),
])
def test_what_cannot_be_provisioned_says_why(name, reason):
    why = school_provisioning.supported(_dep(name))
    assert why and reason in why


def test_no_admin_account_says_which_variable():
    why = school_provisioning.supported(_dep("nextcloud", accounts={}))
    assert why and "POC_NEXTCLOUD_ADMIN_PASSWORD" in why


def test_names_cannot_collide_with_a_schools_own_groups():
    s = school.build("S", 1, passwords=False)
    keys = {school_provisioning.class_key(s, c.name) for c in s.classes} | {school_provisioning.teachers_key(s)}
    assert len(keys) == 25 and all(k.startswith("poc-testskolen-s1-") for k in keys)
    assert school_provisioning.prefix(school.build("XS", 1, passwords=False)) != school_provisioning.prefix(s)
