"""The ``ui:`` block of suites/<name>/suite.yaml: where a suite's pages are and how to use them.

Scenarios never name a suite's URLs or selectors; they ask this module. The block:

    ui:
      origins: [...]            # optional: more origins the suite's own pages may load from
      login:                    # the suite's own login page
        method: form            # form | basic (HTTP Basic auth, the browser's own login prompt)
        url: "{dav}/.web/"      # templates over the suite's endpoints, {url} and {user}
        username: <selector>    # form only: the fields, the button, and what shows the outcome
        next: <selector>        # optional: a sign-in in two steps (user name, then password): the
                                #   button after the user name; the page may then log in or refuse
                                #   without asking for the password, which the result records
        password: <selector>
        submit: <selector>
        logged_in: <selector>   # visible once logged in (form and basic)
        refused: <selector>     # form: visible after a refused login
        after: [steps]          # optional: steps once logged in (close a welcome dialog)
        logout: <selector>      # optional: what to click to log out, or a list of steps (open a menu, ...)
        logged_out: <selector>  # visible when nobody is logged in
      pages:                    # the pages visited and audited for privacy, accessibility, timings
        <name>: {url: ..., ready: <selector>, auth: none | login | basic, tour: true}
                                # tour: false leaves a page out of the tour (a journey's page that
                                #   may be absent, such as an app not installed on every deployment)
      files:
        page: <page name>       # the files view
        upload: {steps: [...], shows: <selector>}   # absent: the page has no upload
        note: why not, in one sentence (shown in the `unsupported` verdict)
      calendar:
        page: <page name>
        create_event: {steps: [...], shows: <selector>}
        months: [...]           # optional: the 12 month names the page's date fields take ({month})
        note: ...

``steps`` are small actions (see poc.ui.actions): ``{click: sel}``, ``{fill: sel, value: "{title}"}``,
``{set_files: sel}``, ``{press: sel, key: Enter}``, ``{select: sel, value: ...}``, ``{wait: sel}``,
``{goto: url}`` (absolute, or relative to the page shown); ``optional: true`` on a step: carry it out
only if its element shows within ``timeout`` ms (default 3000), e.g. a dialog shown on some visits.
The calendar's values are {title}, {date}, {date_da}, {start}, {end}, {month} and the date/times
{day}, {starts}, {ends}, which take strftime formats ({day:%d-%m-%Y}, {starts:%H.%M}).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import ConfigError

AUTH = ("none", "login", "basic")
METHODS = ("form", "basic")
FORM_KEYS = ("username", "password", "submit", "logged_in")


def origin_of(url: str) -> str:
    """scheme://host:port with the default port made explicit, so equal origins compare equal."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    host = (parts.hostname or "").lower()
    port = parts.port or {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(scheme)
    if scheme == "ws":
        scheme = "http"
    elif scheme == "wss":
        scheme = "https"
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


@dataclass
class Page:
    name: str
    url: str
    ready: str | None
    auth: str
    tour: bool = True  # visited and audited in the tour (false: a journey's page that may be absent)


class UiSpec:
    """The ``ui:`` block of a suite, with its URL templates resolved against a deployment."""

    def __init__(self, suite, deployment=None):
        self.suite = suite
        self.deployment = deployment
        self.block = suite.config.get("ui") or {}
        self._check()

    # -- what the suite declares ----------------------------------------------------------------
    @property
    def declared(self) -> bool:
        return bool(self.block)

    @property
    def login(self) -> dict:
        return self.block.get("login") or {}

    @property
    def login_method(self) -> str:
        return self.login.get("method", "form")

    def pages(self) -> list[Page]:
        return [Page(n, p["url"], p.get("ready"), p.get("auth", "login"), bool(p.get("tour", True)))
                for n, p in (self.block.get("pages") or {}).items()]

    def tour_pages(self) -> list[Page]:
        """The pages the tour visits and audits."""
        return [p for p in self.pages() if p.tour]

    def page(self, name: str) -> Page | None:
        return next((p for p in self.pages() if p.name == name), None)

    def journey(self, area: str) -> dict:
        """The page details of one area (``files``, ``calendar``); {} when the suite declares none."""
        return self.block.get(area) or {}

    def lacking(self, area: str, what: str) -> str:
        """Why a journey in ``area`` cannot run: ``what`` is missing, with the block's note if any."""
        note = self.journey(area).get("note")
        return f"{self.suite.name}{what}" + (f" ({note})" if note else "")

    # -- resolved against the running deployment -------------------------------------------------
    def url(self, template: str, role: str | None = None) -> str:
        d = self.deployment
        account = d.accounts.get(role) if (d and role) else None
        values = {**(d.endpoints if d else {}), "url": ((d.url if d else "") or "").rstrip("/"),
                  "user": account.username if account else ""}
        try:
            return template.format_map(values)
        except KeyError as exc:
            raise ConfigError(self._problem(("ui",), f"URL template {template!r} names {exc}, which the suite "
                                            f"does not have; known: {', '.join(sorted(values))}")) from None

    def own_origins(self) -> list[str]:
        """The suite's own origins: its endpoints (Deployment.hosts()) and any the ui block adds."""
        hosts = list(self.deployment.hosts()) if self.deployment else []
        hosts += [self.url(o) for o in self.block.get("origins", [])]
        return sorted({origin_of(h) for h in hosts})

    def basic_origins(self, role: str | None = None) -> list[str]:
        """The origins where the browser logs in with HTTP Basic auth."""
        urls = [self.url(p.url, role) for p in self.pages() if p.auth == "basic"]
        if self.login and self.login_method == "basic":
            urls.append(self.url(self.login["url"], role))
        return sorted({origin_of(u) for u in urls})

    # -- validation -----------------------------------------------------------------------------
    def _problem(self, where: tuple, message: str):
        located = getattr(self.suite, "located", None)
        if located is not None:
            return located.problem(where, message)
        from ..errors import Problem
        return Problem(self.suite.folder / "suite.yaml", None, ".".join(map(str, where)), message)

    def _check(self) -> None:
        b, problems = self.block, []
        if not b:
            return
        if not isinstance(b, dict):
            raise ConfigError(self._problem(("ui",), "the ui block must be a mapping"))
        login = b.get("login")
        if login:
            method = login.get("method", "form")
            if method not in METHODS:
                problems.append(self._problem(("ui", "login", "method"),
                                              f"unknown login method {method!r}; use one of {', '.join(METHODS)}"))
            if "url" not in login:
                problems.append(self._problem(("ui", "login"), "the login needs a url"))
            if method == "form":
                for key in FORM_KEYS:
                    if key not in login:
                        problems.append(self._problem(("ui", "login"), f"a form login needs {key!r} (a selector)"))
            if "after" in login and not isinstance(login["after"], list):
                problems.append(self._problem(("ui", "login", "after"), "after must be a list of steps"))
            logout = login.get("logout")
            if logout is not None and not (isinstance(logout, str) or (isinstance(logout, list) and logout)):
                problems.append(self._problem(("ui", "login", "logout"), "logout must be a selector or a list of steps"))
        for name, page in (b.get("pages") or {}).items():
            if not isinstance(page, dict) or "url" not in page:
                problems.append(self._problem(("ui", "pages", name), "a page needs at least a url"))
            elif page.get("auth", "login") not in AUTH:
                problems.append(self._problem(("ui", "pages", name, "auth"),
                                              f"auth must be one of {', '.join(AUTH)}"))
            elif page.get("auth", "login") == "login" and not login:
                problems.append(self._problem(("ui", "pages", name, "auth"), "auth: login needs a ui.login block"))
        for area in ("files", "calendar"):
            block = b.get(area) or {}
            if block.get("page") and block["page"] not in (b.get("pages") or {}):
                problems.append(self._problem(("ui", area, "page"), f"{area}.page names no page in ui.pages"))
        months = (b.get("calendar") or {}).get("months")
        if months is not None and (not isinstance(months, list) or len(months) != 12):
            problems.append(self._problem(("ui", "calendar", "months"), "months must list the 12 month names, January first"))
        if problems:
            raise ConfigError(problems)
        if self.deployment is not None and len(self.basic_origins()) > 1:
            raise ConfigError(self._problem(("ui", "pages"), "HTTP Basic auth on more than one origin is not "
                                            "supported (a browser context holds one set of credentials)"))
