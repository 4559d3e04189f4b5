"""Reads for plans and statements. Every entry point takes the user and asks kam.access.policy.

Fulfilment comes from the ledger's monthly aggregate (plan periods are whole months), in one grouped
query per page, never a Python loop over ledger rows:

* sales volume   = Σ turnover (revenue) of the KAM's ledger rows in the period;
* active clients = distinct clients with a positive month of purchases in the period;
* new clients    = of those, clients with no positive month before the period (first purchase ever).

Forecast to the period end at the current pace = actual × days in period / days elapsed (today included),
rounded to the kopeck half-up; equal to the actual once the period is over, none before it starts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from kam.access import policy
from kam.access.models import Department, Role, User
from kam.core.cache import cached
from kam.core.money import from_kopecks
from kam.ledger.models import LedgerMonthly, SalesLine

from . import commission
from .models import CommissionBase, CommissionRules, DepartmentPlan, Plan
from .periods import Period


@dataclass
class Actuals:
    sales_volume: Decimal = Decimal("0.00")
    active_clients: int = 0
    new_clients: int = 0


def ledger_actuals(period: Period, *, by: str, ids: list[int]) -> dict[int, Actuals]:
    """Actuals per manager (by="manager") or department (by="department") id.

    Computed for every manager (or department) of the period in one query and cached until the ledger
    changes (kam.core.cache): the query's cost is mostly each client's first month with sales, the same
    whichever ids are asked for, so every KAM, head and the director share one computation per period.
    """
    if not ids:
        return {}
    key = ("planning.actuals.all", by, period.kind, period.start, period.end)
    every = cached(key, lambda: _ledger_actuals(period, by=by))
    return {i: every[i] for i in ids if i in every}


def _ledger_actuals(period: Period, *, by: str) -> dict[int, Actuals]:
    # Clients whose first positive month falls in the period: a small set, so PostgreSQL hashes it once
    # (a NOT EXISTS probe per ledger row took 1.8 s for a year of 1.5 M lines; this takes 0.4 s).
    first_time = (
        LedgerMonthly.objects.filter(turnover__gt=0)
        .values("client_id")
        .annotate(first=Min("month"))
        .filter(first__gte=period.start, first__lt=period.end)
        .values("client_id")
        .order_by()
    )
    in_period = LedgerMonthly.objects.filter(month__gte=period.start, month__lt=period.end)
    rows = (
        in_period.filter(**{f"{by}_id__isnull": False})
        .values(f"{by}_id")
        .annotate(
            sales=Coalesce(Sum("turnover"), 0),
            active=Count("client", distinct=True, filter=Q(turnover__gt=0)),
            new=Count("client", distinct=True, filter=Q(turnover__gt=0, client_id__in=first_time)),
        )
        .order_by()
    )
    return {r[f"{by}_id"]: Actuals(from_kopecks(r["sales"]), r["active"], r["new"]) for r in rows}


def forecast(actual: Decimal, period: Period, today: date) -> Decimal | None:
    elapsed = period.days_elapsed(today)
    if elapsed == 0:
        return None
    return commission.to_kopeck(actual * period.days / elapsed)


def share(actual: Decimal | int | None, plan: Decimal | int | None) -> Decimal | None:
    """Fulfilment as a fraction (1 = 100 %), None without a positive plan."""
    if actual is None or plan is None or plan <= 0:
        return None
    return Decimal(actual) / Decimal(plan)


@dataclass
class Row:
    """One KAM's or department's plan against the ledger."""

    name: str
    plan_sales: Decimal | None
    plan_active: int | None
    plan_new: int | None
    actual: Actuals
    forecast: Decimal | None
    kam: User | None = None
    department: Department | None = None
    plan: Plan | None = None
    own: DepartmentPlan | None = None
    rank: int | None = None
    of: int = 0
    sums: set[str] = field(default_factory=set)  # department figures taken as the sum of KAM plans

    @property
    def sales_share(self) -> Decimal | None:
        return share(self.actual.sales_volume, self.plan_sales)

    @property
    def active_share(self) -> Decimal | None:
        return share(self.actual.active_clients, self.plan_active)

    @property
    def new_share(self) -> Decimal | None:
        return share(self.actual.new_clients, self.plan_new)

    @property
    def forecast_share(self) -> Decimal | None:
        return share(self.forecast, self.plan_sales)

    @property
    def bar_pct(self) -> int:
        s = self.sales_share
        return 0 if s is None else int(min(s, Decimal(1)) * 100)

    @property
    def behind_pace(self) -> bool:
        return _behind_pace(self.forecast, self.plan_sales)


def _behind_pace(forecast_volume: Decimal | None, plan_sales: Decimal | None) -> bool:
    """Behind the pace: at the current pace the period ends under its sales plan."""
    pace = share(forecast_volume, plan_sales)
    return pace is not None and pace < 1


def _ranking_key(sales_share: Decimal | None, sales: Decimal, name: str) -> tuple[Decimal, Decimal, str]:
    """KAMs rank by sales-plan fulfilment, then by sales volume, then by name."""
    return (-(sales_share or Decimal(0)), -sales, name)


PLAN_FIGURES = ("sales_volume", "active_clients", "new_clients")
PlanSums = dict[int, dict[str, Decimal | int | None]]


def _plan_sums(plans: Iterable[tuple[int | None, Sequence[Decimal | int]]]) -> PlanSums:
    """Per department id, the sums of its KAMs' plan figures; `plans`: (department id, PLAN_FIGURES)."""
    sums: PlanSums = defaultdict(dict)
    for department_id, figures in plans:
        totals = sums[department_id or 0]
        for name, value in zip(PLAN_FIGURES, figures, strict=True):
            totals[name] = (totals.get(name) or 0) + value
    return sums


def kams_for(user: User) -> list[User]:
    """The KAMs whose plans `user` may see: the director all, a head their department's, a KAM themself."""
    return list(_kams_for(user))


def _kams_for(user: User, *, peers: bool = False) -> QuerySet[User]:
    """kams_for() as a query; `peers`: a KAM's whole department, whom the KAM is ranked among."""
    qs = User.objects.filter(role=Role.KAM, is_active=True).select_related("department")
    if not policy.can(user, "planning.view_plans"):
        return qs.none()
    if user.role == Role.HEAD:
        if user.department_id is None:
            return qs.none()
        qs = qs.filter(department_id=user.department_id)
    elif user.role == Role.KAM:
        qs = (
            qs.filter(department_id=user.department_id)
            if peers and user.department_id
            else qs.filter(pk=user.pk)
        )
    elif user.role != Role.DIRECTOR:
        return qs.none()
    return qs.order_by("last_name", "first_name", "username")


# What a plan row shows of its KAM: the name, the department and the ids. The director's rows are
# 200 users; the rest of each row (password hash, dates, contacts) is left unread.
ROW_KAM_FIELDS = ("username", "first_name", "last_name", "role", "is_active", "department__name")


def _rank(rows: list[Row]) -> None:
    ranked = [r for r in rows if r.sales_share is not None]
    ranked.sort(key=lambda r: _ranking_key(r.sales_share, r.actual.sales_volume, r.name))
    for position, row in enumerate(ranked, start=1):
        row.rank = position
        row.of = len(ranked)


def _kam_row(
    kam: User, plan: Plan | None, actual: Actuals, period: Period, today: date, name: str = ""
) -> Row:
    return Row(
        name=name or str(kam),
        kam=kam,
        plan=plan,
        plan_sales=plan.sales_volume if plan else None,
        plan_active=plan.active_clients if plan else None,
        plan_new=plan.new_clients if plan else None,
        actual=actual,
        forecast=forecast(actual.sales_volume, period, today),
    )


def kam_rows(user: User, period: Period, today: date | None = None) -> list[Row]:
    """Plan rows for the KAMs `user` sees, ranked by sales-plan fulfilment (unplanned KAMs last).

    A KAM's rank is taken among their department's KAMs, though only their own row is returned.
    """
    today = today or timezone.localdate()
    kams = list(_kams_for(user, peers=True).only(*ROW_KAM_FIELDS))
    ids = [k.pk for k in kams]
    plans = {
        p.kam_id: p
        for p in Plan.objects.filter(kam_id__in=ids, period_kind=period.kind, period_start=period.start)
    }
    actuals = ledger_actuals(period, by="manager", ids=ids)
    rows = [_kam_row(kam, plans.get(kam.pk), actuals.get(kam.pk, Actuals()), period, today) for kam in kams]
    _rank(rows)
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.name))
    if user.role == Role.KAM:
        rows = [r for r in rows if r.kam is not None and r.kam.pk == user.pk]
    return rows


@dataclass(frozen=True)
class _Standing:
    """What ranking and pace need of one KAM: plain values, no model (the director's card has 200)."""

    kam_id: int
    name: str
    plan_sales: Decimal | None
    sales: Decimal

    @property
    def sales_share(self) -> Decimal | None:
        return share(self.sales, self.plan_sales)


@dataclass
class PlanCard:
    """The Today page's plan card: the KAM's own row, a head's first team rows, pace and departments."""

    mine: Row | None
    team: list[Row]
    team_count: int
    behind_count: int
    departments: list[Row]


def plan_card(user: User, period: Period, today: date | None = None, team_rows: int = 8) -> PlanCard | None:
    """kam_rows() and department_rows() cut to what the card shows, ranked from plain values.

    Two plain queries (the KAMs, their plans) instead of models for every KAM of the department, or all
    200 for the director: the ORM's cost per model and per query is most of a dashboard's. Full rows are
    built only for the KAM's own row or a head's first `team_rows`, from the values already read.
    """
    today = today or timezone.localdate()
    person_fields = ["id", "first_name", "last_name", "username", "department_id"]
    people = {p[0]: p for p in _kams_for(user, peers=True).values_list(*person_fields)}
    if not people:
        return None
    plan_fields = ["id", "kam_id", *PLAN_FIGURES]
    plans = {
        p[1]: p
        for p in Plan.objects.filter(
            kam_id__in=list(people), period_kind=period.kind, period_start=period.start
        )
        .order_by()
        .values_list(*plan_fields)
    }
    actuals = ledger_actuals(period, by="manager", ids=list(people))
    standings = [
        _Standing(
            kam_id=pk,
            name=f"{first} {last}".strip() or username,  # str(User): the full name, else the login
            plan_sales=plans[pk][2] if pk in plans else None,
            sales=actuals[pk].sales_volume if pk in actuals else Decimal("0.00"),
        )
        for pk, first, last, username, _department in people.values()
    ]
    shares = {s.kam_id: s.sales_share for s in standings}
    ranked = sorted(
        (s for s in standings if shares[s.kam_id] is not None),
        key=lambda s: _ranking_key(shares[s.kam_id], s.sales, s.name),
    )
    rank = {s.kam_id: position for position, s in enumerate(ranked, start=1)}

    def full_row(s: _Standing) -> Row:
        # Instances from the values read (the other fields load on access, as with .only()).
        kam = User.from_db(User.objects.db, person_fields, people[s.kam_id])
        plan = Plan.from_db(Plan.objects.db, plan_fields, plans[s.kam_id]) if s.kam_id in plans else None
        row = _kam_row(kam, plan, actuals.get(s.kam_id, Actuals()), period, today, name=s.name)
        row.rank, row.of = rank.get(s.kam_id), len(ranked) if s.kam_id in rank else 0
        return row

    if user.role == Role.KAM:
        mine = next((s for s in standings if s.kam_id == user.pk), None)
        return PlanCard(full_row(mine), [], 1, 0, []) if mine else None
    # The order of kam_rows(): ranked first, then the unplanned by name.
    ordered = ranked + sorted((s for s in standings if s.kam_id not in rank), key=lambda s: s.name)
    sums = _plan_sums((people[kam_id][4], figures) for _pk, kam_id, *figures in plans.values())
    return PlanCard(
        mine=None,
        team=[full_row(s) for s in ordered[:team_rows]] if user.role == Role.HEAD else [],
        team_count=len(standings),
        behind_count=sum(
            1 for s in standings if _behind_pace(forecast(s.sales, period, today), s.plan_sales)
        ),
        departments=_department_rows(user, period, sums, today),
    )


def department_rows(
    user: User, period: Period, kam_plan_rows: list[Row], today: date | None = None
) -> list[Row]:
    """The department plans `user` sees (none for a KAM): own figures, else the sum of its KAMs' plans."""
    sums = _plan_sums(
        (row.kam.department_id, [getattr(row.plan, name) for name in PLAN_FIGURES])
        for row in kam_plan_rows
        if row.kam is not None and row.plan is not None
    )
    return _department_rows(user, period, sums, today)


def _department_rows(
    user: User,
    period: Period,
    sums: PlanSums,
    today: date | None = None,
) -> list[Row]:
    today = today or timezone.localdate()
    if user.role == Role.DIRECTOR:
        departments = list(Department.objects.filter(members__role=Role.KAM).distinct().order_by("name"))
    elif user.role == Role.HEAD and user.department_id:
        departments = list(Department.objects.filter(pk=user.department_id))
    else:
        return []
    ids = [d.pk for d in departments]
    own = {
        p.department_id: p
        for p in DepartmentPlan.objects.filter(
            department_id__in=ids, period_kind=period.kind, period_start=period.start
        )
    }
    actuals = ledger_actuals(period, by="department", ids=ids)
    rows = []
    for department in departments:
        plan = own.get(department.pk)
        figures: dict[str, Decimal | int | None] = {}
        summed: set[str] = set()
        for name in PLAN_FIGURES:
            value = getattr(plan, name) if plan else None
            if value is None:
                value = sums[department.pk].get(name)
                summed.add(name)
            figures[name] = value
        actual = actuals.get(department.pk, Actuals())
        rows.append(
            Row(
                name=str(department),
                department=department,
                own=plan,
                plan_sales=figures["sales_volume"],  # type: ignore[arg-type]
                plan_active=figures["active_clients"],  # type: ignore[arg-type]
                plan_new=figures["new_clients"],  # type: ignore[arg-type]
                actual=actual,
                forecast=forecast(actual.sales_volume, period, today),
                sums=summed,
            )
        )
    return rows


def plan_history(user: User, plan: Plan) -> list:
    if not policy.can(user, "planning.view_statement", plan.kam):
        return []
    return list(plan.changes.select_related("changed_by"))


# --- Variable pay -------------------------------------------------------------------------------------


@dataclass
class Deal:
    date: date
    client_id: int
    client_name: str
    lines: int
    amount: Decimal
    margin: Decimal
    base: Decimal
    tier_from: Decimal
    rate: Decimal
    commission: Decimal


@dataclass
class Statement:
    kam: User
    month: Period
    base_kind: str
    deals: list[Deal]
    subtotal: Decimal
    plan: Plan | None
    actual_sales: Decimal
    fulfilment: Decimal | None
    factor_from: Decimal | None
    factor: Decimal
    total: Decimal
    tiers: list[tuple[Decimal, Decimal]]
    factors: list[tuple[Decimal, Decimal]]

    @property
    def adjustment(self) -> Decimal:
        return self.total - self.subtotal

    @property
    def base_label(self) -> str:
        return str(CommissionBase(self.base_kind).label)


def get_kam_for_statement(user: User, kam_id: int) -> User:
    """The KAM, if `user` may see their statement; otherwise 404 so ids don't leak."""
    kam = User.objects.select_related("department").filter(pk=kam_id, role=Role.KAM).first()
    if kam is None or not policy.can(user, "planning.view_statement", kam):
        raise Http404("No such statement")
    return kam


def statement(user: User, kam: User, month: Period) -> Statement:
    """The month's commission statement of `kam` (a deal = the KAM's sales to one client on one date)."""
    if month.kind != "month":
        raise ValueError("a statement is monthly")
    if not policy.can(user, "planning.view_statement", kam):
        raise Http404("No such statement")
    rules = CommissionRules.current()
    tiers = [(t.min_amount, t.rate) for t in rules.tiers.all()]
    factors = [(f.from_pct, f.factor) for f in rules.factors.all()]
    grouped = (
        SalesLine.objects.filter(manager_id=kam.pk, date__gte=month.start, date__lt=month.end)
        .values("date", "client_id", "client__short_name", "client__legal_name")
        .annotate(amount=Sum("revenue"), cost=Sum("cost"), lines=Count("id"))
        .order_by("date", "client__short_name", "client_id")
    )
    deals = []
    for g in grouped:
        amount = Decimal(g["amount"]).quantize(Decimal("0.01"))
        margin = (amount - Decimal(g["cost"])).quantize(Decimal("0.01"))
        base = margin if rules.base == CommissionBase.MARGIN else amount
        tier_from, rate = commission.pick_tier(amount, tiers)
        deals.append(
            Deal(
                date=g["date"],
                client_id=g["client_id"],
                client_name=g["client__short_name"] or g["client__legal_name"],
                lines=g["lines"],
                amount=amount,
                margin=margin,
                base=base,
                tier_from=tier_from,
                rate=rate,
                commission=commission.deal_commission(base, rate),
            )
        )
    subtotal = sum((d.commission for d in deals), Decimal("0.00"))
    plan = Plan.objects.filter(kam=kam, period_kind="month", period_start=month.start).first()
    # The month's sales are the deals' amounts (Σ revenue of the same lines the ledger aggregate sums), so
    # the factor always agrees with the deals listed, even before the aggregate is refreshed.
    actual = sum((d.amount for d in deals), Decimal("0.00"))
    plan_sales = plan.sales_volume if plan else None
    factor_from, factor = commission.pick_factor(actual, plan_sales, factors)
    return Statement(
        kam=kam,
        month=month,
        base_kind=rules.base,
        deals=deals,
        subtotal=subtotal,
        plan=plan,
        actual_sales=actual,
        fulfilment=share(actual, plan_sales),
        factor_from=factor_from,
        factor=factor,
        total=commission.total_with_factor(subtotal, factor),
        tiers=sorted(tiers, reverse=True),
        factors=sorted(factors, reverse=True),
    )
