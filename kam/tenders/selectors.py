"""Reads for tenders. Every function takes the user and filters through the access rules.

Days are the viewing user's days: a deadline at 23:30 in Moscow falls on the next day for a user in
Yekaterinburg, and the calendar, the "due today" list and the date filters say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client

from .models import CLOSED_STATUSES, OPEN_STATUSES, Lot, LotResult, Platform, Tender, TenderStatus

SORTS: dict[str, tuple[str, ...]] = {
    "deadline": ("deadline", "pk"),
    "-deadline": ("-deadline", "-pk"),
    "client": ("client__short_name", "deadline", "pk"),
    "-client": ("-client__short_name", "-deadline", "-pk"),
    "status": ("status", "deadline", "pk"),
    "-status": ("-status", "-deadline", "-pk"),
    "kam": ("kam__last_name", "kam__first_name", "deadline", "pk"),
    "-kam": ("-kam__last_name", "-kam__first_name", "-deadline", "-pk"),
    "price": ("total_initial", "pk"),
    "-price": ("-total_initial", "-pk"),
    "created": ("created_at", "pk"),
    "-created": ("-created_at", "-pk"),
}
SOON_DAYS = 7


def current_zone() -> ZoneInfo:
    zone = timezone.get_current_timezone()
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(str(zone))


def day_bounds(day: date, zone: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """[start, end) of a calendar day in `zone` (the active, i.e. the user's, zone by default)."""
    zone = zone or current_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def local_day(moment: datetime, zone: ZoneInfo | None = None) -> date:
    return moment.astimezone(zone or current_zone()).date()


def visible_tenders(user: User) -> QuerySet[Tender]:
    if not policy.can(user, "tenders.view_tenders"):
        return Tender.objects.none()
    return policy.limit_to_visible_clients(Tender.objects.all(), user)


@dataclass
class TenderFilter:
    q: str = ""
    status: str = ""
    platform: str = ""
    kam_id: int | None = None
    department_id: int | None = None
    client_id: int | None = None
    deadline_from: date | None = None
    deadline_to: date | None = None
    sort: str = "deadline"
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: Any) -> TenderFilter:
        flt = cls(q=params.get("q", "").strip()[:100], sort=params.get("sort", "deadline"))
        status = params.get("status", "")
        if status in ("open", "closed") or status in TenderStatus.values:
            flt.status = status
        platform = params.get("platform", "")
        if platform in Platform.values:
            flt.platform = platform
        for key, attr in (("kam", "kam_id"), ("department", "department_id"), ("client", "client_id")):
            raw = str(params.get(key, "")).strip()
            if raw.isdigit() and 0 < int(raw) < 2**53:
                setattr(flt, attr, int(raw))
        for key, attr in (("from", "deadline_from"), ("to", "deadline_to")):
            raw = str(params.get(key, "")).strip()
            if raw:
                try:
                    setattr(flt, attr, date.fromisoformat(raw))
                except ValueError:
                    flt.errors.append(raw)
        if flt.sort not in SORTS:
            flt.sort = "deadline"
        return flt


def filtered_tenders(user: User, flt: TenderFilter | None = None) -> QuerySet[Tender]:
    """The visible tenders the filter selects: a plain queryset, one row per tender, no ordering."""
    flt = flt or TenderFilter()
    qs = visible_tenders(user)
    if flt.q:
        qs = qs.filter(
            Q(client__short_name__icontains=flt.q)
            | Q(client__legal_name__icontains=flt.q)
            | Q(client__tax_number__startswith=flt.q)
            | Q(number__icontains=flt.q)
            | Q(title__icontains=flt.q)
            | Q(lots__subject__icontains=flt.q)
        )
    if flt.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif flt.status == "closed":
        qs = qs.filter(status__in=CLOSED_STATUSES)
    elif flt.status:
        qs = qs.filter(status=flt.status)
    if flt.platform:
        qs = qs.filter(platform=flt.platform)
    if flt.kam_id:
        qs = qs.filter(kam_id=flt.kam_id)
    if flt.department_id:
        qs = qs.filter(kam__department_id=flt.department_id)
    if flt.client_id:
        qs = qs.filter(client_id=flt.client_id)
    if flt.deadline_from:
        qs = qs.filter(deadline__gte=day_bounds(flt.deadline_from)[0])
    if flt.deadline_to:
        qs = qs.filter(deadline__lt=day_bounds(flt.deadline_to)[1])
    if flt.q:
        # The search joins the lots; keep one row per tender by selecting the ids in a subquery.
        qs = Tender.objects.filter(pk__in=qs.values("pk"))
    return qs


def tender_list(user: User, flt: TenderFilter | None = None) -> QuerySet[Tender]:
    flt = flt or TenderFilter()
    qs = (
        filtered_tenders(user, flt)
        .select_related("client", "kam")
        .annotate(
            lot_count=Count("lots"),
            total_initial=Sum("lots__initial_price"),
            total_bid=Sum("lots__bid_amount"),
        )
    )
    return qs.order_by(*SORTS[flt.sort])


def tender_for(user: User, tender_id: int, perm: str = "tenders.view_tenders") -> Tender:
    """The tender if `user` holds `perm` on its client; otherwise 404 so ids don't leak existence."""
    tender = (
        Tender.objects.select_related("client", "kam", "opportunity").filter(pk=tender_id).first()
        if 0 < tender_id < 2**53
        else None
    )
    if tender is None or not policy.can(user, perm, tender.client):
        raise Http404("No such tender")
    return tender


def lots_of(tender: Tender) -> list[Lot]:
    return list(
        tender.lots.select_related("winner").prefetch_related("items__product").order_by("number", "pk")
    )


def deadlines_between(
    user: User,
    start: datetime,
    end: datetime,
    *,
    kam_id: int | None = None,
    department_id: int | None = None,
) -> QuerySet[Tender]:
    qs = visible_tenders(user).filter(deadline__gte=start, deadline__lt=end).select_related("client", "kam")
    if kam_id:
        qs = qs.filter(kam_id=kam_id)
    if department_id:
        qs = qs.filter(kam__department_id=department_id)
    return qs.order_by("deadline", "pk")


def due_on(user: User, day: date, zone: ZoneInfo | None = None) -> QuerySet[Tender]:
    """Open tenders whose bid deadline falls on `day` in the user's zone."""
    start, end = day_bounds(day, zone)
    return deadlines_between(user, start, end).filter(status__in=OPEN_STATUSES)


def deadlines_soon(
    user: User, *, now: datetime | None = None, days: int = SOON_DAYS, zone: ZoneInfo | None = None
) -> QuerySet[Tender]:
    """Open tenders due from now to the end of the user's day `days` days ahead."""
    now = now or timezone.now()
    zone = zone or current_zone()
    end = day_bounds(local_day(now, zone) + timedelta(days=days), zone)[1]
    return deadlines_between(user, now, end).filter(status__in=OPEN_STATUSES)


def client_tenders(user: User, client: Client) -> QuerySet[Tender]:
    return tender_list(user, TenderFilter(client_id=client.pk, sort="-deadline"))


# ------------------------------------------------------------------------------ win rate and reasons


@dataclass
class KamScore:
    kam_id: int
    name: str
    won: int
    lost: int
    lots_won: int
    lots_lost: int
    won_amount: Decimal

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> Decimal | None:
        """The share of closed tenders won (0..1)."""
        return Decimal(self.won) / self.closed if self.closed else None


@dataclass
class CompetitorScore:
    name: str
    lots: int
    winning_total: Decimal
    our_bids_total: Decimal
    reasons: list[str]


def win_rates(user: User, flt: TenderFilter | None = None) -> list[KamScore]:
    tenders = filtered_tenders(user, flt).filter(status__in=CLOSED_STATUSES)
    rows = tenders.values("kam_id", "kam__first_name", "kam__last_name", "kam__username").annotate(
        won=Count("pk", filter=Q(status=TenderStatus.WON)),
        lost=Count("pk", filter=Q(status=TenderStatus.LOST)),
    )
    lots = (
        Lot.objects.filter(tender__in=tenders.values("pk"))
        .values("tender__kam_id")
        .annotate(
            lots_won=Count("pk", filter=Q(result=LotResult.WON)),
            lots_lost=Count("pk", filter=Q(result=LotResult.LOST)),
            won_amount=Sum("bid_amount", filter=Q(result=LotResult.WON)),
        )
    )
    by_kam: dict[int, dict[str, Any]] = {row["tender__kam_id"]: dict(row) for row in lots}
    scores = []
    for row in rows:
        name = f"{row['kam__first_name']} {row['kam__last_name']}".strip() or row["kam__username"]
        lot_row: dict[str, Any] = by_kam.get(row["kam_id"], {})
        scores.append(
            KamScore(
                kam_id=row["kam_id"],
                name=name,
                won=row["won"],
                lost=row["lost"],
                lots_won=lot_row.get("lots_won", 0),
                lots_lost=lot_row.get("lots_lost", 0),
                won_amount=lot_row.get("won_amount") or Decimal(0),
            )
        )
    return sorted(scores, key=lambda s: (-(s.win_rate or 0), s.name))


def losses_by_competitor(
    user: User, flt: TenderFilter | None = None, *, reasons: int = 5
) -> list[CompetitorScore]:
    """Lots we lost, by who won them (a registry competitor or a typed name), with recent reasons."""
    tenders = filtered_tenders(user, flt)
    lost = (
        Lot.objects.filter(tender__in=tenders.values("pk"), result=LotResult.LOST)
        .select_related("winner", "tender")
        .order_by("-tender__deadline", "-pk")
    )
    scores: dict[str, CompetitorScore] = {}
    for lot in lost[:5000]:
        name = lot.winner.name if lot.winner is not None else (lot.winner_name.strip() or "?")
        score = scores.setdefault(name.casefold(), CompetitorScore(name, 0, Decimal(0), Decimal(0), []))
        score.lots += 1
        score.winning_total += lot.winning_price or Decimal(0)
        score.our_bids_total += lot.bid_amount or Decimal(0)
        if lot.reasons.strip() and len(score.reasons) < reasons:
            score.reasons.append(lot.reasons.strip())
    return sorted(scores.values(), key=lambda s: (-s.lots, s.name))
