"""The tender-deadline feed (iCalendar, RFC 5545), written as the schedule's feed is (kam.activities.ical)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.utils import timezone

from kam.activities.ical import vtimezone

from .models import Tender, TenderStatus

PRODID = "-//kam//Tender deadlines//EN"
SLOT = timedelta(minutes=30)


def uid_of(tender: Tender) -> str:
    return f"tender-{tender.pk}@kam"


def calendar_for(tenders: Iterable[Tender], *, name: str) -> bytes:
    zone = ZoneInfo(settings.TIME_ZONE)
    tenders = list(tenders)
    today = timezone.localdate()
    days = [timezone.localtime(t.deadline, zone).date() for t in tenders]
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now().astimezone(UTC).replace(microsecond=0)
    for tender in tenders:
        start = tender.deadline.astimezone(zone).replace(microsecond=0)
        event = icalendar.Event()
        event.add("uid", uid_of(tender))
        event.add("dtstamp", stamp)
        event.add("dtstart", start - SLOT)
        event.add("dtend", start)
        event.add("created", tender.created_at.astimezone(UTC).replace(microsecond=0))
        event.add("last-modified", tender.updated_at.astimezone(UTC).replace(microsecond=0))
        event.add("summary", f"Tender deadline: {tender.client.short_name} · {tender.number or tender.title}")
        event.add(
            "description", f"{tender.title}\n{tender.get_platform_display()} · {tender.get_status_display()}"
        )
        if tender.url:
            event.add("url", tender.url)
        event.add("status", "CANCELLED" if tender.status == TenderStatus.CANCELLED else "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    first, last = min([today, *days]), max([today, *days])
    cal.subcomponents.insert(0, vtimezone(zone, first - timedelta(days=1), last + timedelta(days=366)))
    return cal.to_ical()
