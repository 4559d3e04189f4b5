"""Writes of account plans. Every function checks the permission, runs in one transaction and raises
ValidationError with a clear message when the plan's state does not allow the change (nothing written).

Editing: a draft or a returned plan is edited as it is; an approved plan reopens as a new draft (the
approved version stays frozen in its PlanVersion); a submitted plan waits for the review.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import User
from kam.activities.models import Activity
from kam.activities.models import Kind as ActivityKind
from kam.clients.models import Attitude, Client, Stakeholder
from kam.orders.models import Product

from .models import (
    ATTITUDE_RANK,
    EDITABLE_STATUSES,
    AccountPlan,
    Decision,
    Objective,
    ObjectiveKind,
    PlanAction,
    PlanStatus,
    PlanVersion,
    StakeholderGoal,
    SwotItem,
    SwotKind,
)

CHANGE = "accountplans.change_plan"
APPROVE = "accountplans.approve_plan"
MAX_WALLET_PERCENT = Decimal(100)


def _check(user: User, perm: str, obj: Any) -> None:
    if not policy.can(user, perm, obj):
        raise PermissionDenied


@transaction.atomic
def plan_create(*, actor: User, client: Client, year: int, strategy: str = "") -> AccountPlan:
    _check(actor, CHANGE, client)
    if not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": _("Choose a year between 2000 and 2100.")})
    if AccountPlan.objects.filter(client=client, year=year).exists():
        raise ValidationError(
            {
                "year": _("%(client)s already has an account plan for %(year)s.")
                % {"client": client, "year": year}
            }
        )
    plan = AccountPlan(
        client=client,
        year=year,
        owner=client.owner,
        strategy=strategy,
        created_by=actor,
        status=PlanStatus.DRAFT,
    )
    plan.full_clean(exclude=["owner", "created_by"])
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:
        raise ValidationError(
            {
                "year": _("%(client)s already has an account plan for %(year)s.")
                % {"client": client, "year": year}
            }
        ) from None
    return plan


def _editable(actor: User, plan: AccountPlan) -> AccountPlan:
    """The plan locked for a change; an approved plan becomes a new draft, a submitted one refuses."""
    _check(actor, CHANGE, plan)
    locked = AccountPlan.objects.select_for_update().select_related("client").get(pk=plan.pk)
    if locked.status == PlanStatus.SUBMITTED:
        raise ValidationError(_("The plan is waiting for the head's review: it cannot be changed now."))
    if locked.status == PlanStatus.APPROVED:
        locked.status = PlanStatus.DRAFT
        locked.save(update_fields=["status", "updated_at"])
    else:
        locked.save(update_fields=["updated_at"])
    plan.status = locked.status
    return locked


@transaction.atomic
def plan_update_strategy(*, actor: User, plan: AccountPlan, strategy: str) -> AccountPlan:
    locked = _editable(actor, plan)
    locked.strategy = strategy.strip()
    locked.full_clean()
    locked.save(update_fields=["strategy", "updated_at"])
    return locked


def _objective_values(
    locked: AccountPlan,
    kind: str,
    target: Decimal | None,
    product: Product | None,
    *,
    item_id: int | None = None,
) -> tuple[Decimal | None, Product | None]:
    """The target and product an objective of `kind` keeps, or ValidationError (for add and edit alike)."""
    if kind not in ObjectiveKind.values:
        raise ValidationError({"kind": _("Unknown kind of objective.")})
    if kind == ObjectiveKind.PRODUCT:
        if product is None:
            raise ValidationError({"product": _("Choose the product to introduce.")})
        if locked.objectives.filter(product=product).exclude(pk=item_id or 0).exists():
            raise ValidationError({"product": _("This product is already an objective of the plan.")})
        return None, product
    if target is None:
        raise ValidationError({"target": _("Give the target.")})
    if target < 0:
        raise ValidationError({"target": _("The target cannot be negative.")})
    if kind == ObjectiveKind.SHARE_OF_WALLET:
        if target > MAX_WALLET_PERCENT:
            raise ValidationError({"target": _("A share of wallet is at most 100 %.")})
        if not locked.client.category_budget:
            raise ValidationError(
                {
                    "target": _(
                        "The client has no budget for our category in the dossier: "
                        "enter it there to measure the share of wallet."
                    )
                }
            )
    return target, None


def _part(locked: AccountPlan, related: str, item_id: int) -> Any:
    """One part of the locked plan, locked too; a part deleted meanwhile is a clear error, not a crash."""
    item = getattr(locked, related).select_for_update().filter(pk=item_id).first()
    if item is None:
        raise ValidationError(_("This part is no longer in the plan: it may have been removed meanwhile."))
    return item


@transaction.atomic
def objective_add(
    *,
    actor: User,
    plan: AccountPlan,
    kind: str,
    target: Decimal | None = None,
    product: Product | None = None,
    note: str = "",
) -> Objective:
    locked = _editable(actor, plan)
    target, product = _objective_values(locked, kind, target, product)
    objective = Objective(plan=locked, kind=kind, target=target, product=product, note=note.strip())
    objective.full_clean()
    objective.save()
    return objective


@transaction.atomic
def objective_update(
    *,
    actor: User,
    plan: AccountPlan,
    item_id: int,
    kind: str,
    target: Decimal | None = None,
    product: Product | None = None,
    note: str = "",
) -> Objective:
    """Change an objective with the rules of `objective_add` (an approved plan reopens as a draft)."""
    locked = _editable(actor, plan)
    objective: Objective = _part(locked, "objectives", item_id)
    objective.target, objective.product = _objective_values(locked, kind, target, product, item_id=item_id)
    objective.kind = kind
    objective.note = note.strip()
    objective.full_clean()
    objective.save()
    return objective


@transaction.atomic
def objective_delete(*, actor: User, plan: AccountPlan, item_id: int) -> None:
    locked = _editable(actor, plan)
    locked.objectives.filter(pk=item_id).delete()


def _swot_values(kind: str, text: str) -> str:
    if kind not in SwotKind.values:
        raise ValidationError({"kind": _("Unknown SWOT part.")})
    if not text.strip():
        raise ValidationError({"text": _("Write the point.")})
    return text.strip()


@transaction.atomic
def swot_add(*, actor: User, plan: AccountPlan, kind: str, text: str) -> SwotItem:
    locked = _editable(actor, plan)
    item = SwotItem(plan=locked, kind=kind, text=_swot_values(kind, text))
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def swot_update(*, actor: User, plan: AccountPlan, item_id: int, kind: str, text: str) -> SwotItem:
    locked = _editable(actor, plan)
    item: SwotItem = _part(locked, "swot_items", item_id)
    item.text = _swot_values(kind, text)
    item.kind = kind
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def swot_delete(*, actor: User, plan: AccountPlan, item_id: int) -> None:
    locked = _editable(actor, plan)
    locked.swot_items.filter(pk=item_id).delete()


def _goal_check(
    locked: AccountPlan,
    stakeholder: Stakeholder,
    target_attitude: str,
    from_attitude: str,
    *,
    item_id: int | None = None,
) -> None:
    if stakeholder.client_id != locked.client_id:
        raise ValidationError({"stakeholder": _("This person does not work at the plan's client.")})
    if target_attitude not in Attitude.values:
        raise ValidationError({"target_attitude": _("Unknown attitude.")})
    if ATTITUDE_RANK[Attitude(target_attitude)] <= ATTITUDE_RANK[Attitude(from_attitude)]:
        raise ValidationError(
            {
                "target_attitude": _("%(name)s is already %(attitude)s: aim for a warmer attitude.")
                % {"name": stakeholder.full_name, "attitude": Attitude(from_attitude).label}
            }
        )
    if locked.stakeholder_goals.filter(stakeholder=stakeholder).exclude(pk=item_id or 0).exists():
        raise ValidationError({"stakeholder": _("The plan already has a goal for this person.")})


@transaction.atomic
def goal_add(
    *,
    actor: User,
    plan: AccountPlan,
    stakeholder: Stakeholder,
    target_attitude: str,
    due_on: date,
    note: str = "",
) -> StakeholderGoal:
    locked = _editable(actor, plan)
    current = stakeholder.attitude
    _goal_check(locked, stakeholder, target_attitude, current)
    goal = StakeholderGoal(
        plan=locked,
        stakeholder=stakeholder,
        from_attitude=current,
        target_attitude=target_attitude,
        due_on=due_on,
        note=note.strip(),
    )
    goal.full_clean()
    goal.save()
    return goal


@transaction.atomic
def goal_update(
    *,
    actor: User,
    plan: AccountPlan,
    item_id: int,
    stakeholder: Stakeholder,
    target_attitude: str,
    due_on: date,
    note: str = "",
) -> StakeholderGoal:
    """Change a relationship goal with the rules of `goal_add`. For the same person the attitude when the
    goal was set stays (the target must still be warmer than it); another person starts from their
    attitude now."""
    locked = _editable(actor, plan)
    goal: StakeholderGoal = _part(locked, "stakeholder_goals", item_id)
    if stakeholder.pk != goal.stakeholder_id:
        goal.from_attitude = stakeholder.attitude
    _goal_check(locked, stakeholder, target_attitude, goal.from_attitude, item_id=item_id)
    goal.stakeholder = stakeholder
    goal.target_attitude = target_attitude
    goal.due_on = due_on
    goal.note = note.strip()
    goal.full_clean()
    goal.save()
    return goal


@transaction.atomic
def goal_delete(*, actor: User, plan: AccountPlan, item_id: int) -> None:
    locked = _editable(actor, plan)
    locked.stakeholder_goals.filter(pk=item_id).delete()


def _action_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Say what is to be done.")})
    return title


def _action_activity_check(
    actor: User, locked: AccountPlan, activity: Activity, *, item_id: int | None = None
) -> None:
    if activity.client_id != locked.client_id:
        raise ValidationError({"activity": _("This activity is with another client.")})
    if not policy.can(actor, "activities.view_activity", activity):
        raise PermissionDenied
    if locked.actions.filter(activity=activity).exclude(pk=item_id or 0).exists():
        raise ValidationError({"activity": _("This activity is already an action of the plan.")})


@transaction.atomic
def action_add(
    *,
    actor: User,
    plan: AccountPlan,
    title: str,
    activity: Activity | None = None,
    kind: str = "",
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    place: str = "",
) -> PlanAction:
    """An action linked to an existing activity of the client, or to a new one planned in the schedule."""
    from kam.activities import services as activity_services

    locked = _editable(actor, plan)
    title = _action_title(title)
    if activity is not None:
        _action_activity_check(actor, locked, activity)
    else:
        if kind not in ActivityKind.values:
            raise ValidationError({"kind": _("Choose a visit, a call or another kind of activity.")})
        if planned_start is None or planned_end is None:
            raise ValidationError({"planned_start": _("Give the date and time of the activity.")})
        activity = activity_services.activity_create(
            user=actor,
            client=locked.client,
            kind=kind,
            planned_start=planned_start,
            planned_end=planned_end,
            place=place,
            goal=title,
        )
    action = PlanAction(plan=locked, title=title, activity=activity)
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def action_update(
    *,
    actor: User,
    plan: AccountPlan,
    item_id: int,
    title: str,
    activity: Activity | None,
) -> PlanAction:
    """Rename an action and link it to another activity of the client in the schedule, or to none; the
    activity it leaves stays in the schedule (as when the action is removed)."""
    locked = _editable(actor, plan)
    action: PlanAction = _part(locked, "actions", item_id)
    action.title = _action_title(title)
    if activity is not None and activity.pk != action.activity_id:
        _action_activity_check(actor, locked, activity, item_id=item_id)
    action.activity = activity
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def action_delete(*, actor: User, plan: AccountPlan, item_id: int) -> None:
    """Takes the action out of the plan; its activity stays in the schedule."""
    locked = _editable(actor, plan)
    locked.actions.filter(pk=item_id).delete()


# ------------------------------------------------------------------------------------------ review


def plan_content(plan: AccountPlan) -> dict[str, Any]:
    """The plan as plain JSON: what a version freezes."""
    return {
        "client": {"id": plan.client_id, "name": plan.client.short_name, "inn": plan.client.tax_number},
        "year": plan.year,
        "kam": str(plan.owner),
        "strategy": plan.strategy,
        "objectives": [
            {
                "kind": o.kind,
                "target": None if o.target is None else str(o.target),
                "product": None if o.product is None else {"code": o.product.code, "name": o.product.name},
                "note": o.note,
            }
            for o in plan.objectives.select_related("product").order_by("pk")
        ],
        "swot": {
            kind: [i.text for i in plan.swot_items.order_by("pk") if i.kind == kind]
            for kind in SwotKind.values
        },
        "stakeholder_goals": [
            {
                "stakeholder": g.stakeholder.full_name,
                "position": g.stakeholder.position,
                "from": g.from_attitude,
                "target": g.target_attitude,
                "due_on": g.due_on.isoformat(),
                "note": g.note,
            }
            for g in plan.stakeholder_goals.select_related("stakeholder").order_by("due_on", "pk")
        ],
        "actions": [
            {
                "title": a.title,
                "activity": None
                if a.activity is None
                else {
                    "id": a.activity_id,
                    "kind": a.activity.kind,
                    "planned_start": timezone.localtime(a.activity.planned_start).isoformat(),
                    "place": a.activity.place,
                },
            }
            for a in plan.actions.select_related("activity").order_by("pk")
        ],
    }


@transaction.atomic
def plan_submit(*, actor: User, plan: AccountPlan) -> PlanVersion:
    _check(actor, CHANGE, plan)
    locked = AccountPlan.objects.select_for_update().select_related("client", "owner").get(pk=plan.pk)
    if locked.status not in EDITABLE_STATUSES:
        raise ValidationError(_("Only a draft or a returned plan can be submitted for review."))
    if not locked.objectives.exists():
        raise ValidationError(_("Add at least one objective before submitting the plan."))
    number = (locked.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    version = PlanVersion.objects.create(
        plan=locked, number=number, content=plan_content(locked), submitted_by=actor
    )
    locked.status = PlanStatus.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["status", "submitted_at", "updated_at"])
    plan.status = locked.status
    return version


def _decide(actor: User, plan: AccountPlan, decision: str, comment: str) -> PlanVersion:
    _check(actor, APPROVE, plan)
    locked = AccountPlan.objects.select_for_update().get(pk=plan.pk)
    if locked.status != PlanStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted plan can be reviewed."))
    version = locked.versions.select_for_update().order_by("-number").first()
    if version is None:  # pragma: no cover - a submitted plan always has its version
        raise ValidationError(_("The submitted version is missing."))
    now = timezone.now()
    version.decision = decision
    version.decided_by = actor
    version.decided_at = now
    version.comment = comment
    version.save(update_fields=["decision", "decided_by", "decided_at", "comment"])
    locked.status = PlanStatus.APPROVED if decision == Decision.APPROVED else PlanStatus.RETURNED
    locked.review_comment = comment
    locked.reviewed_by = actor
    locked.reviewed_at = now
    locked.save(update_fields=["status", "review_comment", "reviewed_by", "reviewed_at", "updated_at"])
    plan.status = locked.status
    return version


@transaction.atomic
def plan_approve(*, actor: User, plan: AccountPlan, comment: str = "") -> PlanVersion:
    return _decide(actor, plan, Decision.APPROVED, comment.strip())


@transaction.atomic
def plan_return(*, actor: User, plan: AccountPlan, comment: str) -> PlanVersion:
    if not comment.strip():
        raise ValidationError({"comment": _("Say what should be reworked.")})
    return _decide(actor, plan, Decision.RETURNED, comment.strip())
