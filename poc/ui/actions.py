"""Logging in and out the way the suite's ``ui:`` block says, opening its pages, and the small
action language of ``steps`` (click, fill, set_files, press, select, wait, goto)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from ..errors import ConfigError
from .spec import Page

ACTIONS = ("click", "fill", "set_files", "press", "select", "wait", "goto", "check")
OPTIONAL_MS = 3000


@dataclass
class LoginResult:
    ok: bool            # the logged-in marker showed
    message: str = ""   # the refusal the page showed (form) or the HTTP status (basic)
    status: int | None = None
    password_asked: bool = True  # False: a two-step sign-in page let the user in (or refused) before asking


def same_document(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc, pa.path.rstrip("/"), pa.query) == (pb.scheme, pb.netloc, pb.path.rstrip("/"), pb.query)


def visible(page, selector: str | None) -> bool:
    if not selector:
        return False
    try:
        return page.locator(selector).first.is_visible()
    except Exception:
        return False


def open_page(session, spec, page: Page, role: str | None = None):
    """Go to ``page`` and wait for its ``ready`` marker. A page behind the form login that is the
    document already shown (a single-page app keeps its login in memory) is not reloaded."""
    url = spec.url(page.url, role or session.role)
    response = None
    if not (page.auth == "login" and same_document(session.page.url, url)):
        response = session.page.goto(url, wait_until="load")
    if page.ready:
        session.page.locator(page.ready).first.wait_for(state="visible")
    return response


def login(session, spec, *, username: str, password: str) -> LoginResult:
    """Log in through the suite's own login page; returns whether the logged-in marker showed or
    what the page said instead. (HTTP Basic: the context already holds the credentials.)

    A sign-in page in two steps (``next``: the user name first, then the password) may log the user
    in or refuse at the first step without asking for the password: the result says so
    (``password_asked``). Once logged in, the block's ``after`` steps run (a welcome dialog closed)."""
    login = spec.login
    page = session.page
    url = spec.url(login["url"], session.role)
    if spec.login_method == "basic":
        response = page.goto(url, wait_until="load")
        status = response.status if response else None
        ok = status is not None and status < 400 and (not login.get("logged_in") or _shows(page, login["logged_in"]))
        return LoginResult(ok, "" if ok else f"HTTP {status}", status)
    if not same_document(page.url, url) or not visible(page, login["username"]):
        page.goto(url, wait_until="load")
    page.locator(login["username"]).first.wait_for(state="visible")
    page.locator(login["username"]).first.fill(username)
    asked = True
    if login.get("next"):
        page.locator(login["next"]).first.click()
        _first_of(page, login["password"], login["logged_in"], login.get("refused"))
        asked = visible(page, login["password"])
    if asked:
        page.locator(login["password"]).first.fill(password)
        page.locator(login["submit"]).first.click()
        _first_of(page, login["logged_in"], login.get("refused"))
    if visible(page, login["logged_in"]):
        run_steps(page, login.get("after") or [], {"user": username})
        return LoginResult(True, password_asked=asked)
    message = ""
    if login.get("refused"):
        message = page.locator(login["refused"]).filter(visible=True).first.inner_text().strip()
    return LoginResult(False, message, password_asked=asked)


def tab_to(page, selector: str, presses: int = 40) -> int | None:
    """Press Tab until the element ``selector`` has the focus; the number of presses, or None."""
    target = page.locator(selector).first
    if not target.count():
        return None
    for n in range(1, presses + 1):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return n
    return None


_LOOK = """el => { const c = getComputedStyle(el);
  return [c.outlineStyle, c.outlineWidth, c.outlineColor, c.boxShadow, c.borderColor, c.backgroundColor].join('|'); }"""


def focus_visible(page, selector: str) -> bool:
    """Whether the element looks different with the keyboard focus than without (WCAG 2.4.7);
    call it while the element has the focus, which it keeps."""
    element = page.locator(selector).first
    focused = element.evaluate(_LOOK)
    element.evaluate("el => el.blur()")
    unfocused = element.evaluate(_LOOK)
    element.focus()
    return focused != unfocused


def first_of(page, *selectors: str | None) -> None:
    _first_of(page, *selectors)


def _first_of(page, *selectors: str | None) -> None:
    """Wait until one of ``selectors`` (None: left out) is visible, whichever shows first."""
    outcome = None
    for selector in filter(None, selectors):
        loc = page.locator(selector).filter(visible=True)
        outcome = loc if outcome is None else outcome.or_(loc)
    outcome.first.wait_for(state="visible")


def _shows(page, selector: str, timeout_ms: int = 5000) -> bool:
    try:
        page.locator(selector).first.wait_for(state="visible", timeout=timeout_ms)
        return True
    except Exception:
        return False


def logged_in(page, spec) -> bool:
    return visible(page, spec.login.get("logged_in"))


def logged_out(page, spec, timeout_ms: int = 5000) -> bool:
    marker = spec.login.get("logged_out") or spec.login.get("username")
    return _shows(page, marker, timeout_ms) and not visible(page, spec.login.get("logged_in"))


def logout(session, spec) -> None:
    """Click ``logout`` (a selector), or carry out its steps (a list: open a menu, then sign out)."""
    how = spec.login["logout"]
    if isinstance(how, list):
        run_steps(session.page, how, {})
    else:
        session.page.locator(how).first.click()
    marker = spec.login.get("logged_out") or spec.login.get("username")
    session.page.locator(marker).first.wait_for(state="visible")


def run_steps(page, steps: list[dict], values: dict) -> None:
    """Carry out ``steps`` from the ui block; strings are templates over ``values``
    ({title}, {date}, {start}, {end}, {file}, {name}, ...; a date or time value takes a strftime
    format: {day:%Y%m%d}). A ``goto`` URL may be relative to the page shown (``#!/day/{day:%Y%m%d}``).
    A step with ``optional: true`` is carried out only if its element shows within ``timeout`` ms
    (default 3000): a dialog that a page shows on some visits and not on others."""
    for i, step in enumerate(steps, 1):
        kind = next((k for k in ACTIONS if k in step), None)
        if kind is None:
            raise ConfigError(f"ui step {i} {step!r}: unknown action; use one of {', '.join(ACTIONS)}")
        target = str(step[kind]).format_map(values)
        if kind == "goto":
            page.goto(urljoin(page.url, target), wait_until="load")
            continue
        loc = page.locator(target).first
        if step.get("optional") and kind != "wait":
            try:
                loc.wait_for(state="visible", timeout=int(step.get("timeout", OPTIONAL_MS)))
            except Exception as exc:  # Playwright's TimeoutError: it did not show, so nothing to do
                if type(exc).__name__ != "TimeoutError":
                    raise
                continue
        if kind == "click":
            loc.click()
        elif kind == "check":
            loc.check()
        elif kind == "fill":
            loc.fill(str(step.get("value", "")).format_map(values))
        elif kind == "set_files":
            loc.set_input_files(str(step.get("value", "{file}")).format_map(values))
        elif kind == "press":
            loc.press(str(step.get("key", "Enter")))
        elif kind == "select":
            loc.select_option(str(step.get("value", "")).format_map(values))
        elif kind == "wait":
            loc.wait_for(state=step.get("state", "visible"))
