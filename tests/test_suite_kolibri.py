"""The Kolibri suite on its real server (PyPI kolibri in .venv-kolibri/): its learning adapter
against the running platform, provisioning a school (XS) through the CLI, a stop that leaves
nothing behind, and what a machine that cannot install it is told."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from poc import suites
from poc.lifecycle import deployment
from poc.lifecycle.local import port_open
from poc.protocols import adapter
from poc.protocols.learning import Forbidden, LearningAdapter
from poc.verdicts import Unsupported

from .conftest import ROOT
from .processes import marked, new_mark


def _installed() -> bool:
    return (ROOT / ".venv-kolibri" / ".poc-installed").exists()


pytestmark = pytest.mark.skipif(not _installed(), reason="Kolibri is not installed: python suites/kolibri/launcher.py install")


def _ports(endpoints: dict) -> set[int]:
    return {int(u.rsplit(":", 1)[1].split("/")[0]) for u in endpoints.values()}


@pytest.fixture(scope="module")
def kolibri():
    """Kolibri started in this process (its process carries a test mark), stopped after the module."""
    mark = new_mark()
    os.environ.update(mark)
    run_dir = Path(tempfile.mkdtemp(prefix="poc-test-kolibri-"))
    suite = suites.load("kolibri")
    dep = deployment(suite, run_dir, progress=lambda *_: None)
    try:
        dep.up()
        yield dep
    finally:
        endpoints = dict(dep.endpoints)
        dep.down()
        os.environ.pop("POC_TEST_MARK", None)
        assert marked(mark) == [], "Kolibri is still running after the stop"
        assert not any(port_open(p) for p in _ports(endpoints)), "a Kolibri port is still open after the stop"


def _as(dep, role):
    account = dep.accounts[role]
    return adapter("kolibri-rest")(dep.url_for("learning", account), account, dep.suite)


def test_adapter_implements_the_learning_interface():
    suites.load("kolibri")  # registers the suite's adapter
    cls = adapter("kolibri-rest")
    assert issubclass(cls, LearningAdapter)
    from poc.protocols.learning import INTERFACE
    assert all(getattr(cls, name) is not getattr(LearningAdapter, name) for name in INTERFACE if name != "close")


def test_learning_flow_on_kolibri(kolibri):
    admin, teacher, pupil, pupil2 = (_as(kolibri, r) for r in ("admin", "teacher", "pupil", "pupil2"))
    try:
        # Kolibri's behaviour, not hidden: a coach may not create a class; the facility admin does
        with pytest.raises(Forbidden, match="HTTP 403"):
            teacher.create_class("7.b Ærø")
        mine, other = admin.create_class("7.a Dansk – Ærø"), admin.create_class("7.b Ærø")
        with pytest.raises(Forbidden):
            teacher.enrol(mine.id, pupil.account.username)
        admin.enrol(mine.id, pupil.account.username)
        admin.enrol(other.id, pupil2.account.username)
        admin.enrol(mine.id, teacher.account.username, "teacher")
        assert {(p.username, p.role) for p in teacher.participants(mine.id)} == {
            (pupil.account.username, "pupil"), (teacher.account.username, "teacher")}
        assert [c.name for c in teacher.my_classes()] == ["7.a Dansk – Ærø"]
        lesson = teacher.create_lesson(mine.id, "Brøker og øvelser", "Læs side 12")
        assert [l.title for l in pupil.lessons(mine.id)] == ["Brøker og øvelser"] == [lesson.title]
        assert [c.name for c in pupil.my_classes()] == ["7.a Dansk – Ærø"]
        assert pupil.open_class(mine.id)["name"] == "7.a Dansk – Ærø"
        with pytest.raises(Forbidden, match="404"):
            pupil.open_class(other.id)
        with pytest.raises(Forbidden):
            pupil.create_lesson(mine.id, "Snyd", "")
        assert pupil2.lessons(mine.id) == [] and "7.a Dansk – Ærø" not in [c.name for c in pupil2.my_classes()]
        with pytest.raises(Unsupported, match="no hand-in assignments"):
            teacher.create_assignment(mine.id, "Stil", None)
        with pytest.raises(Unsupported, match="cannot be attached"):
            teacher.create_lesson(mine.id, "Med fil", "", ("a.txt", b"x"))
        admin.delete_class(other.id)
        assert other.id not in [c.id for c in admin.my_classes()]
    finally:
        for client in (admin, teacher, pupil, pupil2):
            client.close()


def test_learners_need_no_password_as_shipped_but_coaches_do(kolibri):
    """The IAM-08 finding, on the adapter's optional password_accepted()."""
    pupil, teacher = _as(kolibri, "pupil"), _as(kolibri, "teacher")
    assert pupil.password_accepted(kolibri.accounts["pupil"].password)
    assert pupil.password_accepted("forkert-adgangskode") and pupil.password_accepted("")
    assert teacher.password_accepted(kolibri.accounts["teacher"].password)
    assert not teacher.password_accepted("forkert-adgangskode") and not teacher.password_accepted("")


def test_provision_xs_through_the_cli(poc_cli, reports):
    env = new_mark()
    proc = poc_cli("provision", "--suite", "kolibri", "--size", "XS", "--seed", "5", env=env, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "users 27, classes 1, memberships 25, coach_roles 2" in out and "sign-in 5/5 ok" in out, out
    (folder,) = (reports / "provision").iterdir()
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "provisioned" and summary["left_running"] == []
    assert all(r["signed_in"] and r["sees_own_classes"] for r in summary["sign_in"])
    by_role = {r["role"]: r for r in summary["sign_in"]}
    assert by_role["teacher"]["wrong_password_refused"] is True
    assert by_role["pupil"]["wrong_password_refused"] is False, "Kolibri's formal preset, as shipped"
    assert "signed in with a wrong password" in out
    assert marked(env) == [] and not any(port_open(p) for p in _ports(summary["endpoints"]))


def test_an_install_that_fails_says_how_to_install(poc_cli, suites_copy, reports):
    launcher = suites_copy / "kolibri" / "launcher.py"
    text = launcher.read_text()
    assert 'VENV_DIRNAME = ".venv-kolibri"' in text
    # a venv folder that does not exist, and an interpreter that cannot make one: nothing is touched
    launcher.write_text(text.replace('VENV_DIRNAME = ".venv-kolibri"', 'VENV_DIRNAME = ".venv-kolibri-test-absent"'))
    assert not (ROOT / ".venv-kolibri-test-absent").exists()
    env = {**new_mark(), "KOLIBRI_PYTHON": "/nonexistent/python3"}
    proc = poc_cli("provision", "--suite", "kolibri", env=env)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "could not install kolibri==0.19.5" in proc.stderr
    assert "Install it with: python suites/kolibri/launcher.py install" in proc.stderr
    assert marked(env) == [] and not (ROOT / ".venv-kolibri-test-absent").exists()
