"""The iCalendar feed (RFC 5545): stable UID, DTSTAMP, SEQUENCE, VTIMEZONE, STATUS:CANCELLED."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.utils import timezone

from .models import Activity, Status

PRODID = "-//kam//Key account schedule//EN"
UID_DOMAIN = "kam"


def uid_of(activity: Activity) -> str:
    return f"{activity.uid}@{UID_DOMAIN}"


def vtimezone(zone: ZoneInfo, first: date, last: date) -> icalendar.Timezone:
    """The zone's rules for just the span the events need. Reaching back to 1970 (icalendar's default)
    yields overlapping historical STANDARD parts that some readers (dateutil, hence vobject) resolve
    wrongly, e.g. Moscow at +04:00 in 2026."""
    return icalendar.Timezone.from_tzinfo(zone, tzid=zone.key, first_date=first, last_date=last)


def calendar_for(activities: Iterable[Activity], *, name: str) -> bytes:
    zone = ZoneInfo(settings.TIME_ZONE)
    activities = list(activities)
    today = timezone.localdate()
    first = min([today, *(timezone.localtime(a.planned_start, zone).date() for a in activities)])
    last = max([today, *(timezone.localtime(a.planned_end, zone).date() for a in activities)])
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now().astimezone(UTC).replace(microsecond=0)
    for activity in activities:
        event = icalendar.Event()
        event.add("uid", uid_of(activity))
        event.add("dtstamp", stamp)
        event.add("dtstart", activity.planned_start.astimezone(zone).replace(microsecond=0))
        event.add("dtend", activity.planned_end.astimezone(zone).replace(microsecond=0))
        event.add("sequence", activity.sequence)
        event.add("created", activity.created_at.astimezone(UTC).replace(microsecond=0))
        event.add("last-modified", activity.updated_at.astimezone(UTC).replace(microsecond=0))
        event.add("summary", f"{activity.get_kind_display()}: {activity.client.short_name}")
        if activity.place:
            event.add("location", activity.place)
        description = "\n".join(
            part for part in [activity.goal, activity.next_step and f"→ {activity.next_step}"] if part
        )
        if description:
            event.add("description", description)
        event.add("status", "CANCELLED" if activity.status == Status.CANCELLED else "CONFIRMED")
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    cal.subcomponents.insert(0, vtimezone(zone, first - timedelta(days=1), last + timedelta(days=366)))
    return cal.to_ical()
