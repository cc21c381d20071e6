"""A suite's web interface over plain HTTP (the UI journeys use a browser; this is for checks)."""

from __future__ import annotations

from . import register
from ._http import Session


@register("http")
class WebClient:
    def __init__(self, url: str, account=None, suite=None, *, close_connections: bool = False):
        self.url = url
        self.account = account
        self.session = Session(close_connections=close_connections, raise_5xx=False)

    def get(self, path: str = "", **kwargs):
        return self.session.get(self.url.rstrip("/") + "/" + path.lstrip("/"), **kwargs)

    def close(self):
        self.session.close()
