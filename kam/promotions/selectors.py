"""Reads for promotions: the programmes a user may see, their participants and their measured effect.

The effect is computed from `ledger_monthly` with set-based aggregates (never a loop over ledger rows):
participants against comparable clients outside the programme (same segment and department), the
programme's months against as many months just before it, and the difference of the two changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from kam.access import policy
from kam.access.models import Role, User
from kam.clients.models import Client
from kam.ledger.models import LedgerMonthly

from .models import Participant, Promotion

SORTS = {
    "starts": ("starts_on", "id"),
    "-starts": ("-starts_on", "-id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "status": ("status", "-starts_on", "id"),
    "-status": ("-status", "-starts_on", "id"),
    "clients": ("participants_count", "id"),
    "-clients": ("-participants_count", "-id"),
}


def promotions_for(user: User) -> QuerySet[Promotion]:
    """The programmes `user` may see (see rules.py)."""
    qs = Promotion.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    role = user.role
    if role in (Role.DIRECTOR, Role.FINANCE):
        return qs
    if role not in (Role.HEAD, Role.KAM):
        return qs.none()
    covers_visible = Exists(
        Participant.objects.filter(
            promotion=OuterRef("pk"), client_id__in=policy.visible_clients(user).values("pk")
        )
    )
    if role == Role.HEAD:
        if user.department_id is None:
            return qs.none()
        return qs.filter(Q(department__isnull=True) | Q(department_id=user.department_id) | covers_visible)
    return qs.filter(covers_visible)


def promotion_list(
    user: User, *, q: str = "", status: str = "", kind: str = "", sort: str = "-starts"
) -> QuerySet[Promotion]:
    qs = promotions_for(user)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(rules_text__icontains=q))
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if policy.client_scope(user) is None:
        counted = Count("participants", distinct=True)
    else:
        # Only the clients the user may see are counted, as on the programme's page.
        visible = policy.visible_clients(user).values("pk")
        counted = Count("participants", filter=Q(participants__client_id__in=visible), distinct=True)
    qs = qs.annotate(participants_count=counted)
    return qs.select_related("department").order_by(*SORTS.get(sort, SORTS["-starts"]))


def promotion_for(user: User, promotion_id: int) -> Promotion:
    promotion = (
        promotions_for(user).select_related("department", "created_by").filter(pk=promotion_id).first()
    )
    if promotion is None:
        raise Http404("No such promotion")
    return promotion


def participants_for(user: User, promotion: Promotion) -> QuerySet[Client]:
    """The programme's clients that `user` may see."""
    return policy.visible_clients(
        user,
        Client.objects.filter(pk__in=Participant.objects.filter(promotion=promotion).values("client_id")),
    )


def control_clients(user: User, promotion: Promotion) -> QuerySet[Client]:
    """Comparable clients outside the programme: same segment and department as a participant."""
    same_kind = Participant.objects.annotate(dept=Coalesce("client__department_id", Value(0))).filter(
        promotion=promotion, client__segment=OuterRef("segment"), dept=OuterRef("dept0")
    )
    outside = (
        Client.objects.exclude(pk__in=Participant.objects.filter(promotion=promotion).values("client_id"))
        .annotate(dept0=Coalesce("department_id", Value(0)))
        .filter(Exists(same_kind))
    )
    return policy.visible_clients(user, outside)


# ------------------------------------------------------------------------------------------ effect


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """Months from `first` to `last` inclusive (both first days of months)."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


@dataclass(frozen=True)
class Windows:
    """The measured months: every month the programme touches (up to this month), and as many before."""

    during_from: date
    during_to: date
    before_from: date
    before_to: date
    months: int
    partial: bool  # the programme runs on past this month: measured so far

    @classmethod
    def of(cls, promotion: Promotion, today: date | None = None) -> Windows | None:
        today = today or timezone.localdate()
        first = month_start(promotion.starts_on)
        last = month_start(promotion.ends_on)
        current = month_start(today)
        if first > current:
            return None
        partial = last > current
        last = min(last, current)
        months = months_between(first, last)
        return cls(first, last, add_months(first, -months), add_months(first, -1), months, partial)


@dataclass(frozen=True)
class GroupFigures:
    clients: int
    buyers_before: int
    buyers_during: int
    turnover_before: int  # kopecks
    turnover_during: int
    income_before: int
    income_during: int

    def change(self, metric: str) -> int:
        return int(getattr(self, f"{metric}_during")) - int(getattr(self, f"{metric}_before"))

    def change_pct(self, metric: str) -> Decimal | None:
        before = int(getattr(self, f"{metric}_before"))
        if before <= 0:
            return None
        return _decimal(Fraction(self.change(metric) * 100, before), "0.01")

    def per_client(self, metric: str, window: str) -> Decimal | None:
        """Average kopecks per client of the group in a window."""
        if not self.clients:
            return None
        return _decimal(Fraction(int(getattr(self, f"{metric}_{window}")), self.clients), "1")


@dataclass(frozen=True)
class MetricEffect:
    metric: str
    # Average change per client, kopecks (exact fraction rounded half up to whole kopecks).
    participant_change_per_client: Decimal | None
    control_change_per_client: Decimal | None
    did_per_client: Decimal | None  # participants' change − control's change, per client
    did_total: Decimal | None  # did_per_client × participants
    participant_change_pct: Decimal | None
    control_change_pct: Decimal | None
    did_pct: Decimal | None  # percentage points


@dataclass(frozen=True)
class Effect:
    windows: Windows
    participants: GroupFigures
    control: GroupFigures
    turnover: MetricEffect
    income: MetricEffect

    @property
    def metrics(self) -> list[MetricEffect]:
        return [self.turnover, self.income]


def _decimal(value: Fraction, quantum: str) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal(quantum), rounding=ROUND_HALF_UP
    )


def _metric_effect(metric: str, p: GroupFigures, c: GroupFigures) -> MetricEffect:
    p_change = Fraction(p.change(metric), p.clients) if p.clients else None
    c_change = Fraction(c.change(metric), c.clients) if c.clients else None
    did = p_change - c_change if p_change is not None and c_change is not None else None
    p_pct, c_pct = p.change_pct(metric), c.change_pct(metric)
    return MetricEffect(
        metric=metric,
        participant_change_per_client=_decimal(p_change, "1") if p_change is not None else None,
        control_change_per_client=_decimal(c_change, "1") if c_change is not None else None,
        did_per_client=_decimal(did, "1") if did is not None else None,
        did_total=_decimal(did * p.clients, "1") if did is not None else None,
        participant_change_pct=p_pct,
        control_change_pct=c_pct,
        did_pct=p_pct - c_pct if p_pct is not None and c_pct is not None else None,
    )


def promotion_effect(user: User, promotion: Promotion, today: date | None = None) -> Effect | None:
    """Difference-in-differences over the clients `user` may see; None before the programme starts.

    Three queries whatever the number of clients or ledger rows: the two group sizes, and one GROUP BY
    (group × window) over ledger_monthly.
    """
    windows = Windows.of(promotion, today)
    if windows is None:
        return None
    participants = participants_for(user, promotion).values("pk")
    control = control_clients(user, promotion).values("pk")
    rows = (
        LedgerMonthly.objects.filter(month__gte=windows.before_from, month__lte=windows.during_to)
        .filter(Q(client_id__in=participants) | Q(client_id__in=control))
        .annotate(
            grp=Case(When(client_id__in=participants, then=Value("p")), default=Value("c")),
            win=Case(When(month__gte=windows.during_from, then=Value("during")), default=Value("before")),
        )
        .values("grp", "win")
        .annotate(turnover=Sum("turnover"), income=Sum("income"), buyers=Count("client_id", distinct=True))
        .order_by()
    )
    figures: dict[str, dict[str, Any]] = {"p": {}, "c": {}}
    for row in rows:
        grp = figures[row["grp"]]
        grp[f"turnover_{row['win']}"] = int(row["turnover"] or 0)
        grp[f"income_{row['win']}"] = int(row["income"] or 0)
        grp[f"buyers_{row['win']}"] = int(row["buyers"] or 0)

    def group(key: str, clients: int) -> GroupFigures:
        data = figures[key]
        return GroupFigures(
            clients=clients,
            buyers_before=data.get("buyers_before", 0),
            buyers_during=data.get("buyers_during", 0),
            turnover_before=data.get("turnover_before", 0),
            turnover_during=data.get("turnover_during", 0),
            income_before=data.get("income_before", 0),
            income_during=data.get("income_during", 0),
        )

    p = group("p", participants.count())
    c = group("c", control.count())
    return Effect(windows, p, c, _metric_effect("turnover", p, c), _metric_effect("income", p, c))


def participant_figures(user: User, promotion: Promotion, today: date | None = None) -> QuerySet[Client]:
    """The visible participants with their turnover and income before and during the programme (kopecks),
    one GROUP BY over ledger_monthly joined in as subqueries."""
    qs = participants_for(user, promotion).select_related("owner", "department").order_by("short_name", "id")
    windows = Windows.of(promotion, today)
    if windows is None:
        return qs
    ledger = LedgerMonthly.objects.filter(client_id=OuterRef("pk")).order_by().values("client_id")

    def total(field: str, first: date, last: date) -> Any:
        window = ledger.filter(month__gte=first, month__lte=last).annotate(s=Sum(field)).values("s")
        return Coalesce(Subquery(window), Value(0))

    return qs.annotate(
        turnover_before=total("turnover", windows.before_from, windows.before_to),
        turnover_during=total("turnover", windows.during_from, windows.during_to),
        income_before=total("income", windows.before_from, windows.before_to),
        income_during=total("income", windows.during_from, windows.during_to),
    )


def latest_abc_snapshot_id() -> int | None:
    from kam.analytics.models import Snapshot, SnapshotStatus

    return (
        Snapshot.objects.filter(status=SnapshotStatus.DONE)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
