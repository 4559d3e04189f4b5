"""Writes of the schedule: every change bumps the activity's SEQUENCE (iCalendar) and keeps its UID."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import Role, User
from kam.clients.models import Client, Stakeholder

from . import conf
from .models import CHECKLIST_KEYS, Activity, CalendarFeedToken, Feedback, Kind, Status, WeeklyPlan

log = logging.getLogger("kam.activities")

EDITABLE = ["kind", "planned_start", "planned_end", "place", "goal", "outcome", "next_step"]


def _check(user: User, perm: str, obj: Any) -> None:
    if not policy.can(user, perm, obj):
        raise PermissionDenied


def _owner_for(user: User, client: Client) -> User:
    """A KAM plans for themself; a head or the director plans on behalf of the client's KAM."""
    return user if user.role == Role.KAM else client.owner


def _set_people(
    activity: Activity, participants: Iterable[User] | None, stakeholders: Iterable[Stakeholder] | None
) -> None:
    if participants is not None:
        people = [p for p in participants if p.pk != activity.owner_id]
        activity.participants.set(people)
    if stakeholders is not None:
        chosen = list(stakeholders)
        strangers = [s for s in chosen if s.client_id != activity.client_id]
        if strangers:
            raise ValidationError({"stakeholders": _("These people do not work at this client.")})
        activity.stakeholders.set(chosen)


@transaction.atomic
def activity_create(
    *,
    user: User,
    client: Client,
    kind: str,
    planned_start: datetime,
    planned_end: datetime,
    place: str = "",
    goal: str = "",
    participants: Iterable[User] | None = None,
    stakeholders: Iterable[Stakeholder] | None = None,
    follows: Activity | None = None,
) -> Activity:
    _check(user, "activities.plan_activity", client)
    activity = Activity(
        kind=kind,
        client=client,
        owner=_owner_for(user, client),
        planned_start=planned_start,
        planned_end=planned_end,
        place=place,
        goal=goal,
        follows=follows,
    )
    _validate_times(activity)
    activity.full_clean()
    activity.save()
    _set_people(activity, participants, stakeholders)
    return activity


def _validate_times(activity: Activity) -> None:
    if activity.planned_start and activity.planned_end and activity.planned_end <= activity.planned_start:
        raise ValidationError({"planned_end": _("The end must be after the start.")})


def _bump(activity: Activity) -> None:
    activity.sequence = F("sequence") + 1
    activity.save()
    activity.refresh_from_db()


@transaction.atomic
def activity_update(
    *,
    user: User,
    activity: Activity,
    data: dict[str, Any],
    participants: Iterable[User] | None = None,
    stakeholders: Iterable[Stakeholder] | None = None,
) -> Activity:
    _check(user, "activities.change_activity", activity)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    moved = False
    for field in EDITABLE:
        if field in data:
            if field == "planned_start" and data[field] != activity.planned_start:
                moved = True
            setattr(activity, field, data[field])
    if moved:
        activity.reminder_sent_at = None  # a moved meeting is reminded again
    _validate_times(activity)
    activity.full_clean()
    _set_people(activity, participants, stakeholders)
    _bump(activity)
    return activity


@transaction.atomic
def activity_cancel(*, user: User, activity: Activity) -> Activity:
    _check(user, "activities.change_activity", activity)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status == Status.CANCELLED:
        return activity
    if activity.status == Status.DONE:
        raise ValidationError(_("A held activity cannot be cancelled."))
    activity.status = Status.CANCELLED
    _bump(activity)
    return activity


@transaction.atomic
def activity_start(*, user: User, activity: Activity, at: datetime | None = None) -> Activity:
    """Record the actual start: now (the "Started" button) or an entered time."""
    _check(user, "activities.change_activity", activity)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status == Status.CANCELLED:
        raise ValidationError(_("A cancelled activity cannot start."))
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise ValidationError({"actual_start": _("Give the time with its time zone.")})
    if abs(at - activity.planned_start) > timedelta(days=1):
        raise ValidationError(
            {"actual_start": _("The actual start must be within a day of the planned one.")}
        )
    activity.actual_start = at
    _bump(activity)
    return activity


@transaction.atomic
def activity_complete(*, user: User, activity: Activity, outcome: str, next_step: str = "") -> Activity:
    _check(user, "activities.change_activity", activity)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status == Status.CANCELLED:
        raise ValidationError(_("A cancelled activity cannot be marked as held."))
    if not outcome.strip():
        raise ValidationError({"outcome": _("Write down the outcome.")})
    activity.outcome = outcome.strip()
    activity.next_step = next_step.strip()
    activity.status = Status.DONE
    if activity.actual_start is None and activity.kind == Kind.CALL:
        activity.actual_start = activity.planned_start
    activity.full_clean()
    _bump(activity)
    return activity


@transaction.atomic
def activity_tick_checklist(*, user: User, activity: Activity, ticked: Iterable[str]) -> Activity:
    _check(user, "activities.change_activity", activity)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    chosen = set(ticked)
    unknown = chosen - set(CHECKLIST_KEYS)
    if unknown:
        raise ValidationError(_("Unknown checklist items: %(items)s") % {"items": ", ".join(sorted(unknown))})
    activity.checklist = {key: key in chosen for key in CHECKLIST_KEYS}
    # The checklist is not part of the calendar event: no SEQUENCE bump for it.
    activity.save(update_fields=["checklist", "updated_at"])
    return activity


def follow_up_initial(activity: Activity) -> dict[str, Any]:
    """What the "create follow-up" form starts with: the next step becomes the goal a week later."""
    length = activity.planned_end - activity.planned_start
    start = max(activity.planned_start + timedelta(days=7), timezone.now() + timedelta(days=1))
    start = timezone.localtime(start).replace(minute=0, second=0, microsecond=0)
    return {
        "client": activity.client_id,
        "kind": activity.kind,
        "place": activity.place,
        "goal": activity.next_step or activity.goal,
        "planned_start": start,
        "planned_end": start + length,
        "follows": activity.pk,
    }


# ------------------------------------------------------------------ weekly plan


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@transaction.atomic
def weekly_plan_set(*, user: User, kam: User, week_start: date, visits: int, calls: int) -> WeeklyPlan:
    _check(user, "activities.view_kam_schedule", kam)
    monday = week_monday(week_start)
    plan, _created = WeeklyPlan.objects.select_for_update().get_or_create(kam=kam, week_start=monday)
    plan.visits = visits
    plan.calls = calls
    plan.full_clean()
    plan.save()
    return plan


# ------------------------------------------------------------------ calendar feed


@transaction.atomic
def feed_token_issue(*, user: User) -> tuple[CalendarFeedToken, str]:
    """A new secret feed URL; the previous ones stop working. The raw token is shown once."""
    _check(user, "activities.view_schedule", None)
    CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    raw = secrets.token_urlsafe(32)
    token = CalendarFeedToken.objects.create(
        user=user, token_hash=CalendarFeedToken.hash(raw), prefix=raw[:8]
    )
    return token, raw


@transaction.atomic
def feed_token_revoke(*, user: User, token_id: int) -> int:
    return CalendarFeedToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def feed_user(raw: str) -> User | None:
    token = (
        CalendarFeedToken.objects.select_related("user")
        .filter(token_hash=CalendarFeedToken.hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return token.user if token else None


# ------------------------------------------------------------------ reminders


def reminders_send(*, now: datetime | None = None, within_minutes: int | None = None) -> int:
    """One email per planned activity starting within the next N minutes; never twice (idempotent)."""
    now = now or timezone.now()
    horizon = now + timedelta(
        minutes=within_minutes if within_minutes is not None else conf.reminder_minutes()
    )
    due = (
        Activity.objects.filter(
            status=Status.PLANNED,
            reminder_sent_at__isnull=True,
            planned_start__gt=now,
            planned_start__lte=horizon,
        )
        .select_related("client", "owner")
        .prefetch_related("participants")
        .order_by("planned_start", "id")
    )
    sent = 0
    for activity in due:
        # Claim first, so two cron runs at once cannot both send.
        claimed = Activity.objects.filter(pk=activity.pk, reminder_sent_at__isnull=True).update(
            reminder_sent_at=now
        )
        if not claimed:
            continue
        recipients = sorted(
            {u.email for u in [activity.owner, *activity.participants.all()] if u.email and u.is_active}
        )
        if not recipients:
            continue
        start = timezone.localtime(activity.planned_start)
        subject = _("Reminder: %(kind)s with %(client)s at %(time)s") % {
            "kind": activity.get_kind_display(),
            "client": activity.client.short_name,
            "time": f"{start:%H:%M}",
        }
        body = "\n".join(
            [
                subject,
                _("Place: %(place)s") % {"place": activity.place or "—"},
                _("Goal: %(goal)s") % {"goal": activity.goal or "—"},
                _("Be on time: lateness is the first of the seven mistakes with key clients."),
            ]
        )
        try:
            send_mail(subject, body, None, recipients)
        except Exception:
            Activity.objects.filter(pk=activity.pk).update(reminder_sent_at=None)
            log.exception("reminder for activity %s failed", activity.pk)
            continue
        sent += 1
    return sent


# ------------------------------------------------------------------ feedback


@transaction.atomic
def feedback_add(
    *, user: User, client: Client, received_on: date, about: str, score: int, comment: str = ""
) -> Feedback:
    _check(user, "activities.add_feedback", client)
    feedback = Feedback(
        client=client, author=user, received_on=received_on, about=about, score=score, comment=comment
    )
    feedback.full_clean()
    feedback.save()
    return feedback
