"""Writes: plans (with their history), department plans and the commission rules."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import Department, Role, User

from .models import (
    CommissionRules,
    CommissionTier,
    DepartmentPlan,
    FulfilmentFactor,
    Plan,
    PlanChange,
)
from .periods import Period

FIGURES = ("sales_volume", "active_clients", "new_clients")


def _figures(obj: Plan | DepartmentPlan) -> dict[str, str | int | None]:
    out: dict[str, str | int | None] = {}
    for name in FIGURES:
        value = getattr(obj, name)
        out[name] = str(value) if isinstance(value, Decimal) else value
    return out


@transaction.atomic
def plan_set(
    *,
    actor: User,
    kam: User,
    period: Period,
    sales_volume: Decimal,
    active_clients: int,
    new_clients: int,
    note: str = "",
) -> Plan:
    """Set or change a KAM's plan for a period; each version is kept as a PlanChange row."""
    if not policy.can(actor, "planning.set_plans", kam):
        raise PermissionDenied
    if kam.role != Role.KAM:
        raise ValidationError(_("Plans are set for key account managers only."))
    plan = (
        Plan.objects.select_for_update()
        .filter(kam=kam, period_kind=period.kind, period_start=period.start)
        .first()
    )
    previous: dict[str, str | int | None] = {}
    before: tuple[object, ...] | None = None
    if plan is None:
        plan = Plan(kam=kam, period_kind=period.kind, period_start=period.start)
    else:
        previous = _figures(plan)
        before = tuple(getattr(plan, n) for n in FIGURES)
    plan.sales_volume = Decimal(sales_volume)
    plan.active_clients = active_clients
    plan.new_clients = new_clients
    plan.set_by = actor
    plan.full_clean()
    if before == tuple(getattr(plan, n) for n in FIGURES):
        return Plan.objects.get(pk=plan.pk)  # nothing changed (compared as numbers): no new version
    plan.save()
    PlanChange.objects.create(
        plan=plan,
        changed_by=actor,
        sales_volume=plan.sales_volume,
        active_clients=plan.active_clients,
        new_clients=plan.new_clients,
        previous=previous,
        note=note[:300],
    )
    return plan


@transaction.atomic
def department_plan_set(
    *,
    actor: User,
    department: Department,
    period: Period,
    sales_volume: Decimal | None,
    active_clients: int | None,
    new_clients: int | None,
) -> DepartmentPlan | None:
    """The department's own figures; all empty removes them (the plan is the sum of its KAMs' plans)."""
    if not policy.can(actor, "planning.set_plans", department):
        raise PermissionDenied
    plan = (
        DepartmentPlan.objects.select_for_update()
        .filter(department=department, period_kind=period.kind, period_start=period.start)
        .first()
    )
    if sales_volume is None and active_clients is None and new_clients is None:
        if plan is not None:
            plan.delete()
        return None
    if plan is None:
        plan = DepartmentPlan(department=department, period_kind=period.kind, period_start=period.start)
    plan.sales_volume = sales_volume
    plan.active_clients = active_clients
    plan.new_clients = new_clients
    plan.set_by = actor
    plan.full_clean()
    plan.save()
    return plan


def _check_table(rows: Sequence[tuple[Decimal, Decimal]], *, what: str) -> None:
    starts = [r[0] for r in rows]
    if not rows:
        raise ValidationError(_("The %(what)s table needs at least one row.") % {"what": what})
    if len(set(starts)) != len(starts):
        raise ValidationError(_("Two rows of the %(what)s table start at the same value.") % {"what": what})
    if min(starts) != 0:
        raise ValidationError(_("The %(what)s table must have a row starting at 0.") % {"what": what})


@transaction.atomic
def commission_rules_update(
    *,
    actor: User,
    base: str,
    tiers: Sequence[tuple[Decimal, Decimal]],
    factors: Sequence[tuple[Decimal, Decimal]],
) -> CommissionRules:
    """Replace the commission base, the tiers (from amount, rate %) and the factor table (from %, factor)."""
    if not policy.can(actor, "planning.change_commission_rules"):
        raise PermissionDenied
    _check_table(tiers, what=_("tiers"))
    _check_table(factors, what=_("fulfilment factor"))
    rules = CommissionRules.objects.select_for_update().get(pk=CommissionRules.current().pk)
    rules.base = base
    rules.updated_by = actor
    rules.full_clean()
    rules.save()
    rules.tiers.all().delete()
    rules.factors.all().delete()
    new_tiers = [CommissionTier(rules=rules, min_amount=m, rate=r) for m, r in tiers]
    new_factors = [FulfilmentFactor(rules=rules, from_pct=p, factor=f) for p, f in factors]
    for row in (*new_tiers, *new_factors):
        row.full_clean(exclude=["rules"])
    CommissionTier.objects.bulk_create(new_tiers)
    FulfilmentFactor.objects.bulk_create(new_factors)
    return rules
