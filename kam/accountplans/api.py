"""Account plans as JSON (mounted at /api/account-plans) with the pages' access rules and services.

A KAM sees and edits the plans of the clients they serve; a head those of the department, and approves
or returns them; the director all. Progress comes from the ledger, as on the pages.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.params.functions import Path

from kam.access import policy
from kam.access.models import User
from kam.core.api import WRITE_ERRORS, KamPagination, StrictIn, Text
from kam.core.money import from_kopecks
from kam.orders.models import Product

from . import selectors, services
from .models import AccountPlan, ObjectiveKind, PlanStatus

router = Router(tags=["account plans"])
Id = Annotated[int, Path(ge=1, le=2**53)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _plan(request: HttpRequest, plan_id: int, perm: str = "accountplans.view_plan") -> AccountPlan:
    user = _user(request)
    if not policy.can(user, "accountplans.view_plans"):
        raise PermissionDenied
    return selectors.plan_for_user(user, plan_id, perm)


class PlanSummaryOut(Schema):
    id: int
    client_id: int
    client: str
    year: int
    status: str
    kam: str
    is_key: bool
    revenue_target: Decimal | None = None
    revenue_to_date: Decimal
    updated_at: Any

    @staticmethod
    def resolve_client(obj: AccountPlan) -> str:
        return obj.client.short_name

    @staticmethod
    def resolve_kam(obj: AccountPlan) -> str:
        return str(obj.owner)

    @staticmethod
    def resolve_revenue_to_date(obj: AccountPlan) -> Decimal:
        return from_kopecks(obj.ytd_turnover)  # type: ignore[attr-defined]


class PlanFilterIn(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    status: Literal["", *PlanStatus.values] = ""  # type: ignore[valid-type]
    client: int | None = Field(None, ge=1, le=2**53)
    q: Text = Field("", max_length=100)


@router.get("", response={200: list[PlanSummaryOut], **WRITE_ERRORS}, summary="Plans the user may see")
@paginate(KamPagination)
def plan_list(request: HttpRequest, filters: Query[PlanFilterIn]) -> QuerySet[AccountPlan]:
    user = _user(request)
    if not policy.can(user, "accountplans.view_plans"):
        raise PermissionDenied
    flt = selectors.PlanFilter(q=filters.q.strip(), year=filters.year, status=filters.status)
    qs = selectors.plan_list(user, flt)
    if filters.client:
        qs = qs.filter(client_id=filters.client)
    return qs


class ObjectiveOut(Schema):
    id: int
    kind: str
    target: Decimal | None = None
    product_code: str | None = None
    note: str
    actual: Decimal | None = None
    ratio: Decimal | None = None
    pace: Decimal | None = None
    achieved: bool
    bought_on: date | None = None


class GoalOut(Schema):
    id: int
    stakeholder_id: int
    stakeholder: str
    from_attitude: str
    current_attitude: str
    target_attitude: str
    due_on: date
    achieved: bool


class PlanActionOut(Schema):
    id: int
    title: str
    activity_id: int | None = None
    planned_start: Any = None
    status: str


class PlanOut(Schema):
    id: int
    client_id: int
    client: str
    year: int
    status: str
    kam: str
    is_key: bool
    strategy: str
    review_comment: str
    as_of: date
    year_elapsed: Decimal
    revenue_to_date: Decimal
    margin_to_date: Decimal
    objectives: list[ObjectiveOut]
    swot: dict[str, list[str]]
    stakeholder_goals: list[GoalOut]
    actions: list[PlanActionOut]
    versions: list[int]


def _plan_out(plan: AccountPlan) -> dict[str, Any]:
    progress = selectors.plan_progress(plan)
    return {
        "id": plan.pk,
        "client_id": plan.client_id,
        "client": plan.client.short_name,
        "year": plan.year,
        "status": plan.status,
        "kam": str(plan.owner),
        "is_key": selectors.is_key_client(plan.client),
        "strategy": plan.strategy,
        "review_comment": plan.review_comment,
        "as_of": progress.as_of,
        "year_elapsed": progress.elapsed.quantize(Decimal("0.0001")),
        "revenue_to_date": progress.turnover,
        "margin_to_date": progress.income,
        "objectives": [
            {
                "id": o.objective.pk,
                "kind": o.kind,
                "target": o.target,
                "product_code": o.objective.product.code if o.objective.product else None,
                "note": o.objective.note,
                "actual": o.actual,
                "ratio": o.ratio,
                "pace": o.pace,
                "achieved": o.achieved,
                "bought_on": o.bought_on,
            }
            for o in progress.objectives
        ],
        "swot": {kind: [i.text for i in items] for kind, items in selectors.swot(plan).items()},
        "stakeholder_goals": [
            {
                "id": g.goal.pk,
                "stakeholder_id": g.goal.stakeholder_id,
                "stakeholder": g.goal.stakeholder.full_name,
                "from_attitude": g.goal.from_attitude,
                "current_attitude": g.current,
                "target_attitude": g.goal.target_attitude,
                "due_on": g.goal.due_on,
                "achieved": g.achieved,
            }
            for g in selectors.goal_rows(plan)
        ],
        "actions": [
            {
                "id": a.action.pk,
                "title": a.action.title,
                "activity_id": a.activity.pk if a.activity else None,
                "planned_start": a.activity.planned_start if a.activity else None,
                "status": a.status,
            }
            for a in selectors.action_rows(plan)
        ],
        "versions": [v.number for v in selectors.versions(plan)],
    }


@router.get("/{plan_id}", response={200: PlanOut, **WRITE_ERRORS}, summary="One plan with its progress")
def plan_get(request: HttpRequest, plan_id: Id) -> dict[str, Any]:
    return _plan_out(_plan(request, plan_id))


class PlanIn(StrictIn):
    client_id: int = Field(ge=1, le=2**53)
    year: int = Field(ge=2000, le=2100)
    strategy: Text = Field("", max_length=20_000)


@router.post("", response={201: PlanOut, **WRITE_ERRORS}, summary="Start a draft plan for a client and year")
def plan_create(request: HttpRequest, payload: PlanIn) -> Status:
    user = _user(request)
    if not policy.can(user, "accountplans.change_plan"):
        raise PermissionDenied
    client = policy.get_client_for_user(user, payload.client_id, "accountplans.change_plan")
    plan = services.plan_create(actor=user, client=client, year=payload.year, strategy=payload.strategy)
    return Status(201, _plan_out(selectors.plan_for_user(user, plan.pk)))


class ObjectiveIn(StrictIn):
    kind: Literal[*ObjectiveKind.values]  # type: ignore[valid-type]
    target: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    product_code: Text | None = Field(None, min_length=1, max_length=64)
    note: Text = Field("", max_length=300)


@router.post(
    "/{plan_id}/objectives", response={201: PlanOut, **WRITE_ERRORS}, summary="Add a measurable objective"
)
def objective_add(request: HttpRequest, plan_id: Id, payload: ObjectiveIn) -> Status:
    user = _user(request)
    plan = _plan(request, plan_id, "accountplans.change_plan")
    product = None
    if payload.product_code:
        product = Product.objects.filter(code=payload.product_code).first()
        if product is None:
            from django.core.exceptions import ValidationError

            raise ValidationError({"product_code": ["No product with this code."]})
    services.objective_add(
        actor=user, plan=plan, kind=payload.kind, target=payload.target, product=product, note=payload.note
    )
    return Status(201, _plan_out(selectors.plan_for_user(user, plan.pk)))


@router.post(
    "/{plan_id}/submit", response={200: PlanOut, **WRITE_ERRORS}, summary="Submit for the head's review"
)
def plan_submit(request: HttpRequest, plan_id: Id) -> dict[str, Any]:
    user = _user(request)
    plan = _plan(request, plan_id, "accountplans.change_plan")
    services.plan_submit(actor=user, plan=plan)
    return _plan_out(selectors.plan_for_user(user, plan.pk))


class PlanDecisionIn(StrictIn):
    approve: bool
    comment: Text = Field("", max_length=5000)


@router.post(
    "/{plan_id}/decision",
    response={200: PlanOut, **WRITE_ERRORS},
    summary="The head (or the director) approves the submitted plan or returns it with a comment",
)
def plan_decide(request: HttpRequest, plan_id: Id, payload: PlanDecisionIn) -> dict[str, Any]:
    user = _user(request)
    plan = _plan(request, plan_id, "accountplans.approve_plan")
    if payload.approve:
        services.plan_approve(actor=user, plan=plan, comment=payload.comment)
    else:
        services.plan_return(actor=user, plan=plan, comment=payload.comment)
    return _plan_out(selectors.plan_for_user(user, plan.pk))


class PlanVersionOut(Schema):
    number: int
    submitted_by: str
    submitted_at: Any
    decision: str
    decided_by: str | None = None
    decided_at: Any = None
    comment: str
    content: dict[str, Any]


@router.get(
    "/{plan_id}/versions",
    response={200: list[PlanVersionOut], **WRITE_ERRORS},
    summary="Frozen submitted versions",
)
def plan_versions(request: HttpRequest, plan_id: Id) -> list[dict[str, Any]]:
    plan = _plan(request, plan_id)
    return [
        {
            "number": v.number,
            "submitted_by": str(v.submitted_by),
            "submitted_at": v.submitted_at,
            "decision": v.decision,
            "decided_by": str(v.decided_by) if v.decided_by else None,
            "decided_at": v.decided_at,
            "comment": v.comment,
            "content": v.content,
        }
        for v in selectors.versions(plan)
    ]
