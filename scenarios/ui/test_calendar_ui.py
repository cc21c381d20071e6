"""The calendar through the web interface: open it and create an event with title, date and time."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest

from poc.ui import actions
from poc.verdicts import unsupported

CPH = ZoneInfo("Europe/Copenhagen")


def _next_weekday(days: int = 7) -> dt.date:
    day = dt.date.today() + dt.timedelta(days=days)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


@pytest.mark.requirement("CAL-06")
def test_create_an_event_through_the_page(ui, logged_in_as, journey, client_for):
    """Open the calendar and create an event through the page; it shows at the right time"""
    cal = ui.journey("calendar")
    page_spec = ui.page(cal.get("page", "")) if cal else None
    if page_spec is None:
        unsupported(ui.lacking("calendar", "'s ui block names no calendar page"))
    session = logged_in_as("teacher")
    url = ui.url(page_spec.url, "teacher")
    status = session.page.request.get(url, max_redirects=0).status
    if status in (404, 410):  # the suite's calendar page is not there (e.g. an app not installed)
        unsupported(ui.lacking("calendar", f": its calendar page {url} answers {status}"))
    with journey.step("open the calendar"):
        actions.open_page(session, ui, page_spec, "teacher")
    journey.audit(page_spec.name)
    create = cal.get("create_event")
    if not create:
        unsupported(ui.lacking("calendar", ": the calendar page offers no way to create an event"))
    day = _next_weekday()
    start = dt.datetime.combine(day, dt.time(10, 15), CPH)
    end = start + dt.timedelta(minutes=45)
    title = f"Forældremøde 6.b {uuid.uuid4().hex[:4]}"
    values = {"title": title, "date": day.isoformat(), "date_da": day.strftime("%d-%m-%Y"),
              "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"),
              "day": day, "starts": start, "ends": end}  # for strftime formats: {day:%Y%m%d}
    if cal.get("months"):  # the month names the page's date fields use, January first: {month}
        values["month"] = cal["months"][day.month - 1]
    with journey.step("create the event through the page"):
        actions.run_steps(session.page, create.get("steps", []), values)
    with journey.step("the event shows in the calendar"):
        session.page.locator(create.get("shows", "text={title}").format_map(values)).first.wait_for(state="visible")
    journey.audit(f"{page_spec.name} after creating the event")
    if "calendar" in ui.suite.capabilities:
        with journey.step("the event is stored at 10:15 Copenhagen time", screenshot=False):
            found = _stored_start(client_for("calendar", "teacher"), title)
            assert found is not None, f"no event {title!r} in the teacher's calendars over CalDAV"
            assert found == start, f"the event is stored at {found.isoformat()}, expected {start.isoformat()}"


def _stored_start(client, title: str):
    for calendar in client.calendars():
        for event in calendar.events():
            comp = event.icalendar_component
            if str(comp.get("summary", "")) == title:
                value = comp.get("dtstart").dt
                return value.astimezone(CPH) if isinstance(value, dt.datetime) and value.tzinfo else value
    return None
