"""The single sign-on journeys in the browser (scenarios/ui/test_sso.py): a pupil opens the suite, is
sent to the harness's identity provider, signs in there and lands signed in as the right person; a
wrong password at the IdP lets nobody in; an account the suite does not know is refused or created;
sign-out ends the session at the suite (and at the IdP, where the suite does single logout); a
tampered answer (SAML: the signed assertion altered; OIDC: the authorization code altered) is refused.

Every step is a poc.ui.journey step (a screenshot each). What the IdP sent is read from its event
log (evidence/sso/idp-events.jsonl); what the suite shows from the page."""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from .. import sso as sso_mod
from ..ui import actions

LOGIN_FORM = "#idp-login"
IDP_ERROR = "#idp-error"
IDP_LOOP = "#idp-loop"
SETTLE_S = 20.0


@dataclass
class SsoSpec:
    protocol: str
    spec: dict        # the suite.yaml sso.<protocol> block
    info: dict        # evidence/sso/sso.json's entry for the protocol
    run_dir: object
    suite: str

    @property
    def start_url(self) -> str:
        return self.info.get("start_url") or ""

    @property
    def idp_origin(self) -> str:
        url = self.info["idp"].get("metadata") or self.info["idp"].get("issuer") or ""
        p = urlsplit(url)
        return f"{p.scheme}://{p.netloc}"

    def events(self, since: float = 0.0, event: str | None = None) -> list[dict]:
        return [e for e in sso_mod.events(self.run_dir) if e["t"] >= since and (event is None or e["event"] == event)]


def at_idp(page, spec: SsoSpec) -> bool:
    return page.url.startswith(spec.idp_origin)


def open_suite(session, spec: SsoSpec) -> None:
    """Open the suite's start page; follow its 'log in with' button if it has one; end at the IdP."""
    page = session.page
    page.goto(spec.start_url, wait_until="load")
    if spec.spec.get("to_idp") and not at_idp(page, spec):
        page.locator(spec.spec["to_idp"]).first.click()
    page.locator(LOGIN_FORM).first.wait_for(state="visible", timeout=15000)


def submit(page, username: str, password: str) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#idp-submit")


def logged_in(page, spec: SsoSpec) -> bool:
    return actions.visible(page, spec.spec.get("logged_in"))


def wait_outcome(page, spec: SsoSpec, timeout_s: float = SETTLE_S) -> str:
    """After the IdP answered: 'in' (the suite shows the signed-in marker), 'idp-error' (the IdP
    refused), 'idp-login' (the IdP asks for the password again), 'loop' (the IdP stopped a redirect
    loop) or 'other' (the browser settled elsewhere: the suite's own error page)."""
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while time.monotonic() < deadline:
        try:
            if logged_in(page, spec):
                return "in"
            if actions.visible(page, IDP_LOOP):
                return "loop"
            if at_idp(page, spec) and actions.visible(page, IDP_ERROR):
                return "idp-error"
            if at_idp(page, spec) and actions.visible(page, LOGIN_FORM):
                return "idp-login"
            if not at_idp(page, spec):
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 6:
                    return "other"
            else:
                quiet_since = None
        except Exception:  # a navigation in the middle of a check
            pass
        page.wait_for_timeout(250)
    return "timeout"


def page_text(page) -> str:
    try:
        return re.sub(r"\s+", " ", page.locator("body").text_content(timeout=3000) or "")
    except Exception:
        return ""


def logout(page, spec: SsoSpec) -> None:
    """Click the sign-out (a selector, or steps: open a menu, then sign out); once more after a reload
    if the page's scripts were not ready for the first try (a menu that did not open)."""
    how = spec.spec["logout"]
    for attempt in (1, 2):
        try:
            page.wait_for_load_state("load")
            if isinstance(how, list):
                actions.run_steps(page, how, {})
            else:
                page.locator(how).first.click()
            return
        except Exception:
            if attempt == 2:
                raise
            page.reload(wait_until="load")


# -- tampering: the harness changes the IdP's answer on its way to the suite ---------------------------

def tamper_saml(context, person_username: str, other_username: str, log: dict) -> None:
    """Every HTTP-POST of a SAMLResponse from this context: the user name inside the signed
    assertion replaced by another pupil's (an impersonation), the signature left as it was."""
    def handle(route):
        request = route.request
        body = request.post_data or ""
        if request.method != "POST" or "SAMLResponse=" not in body:
            return route.continue_()
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        xml = base64.b64decode(form["SAMLResponse"]).decode("utf-8")
        start = xml.find("Assertion")
        i = xml.find(f">{person_username}<", start)
        if i < 0:
            log["error"] = "the user name was not found in the assertion"
            return route.continue_()
        changed = xml[:i] + f">{other_username}<" + xml[i + len(person_username) + 2:]
        form["SAMLResponse"] = base64.b64encode(changed.encode("utf-8")).decode("ascii")
        log.update(tampered=True, acs=request.url.split("?")[0],
                   change=f"uid {person_username} -> {other_username} inside the signed Assertion")
        route.continue_(post_data=urlencode(form))
    context.route("**/*", handle)


def tamper_oidc(context, idp_origin: str, redirect_uris: list[str], log: dict) -> None:
    """The IdP's redirect back to the relying party (a 302 whose Location carries the authorization
    code) rewritten on its way to the browser: the code replaced by a forged one. (A browser's redirect
    hops are not routed, so the IdP's answer itself is changed.)"""
    prefixes = tuple(u.split("?")[0] for u in redirect_uris if u)

    def handle(route):
        if not route.request.url.startswith(idp_origin):
            return route.continue_()
        response = route.fetch(max_redirects=0)
        location = response.headers.get("location", "")
        if response.status in (301, 302, 303) and location.startswith(prefixes) and "code=" in location:
            parts = urlsplit(location)
            query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            code = query.get("code", "")
            query["code"] = code[::-1] if len(code) > 1 else "forged"
            log.update(tampered=True, redirect_uri=location.split("?")[0], change="authorization code altered")
            headers = {**response.headers, "location": urlunsplit(parts._replace(query=urlencode(query)))}
            return route.fulfill(response=response, headers=headers)
        route.fulfill(response=response)
    context.route(f"{idp_origin}/**", handle)
