"""IAM-08: a pupil account must require a password, on the platform where pupils sign in to learn.

The pupil signs in through the suite's learning adapter (or, without one, its provisioning
adapter, or any protocol the pupil signs in to: files, calendar, contacts, sharing) with a wrong
password and with an empty one; both must be refused. The adapter offers this through the method
``password_accepted(password) -> bool`` (a fresh sign-in on a new session, signed out again at
once); every suite with accounts has one of these, so none is `unsupported` for lack of it.

The right password is tried first: if that is refused too, the check proves nothing, and the
scenario ends in `error` rather than a `pass`.
"""

from __future__ import annotations

import secrets

import pytest

from poc.verdicts import unsupported

CAPABILITIES = ("learning", "provisioning", "files", "calendar", "contacts", "sharing")
METHOD = "password_accepted"


@pytest.fixture
def pupil_sign_in(client_for, suite_deployment):
    """The pupil's adapter that can check a sign-in, from the first capability whose adapter can."""
    offered = [c for c in CAPABILITIES if c in suite_deployment.suite.capabilities]
    if not offered:
        unsupported(f"{suite_deployment.suite.name} offers none of {', '.join(CAPABILITIES)}: "
                    "no platform where pupils sign in to check")
    for capability in offered:
        client = client_for(capability, "pupil")
        if callable(getattr(client, METHOD, None)):
            account = suite_deployment.accounts["pupil"]
            right = account.own_password  # its own password, not an app password
            if not client.password_accepted(right):
                raise RuntimeError(f"the pupil's right password was refused through {capability}: "
                                   "the check below would prove nothing")
            return client
    unsupported(f"the {'/'.join(offered)} adapter of {suite_deployment.suite.name} cannot check a sign-in "
                f"(it has no {METHOD}() method)")


@pytest.mark.requirement("IAM-08")
def test_pupil_sign_in_refuses_an_incorrect_password(pupil_sign_in):
    wrong = "forkert-" + secrets.token_urlsafe(12)
    if pupil_sign_in.password_accepted(wrong):
        pytest.fail(f"pupil {pupil_sign_in.account.username} signed in with a wrong password", pytrace=False)


@pytest.mark.requirement("IAM-08")
def test_pupil_sign_in_refuses_an_empty_password(pupil_sign_in):
    if pupil_sign_in.password_accepted(""):
        pytest.fail(f"pupil {pupil_sign_in.account.username} signed in with an empty password", pytrace=False)
