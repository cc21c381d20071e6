"""The generated school (poc/school.py): deterministic from its seed, the right sizes, and
usernames every suite accepts."""

from __future__ import annotations

import re

import pytest

from poc import school

KOLIBRI_RULE = re.compile(r"^[A-Za-z0-9_]{1,30}$")  # the strictest of the suites (suites/kolibri/NOTES.md)


def test_same_seed_same_school_other_seed_other_school():
    a, b = school.build("S", 7), school.build("S", 7)
    assert a == b and a.fingerprint() == b.fingerprint() and a.public() == b.public()
    assert school.build("S", 8).fingerprint() != a.fingerprint()
    assert school.build("XS", 7).fingerprint() != a.fingerprint()


def test_passwords_are_random_and_never_shown():
    a, b = school.build("XS", 1), school.build("XS", 1)
    assert a == b, "passwords are not part of what makes two schools equal"
    passwords = [p.password for p in a.people]
    assert all(len(pw) >= 12 for pw in passwords) and len(set(passwords)) == len(passwords)
    assert {p.password for p in a.people}.isdisjoint(p.password for p in b.people)
    text = repr(a) + str(a.public()) + a.fingerprint()
    assert not any(pw in text for pw in passwords)
    assert all(p.password == "" for p in school.build("XS", 1, passwords=False).people)


def test_size_xs_is_one_class_of_25_with_two_teachers():
    s = school.build("XS", 3)
    assert s.counts() == {"classes": 1, "teachers": 2, "pupils": 25, "memberships": 25, "teacher_assignments": 2}
    (klass,) = s.classes
    assert re.fullmatch(r"[0-9]\.a", klass.name) and set(klass.teachers) == {t.username for t in s.teachers}


@pytest.mark.parametrize("seed", [1, 2, 99])
def test_size_s_is_24_classes_600_pupils_40_teachers(seed):
    s = school.build("s", seed)
    counts = s.counts()
    assert (counts["classes"], counts["pupils"], counts["teachers"]) == (24, 600, 48)
    names = [c.name for c in s.classes]
    assert len(set(names)) == 24 and all(re.fullmatch(r"[0-9]\.[abc]", n) for n in names)
    assert {n.split(".")[0] for n in names} == {str(g) for g in range(10)}, "every grade 0-9 has a class"
    assert all(22 <= len(c.pupils) <= 28 for c in s.classes)
    in_class = [u for c in s.classes for u in c.pupils]
    assert sorted(in_class) == sorted(p.username for p in s.pupils), "every pupil is in exactly one class"
    assert all(c.teachers for c in s.classes) and all(t.classes for t in s.teachers)
    for t in s.teachers:
        assert set(t.classes) == {c.name for c in s.classes if t.username in c.teachers}


def test_usernames_suit_every_suite_and_names_are_danish():
    s = school.build("S", 5)
    users = [p.username for p in s.people]
    assert len(set(users)) == len(users)
    assert all(KOLIBRI_RULE.match(u) and school.USERNAME_RULE.match(u) for u in users)
    display = " ".join(p.display_name for p in s.people)
    assert all(ch in display for ch in "æøå"), "the names exercise æ, ø and å"
    assert all(p.email == f"{p.username}@{school.EMAIL_DOMAIN}" for p in s.people)


def test_username_rule():
    taken: set[str] = set()
    assert school.username_for("Søren", "Ærø", taken) == "soeren_aeroe"
    assert school.username_for("Søren", "Ærø", taken) == "soeren_aeroe2"
    assert school.username_for("Åse", "Kjær Bøgh", taken) == "aase_kjaerboegh"
    assert school.username_for("Hans-Jørgen", "Müller", taken) == "hansjoergen_muller"
    long = school.username_for("Anne-Sofie", "Lykkegård Østergaard Christiansen", taken)
    assert len(long) == 30 and KOLIBRI_RULE.match(long)
    assert school.ascii_name("ÆØÅ æøå é") == "aeoeaaaeoeaae"


def test_reserved_usernames_are_never_given_out():
    plain = school.build("S", 11, passwords=False)
    reserved = {plain.pupils[0].username, plain.teachers[0].username}
    s = school.build("S", 11, reserved=reserved, passwords=False)
    assert reserved.isdisjoint(p.username for p in s.people)


def test_sample_is_deterministic_and_starts_with_a_teacher_and_pupils():
    s = school.build("S", 4)
    sample = s.sample(6)
    assert [p.username for p in sample] == [p.username for p in school.build("S", 4).sample(6)]
    assert len(sample) == 6 and sample[0].role == "teacher" and {p.role for p in sample[1:3]} == {"pupil"}


def test_unknown_size_is_refused(poc_cli):
    with pytest.raises(ValueError, match="unknown school size 'XL'; the sizes are: XS, S"):
        school.build("XL", 1)
    proc = poc_cli("provision", "--suite", "baseline", "--size", "XL")
    assert proc.returncode == 2 and "invalid choice: 'XL'" in proc.stderr


def test_provision_xs_on_the_baseline_suite(poc_cli, reports):
    """The reference suite: Radicale's htpasswd and a restarted WsgiDAV, then sign-ins over DAV."""
    import json

    from poc.lifecycle.local import port_open

    from .processes import marked, new_mark

    env = new_mark()
    proc = poc_cli("provision", "--suite", "baseline", "--size", "XS", "--seed", "2", env=env, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "users 27" in out and "sign-in 5/5 ok" in out, out
    (folder,) = (reports / "provision").iterdir()
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["school"]["fingerprint"] == school.build("XS", 2).fingerprint()
    assert all(r["signed_in"] and r["wrong_password_refused"] for r in summary["sign_in"])
    assert marked(env) == [] and summary["left_running"] == []
    assert not any(port_open(int(u.rsplit(":", 1)[1])) for u in summary["endpoints"].values())
