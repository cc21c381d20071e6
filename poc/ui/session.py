"""A browser context for one role: Danish locale, Copenhagen time, the suite's HTTP Basic origin
(if it has one) answered with the role's credentials, and every request, response and cookie
captured from the first page on."""

from __future__ import annotations

from dataclasses import dataclass

from . import clock
from .capture import Capture

LOCALE = "da-DK"
TIMEZONE = "Europe/Copenhagen"
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000


@dataclass
class Session:
    role: str
    context: object
    page: object
    capture: Capture
    audit: bool = False  # made with bypass_csp=True, for the accessibility audit only

    def close(self) -> None:
        self.capture.freeze()
        with clock.in_browser():
            try:
                self.context.close()
            except Exception:
                pass


def open_session(browser, spec, role: str, *, username: str | None = None, password: str | None = None,
                 bypass_csp: bool = False, dismiss_auth_prompts: bool = False,
                 timeout_ms: int = TIMEOUT_MS) -> Session:
    """A new context and page for ``role``. ``username``/``password`` override the account's for
    HTTP Basic auth (the wrong-password journeys); ``bypass_csp`` is for the axe audit context only."""
    account = spec.deployment.accounts.get(role)
    options = dict(locale=LOCALE, timezone_id=TIMEZONE, viewport=VIEWPORT, bypass_csp=bypass_csp,
                   ignore_https_errors=True)  # locale da-DK also sets Accept-Language: da-DK
    basic = spec.basic_origins(role)
    if basic and account is not None:
        options["http_credentials"] = {"username": account.username if username is None else username,
                                       "password": account.own_password if password is None else password,
                                       "origin": basic[0]}
    with clock.in_browser():
        context = browser.new_context(**options)
        context.set_default_timeout(timeout_ms)
        capture = Capture(context, spec.own_origins())
        if dismiss_auth_prompts:
            _dismiss_prompts(context, capture, set(spec.own_origins()) - set(basic))
        page = context.new_page()
    return Session(role, context, page, capture, audit=bypass_csp)


def _dismiss_prompts(context, capture, origins: set[str]) -> None:
    from .capture import short_url
    from .spec import origin_of

    def handle(route):
        response = route.fetch()
        headers = response.headers
        if response.status == 401 and "www-authenticate" in headers:
            capture.auth_prompts.append({"url": short_url(route.request.url),
                                         "challenge": headers["www-authenticate"].split(" ")[0]})
            headers = {k: v for k, v in headers.items() if k != "www-authenticate"}
        route.fulfill(response=response, headers=headers)

    context.route(lambda url: origin_of(url) in origins, handle)
