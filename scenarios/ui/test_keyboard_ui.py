"""Keyboard operability (WCAG 2.1.1, 2.4.7): the login through the suite's own page with the keyboard
alone, and a visible focus on the way. (ACC-03's navigation and upload parts have no scenario yet.)"""

from __future__ import annotations

import pytest

from poc.ui import actions
from poc.verdicts import unsupported

MAX_TABS = 40


@pytest.mark.requirement("ACC-03")
def test_log_in_with_the_keyboard_only(ui, open_as, journey):
    """Log in with the keyboard alone: Tab to each field, type, Enter"""
    if not ui.login or ui.login_method != "form":
        unsupported(f"{ui.suite.name} logs in through the browser's own HTTP authentication dialog, not a page")
    login = ui.login
    account = ui.deployment.accounts["pupil"]
    session = open_as("pupil")
    page = session.page
    with journey.step("open the login page"):
        page.goto(ui.url(login["url"], "pupil"), wait_until="load")
        page.locator(login["username"]).first.wait_for(state="visible")
        page.locator("body").first.focus()
    with journey.step("Tab reaches the user name field") as step:
        presses = actions.tab_to(page, login["username"], MAX_TABS)
        assert presses, f"the user name field is not reached with Tab ({MAX_TABS} presses)"
        step["note"] = f"{presses} Tab press(es)"
    with journey.step("the keyboard focus is visible (WCAG 2.4.7)"):
        assert actions.focus_visible(page, login["username"]), \
            "the focused user name field looks the same as when it has no focus"
        page.keyboard.type(account.username)
    if login.get("next"):
        with journey.step("Enter goes on to the next step"):
            page.keyboard.press("Enter")
            actions.first_of(page, login["password"], login["logged_in"], login.get("refused"))
    if actions.visible(page, login["password"]):
        with journey.step("Tab reaches the password field") as step:
            if not page.locator(login["password"]).first.evaluate("el => el === document.activeElement"):
                presses = actions.tab_to(page, login["password"], MAX_TABS)
                assert presses, f"the password field is not reached with Tab ({MAX_TABS} presses)"
                step["note"] = f"{presses} Tab press(es)"
            page.keyboard.type(account.own_password)
        with journey.step("Enter logs in"):
            page.keyboard.press("Enter")
            actions.first_of(page, login["logged_in"], login.get("refused"))
    with journey.step("the start page shows the user as logged in"):
        assert actions.logged_in(page, ui), "the login did not complete with the keyboard alone"
