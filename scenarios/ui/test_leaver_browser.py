"""IAM-11 in the browser: a leaver's signed-in browser session ends at its next request.

scenarios/api/test_leavers.py checks a leaver's password on every protocol and a web session cookie
replayed over plain HTTP. This is the real thing: a fresh pupil of the scenario's own (made and
closed exactly as there: ``poc.privacy.Accounts``) signs in through the suite's own login page in a
fresh Chromium context, a signed-in page of the ``ui:`` block is shown, the account is closed through
the suite's provisioning (or the administrator's way, which makes the verdict `unsupported` with the
figures), and then, every 0.5 s for at most 30 s, the browser makes its next request to that page
(a reload, or a navigation to it once it has gone elsewhere). Each answer is judged from what really
came back: still signed in (the page's own content and, behind a form login, the logged-in marker),
or ended (a 401/403, a redirect to the login page, the login form shown, or an error page in place of
the page's content). The verdict: pass when the first request after the closing found the session
ended; fail naming the seconds it took, or that it was still signed in at the bound. Evidence: every
request's status and URL (leaver-browser.json) and screenshots before and after, in the scenario's
evidence folder; the journey in evidence/ui/.

Which page is "the signed-in page" is found, not declared: the first page of the ui block behind the
login (``auth: login`` or ``basic``) that shows the pupil signed in and still does after a reload
before the account is closed. A page that keeps its sign-in in the page's memory only (Radicale's
/.web/: the password is sent with every request the page's script makes) shows the login form again
on any reload, so there is no session on the server to end; such a page is passed over and said so.
Where the page uses HTTP Basic auth (baseline's WsgiDAV), the browser context's ``http_credentials``
are the "session": the browser sends the password with every request, and the evidence says so.

Before a `fail` is trusted, the same request is made by a second client (Python requests with the
browser's cookies, or the Basic credentials) and its answer is recorded beside the browser's.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlsplit

import pytest

from poc import privacy
from poc.privacy import Accounts, NeedsLauncher, client
from poc.redact import redact
from poc.ui import actions
from poc.ui.capture import short_url
from poc.ui.session import open_session
from poc.ui.spec import UiSpec
from poc.verdicts import unsupported

BOUND_S = 30.0
INTERVAL_S = 0.5
MARKER_WAIT_MS = 8000  # how long one answer may take to show either the page or the login form


class _AsLeaver:
    """The deployment seen with the fresh pupil as its pupil: the ui block's {user} and the
    browser's HTTP Basic credentials are then the leaver's, not the shared test account's."""

    def __init__(self, deployment, account):
        self._deployment = deployment
        self.accounts = {**deployment.accounts, "pupil": account}

    def __getattr__(self, name):
        return getattr(self._deployment, name)


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def _visible(page, selector: str | None) -> bool:
    return bool(selector) and actions.visible(page, selector)


def _settle(page, content: list[str], signed_out: list[str], timeout_ms: int, signed_out_page=None) -> None:
    """Wait until the page shows all of ``content`` (signed in) or any of ``signed_out``, or
    ``signed_out_page()`` has held for a second, or the time is up (a page's parts come in one after
    the other: its heading before the bar with the user's name)."""
    deadline = time.monotonic() + timeout_ms / 1000
    held_since = None
    while time.monotonic() < deadline:
        if (content and all(_visible(page, s) for s in content)) or any(_visible(page, s) for s in signed_out):
            return
        if signed_out_page is not None and signed_out_page():
            held_since = held_since or time.monotonic()
            if time.monotonic() - held_since >= 1.0:
                return
        else:
            held_since = None
        page.wait_for_timeout(100)


LINKS_JS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => a.getClientRects().length && getComputedStyle(a).visibility !== 'hidden')
  .map(a => [a.href, (a.innerText || a.getAttribute('aria-label') || '').replace(/\\s+/g, ' ').trim().slice(0, 60)])"""


def _route(url: str) -> tuple[str, str]:
    """A page's address as (path, the route in its fragment without a query): a single-page app's
    sign-in page is /en/auth/#/signin, with or without ?next=."""
    parts = urlsplit(url)
    return parts.path.rstrip("/"), parts.fragment.split("?", 1)[0].rstrip("/")


def _sign_in_link(page, sign_in_pages: list[str]) -> str:
    """The text of a visible link to the suite's sign-in page ('' when there is none): the suite's own
    "you are signed out" page offers one in place of the page that was asked for."""
    wanted = {_route(u) for u in sign_in_pages if _route(u)[0] or _route(u)[1]}  # never the bare root
    try:
        links = page.evaluate(LINKS_JS)
    except Exception:
        return ""
    for href, text in links:
        if _route(href) in wanted:
            return text or short_url(href)
    return ""


def _redirects(response) -> list[dict]:
    """The redirects the browser followed to reach ``response`` (oldest first), with their statuses."""
    chain, request = [], response.request.redirected_from if response else None
    while request is not None:
        try:
            status = request.response().status if request.response() else None
        except Exception:
            status = None
        chain.append({"url": redact(short_url(request.url)), "status": status})
        request = request.redirected_from
    return list(reversed(chain))


def _request(session, spec, target, url: str, *, look_only: bool = False, sign_in_pages: list[str] = ()) -> dict:
    """The browser's next request to the signed-in page, and what it showed: `signed in`, `ended`
    (with the evidence) or `unclear`. ``look_only``: judge the page shown now, with no request."""
    page = session.page
    login = spec.login
    form = spec.login_method == "form"
    seen: dict = {}
    response = None
    try:
        if look_only:
            seen["how"] = "the page shown after the login (no new request)"
        elif actions.same_document(page.url, url) and urlsplit(page.url).fragment == urlsplit(url).fragment:
            response = page.reload(wait_until="load")
            seen["how"] = "reload"
        else:
            response = page.goto(url, wait_until="load")
            seen["how"] = "navigate"
    except Exception as exc:
        return {**seen, "state": "unclear", "why": redact(f"the request failed: {type(exc).__name__}: "
                                                          f"{str(exc).splitlines()[0][:200]}")}
    status = response.status if response else None
    if look_only:
        status = next((d["status"] for d in reversed(session.capture.documents) if d.get("main_frame")), None)
    seen.update(status=status, url=redact(short_url(page.url)), redirects=_redirects(response))
    content = [s for s in [target.ready] + ([login.get("logged_in")] if target.auth == "login" else []) if s]
    login_form = [s for s in (login.get("username"), login.get("logged_out")) if s] if form else []
    logged_in = login.get("logged_in")

    def signed_out_page() -> bool:
        return not _visible(page, logged_in) and bool(_sign_in_link(page, list(sign_in_pages)))

    _settle(page, content, login_form, MARKER_WAIT_MS if (status or 0) < 400 else 1000,
            signed_out_page if form else None)
    shows_page = bool(content) and all(_visible(page, s) for s in content)
    shows_login = any(_visible(page, s) for s in login_form)
    on_login_page = form and _path(page.url) == _path(spec.url(login["url"], "pupil")) \
        and _path(page.url) != _path(url)
    try:
        title = page.title()
        text = page.evaluate("() => (document.body ? document.body.innerText : '').replace(/\\s+/g, ' ').trim()")
    except Exception:
        title, text = "", ""
    seen["page"] = redact(f"{title} | {text}"[:160])
    if status in (401, 403):
        seen.update(state="ended", why=f"HTTP {status}")
    elif shows_login and not shows_page:
        seen.update(state="ended", why="the login form is shown" + (" (redirected to the login page)"
                                                                    if seen["redirects"] else ""))
    elif on_login_page:
        seen.update(state="ended", why="sent to the login page")
    elif form and not shows_page and not _visible(page, logged_in) and (status or 0) < 400 \
            and (link := _sign_in_link(page, list(sign_in_pages))):
        seen.update(state="ended", why=f"the suite's signed-out page in place of the page: no longer signed in, "
                                       f"a link to its sign-in page shown ({link!r})")
    elif shows_page and not shows_login and (status or 0) < 400:
        seen.update(state="signed in", why=f"HTTP {status}, the page's own content shown")
    elif (status or 0) >= 400 and not shows_page:
        seen.update(state="ended", why=f"HTTP {status} in place of the page (its content not shown)")
    else:
        seen.update(state="unclear", why=f"HTTP {status}, neither the page's content nor the login form shown")
    return seen


def _second_opinion(session, target, url: str, account) -> dict:
    """The same request by another client: Python requests with the browser's cookies (or the HTTP
    Basic credentials), redirects not followed, so a harness fault cannot pass for the suite's; and,
    as the control, the same request without them."""
    import requests

    out = {"client": "python-requests with the browser's " + ("Basic credentials" if target.auth == "basic"
                                                               else "cookies") + ", redirects not followed"}
    for key, signed in (("with", True), ("without", False)):
        jar = requests.Session()
        try:
            if signed:
                for c in session.context.cookies():
                    jar.cookies.set(c["name"], c["value"], domain=c["domain"].lstrip("."), path=c["path"])
            auth = (account.username, account.own_password) if signed and target.auth == "basic" else None
            r = jar.get(url, auth=auth, allow_redirects=False, timeout=30,
                        headers={"User-Agent": session.page.evaluate("() => navigator.userAgent")})
            where = r.headers.get("location", "")
            title = re.search(r"<title[^>]*>(.*?)</title>", r.text, re.S | re.I)
            out[key] = {"status": r.status_code, "location": redact(short_url(where)) if where else "",
                        "bytes": len(r.content), "title": redact(" ".join(title.group(1).split()))[:80] if title else "",
                        "names_the_pupil": account.username in r.text}
        except Exception as exc:
            out[key] = {"error": redact(f"{type(exc).__name__}: {exc}")[:300]}
        finally:
            jar.close()
    return out


def _answer(seen: dict) -> str:
    if "status" not in seen:
        return seen.get("error", "?")
    return f"HTTP {seen['status']}" + (f" to {seen['location']}" if seen["location"] else "") + \
        (", the page names the pupil" if seen["names_the_pupil"] else ", the page does not name the pupil")


def _shoot(session, evidence, name: str, run_dir) -> str:
    path = evidence / name
    try:
        session.page.screenshot(path=str(path), timeout=5000)
        return str(path.relative_to(run_dir))
    except Exception as exc:
        return f"(no screenshot: {type(exc).__name__})"


@pytest.mark.requirement("IAM-11")
def test_leaver_browser_session_ends(ui, browser, journey, suite_deployment, evidence, poc, request):
    """A leaver's signed-in browser session ends at its next request"""
    dep = suite_deployment
    if not ui.login:
        unsupported(f"{ui.suite.name}'s ui block declares no login page")
    accounts = Accounts(dep, lambda cap, role: client(dep, cap, dep.accounts[role]))
    accounts.require()
    try:
        account = accounts.create("pupil")
    except NeedsLauncher as exc:
        pytest.skip(str(exc))
    spec = UiSpec(ui.suite, _AsLeaver(dep, account))
    passed_over, record = [], {"account_closed_through": accounts.how, "bound_s": BOUND_S, "interval_s": INTERVAL_S}
    try:
        session = journey.use(open_session(browser, spec, "pupil"))
        sign_in = []  # the sign-in page as declared and as the browser came to show it
        with journey.step("open the login page as a fresh pupil"):
            if spec.login_method == "form":
                session.page.goto(spec.url(spec.login["url"], "pupil"), wait_until="load")
                session.page.locator(spec.login["username"]).first.wait_for(state="visible")
                sign_in = [spec.url(spec.login["url"], "pupil"), session.page.url]

        def ask(page, page_url, **kw):
            return _request(session, spec, page, page_url, sign_in_pages=sign_in, **kw)

        with journey.step("log in as the fresh pupil") as step:
            result = actions.login(session, spec, username=account.username, password=account.own_password)
            if not result.ok:
                raise RuntimeError(f"the fresh pupil's login was refused before the account was closed: "
                                   f"{result.message or 'no logged-in page shown'}")
            if not result.password_asked:
                step["note"] = "the sign-in page let the pupil in without asking for the password"

        target = url = None
        for candidate in [p for p in spec.pages() if p.auth in ("login", "basic")]:
            with journey.step(f"the signed-in page {candidate.name!r} works, and again after a reload") as step:
                page_url = spec.url(candidate.url, "pupil")
                shown = actions.same_document(session.page.url, page_url) and \
                    urlsplit(session.page.url).fragment == urlsplit(page_url).fragment
                first = ask(candidate, page_url, look_only=shown)
                again = ask(candidate, page_url) if first["state"] == "signed in" else first
                if again["state"] == "signed in":
                    target, url = candidate, page_url
                    step["note"] = f"signed in: {again['why']}"
                else:
                    why = (f"the page keeps its sign-in in its own memory only: a reload answers: {again['why']}; "
                           "there is no session on the server to end" if first["state"] == "signed in"
                           else f"not shown signed in: {first['why']}")
                    passed_over.append(f"{candidate.name}: {why}")
                    step["note"] = why
            if target is not None:
                break
        record["pages_passed_over"] = passed_over
        if target is None:
            unsupported(f"{ui.suite.name} keeps no signed-in browser session to end: "
                        + "; ".join(passed_over or ["no page of its ui block is behind the login"]))
        basic = target.auth == "basic"
        record.update(page=target.name, page_url=redact(short_url(url)),
                      session_is=("the browser context's HTTP Basic credentials (http_credentials): the browser "
                                  "sends the password with every request to the page" if basic else
                                  "the suite's own session (its cookies) from its login page"))
        record["before"] = _shoot(session, evidence, "leaver-before.png", poc.run_dir)

        closing = "through the provisioning API" if accounts.through_provisioning_api else "the administrator's way"
        with journey.step(f"close the account ({closing})"):
            t0 = time.monotonic()
            try:
                accounts.remove(account.username)
            except NeedsLauncher as exc:
                pytest.skip(str(exc))
            removal_s = time.monotonic() - t0
        record["removal_took_s"] = round(removal_s, 2)

        polls, ended_at = [], None
        start = time.monotonic()
        while time.monotonic() - start < BOUND_S:
            sent = time.monotonic() - start
            seen = ask(target, url)
            seen.update(n=len(polls) + 1, sent_s=round(sent, 2))
            polls.append(seen)
            if seen["state"] == "ended":
                ended_at = seen
                break
            time.sleep(max(0.0, INTERVAL_S - (time.monotonic() - start - sent)))
        record["polls"] = polls
        if ended_at is not None:  # one request more: the session stays ended (not a passing hiccup)
            sent = time.monotonic() - start
            confirm = ask(target, url)
            confirm.update(n=len(polls) + 1, sent_s=round(sent, 2), confirmation=True)
            polls.append(confirm)
        else:
            record["second_client"] = _second_opinion(session, target, url, account)
        with journey.step("after: what the browser's last request showed"):
            pass
        record["after"] = _shoot(session, evidence, "leaver-after.png", poc.run_dir)
        try:  # the page as the browser had it, for a reader to check the judgement
            (evidence / "leaver-after.html").write_text(redact(session.page.content()), encoding="utf-8")
            record["after_html"] = str((evidence / "leaver-after.html").relative_to(poc.run_dir))
        except Exception as exc:
            record["after_html"] = f"(not saved: {type(exc).__name__})"
        (evidence / "leaver-browser.json").write_text(
            redact(json.dumps(record, indent=2, ensure_ascii=False, default=str)), encoding="utf-8")

        how = (f"through {accounts.how}" if accounts.through_provisioning_api
               else f"the administrator's way ({accounts.how})")
        session_words = ("its browser session (HTTP Basic: the context's credentials, sent with every request)"
                         if basic else "its signed-in browser session")
        said = f"closed {how} (that took {removal_s:.1f} s); {session_words} on the {target.name} page: "
        failed = ""
        if ended_at is None:
            last = polls[-1] if polls else {}
            other = record["second_client"]
            said += (f"still signed in after {BOUND_S:.0f} s ({len(polls)} requests; the last: "
                     f"{last.get('why', '?')}; a second client with the same "
                     f"{'credentials' if basic else 'cookies'}: {_answer(other['with'])}, "
                     f"without them: {_answer(other['without'])})")
            if any(p["state"] == "unclear" for p in polls) and not any(p["state"] == "signed in" for p in polls):
                raise RuntimeError(f"could not tell whether the session ended: {said}")
            failed = said
        else:
            said += (f"ended {ended_at['sent_s']:.1f} s after the closing, at request {ended_at['n']} "
                     f"({ended_at['why']}; {ended_at.get('url', '')})")
            before = [p["state"] for p in polls[:ended_at["n"] - 1]]
            if confirm["state"] == "signed in":
                failed = said + f"; but the next request was signed in again ({confirm['why']})"
            elif before:
                failed = said + "; before it " + ", ".join(f"{before.count(state)} request(s) {state}"
                                                           for state in ("signed in", "unclear") if state in before)
            elif confirm["state"] != "ended":
                said += f"; the next request: {confirm['why']}"
        if passed_over:
            said += "; passed over: " + "; ".join(passed_over)
        if failed:
            said = failed + ("; passed over: " + "; ".join(passed_over) if passed_over else "")
            said += privacy.quirk_notes(dep.suite, "auth.cache")
        privacy.leaver_verdict(request, dep, accounts, said,
                               f"the leaver's browser session did not end at once: {said}" if failed else None)
    finally:
        accounts.cleanup()
