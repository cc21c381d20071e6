"""Calendars over CalDAV (RFC 4791), through the python-caldav library."""

from __future__ import annotations

import caldav as caldav_lib

from . import register


@register("caldav")
class CalDAVClient:
    """Opens a caldav.DAVClient for one account; what the suite is known to do differently
    comes from its suite.yaml quirks (e.g. SOGo closes kept-alive connections)."""

    def __init__(self, url: str, account, suite=None, *, close_connections: bool = False):
        headers = {"Connection": "close"} if close_connections else {}
        self.url, self.account, self.suite = url, account, suite
        self.client = caldav_lib.DAVClient(url=url, username=account.username, password=account.password,
                                           headers=headers, timeout=60)

    def principal(self):
        return self.client.principal()

    def new_calendar(self, name: str, cal_id: str | None = None):
        """A fresh calendar for a scenario: MKCALENDAR where the suite allows it."""
        return self.principal().make_calendar(name=name, cal_id=cal_id)

    def calendars(self):
        return self.principal().calendars()

    def close(self):
        self.client.close()
