"""Fixtures for the scenarios: the suite reached through its declared capabilities only.

A scenario asks for a capability (``files``, ``calendar``, ``contacts``) and gets the protocol
adapter the suite declares for it, logged in as a test account; a suite without the capability
makes the scenario `unsupported`. No scenario knows a suite's URLs.
"""

from __future__ import annotations

import uuid

import pytest

from poc.protocols import adapter
from poc.verdicts import unsupported


def pytest_configure(config):
    config.addinivalue_line("markers", "poc_last: run after every other scenario of the run (a verdict on the "
                                       "whole run, such as PRI-07's on what the suite tried to reach)")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: item.get_closest_marker("poc_last") is not None)  # stable: the rest keep their order


def _client(deployment, capability: str, role: str = "pupil", password: str | None = None):
    suite = deployment.suite
    if capability not in suite.capabilities:
        unsupported(f"{suite.name} does not offer the capability {capability!r}")
    account = deployment.accounts.get(role)
    if account is None:
        unsupported(f"{suite.name} has no {role} test account")
    if password is not None:
        from dataclasses import replace
        account = replace(account, password=password)
    spec = suite.capabilities[capability]
    quirk = suite.quirk("http.close-connections")
    return adapter(spec["protocol"])(deployment.url_for(capability, account), account, suite,
                                     close_connections=bool(quirk and quirk["support"] != "full"))


@pytest.fixture
def client_for(suite_deployment):
    """client_for(capability, role="pupil", password=None): an adapter for any capability/role."""
    made = []

    def make(capability: str, role: str = "pupil", password: str | None = None):
        c = _client(suite_deployment, capability, role, password)
        made.append(c)
        return c

    yield make
    for c in made:
        close = getattr(c, "close", None)
        if close:
            close()


@pytest.fixture
def files(client_for):
    """WebDAV (or the suite's files protocol) for the pupil, in a fresh folder of its own."""
    client = client_for("files")
    folder = f"poc-{uuid.uuid4().hex[:8]}"
    client.mkcol(folder)
    client.root = client.url(folder) + "/"
    yield client
    try:
        client.root = client.root.rsplit(folder, 1)[0]
        client.delete(folder + "/", expect=(200, 204, 404))
    except Exception:
        pass


@pytest.fixture
def calendar_client(client_for):
    return client_for("calendar")


@pytest.fixture
def calendar(calendar_client, request):
    """A fresh calendar for the pupil, removed after the scenario."""
    cal = calendar_client.new_calendar(f"POC {request.node.name[:40]}")
    yield cal
    try:
        cal.delete()
    except Exception:
        pass


@pytest.fixture
def contacts(client_for):
    return client_for("contacts")


@pytest.fixture
def addressbook(contacts):
    """A fresh address book for the pupil, removed after the scenario."""
    url = contacts.create_addressbook(f"poc-{uuid.uuid4().hex[:8]}", "Klassens kontakter")
    yield url
    try:
        contacts.session.delete(url)
    except Exception:
        pass
