"""Writes of the pipeline: opportunities, their moves between stages, and client group links."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import Role, User
from kam.clients.models import Client, Competitor

from .models import DEFAULT_PROBABILITY, STAGE_ORDER, ClientLink, LinkKind, Opportunity, StageChange, Status

EDITABLE_FIELDS = (
    "title",
    "kind",
    "amount",
    "probability",
    "expected_on",
    "next_step",
    "next_step_on",
)


def _require(actor: User, perm: str, obj: Any) -> None:
    if not policy.can(actor, perm, obj):
        raise PermissionDenied(_("You may not change this opportunity."))


def _check_owner(owner: User, client: Client) -> None:
    if owner.role not in (Role.KAM, Role.HEAD, Role.DIRECTOR) or not owner.is_active:
        raise ValidationError({"owner": _("The owner must be an active KAM, head or director.")})


@transaction.atomic
def opportunity_create(
    *,
    actor: User,
    client: Client,
    title: str,
    amount: Decimal,
    expected_on: date,
    kind: str = "new_product",
    stage: str = "research",
    probability: int | None = None,
    owner: User | None = None,
    next_step: str = "",
    next_step_on: date | None = None,
    competitors: list[Competitor] | None = None,
) -> Opportunity:
    _require(actor, "pipeline.change_opportunity", client)
    owner = owner or (client.owner if client.owner_id else actor)
    _check_owner(owner, client)
    if stage not in STAGE_ORDER:
        raise ValidationError({"stage": _("Unknown stage.")})
    opportunity = Opportunity(
        client=client,
        owner=owner,
        title=title,
        kind=kind,
        stage=stage,
        amount=amount,
        probability=DEFAULT_PROBABILITY[stage] if probability is None else probability,
        expected_on=expected_on,
        next_step=next_step,
        next_step_on=next_step_on,
    )
    opportunity.full_clean()
    opportunity.save()
    if competitors:
        opportunity.competitors.set(competitors)
    StageChange.objects.create(opportunity=opportunity, from_stage="", to_stage=stage, changed_by=actor)
    return opportunity


@transaction.atomic
def opportunity_update(
    *, opportunity: Opportunity, actor: User, competitors: list[Competitor] | None = None, **fields: Any
) -> Opportunity:
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    _require(actor, "pipeline.change_opportunity", locked)
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"owner"}
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(locked, name, value)
    if "owner" in fields:
        _check_owner(locked.owner, locked.client)
    locked.full_clean()
    locked.save()
    if competitors is not None:
        locked.competitors.set(competitors)
    return locked


@transaction.atomic
def opportunity_move(*, opportunity: Opportunity, to_stage: str, actor: User) -> Opportunity:
    """Move an open opportunity to another stage; its probability takes the new stage's default."""
    locked = Opportunity.objects.select_for_update().select_related("client").get(pk=opportunity.pk)
    _require(actor, "pipeline.change_opportunity", locked)
    if to_stage not in STAGE_ORDER:
        raise ValidationError(_("Unknown stage «%(stage)s».") % {"stage": to_stage})
    if locked.status != Status.OPEN:
        raise ValidationError(_("A closed opportunity does not move; reopen it first."))
    if locked.stage == to_stage:
        raise ValidationError(_("The opportunity is already at this stage."))
    from_stage = locked.stage
    locked.stage = to_stage
    locked.probability = DEFAULT_PROBABILITY[to_stage]
    locked.full_clean()
    locked.save(update_fields=["stage", "probability", "updated_at"])
    StageChange.objects.create(opportunity=locked, from_stage=from_stage, to_stage=to_stage, changed_by=actor)
    return locked


@transaction.atomic
def opportunity_close(
    *, opportunity: Opportunity, status: str, actor: User, lost_reason: str = ""
) -> Opportunity:
    """Won or lost (a lost one needs its reason); reopening sets it open again at its stage."""
    locked = Opportunity.objects.select_for_update().select_related("client").get(pk=opportunity.pk)
    _require(actor, "pipeline.change_opportunity", locked)
    if status not in Status.values:
        raise ValidationError(_("Unknown status."))
    if status == locked.status:
        raise ValidationError(_("The opportunity already has this status."))
    locked.status = status
    locked.lost_reason = lost_reason.strip() if status == Status.LOST else ""
    if status == Status.WON:
        locked.probability = 100
    elif status == Status.LOST:
        locked.probability = 0
    else:
        locked.probability = DEFAULT_PROBABILITY[locked.stage]
    locked.full_clean()
    locked.save()
    StageChange.objects.create(
        opportunity=locked, from_stage=locked.stage, to_stage=locked.stage, status=status, changed_by=actor
    )
    return locked


# ------------------------------------------------------------------ client groups


def _ancestors(client_id: int) -> list[int]:
    """Owners above a client, nearest first (subsidiary/branch links only)."""
    chain: list[int] = []
    current: int | None = client_id
    seen = {client_id}
    while current is not None:
        parent = (
            ClientLink.objects.exclude(kind=LinkKind.DISTRIBUTOR)
            .filter(child_id=current)
            .values_list("parent_id", flat=True)
            .first()
        )
        if parent is None or parent in seen:
            break
        chain.append(parent)
        seen.add(parent)
        current = parent
    return chain


def _reachable(from_id: int) -> set[int]:
    """Every client below `from_id` by any link."""
    found: set[int] = set()
    frontier = {from_id}
    while frontier:
        children = set(ClientLink.objects.filter(parent_id__in=frontier).values_list("child_id", flat=True))
        frontier = children - found - {from_id}
        found |= children
    return found


@transaction.atomic
def client_link_create(*, actor: User, parent: Client, child: Client, kind: str) -> ClientLink:
    for client in (parent, child):
        if not policy.can(actor, "clients.change_client", client):
            raise PermissionDenied(_("You may not change this client."))
    if kind not in LinkKind.values:
        raise ValidationError({"kind": _("Unknown kind of link.")})
    if parent.pk == child.pk:
        raise ValidationError(_("A client cannot be linked to itself."))
    # Lock both rows so two concurrent links cannot close a cycle between them.
    list(Client.objects.select_for_update().filter(pk__in=[parent.pk, child.pk]))
    if parent.pk in _reachable(child.pk):
        raise ValidationError(
            _("«%(parent)s» is already below «%(child)s»: the link would make a cycle.")
            % {"parent": parent.short_name, "child": child.short_name}
        )
    if ClientLink.objects.filter(parent=parent, child=child).exists():
        raise ValidationError(_("These clients are already linked."))
    if (
        kind != LinkKind.DISTRIBUTOR
        and ClientLink.objects.filter(child=child).exclude(kind=LinkKind.DISTRIBUTOR).exists()
    ):
        raise ValidationError(
            _("«%(child)s» already belongs to a parent company.") % {"child": child.short_name}
        )
    link = ClientLink(parent=parent, child=child, kind=kind)
    link.full_clean()
    link.save()
    return link


@transaction.atomic
def client_link_delete(*, actor: User, link: ClientLink) -> None:
    locked = ClientLink.objects.select_for_update().select_related("parent", "child").get(pk=link.pk)
    for client in (locked.parent, locked.child):
        if not policy.can(actor, "clients.change_client", client):
            raise PermissionDenied(_("You may not change this client."))
    locked.delete()
