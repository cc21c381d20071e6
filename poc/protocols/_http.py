"""An HTTP session for the adapters: authenticated, quirk-aware, and honest about server faults."""

from __future__ import annotations

import base64

import requests

from ..redact import redact

TIMEOUT = (5, 60)  # connect, read (seconds)


class ServerFault(Exception):
    """The suite answered 5xx: the verdict is `error`, not the suite's failure until shown."""

    def __init__(self, response: requests.Response):
        self.status = response.status_code
        super().__init__(redact(f"{response.request.method} {response.url} answered {response.status_code} "
                                f"{response.reason}: {response.text[:200]!r}"))


class Refused(Exception):
    """The suite answered with an unexpected 4xx where the scenario needed success: a `fail`."""

    def __init__(self, response: requests.Response, expected):
        self.status = response.status_code
        super().__init__(redact(f"{response.request.method} {response.url} answered {response.status_code} "
                                f"{response.reason}, expected {expected}"))


class NotImplementedByServer(Exception):
    """The suite answered 501 Not Implemented to a method the scenario needed: it has not done what
    the requirement asks. The suite's `fail`, with the reason, not an `error` of the harness."""

    def __init__(self, response: requests.Response, why: str = ""):
        self.response, self.status, self.method = response, response.status_code, response.request.method
        super().__init__(redact(why or f"{self.method} not implemented (501)")
                         + redact(f": {self.method} {response.url} answered 501 {response.reason}"))


def basic_authorization(username: str, password: str) -> str:
    """The Basic credentials header, UTF-8 as RFC 7617 says (requests would send Latin-1, which
    a server expecting UTF-8 reads as another password as soon as it holds æ, ø or å)."""
    raw = f"{username}:{password}".encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")


class Utf8BasicAuth(requests.auth.AuthBase):
    """requests/niquests auth that sends Basic credentials in UTF-8 (RFC 7617 section 2.1)."""

    def __init__(self, username: str, password: str):
        self.username, self.password = username, password or ""

    def __call__(self, r):
        r.headers["Authorization"] = basic_authorization(self.username, self.password)
        return r

    def __eq__(self, other):
        return (self.username, self.password) == (getattr(other, "username", None), getattr(other, "password", None))


class Session(requests.Session):
    """requests.Session with basic auth (UTF-8), a timeout, Connection: close when the suite wants
    it, one retry of a dropped kept-alive connection, 501 raised as NotImplementedByServer and the
    other 5xx as ServerFault."""

    def __init__(self, username: str | None = None, password: str | None = None, *,
                 close_connections: bool = False, raise_5xx: bool = True):
        super().__init__()
        if username is not None:
            self.auth = Utf8BasicAuth(username, password or "")
        if close_connections:
            self.headers["Connection"] = "close"
        self.raise_5xx = raise_5xx
        self.headers["User-Agent"] = "os2skole-poc-harness"

    def request(self, method, url, *args, expect=None, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.ConnectionError as exc:
            if "RemoteDisconnected" not in str(exc) and "Connection aborted" not in str(exc):
                raise
            if hasattr(kwargs.get("data"), "read"):  # a stream cannot be sent twice
                raise
            response = super().request(method, url, *args, **kwargs)
        if self.raise_5xx and response.status_code == 501 and (expect is None or 501 not in _codes(expect)):
            raise NotImplementedByServer(response)
        if self.raise_5xx and response.status_code >= 500 and (expect is None or response.status_code not in _codes(expect)):
            raise ServerFault(response)
        if expect is not None:
            allowed = _codes(expect)
            if response.status_code not in allowed:
                raise Refused(response, "/".join(map(str, allowed)))
        return response


def _codes(expect) -> tuple:
    return (expect,) if isinstance(expect, int) else tuple(expect)


def credentials_accepted(url: str, username: str, password: str, *, method: str = "PROPFIND",
                         headers: dict | None = None) -> bool:
    """Whether the suite lets `username` in with `password` at `url`: one request on a fresh
    connection with nothing remembered. 2xx (207 included) is in, 401/403 is refused; anything
    else says nothing about the password and is raised (Refused, or ServerFault for a 5xx)."""
    with Session(username, password, close_connections=True, raise_5xx=False) as fresh:
        r = fresh.request(method, url, headers={"Depth": "0", **(headers or {})})
    if 200 <= r.status_code < 300:
        return True
    if r.status_code in (401, 403):
        return False
    if r.status_code == 503 and b"LoginException" in r.content:
        # Nextcloud (SabreDAV) refuses a disabled account's correct password with 503 Service
        # Unavailable, "OC\User\LoginException: Account disabled": refused, not a broken server
        return False
    if r.status_code >= 500:
        raise ServerFault(r)
    raise Refused(r, "2xx (signed in) or 401/403 (refused)")
