"""Settings of the schedule, each overridable in Django settings under the same name.

KAM_PUNCTUALITY_TOLERANCE_MINUTES  a start later than planned by more than this is "late" (default 5;
                                   exactly at the tolerance is on time).
KAM_REMINDER_MINUTES               `manage.py send_reminders` mails activities starting within this many
                                   minutes (default 60); run it from cron every few minutes.
KAM_VISIT_EVERY_DAYS               suggested days between visits by keyness: key or A clients every two
                                   weeks, B monthly, C (and not yet analysed) quarterly.
KAM_FEED_PAST_DAYS                 how far back the iCalendar feed reaches (default 90 days).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

DEFAULT_VISIT_EVERY_DAYS = {"key": 14, "A": 14, "B": 30, "C": 91, "none": 91}


def tolerance() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "KAM_PUNCTUALITY_TOLERANCE_MINUTES", 5)))


def reminder_minutes() -> int:
    return int(getattr(settings, "KAM_REMINDER_MINUTES", 60))


def visit_every_days() -> dict[str, int]:
    return {**DEFAULT_VISIT_EVERY_DAYS, **getattr(settings, "KAM_VISIT_EVERY_DAYS", {})}


def feed_past_days() -> int:
    return int(getattr(settings, "KAM_FEED_PAST_DAYS", 90))
