"""Fixtures for the sharing, learning, documents, office, status and provisioning scenarios.

Each gives the adapter the suite declares for the capability (see scenarios/conftest.py), so the
same scenario runs on every suite that offers it and is `unsupported` on the others. What a
fixture creates on the suite (groups, classes, folders) it removes again after the scenario.
"""

from __future__ import annotations

import uuid

import pytest

from poc.protocols.learning import NotThroughAPI
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


@pytest.fixture
def learning_class(learning_for, suite_deployment, tag):
    """A class created by the teacher (LRN-01's first step), deleted afterwards."""
    teacher = learning_for("teacher")
    try:
        klass = teacher.create_class(f"7.B Dansk – Ærø {tag}")
    except NotThroughAPI as exc:
        not_through_api(exc)
    yield klass
    for role in ("admin", "teacher"):
        if role in suite_deployment.accounts:
            try:
                learning_for(role).delete_class(klass.id)
                break
            except Exception:
                continue


@pytest.fixture
def status_client(client_for):
    return client_for("status")


@pytest.fixture
def office(client_for):
    return client_for("office")


@pytest.fixture
def converter(client_for):
    return client_for("documents")
