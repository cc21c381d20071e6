"""caldav-server-tester, python-caldav's probe of a CalDAV server (RFC 4791 and its extensions), as
the pupil against the suite's calendar endpoint. It makes and removes calendars of its own; any it
leaves behind is removed here and named. Evidence only: see crosscheck.yaml."""

from __future__ import annotations

from poc.conformance import caldav_tester


def test_caldav_server_tester(endpoint, client_for):
    target = endpoint("calendar", "caldav", caldav_tester.TOOL)
    calendars = client_for("calendar")
    before = {str(c.url) for c in calendars.calendars()}
    result = caldav_tester.run(target.url, target.account.username, target.account.password, target.evidence,
                               run_dir=target.run_dir)
    left = [c for c in calendars.calendars() if str(c.url) not in before
            and caldav_tester.is_probe(str(c.url), c)]
    removed = []
    for c in left:
        try:
            c.delete()
            removed.append(str(c.url))
        except Exception as exc:
            removed.append(f"{c.url} (could not be removed: {exc})")
    if removed:
        result.message = "; ".join(filter(None, [result.message, "left behind by the tool and removed here: "
                                                 + ", ".join(removed)]))
    target.verify(result)
