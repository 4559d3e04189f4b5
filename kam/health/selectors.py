"""Reads for account health: the facts of many clients at once (set-based), and permission-cut lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from kam.access import policy
from kam.access.models import Role, User
from kam.clients.models import Client, DecisionRole

from .models import Band, HealthAlert, HealthSnapshot
from .scoring import Facts

# Who counts as a decision maker for coverage: the decision makers and the VIPs of the pharma variant.
DECISION_ROLES = (DecisionRole.DECISION_MAKER, DecisionRole.VIP)
# Which done activities count as a meeting (a call does not).
MEETING_KINDS = ("visit", "meeting", "presentation", "event")


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` away from `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class Windows:
    recent_start: date
    end: date  # exclusive: the first day of `as_of`'s month
    previous_start: date
    previous_end: date
    history_start: date


def windows(as_of: date, months: int) -> Windows:
    """Last `months` complete months; the same months a year earlier; the 12 months before the recent ones."""
    end = add_months(as_of, 0)
    recent_start = add_months(as_of, -months)
    return Windows(
        recent_start=recent_start,
        end=end,
        previous_start=add_months(recent_start, -12),
        previous_end=add_months(end, -12),
        history_start=add_months(recent_start, -12),
    )


def key_client_ids() -> list[int]:
    """Key clients of the latest analysis snapshot (any definition)."""
    from kam.analytics.models import SnapshotClient
    from kam.analytics.selectors import latest_snapshot

    snapshot = latest_snapshot()
    if snapshot is None:
        return []
    return list(
        SnapshotClient.objects.filter(snapshot=snapshot, is_key_any=True)
        .order_by("rank")
        .values_list("client_id", flat=True)
    )


def _system_reader() -> User:
    """An unsaved director: the computation reads every client's receivables (never shown to anyone)."""
    return User(username="health-computation", role=Role.DIRECTOR, is_active=True)


def facts_for(client_ids: list[int], as_of: date, config: Any) -> dict[int, Facts]:
    """The facts of all the clients in a constant number of queries (aggregated in the database)."""
    from kam.activities.models import Activity, Feedback
    from kam.activities.models import Status as ActivityStatus
    from kam.clients.models import Stakeholder
    from kam.contracts.models import OPEN_CLAIM_STATUSES, Claim
    from kam.ledger.models import LedgerMonthly
    from kam.receivables.selectors import client_figures

    facts = {pk: Facts() for pk in client_ids}
    if not client_ids:
        return facts
    w = windows(as_of, int(config.trend_months))
    recent = Q(month__gte=w.recent_start, month__lt=w.end)
    ledger = (
        LedgerMonthly.objects.filter(client_id__in=client_ids, month__gte=w.history_start, month__lt=w.end)
        .values("client_id")
        .order_by()
        .annotate(
            recent=Sum("income", filter=recent),
            previous=Sum("income", filter=Q(month__gte=w.previous_start, month__lt=w.previous_end)),
            recent_months=Count("month", distinct=True, filter=recent & Q(turnover__gt=0)),
            history_months=Count("month", distinct=True, filter=Q(month__lt=w.recent_start, turnover__gt=0)),
        )
    )
    for row in ledger:
        f = facts[row["client_id"]]
        f.recent_income = int(row["recent"] or 0)
        f.previous_income = int(row["previous"] or 0)
        f.recent_months = row["recent_months"]
        f.history_months = row["history_months"]

    for client_id, figures in client_figures(_system_reader(), on=as_of, client_ids=client_ids).items():
        facts[client_id].overdue = figures["overdue"]

    claims = (
        Claim.objects.filter(
            client_id__in=client_ids, status__in=OPEN_CLAIM_STATUSES, registered_on__lte=as_of
        )
        .values("client_id")
        .order_by()
        .annotate(n=Count("pk"))
    )
    for crow in claims:
        facts[crow["client_id"]].open_claims = crow["n"]

    tz = timezone.get_current_timezone()
    day_end = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min), tz)
    since_day = as_of - timedelta(days=int(config.coverage_days))
    since = timezone.make_aware(datetime.combine(since_day, time.min), tz)
    met = Activity.objects.filter(
        stakeholders=OuterRef("pk"),
        status=ActivityStatus.DONE,
        planned_start__gte=since,
        planned_start__lt=day_end,
    )
    coverage = (
        Stakeholder.objects.filter(client_id__in=client_ids, decision_role__in=DECISION_ROLES)
        .annotate(met=Exists(met))
        .values("client_id")
        .order_by()
        .annotate(
            total=Count("pk"),
            covered=Count(
                "pk", filter=Q(met=True) | Q(last_contact_on__gte=since_day, last_contact_on__lte=as_of)
            ),
        )
    )
    for vrow in coverage:
        facts[vrow["client_id"]].decision_makers = vrow["total"]
        facts[vrow["client_id"]].decision_makers_covered = vrow["covered"]

    meetings = (
        Activity.objects.filter(
            client_id__in=client_ids,
            status=ActivityStatus.DONE,
            kind__in=MEETING_KINDS,
            planned_start__lt=day_end,
        )
        .values("client_id")
        .order_by()
        .annotate(last=Max("planned_start"))
    )
    for mrow in meetings:
        last_day = timezone.localtime(mrow["last"], tz).date()
        facts[mrow["client_id"]].days_since_meeting = max(0, (as_of - last_day).days)

    feedback_since = _same_day_months_back(as_of, int(config.satisfaction_months))
    feedback = (
        Feedback.objects.filter(
            client_id__in=client_ids, received_on__gt=feedback_since, received_on__lte=as_of
        )
        .values("client_id")
        .order_by()
        .annotate(n=Count("pk"), total=Sum("score"))
    )
    for frow in feedback:
        facts[frow["client_id"]].feedback_count = frow["n"]
        facts[frow["client_id"]].feedback_sum = int(frow["total"] or 0)
    return facts


def _same_day_months_back(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day when it is shorter)."""
    import calendar

    first = add_months(day, -months)
    last = calendar.monthrange(first.year, first.month)[1]
    return first.replace(day=min(day.day, last))


# ------------------------------------------------------------------ lists for pages and API

SORTS = {
    "score": ("score", "client__short_name"),
    "-score": ("-score", "client__short_name"),
    "name": ("client__short_name", "client_id"),
    "change": ("score_change", "client__short_name"),
    "day": ("-day", "client__short_name"),
}


@dataclass
class ListFilter:
    q: str = ""
    kam: int | None = None
    department: int | None = None
    band: str = ""
    key_only: bool = True
    sort: str = "score"

    @classmethod
    def from_params(cls, params: Any) -> ListFilter:
        def number(name: str) -> int | None:
            raw = str(params.get(name, "") or "")
            return int(raw) if raw.isdigit() and len(raw) < 16 else None

        band = str(params.get("band", "") or "")
        sort = str(params.get("sort", "") or "score")
        return cls(
            q=str(params.get("q", "") or "").strip()[:100],
            kam=number("kam"),
            department=number("department"),
            band=band if band in Band.values else "",
            key_only=str(params.get("all", "")) != "1",
            sort=sort if sort in SORTS else "score",
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "q": self.q,
            "kam": self.kam,
            "department": self.department,
            "band": self.band,
            "all": "" if self.key_only else "1",
            "sort": self.sort,
        }


def visible_latest(user: User, flt: ListFilter | None = None) -> QuerySet[HealthSnapshot]:
    """The newest snapshot of each client the user may see, filtered and sorted."""
    from django.db.models import F

    flt = flt or ListFilter()
    if not policy.can(user, "health.view_health"):
        return HealthSnapshot.objects.none()
    qs = policy.limit_to_visible_clients(HealthSnapshot.objects.filter(is_latest=True), user).select_related(
        "client", "client__owner", "client__department"
    )
    if flt.key_only:
        qs = qs.filter(is_key=True)
    if flt.kam:
        qs = qs.filter(client__owner_id=flt.kam)
    if flt.department:
        qs = qs.filter(client__department_id=flt.department)
    if flt.band:
        qs = qs.filter(band=flt.band)
    if flt.q:
        qs = qs.filter(client__in=Client.objects.search(flt.q).values("pk"))
    qs = qs.annotate(score_change=F("score") - F("previous_score"))
    return qs.order_by(*SORTS[flt.sort])


def filter_choices(user: User) -> dict[str, Any]:
    """KAMs and departments the user may filter by (those of the clients they see)."""
    from kam.access.models import Department

    visible = policy.visible_clients(user)
    kams = User.objects.filter(pk__in=visible.values("owner_id")).order_by("last_name", "first_name")
    departments = Department.objects.filter(pk__in=visible.values("department_id")).order_by("name")
    return {"kams": list(kams), "departments": list(departments)}


def client_history(client: Client, limit: int = 60) -> list[HealthSnapshot]:
    """The client's snapshots, oldest first (the last `limit` days computed)."""
    rows = list(HealthSnapshot.objects.filter(client=client).order_by("-day")[:limit])
    rows.reverse()
    return rows


def latest_for(client: Client) -> HealthSnapshot | None:
    return HealthSnapshot.objects.filter(client=client, is_latest=True).first()


def recent_alerts(user: User, *, days: int = 30, client: Client | None = None) -> QuerySet[HealthAlert]:
    """Early warnings of the last `days` days on clients the user may see, worst first."""
    if not policy.can(user, "health.view_health"):
        return HealthAlert.objects.none()
    since = timezone.localdate() - timedelta(days=days)
    qs = policy.limit_to_visible_clients(HealthAlert.objects.filter(day__gte=since), user)
    if client is not None:
        qs = qs.filter(client=client)
    return qs.select_related("client", "client__owner").order_by("-day", "score", "pk")
