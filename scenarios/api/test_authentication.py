"""Authentication over every protocol the suite speaks: a wrong password and no password are refused."""

from __future__ import annotations

import pytest

from poc.protocols._http import Session
from poc.verdicts import unsupported

DAV_CAPABILITIES = ("files", "calendar", "contacts")


@pytest.mark.requirement("IAM-01")
def test_wrong_password_and_anonymous_are_refused(suite_deployment):
    offered = [c for c in DAV_CAPABILITIES if c in suite_deployment.suite.capabilities]
    if not offered:
        unsupported("the suite offers none of files, calendar, contacts over an authenticated protocol")
    account = suite_deployment.accounts["pupil"]
    for capability in offered:
        url = suite_deployment.url_for(capability, account)
        right = Session(account.username, account.password)
        assert right.request("PROPFIND", url, headers={"Depth": "0"}).status_code == 207, \
            f"{capability}: the right password was not accepted at {url}"
        wrong = Session(account.username, "forkert-adgangskode-" + account.username)
        status = wrong.request("PROPFIND", url, headers={"Depth": "0"}).status_code
        assert status == 401, f"{capability}: a wrong password answered {status}, not 401"
        anonymous = Session()
        status = anonymous.request("PROPFIND", url, headers={"Depth": "0"}).status_code
        assert status == 401, f"{capability}: no password answered {status}, not 401"
