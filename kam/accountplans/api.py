"""Account plans as JSON (mounted at /api/account-plans) with the pages' access rules and services.

A KAM sees and edits the plans of the clients they serve; a head those of the department, and approves
or returns them; the director all. Progress comes from the ledger, as on the pages.

The parts of a plan (objectives, SWOT points, relationship goals, actions) are listed, added (201),
changed (PATCH, 200) and removed (204) under /{plan_id}/<part>; a write answers with the whole plan, whose
status shows when a change reopened an approved plan as a draft. The rules are the pages': a plan the
user may not change is 404, a plan waiting for review refuses with 422 and nothing is written.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.params.functions import Path
from pydantic import AfterValidator, AwareDatetime

from kam.access import policy
from kam.access.models import User
from kam.activities.models import Activity
from kam.activities.models import Kind as ActivityKind
from kam.clients.models import Attitude
from kam.core.api import WRITE_ERRORS, DbId, KamPagination, StrictIn, Text, optional
from kam.core.money import from_kopecks
from kam.orders.models import Product

from . import selectors, services
from .models import AccountPlan, ObjectiveKind, PlanStatus, SwotKind

router = Router(tags=["account plans"])
Id = Annotated[int, Path(ge=1, le=2**53)]
CHANGE = "accountplans.change_plan"


def _sane_moment(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2100:
        raise ValueError("give a moment between the years 2000 and 2100")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_sane_moment)]


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


def _objectives_out(progress: Any) -> list[dict[str, Any]]:
    return [
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
    ]


def _goals_out(plan: AccountPlan) -> list[dict[str, Any]]:
    return [
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
    ]


def _actions_out(plan: AccountPlan) -> list[dict[str, Any]]:
    return [
        {
            "id": a.action.pk,
            "title": a.action.title,
            "activity_id": a.activity.pk if a.activity else None,
            "planned_start": a.activity.planned_start if a.activity else None,
            "status": a.status,
        }
        for a in selectors.action_rows(plan)
    ]


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
        "objectives": _objectives_out(progress),
        "swot": {kind: [i.text for i in items] for kind, items in selectors.swot(plan).items()},
        "stakeholder_goals": _goals_out(plan),
        "actions": _actions_out(plan),
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


def _changed(request: HttpRequest, plan: AccountPlan) -> dict[str, Any]:
    return _plan_out(selectors.plan_for_user(_user(request), plan.pk))


def _no_nulls(data: dict[str, Any], *names: str) -> None:
    for name in names:
        if name in data and data[name] is None:
            raise ValidationError({name: ["This field may not be null."]})


# ------------------------------------------------------------------------------------- objectives


class ObjectiveIn(StrictIn):
    kind: Literal[*ObjectiveKind.values]  # type: ignore[valid-type]
    target: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    product_code: Text | None = Field(None, min_length=1, max_length=64)
    note: Text = Field("", max_length=300)


class ObjectivePatch(StrictIn):
    kind: Literal[*ObjectiveKind.values] = optional()  # type: ignore[valid-type]
    target: Decimal | None = optional(ge=0, max_digits=16, decimal_places=2)
    product_code: Text | None = optional(min_length=1, max_length=64)
    note: Text = optional(max_length=300)


def _product(code: str | None) -> Product | None:
    if not code:
        return None
    product = Product.objects.filter(code=code).first()
    if product is None:
        raise ValidationError({"product_code": ["No product with this code."]})
    return product


@router.get(
    "/{plan_id}/objectives",
    response={200: list[ObjectiveOut], **WRITE_ERRORS},
    summary="The plan's objectives with their progress",
)
def objective_list(request: HttpRequest, plan_id: Id) -> list[dict[str, Any]]:
    return _objectives_out(selectors.plan_progress(_plan(request, plan_id)))


@router.post(
    "/{plan_id}/objectives", response={201: PlanOut, **WRITE_ERRORS}, summary="Add a measurable objective"
)
def objective_add(request: HttpRequest, plan_id: Id, payload: ObjectiveIn) -> Status:
    user = _user(request)
    plan = _plan(request, plan_id, CHANGE)
    product = _product(payload.product_code)
    services.objective_add(
        actor=user, plan=plan, kind=payload.kind, target=payload.target, product=product, note=payload.note
    )
    return Status(201, _changed(request, plan))


@router.patch(
    "/{plan_id}/objectives/{item_id}",
    response={200: PlanOut, **WRITE_ERRORS},
    summary="Change an objective (the fields sent)",
)
def objective_update(
    request: HttpRequest, plan_id: Id, item_id: Id, payload: ObjectivePatch
) -> dict[str, Any]:
    plan = _plan(request, plan_id, CHANGE)
    item = selectors.plan_part(plan, "objective", item_id)
    data = payload.model_dump(exclude_unset=True)
    _no_nulls(data, "kind", "note")
    product = _product(data["product_code"]) if "product_code" in data else item.product
    services.objective_update(
        actor=_user(request),
        plan=plan,
        item_id=item.pk,
        kind=data.get("kind", item.kind),
        target=data.get("target", item.target),
        product=product,
        note=data.get("note", item.note),
    )
    return _changed(request, plan)


@router.delete(
    "/{plan_id}/objectives/{item_id}", response={204: None, **WRITE_ERRORS}, summary="Remove an objective"
)
def objective_delete(request: HttpRequest, plan_id: Id, item_id: Id) -> Status[None]:
    plan = _plan(request, plan_id, CHANGE)
    item = selectors.plan_part(plan, "objective", item_id)
    services.objective_delete(actor=_user(request), plan=plan, item_id=item.pk)
    return Status(204, None)


# ------------------------------------------------------------------------------------------- SWOT


class SwotItemOut(Schema):
    id: int
    kind: str
    text: str


class SwotItemIn(StrictIn):
    kind: Literal[*SwotKind.values]  # type: ignore[valid-type]
    text: Text = Field(min_length=1, max_length=500)


class SwotItemPatch(StrictIn):
    kind: Literal[*SwotKind.values] = optional()  # type: ignore[valid-type]
    text: Text = optional(min_length=1, max_length=500)


@router.get(
    "/{plan_id}/swot",
    response={200: list[SwotItemOut], **WRITE_ERRORS},
    summary="The plan's SWOT points (weaknesses and threats are internal)",
)
def swot_list(request: HttpRequest, plan_id: Id) -> list[dict[str, Any]]:
    plan = _plan(request, plan_id)
    return [
        {"id": i.pk, "kind": i.kind, "text": i.text} for items in selectors.swot(plan).values() for i in items
    ]


@router.post("/{plan_id}/swot", response={201: PlanOut, **WRITE_ERRORS}, summary="Add a SWOT point")
def swot_add(request: HttpRequest, plan_id: Id, payload: SwotItemIn) -> Status:
    plan = _plan(request, plan_id, CHANGE)
    services.swot_add(actor=_user(request), plan=plan, kind=payload.kind, text=payload.text)
    return Status(201, _changed(request, plan))


@router.patch(
    "/{plan_id}/swot/{item_id}", response={200: PlanOut, **WRITE_ERRORS}, summary="Change a SWOT point"
)
def swot_update(request: HttpRequest, plan_id: Id, item_id: Id, payload: SwotItemPatch) -> dict[str, Any]:
    plan = _plan(request, plan_id, CHANGE)
    item = selectors.plan_part(plan, "swot", item_id)
    data = payload.model_dump(exclude_unset=True)
    _no_nulls(data, "kind", "text")
    services.swot_update(
        actor=_user(request),
        plan=plan,
        item_id=item.pk,
        kind=data.get("kind", item.kind),
        text=data.get("text", item.text),
    )
    return _changed(request, plan)


@router.delete(
    "/{plan_id}/swot/{item_id}", response={204: None, **WRITE_ERRORS}, summary="Remove a SWOT point"
)
def swot_delete(request: HttpRequest, plan_id: Id, item_id: Id) -> Status[None]:
    plan = _plan(request, plan_id, CHANGE)
    item = selectors.plan_part(plan, "swot", item_id)
    services.swot_delete(actor=_user(request), plan=plan, item_id=item.pk)
    return Status(204, None)


# ------------------------------------------------------------------------------ relationship goals


class PlanGoalIn(StrictIn):
    stakeholder_id: DbId
    target_attitude: Literal[*Attitude.values]  # type: ignore[valid-type]
    due_on: date
    note: Text = Field("", max_length=300)


class PlanGoalPatch(StrictIn):
    stakeholder_id: DbId = optional()
    target_attitude: Literal[*Attitude.values] = optional()  # type: ignore[valid-type]
    due_on: date = optional()
    note: Text = optional(max_length=300)


def _stakeholder(plan: AccountPlan, stakeholder_id: int) -> Any:
    person = selectors.client_stakeholders(plan).filter(pk=stakeholder_id).first()
    if person is None:
        raise ValidationError({"stakeholder_id": ["No such person at the plan's client."]})
    return person


@router.get(
    "/{plan_id}/goals",
    response={200: list[GoalOut], **WRITE_ERRORS},
    summary="The plan's relationship goals and where each person stands now",
)
def goal_list(request: HttpRequest, plan_id: Id) -> list[dict[str, Any]]:
    return _goals_out(_plan(request, plan_id))


@router.post(
    "/{plan_id}/goals",
    response={201: PlanOut, **WRITE_ERRORS},
    summary="Add a relationship goal: move a person to a warmer attitude by a date",
)
def goal_add(request: HttpRequest, plan_id: Id, payload: PlanGoalIn) -> Status:
    plan = _plan(request, plan_id, CHANGE)
    services.goal_add(
        actor=_user(request),
        plan=plan,
        stakeholder=_stakeholder(plan, payload.stakeholder_id),
        target_attitude=payload.target_attitude,
        due_on=payload.due_on,
        note=payload.note,
    )
    return Status(201, _changed(request, plan))


@router.patch(
    "/{plan_id}/goals/{item_id}",
    response={200: PlanOut, **WRITE_ERRORS},
    summary="Change a relationship goal",
)
def goal_update(request: HttpRequest, plan_id: Id, item_id: Id, payload: PlanGoalPatch) -> dict[str, Any]:
    plan = _plan(request, plan_id, CHANGE)
    item = selectors.plan_part(plan, "goal", item_id)
    data = payload.model_dump(exclude_unset=True)
    _no_nulls(data, "stakeholder_id", "target_attitude", "due_on", "note")
    stakeholder = _stakeholder(plan, data["stakeholder_id"]) if "stakeholder_id" in data else item.stakeholder
    services.goal_update(
        actor=_user(request),
        plan=plan,
        item_id=item.pk,
        stakeholder=stakeholder,
        target_attitude=data.get("target_attitude", item.target_attitude),
        due_on=data.get("due_on", item.due_on),
        note=data.get("note", item.note),
    )
    return _changed(request, plan)


@router.delete(
    "/{plan_id}/goals/{item_id}", response={204: None, **WRITE_ERRORS}, summary="Remove a relationship goal"
)
def goal_delete(request: HttpRequest, plan_id: Id, item_id: Id) -> Status[None]:
    plan = _plan(request, plan_id, CHANGE)
    item = selectors.plan_part(plan, "goal", item_id)
    services.goal_delete(actor=_user(request), plan=plan, item_id=item.pk)
    return Status(204, None)


# ---------------------------------------------------------------------------------------- actions


class PlanActionIn(StrictIn):
    """Link an activity already in the schedule (activity_id), or plan a new one (kind, start, end)."""

    title: Text = Field(min_length=1, max_length=300)
    activity_id: DbId | None = None
    kind: Literal[*ActivityKind.values] | None = None  # type: ignore[valid-type]
    planned_start: Moment | None = None
    planned_end: Moment | None = None
    place: Text = Field("", max_length=300)


class PlanActionPatch(StrictIn):
    """A new title, and another activity of the client (or null: none); the one left stays scheduled."""

    title: Text = optional(min_length=1, max_length=300)
    activity_id: DbId | None = optional()


def _activity(request: HttpRequest, plan: AccountPlan, activity_id: int | None) -> Activity | None:
    if activity_id is None:
        return None
    from kam.activities.selectors import visible_activities

    activity = visible_activities(_user(request)).filter(pk=activity_id).first()
    if activity is None:
        raise ValidationError({"activity_id": ["No such activity in your schedules."]})
    return activity


@router.get(
    "/{plan_id}/actions",
    response={200: list[PlanActionOut], **WRITE_ERRORS},
    summary="The plan's actions and the state of their activities",
)
def action_list(request: HttpRequest, plan_id: Id) -> list[dict[str, Any]]:
    return _actions_out(_plan(request, plan_id))


@router.post(
    "/{plan_id}/actions",
    response={201: PlanOut, **WRITE_ERRORS},
    summary="Add an action: link an activity in the schedule, or plan a new one",
)
def action_add(request: HttpRequest, plan_id: Id, payload: PlanActionIn) -> Status:
    plan = _plan(request, plan_id, CHANGE)
    services.action_add(
        actor=_user(request),
        plan=plan,
        title=payload.title,
        activity=_activity(request, plan, payload.activity_id),
        kind=payload.kind or "",
        planned_start=payload.planned_start,
        planned_end=payload.planned_end,
        place=payload.place,
    )
    return Status(201, _changed(request, plan))


@router.patch(
    "/{plan_id}/actions/{item_id}", response={200: PlanOut, **WRITE_ERRORS}, summary="Change an action"
)
def action_update(request: HttpRequest, plan_id: Id, item_id: Id, payload: PlanActionPatch) -> dict[str, Any]:
    plan = _plan(request, plan_id, CHANGE)
    item = selectors.plan_part(plan, "action", item_id)
    data = payload.model_dump(exclude_unset=True)
    _no_nulls(data, "title")
    if "activity_id" not in data:
        activity = item.activity
    elif data["activity_id"] == item.activity_id:
        activity = item.activity  # kept as it is, even if the user no longer sees it in a schedule
    else:
        activity = _activity(request, plan, data["activity_id"])
    services.action_update(
        actor=_user(request),
        plan=plan,
        item_id=item.pk,
        title=data.get("title", item.title),
        activity=activity,
    )
    return _changed(request, plan)


@router.delete(
    "/{plan_id}/actions/{item_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Take an action out of the plan (its activity stays in the schedule)",
)
def action_delete(request: HttpRequest, plan_id: Id, item_id: Id) -> Status[None]:
    plan = _plan(request, plan_id, CHANGE)
    item = selectors.plan_part(plan, "action", item_id)
    services.action_delete(actor=_user(request), plan=plan, item_id=item.pk)
    return Status(204, None)


@router.post(
    "/{plan_id}/submit", response={200: PlanOut, **WRITE_ERRORS}, summary="Submit for the head's review"
)
def plan_submit(request: HttpRequest, plan_id: Id) -> dict[str, Any]:
    user = _user(request)
    plan = _plan(request, plan_id, CHANGE)
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
