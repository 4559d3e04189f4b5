"""Reads of account plans, cut down to what the user may see, and their progress from the ledger.

Progress is set-based: the year-to-date turnover and income of a plan are one aggregate over the
monthly ledger totals (`ledger_monthly`), "product introduced" is an EXISTS over the client's sales
lines of the year; the list page annotates every row in the same single query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from kam.access import policy
from kam.access.models import Department, Role, User
from kam.activities.models import Activity
from kam.activities.models import Status as ActivityStatus
from kam.clients.models import Client, Stakeholder
from kam.core.money import from_kopecks
from kam.ledger.models import LedgerMonthly, SalesLine

from .models import (
    ATTITUDE_RANK,
    AccountPlan,
    Objective,
    ObjectiveKind,
    PlanAction,
    PlanStatus,
    PlanVersion,
    StakeholderGoal,
    SwotKind,
)

SORTS = {
    "client": ("client__short_name", "-year", "pk"),
    "-client": ("-client__short_name", "-year", "pk"),
    "year": ("year", "client__short_name", "pk"),
    "-year": ("-year", "client__short_name", "pk"),
    "status": ("status", "client__short_name", "pk"),
    "kam": ("owner__last_name", "owner__first_name", "client__short_name", "pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
}
DEFAULT_SORT = "-year"
HUNDRED = Decimal(100)


def _today(as_of: date | None) -> date:
    return as_of or timezone.localdate()


# ------------------------------------------------------------------------------------------ access


def visible_plans(user: User) -> QuerySet[AccountPlan]:
    if not policy.can(user, "accountplans.view_plans"):
        return AccountPlan.objects.none()
    scope = policy.client_scope(user)
    qs = AccountPlan.objects.all()
    if scope is None:
        return qs
    return policy.limit_to_visible_clients(qs, user)


def plan_for_user(user: User, plan_id: int, perm: str = "accountplans.view_plan") -> AccountPlan:
    """The plan if the user holds `perm` on it; otherwise 404, so ids don't leak existence."""
    plan = (
        AccountPlan.objects.select_related(
            "client", "client__owner", "client__department", "owner", "reviewed_by", "created_by"
        )
        .filter(pk=plan_id)
        .first()
    )
    if (
        plan is None
        or not policy.can(user, "accountplans.view_plan", plan)
        or not policy.can(user, perm, plan)
    ):
        raise Http404("No such plan")
    return plan


def latest_key_client_ids(client_ids: list[int] | None = None) -> set[int]:
    """Clients that are key (by any definition) in the latest analysis snapshot."""
    from kam.analytics.models import SnapshotClient
    from kam.analytics.selectors import latest_snapshot

    snapshot = latest_snapshot()
    if snapshot is None:
        return set()
    qs = SnapshotClient.objects.filter(snapshot=snapshot, is_key_any=True)
    if client_ids is not None:
        qs = qs.filter(client_id__in=client_ids)
    return set(qs.values_list("client_id", flat=True))


def key_clients_without_plan(user: User, year: int, limit: int = 20) -> list[Client]:
    """The user's key clients (latest analysis) that have no plan for `year` yet, the biggest first."""
    from kam.analytics.models import SnapshotClient
    from kam.analytics.selectors import latest_snapshot

    snapshot = latest_snapshot()
    if snapshot is None:
        return []
    key_rows = SnapshotClient.objects.filter(snapshot=snapshot, is_key_any=True)
    rows = (
        policy.limit_to_visible_clients(key_rows, user)
        .exclude(client__in=AccountPlan.objects.filter(year=year).values("client_id"))
        .select_related("client")
        .order_by("rank")[:limit]
    )
    return [row.client for row in rows]


def is_key_client(client: Client) -> bool:
    return client.pk in latest_key_client_ids([client.pk])


# -------------------------------------------------------------------------------------------- list


@dataclass
class PlanFilter:
    q: str = ""
    year: int | None = None
    status: str = ""
    kam: int | None = None
    department: int | None = None
    key_only: bool = False
    sort: str = DEFAULT_SORT

    @classmethod
    def from_params(cls, params: Any) -> PlanFilter:
        def number(name: str, low: int = 1, high: int = 2**53) -> int | None:
            raw = str(params.get(name, "") or "").strip()
            return int(raw) if raw.isdigit() and low <= int(raw) <= high else None

        status = params.get("status", "") or ""
        sort = params.get("sort", "") or DEFAULT_SORT
        return cls(
            q=str(params.get("q", "") or "").strip()[:100],
            year=number("year", 2000, 2100),
            status=status if status in PlanStatus.values else "",
            kam=number("kam"),
            department=number("department"),
            key_only=params.get("key", "") == "1",
            sort=sort if sort in SORTS else DEFAULT_SORT,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "q": self.q,
            "year": self.year,
            "status": self.status,
            "kam": self.kam,
            "department": self.department,
            "key": self.key_only,
            "sort": self.sort,
        }


def _money_sum(expression: Any) -> Any:
    return Coalesce(expression, Value(0), output_field=DecimalField(max_digits=20, decimal_places=2))


def _latest_key_ids() -> QuerySet[Any]:
    from kam.analytics.models import SnapshotClient
    from kam.analytics.selectors import latest_snapshot

    snapshot = latest_snapshot()
    return SnapshotClient.objects.filter(snapshot_id=snapshot.pk if snapshot else 0, is_key_any=True).values(
        "client_id"
    )


def _with_figures(qs: QuerySet[AccountPlan]) -> QuerySet[AccountPlan]:
    """Year-to-date turnover and income (kopecks), the revenue target and "key now", in the same query."""
    from kam.analytics.models import SnapshotClient
    from kam.analytics.selectors import latest_snapshot

    months = (
        LedgerMonthly.objects.filter(client_id=OuterRef("client_id"), month__year=OuterRef("year"))
        .order_by()
        .values("client_id")
    )
    revenue_target = (
        Objective.objects.filter(plan_id=OuterRef("pk"), kind=ObjectiveKind.REVENUE)
        .order_by()
        .values("plan_id")
        .annotate(total=Sum("target"))
        .values("total")
    )
    snapshot = latest_snapshot()
    key = SnapshotClient.objects.filter(
        snapshot_id=snapshot.pk if snapshot else 0, client_id=OuterRef("client_id"), is_key_any=True
    )
    return qs.annotate(
        ytd_turnover=Coalesce(Subquery(months.annotate(s=Sum("turnover")).values("s")), Value(0)),
        ytd_income=Coalesce(Subquery(months.annotate(s=Sum("income")).values("s")), Value(0)),
        revenue_target=Subquery(revenue_target),
        is_key=Exists(key),
    )


def plan_list(user: User, flt: PlanFilter | None = None) -> QuerySet[AccountPlan]:
    flt = flt or PlanFilter()
    qs = visible_plans(user).select_related("client", "owner", "client__department")
    if flt.q:
        qs = qs.filter(client__in=Client.objects.search(flt.q).values("pk"))
    if flt.year:
        qs = qs.filter(year=flt.year)
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.kam:
        qs = qs.filter(owner_id=flt.kam)
    if flt.department:
        qs = qs.filter(client__department_id=flt.department)
    if flt.key_only:
        qs = qs.filter(client_id__in=_latest_key_ids())
    return _with_figures(qs).order_by(*SORTS[flt.sort])


def awaiting_review(user: User, *, figures: bool = True) -> QuerySet[AccountPlan]:
    """Submitted plans this user may approve: the department's for a head, all for the director.

    `figures=False` leaves out the year-to-date figures (subqueries over the ledger) for lists that
    show only who and when."""
    if not policy.can(user, "accountplans.approve_plan"):
        return AccountPlan.objects.none()
    qs = AccountPlan.objects.filter(status=PlanStatus.SUBMITTED)
    if user.role != Role.DIRECTOR:
        qs = qs.filter(client__department_id=user.department_id or 0)
    qs = qs.select_related("client", "owner")
    return (_with_figures(qs) if figures else qs).order_by("submitted_at", "pk")


def returned_to(user: User) -> QuerySet[AccountPlan]:
    """Plans the head sent back to this KAM."""
    return (
        visible_plans(user)
        .filter(status=PlanStatus.RETURNED, owner=user)
        .select_related("client", "reviewed_by")
        .order_by("-reviewed_at", "pk")
    )


def filter_kams(user: User) -> QuerySet[User]:
    from kam.clients.selectors import kams_visible_to

    return kams_visible_to(user).order_by("last_name", "first_name", "username")


def filter_departments(user: User) -> QuerySet[Department]:
    if user.role == Role.DIRECTOR:
        return Department.objects.order_by("name")
    if user.role == Role.HEAD:
        return Department.objects.filter(pk=user.department_id or 0)
    return Department.objects.none()


def client_plans(user: User, client: Client) -> QuerySet[AccountPlan]:
    return _with_figures(visible_plans(user).filter(client=client).select_related("owner")).order_by(
        "-year", "pk"
    )


# ---------------------------------------------------------------------------------------- progress


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def elapsed_share(year: int, as_of: date) -> Decimal:
    """How much of the year has passed on `as_of` (0 before it starts, 1 after it ends)."""
    first, last = year_bounds(year)
    if as_of < first:
        return Decimal(0)
    if as_of >= last:
        return Decimal(1)
    days = (last - first).days + 1
    return Decimal((as_of - first).days + 1) / Decimal(days)


def _ratio(actual: Decimal | None, target: Decimal | None) -> Decimal | None:
    if actual is None or not target:
        return None
    return (actual / target).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@dataclass
class ObjectiveProgress:
    objective: Objective
    kind: str
    label: str
    target: Decimal | None
    actual: Decimal | None
    ratio: Decimal | None  # actual / target
    expected: Decimal | None  # target × time elapsed
    pace: Decimal | None  # actual / expected: ≥ 1 on pace
    achieved: bool
    bought_on: date | None = None
    problem: str = ""

    @property
    def is_money(self) -> bool:
        return self.kind in (ObjectiveKind.REVENUE, ObjectiveKind.MARGIN)

    @property
    def on_pace(self) -> bool:
        return self.achieved or (self.pace is not None and self.pace >= 1)


@dataclass
class PlanProgress:
    year: int
    as_of: date
    period_end: date
    elapsed: Decimal
    turnover: Decimal
    income: Decimal
    category_budget: Decimal | None
    wallet_share: Decimal | None  # percent of the budget bought from us so far
    objectives: list[ObjectiveProgress] = field(default_factory=list)


def ledger_totals(client_id: int, first: date, last: date) -> tuple[int, int]:
    """Σ turnover and Σ income (kopecks) of the client's months that start in [first, last]."""
    if last < first:
        return 0, 0
    totals = LedgerMonthly.objects.filter(client_id=client_id, month__gte=first, month__lte=last).aggregate(
        turnover=Sum("turnover"), income=Sum("income")
    )
    return int(totals["turnover"] or 0), int(totals["income"] or 0)


def plan_progress(plan: AccountPlan, as_of: date | None = None) -> PlanProgress:
    """Year-to-date actual against each target, % of the target and pace against the time elapsed."""
    day = _today(as_of)
    first, last = year_bounds(plan.year)
    until = min(day, last)
    turnover_kop, income_kop = ledger_totals(plan.client_id, first, until)
    turnover, income = from_kopecks(turnover_kop), from_kopecks(income_kop)
    elapsed = elapsed_share(plan.year, day)
    budget = plan.client.category_budget
    wallet_share = (turnover / budget * HUNDRED).quantize(Decimal("0.01")) if budget else None

    bought = SalesLine.objects.filter(
        client_id=plan.client_id, date__gte=first, date__lte=until, product_code=OuterRef("product__code")
    )
    objectives = (
        Objective.objects.filter(plan=plan)
        .select_related("product")
        .annotate(
            bought=Exists(bought),
            bought_on=Subquery(bought.order_by("date").values("date")[:1]),
        )
        .order_by("pk")
    )
    rows: list[ObjectiveProgress] = []
    for objective in objectives:
        kind = objective.kind
        target = objective.target
        label = str(objective.get_kind_display())
        if kind == ObjectiveKind.PRODUCT:
            achieved = bool(objective.bought)
            rows.append(
                ObjectiveProgress(
                    objective=objective,
                    kind=kind,
                    label=str(objective.product),
                    target=None,
                    actual=None,
                    ratio=Decimal(1) if achieved else Decimal(0),
                    expected=None,
                    pace=None,
                    achieved=achieved,
                    bought_on=objective.bought_on,
                )
            )
            continue
        problem = ""
        if kind == ObjectiveKind.REVENUE:
            actual: Decimal | None = turnover
        elif kind == ObjectiveKind.MARGIN:
            actual = income
        else:
            actual = wallet_share
            if actual is None:
                problem = "no_budget"
        expected = (target * elapsed).quantize(Decimal("0.01")) if target is not None else None
        rows.append(
            ObjectiveProgress(
                objective=objective,
                kind=kind,
                label=label,
                target=target,
                actual=actual,
                ratio=_ratio(actual, target),
                expected=expected,
                pace=_ratio(actual, expected),
                achieved=actual is not None and target is not None and actual >= target,
                problem=problem,
            )
        )
    return PlanProgress(
        year=plan.year,
        as_of=day,
        period_end=until,
        elapsed=elapsed,
        turnover=turnover,
        income=income,
        category_budget=budget,
        wallet_share=wallet_share,
        objectives=rows,
    )


# ----------------------------------------------------------------------------- goals and actions


@dataclass
class GoalRow:
    goal: StakeholderGoal
    current: str
    current_label: str
    achieved: bool
    overdue: bool
    steps_done: int
    steps_total: int


def goal_rows(plan: AccountPlan, as_of: date | None = None) -> list[GoalRow]:
    day = _today(as_of)
    rows = []
    for goal in plan.stakeholder_goals.select_related("stakeholder").order_by("due_on", "pk"):
        current = goal.stakeholder.attitude
        start = ATTITUDE_RANK.get(goal.from_attitude, 1)  # type: ignore[call-overload]
        now = ATTITUDE_RANK.get(current, 1)  # type: ignore[call-overload]
        target = ATTITUDE_RANK.get(goal.target_attitude, 1)  # type: ignore[call-overload]
        achieved = now >= target
        rows.append(
            GoalRow(
                goal=goal,
                current=current,
                current_label=str(goal.stakeholder.get_attitude_display()),
                achieved=achieved,
                overdue=not achieved and goal.due_on < day,
                steps_done=max(0, min(now, target) - start),
                steps_total=max(0, target - start),
            )
        )
    return rows


ACTION_PLANNED = "planned"
ACTION_DONE = "done"
ACTION_OVERDUE = "overdue"
ACTION_CANCELLED = "cancelled"
ACTION_UNSCHEDULED = "unscheduled"


def action_status(activity: Activity | None, now: datetime | None = None) -> str:
    """planned, done, overdue (planned and its time has passed), cancelled, or unscheduled."""
    if activity is None:
        return ACTION_UNSCHEDULED
    if activity.status == ActivityStatus.DONE:
        return ACTION_DONE
    if activity.status == ActivityStatus.CANCELLED:
        return ACTION_CANCELLED
    if activity.planned_end < (now or timezone.now()):
        return ACTION_OVERDUE
    return ACTION_PLANNED


@dataclass
class ActionRow:
    action: PlanAction
    activity: Activity | None
    status: str


def action_rows(plan: AccountPlan) -> list[ActionRow]:
    now = timezone.now()
    actions = plan.actions.select_related("activity", "activity__owner").order_by(
        F("activity__planned_start").asc(nulls_last=True), "pk"
    )
    return [ActionRow(a, a.activity, action_status(a.activity, now)) for a in actions]


def linkable_activities(user: User, plan: AccountPlan) -> QuerySet[Activity]:
    """The client's activities of the plan's year the user may see and that no action of it uses yet."""
    from kam.activities.selectors import visible_activities

    first, last = year_bounds(plan.year)
    return (
        visible_activities(user)
        .filter(client=plan.client, planned_start__date__gte=first, planned_start__date__lte=last)
        .exclude(pk__in=plan.actions.filter(activity__isnull=False).values("activity_id"))
        .exclude(status=ActivityStatus.CANCELLED)
        .order_by("planned_start", "pk")
    )


def action_activities(user: User, plan: AccountPlan, action: PlanAction) -> QuerySet[Activity]:
    """What an action may be linked to when it is edited: the linkable activities and the one it has."""
    linkable = linkable_activities(user, plan).values("pk")
    return Activity.objects.filter(Q(pk__in=linkable) | Q(pk=action.activity_id or 0)).order_by(
        "planned_start", "pk"
    )


# The parts of a plan a page or the API names, and how to reach them from the plan.
PARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "objective": ("objectives", ("product",)),
    "swot": ("swot_items", ()),
    "goal": ("stakeholder_goals", ("stakeholder",)),
    "action": ("actions", ("activity",)),
}


def plan_part(plan: AccountPlan, part: str, item_id: int) -> Any:
    """One objective, SWOT point, relationship goal or action of the plan; otherwise 404."""
    if part not in PARTS:
        raise Http404("No such part of a plan")
    related, joins = PARTS[part]
    item = getattr(plan, related).select_related(*joins).filter(pk=item_id).first()
    if item is None:
        raise Http404("No such part of the plan")
    return item


def client_stakeholders(plan: AccountPlan) -> QuerySet[Stakeholder]:
    return Stakeholder.objects.filter(client_id=plan.client_id).order_by("-influence", "full_name")


def swot(plan: AccountPlan, *, internal: bool = True) -> dict[str, list[Any]]:
    from .models import INTERNAL_SWOT

    groups: dict[str, list[Any]] = {k: [] for k in SwotKind.values}
    for item in plan.swot_items.order_by("pk"):
        if internal or item.kind not in INTERNAL_SWOT:
            groups[item.kind].append(item)
    return groups


def versions(plan: AccountPlan) -> QuerySet[PlanVersion]:
    return plan.versions.select_related("submitted_by", "decided_by").order_by("-number")


def version_for(plan: AccountPlan, number: int) -> PlanVersion:
    found = versions(plan).filter(number=number).first()
    if found is None:
        raise Http404("No such version")
    return found
