"""Calendars over the suite's calendar protocol (CalDAV), as a school uses them: lessons, a
timetable week, Danish summer and winter time."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import icalendar
import pytest

from poc.protocols.webdav import resource_key

CPH = ZoneInfo("Europe/Copenhagen")
UTC = dt.timezone.utc


def event(summary: str, start: dt.datetime, minutes: int = 45, rrule: dict | None = None, location: str = ""):
    cal = icalendar.Calendar()
    cal.add("prodid", "-//OS2skole//PoC harness//DA")
    cal.add("version", "2.0")
    ev = icalendar.Event()
    ev.add("uid", f"{uuid.uuid4()}@os2skole-poc")
    ev.add("summary", summary)
    ev.add("dtstart", start)
    ev.add("dtend", start + dt.timedelta(minutes=minutes))
    ev.add("dtstamp", dt.datetime.now(UTC))
    if location:
        ev.add("location", location)
    if rrule:
        ev.add("rrule", rrule)
    cal.add_component(ev)
    cal.add_missing_timezones()
    return cal


def vevents(obj):
    return [c for c in icalendar.Calendar.from_ical(obj.data).walk("VEVENT")]


@pytest.mark.requirement("CAL-01", "STD-02")
def test_personal_calendar(calendar_client, calendar):
    urls = {resource_key(str(c.url)) for c in calendar_client.calendars()}
    assert resource_key(str(calendar.url)) in urls, "the new calendar is not among the pupil's calendars"
    assert calendar.get_display_name().startswith("POC ")


@pytest.mark.requirement("CAL-02")
def test_event_in_copenhagen_summer_and_winter_time(calendar):
    winter = dt.datetime(2026, 1, 12, 8, 0, tzinfo=CPH)
    summer = dt.datetime(2026, 4, 13, 8, 0, tzinfo=CPH)
    calendar.save_event(event("Matematik 7.b (vinter)", winter).to_ical().decode())
    calendar.save_event(event("Matematik 7.b (sommer)", summer).to_ical().decode())
    found = {}
    for obj in calendar.events():
        for ev in vevents(obj):
            found[str(ev["summary"])] = ev.decoded("dtstart")
    assert found["Matematik 7.b (vinter)"].astimezone(UTC) == dt.datetime(2026, 1, 12, 7, 0, tzinfo=UTC)
    assert found["Matematik 7.b (sommer)"].astimezone(UTC) == dt.datetime(2026, 4, 13, 6, 0, tzinfo=UTC)


@pytest.mark.requirement("CAL-03")
def test_weekly_recurring_lesson_keeps_local_time_over_dst(calendar):
    first = dt.datetime(2026, 3, 16, 8, 0, tzinfo=CPH)  # summer time starts on 29 March 2026
    calendar.save_event(event("Dansk 7.b", first, rrule={"freq": "weekly", "byday": "MO", "count": 10},
                              location="Lokale 12").to_ical().decode())
    hits = calendar.search(start=dt.datetime(2026, 3, 15, tzinfo=UTC), end=dt.datetime(2026, 4, 6, tzinfo=UTC),
                           event=True, expand=True)
    starts = sorted(ev.decoded("dtstart").astimezone(CPH) for obj in hits for ev in vevents(obj))
    assert len(starts) == 3, f"expected 3 lessons in three weeks, got {len(starts)}"
    assert all((s.hour, s.minute) == (8, 0) for s in starts), f"lessons moved in local time: {starts}"
    assert [s.date() for s in starts] == [dt.date(2026, 3, 16), dt.date(2026, 3, 23), dt.date(2026, 3, 30)]


@pytest.mark.requirement("CAL-04")
def test_update_and_delete_event(calendar):
    start = dt.datetime(2026, 9, 7, 10, 0, tzinfo=CPH)
    saved = calendar.save_event(event("Forældremøde", start, 60).to_ical().decode())
    cal = icalendar.Calendar.from_ical(saved.data)
    ev = next(iter(cal.walk("VEVENT")))
    uid = str(ev["uid"])
    ev["summary"] = icalendar.vText("Forældremøde – flyttet til aulaen")
    ev["location"] = icalendar.vText("Aulaen")
    saved.data = cal.to_ical().decode()
    saved.save()
    again = calendar.event_by_uid(uid)
    assert str(vevents(again)[0]["summary"]) == "Forældremøde – flyttet til aulaen"
    again.delete()
    assert all(str(e["uid"]) != uid for obj in calendar.events() for e in vevents(obj)), "the event was not deleted"


@pytest.mark.requirement("CAL-05")
def test_time_range_query_gives_one_week(calendar):
    """The server's own answer to a time-range query (no filtering by the client library): the week's
    events and the recurring lesson that has occurrences in it; not the events before or after,
    nor recurring events whose occurrences all lie outside the week (RFC 4791 section 9.9)."""
    week37 = dt.datetime(2026, 9, 7, 8, 0, tzinfo=CPH)
    for day in range(5):
        calendar.save_event(event(f"Uge 37 dag {day + 1}", week37 + dt.timedelta(days=day)).to_ical().decode())
    calendar.save_event(event("Uge 38 mandag", week37 + dt.timedelta(days=7)).to_ical().decode())
    calendar.save_event(event("Ugentlig dansk", week37 - dt.timedelta(days=6, hours=-2),  # from week 36
                              rrule={"freq": "weekly", "count": 10}).to_ical().decode())
    calendar.save_event(event("Kor fra uge 39", week37 + dt.timedelta(days=15),
                              rrule={"freq": "weekly", "count": 10}).to_ical().decode())
    calendar.save_event(event("Sommerskole uge 34-35", week37 - dt.timedelta(days=21),
                              rrule={"freq": "weekly", "count": 2}).to_ical().decode())
    hits = calendar.search(start=dt.datetime(2026, 9, 7, tzinfo=CPH), end=dt.datetime(2026, 9, 12, tzinfo=CPH),
                           event=True, post_filter=False)
    titles = sorted({str(ev["summary"]) for obj in hits for ev in vevents(obj)})
    want = sorted([f"Uge 37 dag {d}" for d in range(1, 6)] + ["Ugentlig dansk"])
    assert titles == want, (f"Monday to Friday of week 37 answered {titles}; expected {want}"
                            + (" (outside the week: " + ", ".join(t for t in titles if t not in want) + ")"
                               if set(titles) - set(want) else ""))
