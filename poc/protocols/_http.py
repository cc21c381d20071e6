"""An HTTP session for the adapters: authenticated, quirk-aware, and honest about server faults."""

from __future__ import annotations

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


class Session(requests.Session):
    """requests.Session with basic auth, a timeout, Connection: close when the suite wants it,
    one retry of a dropped kept-alive connection, and 5xx raised as ServerFault."""

    def __init__(self, username: str | None = None, password: str | None = None, *,
                 close_connections: bool = False, raise_5xx: bool = True):
        super().__init__()
        if username is not None:
            self.auth = (username, password or "")
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
        if self.raise_5xx and response.status_code >= 500:
            raise ServerFault(response)
        if expect is not None:
            allowed = (expect,) if isinstance(expect, int) else tuple(expect)
            if response.status_code not in allowed:
                raise Refused(response, "/".join(map(str, allowed)))
        return response
