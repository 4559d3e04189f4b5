"""Reads of the schedule, always cut down to what the user may see (kam.access.policy)."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from kam.access import policy
from kam.access.models import Role, User
from kam.clients.models import Client, ClientStatus

from . import conf
from .models import Activity, Feedback, Kind, Status, WeeklyPlan
from .services import week_monday


def visible_activities(user: User) -> QuerySet[Activity]:
    qs = Activity.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.role == Role.DIRECTOR:
        return qs
    mine = Q(owner=user) | Q(
        pk__in=Activity.participants.through.objects.filter(user=user).values("activity")
    )
    if user.role == Role.HEAD and user.department_id is not None:
        return qs.filter(
            mine | Q(owner__department_id=user.department_id) | Q(client__department_id=user.department_id)
        )
    if user.role == Role.KAM:
        return qs.filter(mine | Q(client__in=policy.visible_clients(user).values("pk")))
    return qs.filter(mine)


def get_activity_for_user(user: User, activity_id: int, perm: str = "activities.view_activity") -> Activity:
    from django.http import Http404

    activity = (
        Activity.objects.select_related("client", "client__owner", "client__department", "owner")
        .filter(pk=activity_id)
        .first()
    )
    if activity is None or not policy.can(user, perm, activity):
        raise Http404("No such activity")
    return activity


def schedulable_kams(user: User) -> QuerySet[User]:
    """Whose schedule the user may open: their own, their department's KAMs, everyone's for the director."""
    qs = User.objects.filter(is_active=True, role__in=[Role.KAM, Role.HEAD, Role.DIRECTOR])
    if user.role == Role.DIRECTOR:
        return qs.filter(Q(role=Role.KAM) | Q(pk=user.pk))
    if user.role == Role.HEAD and user.department_id is not None:
        return qs.filter(Q(role=Role.KAM, department_id=user.department_id) | Q(pk=user.pk))
    return qs.filter(pk=user.pk)


def _local_range(first: date, days: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(first + timedelta(days=days), time.min, tzinfo=tz)
    return start, end


def schedule_of(user: User, kam: User, first: date, days: int) -> list[Activity]:
    """The KAM's activities (own or joined) in [first, first+days), as the viewer may see them."""
    start, end = _local_range(first, days)
    joined = Activity.participants.through.objects.filter(user=kam).values("activity")
    return list(
        visible_activities(user)
        .filter(Q(owner=kam) | Q(pk__in=joined), planned_start__gte=start, planned_start__lt=end)
        .select_related("client", "owner")
        .order_by("planned_start", "id")
    )


@dataclass
class Day:
    day: date
    activities: list[Activity] = field(default_factory=list)
    in_month: bool = True

    @property
    def is_today(self) -> bool:
        return self.day == timezone.localdate()


def week_days(activities: list[Activity], monday: date) -> list[Day]:
    days = [Day(monday + timedelta(days=i)) for i in range(7)]
    for activity in activities:
        index = (timezone.localtime(activity.planned_start).date() - monday).days
        if 0 <= index < 7:
            days[index].activities.append(activity)
    return days


def month_grid(user: User, kam: User, year: int, month: int) -> list[list[Day]]:
    first = date(year, month, 1)
    start = week_monday(first)
    last = date(year, month, calendar.monthrange(year, month)[1])
    end = week_monday(last) + timedelta(days=7)
    activities = schedule_of(user, kam, start, (end - start).days)
    by_day: dict[date, list[Activity]] = defaultdict(list)
    for activity in activities:
        by_day[timezone.localtime(activity.planned_start).date()].append(activity)
    weeks = []
    day = start
    while day < end:
        weeks.append(
            [
                Day(
                    day + timedelta(days=i),
                    by_day.get(day + timedelta(days=i), []),
                    (day + timedelta(days=i)).month == month,
                )
                for i in range(7)
            ]
        )
        day += timedelta(days=7)
    return weeks


@dataclass(frozen=True)
class Fulfilment:
    kind: str
    label: str
    planned: int
    scheduled: int
    done: int

    @property
    def share(self) -> Decimal | None:
        return Decimal(self.done) / Decimal(self.planned) if self.planned else None

    @property
    def percent(self) -> int | None:
        return None if not self.planned else min(int(self.done * 100 // self.planned), 100)


def weekly_fulfilment(kam: User, monday: date) -> tuple[WeeklyPlan | None, list[Fulfilment]]:
    """The plan of the week and what was held: done activities of each kind owned by the KAM that week."""
    plan = WeeklyPlan.objects.filter(kam=kam, week_start=monday).first()
    start, end = _local_range(monday, 7)
    counts = (
        Activity.objects.filter(
            owner=kam, kind__in=[Kind.VISIT, Kind.CALL], planned_start__gte=start, planned_start__lt=end
        )
        .exclude(status=Status.CANCELLED)
        .values("kind")
        .annotate(total=Count("id"), done=Count("id", filter=Q(status=Status.DONE)))
    )
    by_kind: dict[str, dict[str, Any]] = {row["kind"]: dict(row) for row in counts}
    rows = []
    for kind, target in ((Kind.VISIT, plan.visits if plan else 0), (Kind.CALL, plan.calls if plan else 0)):
        row: dict[str, Any] = by_kind.get(kind, {})
        rows.append(Fulfilment(kind, str(Kind(kind).label), target, row.get("total", 0), row.get("done", 0)))
    return plan, rows


# ------------------------------------------------------------------ visit frequency


@dataclass(frozen=True)
class DueClient:
    client: Client
    tier: str
    every_days: int
    last_visit: date | None
    next_planned: date | None
    due_on: date

    @property
    def overdue_days(self) -> int:
        return (timezone.localdate() - self.due_on).days


def keyness_tiers(client_ids: list[int] | QuerySet[Any]) -> tuple[bool, dict[int, str]]:
    """(is there an analysis, {client id: "key"/"A"/"B"/"C"}) from the latest snapshot.

    `client_ids`: a list, or a query of client ids (a KAM's hundreds of clients as a subquery, not as
    hundreds of parameters).
    """
    from kam.analytics.models import SnapshotClient
    from kam.analytics.selectors import latest_snapshot

    snapshot = latest_snapshot()
    if snapshot is None:
        return False, {}
    tiers = {}
    for client_id, abc, key in SnapshotClient.objects.filter(
        snapshot=snapshot, client_id__in=client_ids
    ).values_list("client_id", "abc", "is_key_any"):
        tiers[client_id] = "key" if key else (abc or "C")
    return True, tiers


def _due_rows(user: User, kam: User) -> list[tuple[Any, ...]]:
    """(id, short name, tier, every days, last visit, next planned, due on) of the clients due, in order.

    The last and next visits are grouped per client id, without a model per client.
    """
    today = timezone.localdate()
    now = timezone.now()
    clients = policy.visible_clients(user, Client.objects.filter(owner=kam, status=ClientStatus.ACTIVE))
    rows = list(
        clients.order_by("short_name", "id")
        .values("pk", "short_name")
        .annotate(
            last_visit=Max(
                "activities__planned_start",
                filter=Q(activities__kind=Kind.VISIT, activities__status=Status.DONE),
            ),
            next_visit=Min(
                "activities__planned_start",
                filter=Q(
                    activities__kind=Kind.VISIT,
                    activities__status=Status.PLANNED,
                    activities__planned_start__gte=now,
                ),
            ),
        )
        .values_list("pk", "short_name", "last_visit", "next_visit")[:2000]
    )
    _analysed, tiers = keyness_tiers(clients.order_by().values("pk"))
    every = conf.visit_every_days()
    zone = timezone.get_current_timezone()
    # Due when (local date of the last visit) + interval <= today, i.e. the last visit began before
    # the local midnight of (today - interval + 1): one instant per interval, compared without
    # converting each client's visit to a local date (a KAM has hundreds of clients, few of them due).
    recent_from = {
        days: datetime.combine(today - timedelta(days=days - 1), time.min, tzinfo=zone)
        for days in set(every.values())
    }
    due = []
    for pk, short_name, last_visit, next_visit in rows:
        if next_visit is not None:
            continue
        tier = tiers.get(pk, "none")
        days = every.get(tier, every["none"])
        if last_visit is not None and last_visit >= recent_from[days]:
            continue
        last = timezone.localtime(last_visit).date() if last_visit else None
        due_on = last + timedelta(days=days) if last else today
        due.append((pk, short_name, tier, days, last, None, due_on))
    order = {"key": 0, "A": 1, "B": 2, "C": 3, "none": 4}
    due.sort(key=lambda d: (order.get(d[2], 5), d[6], d[1]))
    return due


def clients_due_for_visit(user: User, kam: User, limit: int = 50) -> list[DueClient]:
    """The KAM's active clients whose suggested visit interval has passed and no visit is planned."""
    due = _due_rows(user, kam)[:limit]
    clients = Client.objects.in_bulk([d[0] for d in due])
    return [
        DueClient(clients[pk], tier, days, last, nxt, due_on)
        for pk, _name, tier, days, last, nxt, due_on in due
    ]


def count_clients_due_for_visit(user: User, kam: User, limit: int = 100) -> int:
    """How many clients are due (at most `limit`), without loading them."""
    # Counted in SQL (an EXISTS per visit interval), the ORM's query building cost more Python than
    # reading these few hundred rows does.
    return min(len(_due_rows(user, kam)), limit)


# ------------------------------------------------------------------ punctuality


@dataclass
class PunctualityRow:
    kam: User
    started: int = 0
    late: int = 0
    total_delay_minutes: int = 0
    late_activities: list[Activity] = field(default_factory=list)

    @property
    def late_share(self) -> Decimal | None:
        return Decimal(self.late) / Decimal(self.started) if self.started else None

    @property
    def average_delay(self) -> int | None:
        """Average lateness of the late starts, whole minutes."""
        return self.total_delay_minutes // self.late if self.late else None


def punctuality_report(
    user: User, first: date, last: date, *, started_only: bool = False
) -> list[PunctualityRow]:
    """Per KAM the user may see: activities with a recorded start, how many were late, by how much.

    `started_only`: rows only for the KAMs with a recorded start in the period (the Today page's card,
    which shows totals and the latest few; the director has 200 KAMs, most weeks few of them late)."""
    start, end = _local_range(first, (last - first).days + 1)
    tolerance = conf.tolerance()
    kam_ids = schedulable_kams(user).filter(role=Role.KAM).values("pk")
    activities = list(
        visible_activities(user)
        .filter(
            owner_id__in=kam_ids,
            planned_start__gte=start,
            planned_start__lt=end,
            actual_start__isnull=False,
        )
        .exclude(status=Status.CANCELLED)
        .select_related("client")
        # A week of every KAM's starts for the director: only what the report counts and lists.
        .only("owner_id", "kind", "status", "planned_start", "actual_start", "client__short_name")
        .order_by("planned_start", "id")
    )
    kams = User.objects.filter(pk__in=kam_ids).only(
        "username", "first_name", "last_name", "role", "department_id"
    )
    if started_only:
        kams = kams.filter(pk__in={a.owner_id for a in activities})
    rows = {kam.pk: PunctualityRow(kam) for kam in kams}
    for activity in activities:
        row = rows.get(activity.owner_id)
        if row is None:  # no longer a KAM between the two reads
            continue
        row.started += 1
        delay = activity.actual_start - activity.planned_start  # type: ignore[operator]
        if delay > tolerance:
            row.late += 1
            row.total_delay_minutes += int(delay.total_seconds() // 60)
            row.late_activities.append(activity)
    return sorted(rows.values(), key=lambda r: (-r.late, str(r.kam)))


# ------------------------------------------------------------------ dossier


def client_activities(user: User, client: Client, limit: int = 100) -> list[Activity]:
    return list(
        visible_activities(user)
        .filter(client=client)
        .select_related("owner")
        .order_by("-planned_start", "-id")[:limit]
    )


def last_interactions(user: User, client: Client, exclude: int | None = None, n: int = 5) -> list[Activity]:
    qs = visible_activities(user).filter(client=client, status=Status.DONE).select_related("owner")
    if exclude:
        qs = qs.exclude(pk=exclude)
    return list(qs.order_by("-planned_start", "-id")[:n])


@dataclass(frozen=True)
class FeedbackMonth:
    month: date
    count: int
    average: Decimal


def feedback_trend(client: Client, months: int = 12) -> tuple[list[Feedback], list[FeedbackMonth]]:
    items = list(
        Feedback.objects.filter(client=client).select_related("author").order_by("-received_on", "-id")[:200]
    )
    by_month: dict[date, list[int]] = defaultdict(list)
    for f in items:
        by_month[f.received_on.replace(day=1)].append(f.score)
    trend = [
        FeedbackMonth(m, len(s), (Decimal(sum(s)) / Decimal(len(s))).quantize(Decimal("0.1")))
        for m, s in sorted(by_month.items())
    ][-months:]
    return items, trend


def feeds_of(user: User) -> QuerySet[Any]:
    return user.feed_tokens.filter(revoked_at__isnull=True)


def feed_activities(user: User) -> QuerySet[Activity]:
    since = timezone.now() - timedelta(days=conf.feed_past_days())
    joined = Activity.participants.through.objects.filter(user=user).values("activity")
    return (
        Activity.objects.filter(Q(owner=user) | Q(pk__in=joined), planned_start__gte=since)
        .select_related("client", "owner")
        .order_by("planned_start", "id")
    )
