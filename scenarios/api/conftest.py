"""Fixtures for the sharing, learning, documents, office, status and provisioning scenarios.

Each gives the adapter the suite declares for the capability (see scenarios/conftest.py), so the
same scenario runs on every suite that offers it and is `unsupported` on the others. What a
fixture creates on the suite (groups, classes, folders) it removes again after the scenario.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from poc.protocols.learning import Forbidden, NotThroughAPI
from poc.verdicts import unsupported


def not_through_api(exc: NotThroughAPI):
    """The platform has no API for a step: the scenario could not test it (recorded as skipped)."""
    pytest.skip(f"not testable through the API: {exc}")


@pytest.fixture
def tag():
    """A short unique suffix for names this scenario creates."""
    return uuid.uuid4().hex[:6]


@pytest.fixture
def provisioning(client_for):
    """The suite's provisioning adapter, signed in as the admin."""
    return client_for("provisioning", "admin")


@pytest.fixture
def sharing_for(client_for):
    return lambda role="teacher": client_for("sharing", role)


@pytest.fixture
def files_for(client_for):
    return lambda role="pupil": client_for("files", role)


def groups_of(provisioning, suite):
    """The provisioning adapter, if it manages groups (classes); else the scenario is unsupported."""
    if not all(callable(getattr(provisioning, m, None)) for m in ("ensure_group", "add_to_group", "delete_group")):
        unsupported(f"{suite.name}'s provisioning API does not manage groups or classes")
    return provisioning


@pytest.fixture
def group_provisioning(provisioning, suite_deployment):
    """The provisioning adapter of a suite that manages groups (classes)."""
    return groups_of(provisioning, suite_deployment.suite)


@pytest.fixture
def school_class(provisioning, suite_deployment, tag):
    """A class as the suite's group, with the pupil (not pupil2) as member; removed afterwards."""
    if "sharing" not in suite_deployment.suite.capabilities:
        unsupported(f"{suite_deployment.suite.name} does not offer the capability 'sharing'")
    groups_of(provisioning, suite_deployment.suite)
    name = f"7.B POC {tag}"
    provisioning.ensure_group(name)
    provisioning.add_to_group(suite_deployment.accounts["pupil"].username, name)
    yield name
    try:
        provisioning.delete_group(name)
    except Exception:
        pass


@pytest.fixture
def learning_for(client_for):
    return lambda role="teacher": client_for("learning", role)


@dataclass
class ClassSetup:
    """A class for a scenario: who manages it, and whether the teacher was refused making it."""

    klass: object
    manager: object            # the adapter that created the class and enrols into it
    teacher_refused: str = ""  # why the platform would not let the teacher create it


@pytest.fixture
def class_setup(learning_for, suite_deployment, tag):
    """A class created by the teacher (LRN-01's first step), deleted afterwards. Where the platform
    lets only an administrator create classes (Kolibri), the admin creates it and makes the teacher
    its teacher, so the scenarios about pupils still run; LRN-01 reports the refusal."""
    teacher = learning_for("teacher")
    name = f"7.B Dansk – Ærø {tag}"
    manager, refused = teacher, ""
    try:
        klass = teacher.create_class(name)
    except NotThroughAPI as exc:
        not_through_api(exc)
    except Forbidden as exc:
        if "admin" not in suite_deployment.accounts:
            raise
        refused = str(exc)
        manager = learning_for("admin")
        klass = manager.create_class(name)
        manager.enrol(klass.id, suite_deployment.accounts["teacher"].username, "teacher")
    yield ClassSetup(klass, manager, refused)
    for role in ("admin", "teacher"):
        if role in suite_deployment.accounts:
            try:
                learning_for(role).delete_class(klass.id)
                break
            except Exception:
                continue


@pytest.fixture
def learning_class(class_setup):
    return class_setup.klass


@pytest.fixture
def enrol(class_setup, suite_deployment):
    """enrol(role="pupil"): puts a test account in the scenario's class, through whoever manages it."""

    def do(role: str = "pupil", as_role: str = "pupil"):
        class_setup.manager.enrol(class_setup.klass.id, suite_deployment.accounts[role].username, as_role)

    return do


@pytest.fixture
def status_client(client_for):
    return client_for("status")


@pytest.fixture
def office(client_for):
    return client_for("office")


@pytest.fixture
def converter(client_for):
    return client_for("documents")
