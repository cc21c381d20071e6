"""Logging in and out through the suite's own login page, and a wrong password refused there."""

from __future__ import annotations

import pytest

from poc.ui import actions
from poc.verdicts import unsupported

WRONG = "forkert-Adgangskode-42"
NOBODY = "elev_findesikke"  # letters, digits and _ only: a user name every suite accepts as typed


@pytest.mark.requirement("IAM-02")
def test_log_in_and_out(ui, logged_in_as, journey):
    """Log in, see the start page, log out; reload and back give no access"""
    if not ui.login.get("logout"):
        unsupported(f"{ui.suite.name}'s login ({ui.login_method}) offers no way to log out")
    session = logged_in_as("pupil")
    page = session.page
    with journey.step("the start page shows the user as logged in"):
        assert actions.logged_in(page, ui), "no logged-in marker after the login"
    with journey.step("log out"):
        actions.logout(session, ui)
        assert actions.logged_out(page, ui), "the login page did not come back after logging out"
    journey.audit("logged out")
    with journey.step("reload: still logged out"):
        page.reload(wait_until="load")
        assert actions.logged_out(page, ui), "reloading after logging out gave access again"
    with journey.step("back: still logged out"):
        page.go_back(wait_until="load")
        assert actions.logged_out(page, ui), "the back button after logging out gave access again"


def _attempt(open_as, ui, journey, username: str, label: str) -> actions.LoginResult:
    # Basic auth: the context answers with these; a form whose script meets an HTTP challenge makes a
    # real browser show its own prompt, which the session dismisses as a user would (and records)
    session = open_as("pupil", username=username, password=WRONG, dismiss_auth_prompts=True)
    with journey.step(f"open the login page ({label})"):
        if ui.login_method == "form":
            session.page.goto(ui.url(ui.login["url"], "pupil"), wait_until="load")
            session.page.locator(ui.login["username"]).first.wait_for(state="visible")
    with journey.step(f"log in with a wrong password ({label})") as step:
        result = actions.login(session, ui, username=username, password=WRONG)
        if not result.password_asked:
            step["note"] = "the sign-in page did not ask for the password"
    with journey.step(f"the login is refused ({label})"):
        assert not result.ok, f"a wrong password was accepted for {label}" + (
            "" if result.password_asked else ": the sign-in page let the user in without asking for the password")
        assert not actions.logged_in(session.page, ui), f"the logged-in page shows after a wrong password ({label})"
    result.message = result.message.replace(username, "<user>")  # naming the user typed in reveals nothing
    return result


@pytest.mark.requirement("IAM-03")
def test_wrong_password_is_refused(ui, open_as, journey):
    """A wrong password is refused with a message that does not tell whether the user exists"""
    if not ui.login:
        unsupported(f"{ui.suite.name}'s ui block declares no login page")
    known = _attempt(open_as, ui, journey, ui.deployment.accounts["pupil"].username, "existing user")
    journey.audit("login refused")
    unknown = _attempt(open_as, ui, journey, NOBODY, "unknown user")
    with journey.step("the refusal is understandable and the same for an unknown user"):
        assert known.message, "the page gave no message when refusing the login"
        assert known.message == unknown.message, (
            f"the refusal differs for an existing ({known.message!r}) and an unknown user ({unknown.message!r}): "
            "it reveals which user names exist")
