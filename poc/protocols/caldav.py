"""Calendars over CalDAV (RFC 4791), through the python-caldav library."""

from __future__ import annotations

import caldav as caldav_lib

from . import register
from ._http import Utf8BasicAuth, credentials_accepted


@register("caldav")
class CalDAVClient:
    """Opens a caldav.DAVClient for one account; what the suite is known to do differently
    comes from its suite.yaml quirks (e.g. SOGo closes kept-alive connections)."""

    def __init__(self, url: str, account, suite=None, *, close_connections: bool = False):
        headers = {"Connection": "close"} if close_connections else {}
        self.url, self.account, self.suite = url, account, suite
        # Basic credentials in UTF-8 (RFC 7617): the library's own would go out in Latin-1
        self.client = caldav_lib.DAVClient(url=url, username=account.username, password=account.password,
                                           auth=Utf8BasicAuth(account.username, account.password),
                                           headers=headers, timeout=60)

    def principal(self):
        return self.client.principal()

    def new_calendar(self, name: str, cal_id: str | None = None):
        """A fresh calendar for a scenario: MKCALENDAR where the suite allows it."""
        return self.principal().make_calendar(name=name, cal_id=cal_id)

    def calendars(self):
        return self.principal().calendars()

    def password_accepted(self, password: str) -> bool:
        """Does the suite let this account in with that password (a fresh PROPFIND)?"""
        return credentials_accepted(self.url, self.account.username, password)

    def close(self):
        self.client.close()
