"""Writes for contracts, clauses and claims: typed, atomic, full_clean(); access is checked here too."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client

from .models import Claim, ClaimStatus, Clause, Contract

CONTRACT_FIELDS = (
    "number",
    "title",
    "signed_on",
    "starts_on",
    "ends_on",
    "status",
    "auto_renewal",
    "renewal_notice_days",
    "owner",
    "notes",
)
CLAUSE_FIELDS = ("text", "obligation_of", "due_on", "responsible")
CLAIM_FIELDS = (
    "kind",
    "subject",
    "description",
    "registered_on",
    "assigned_to",
    "deadline",
    "status",
    "resolution",
)


def _require(user: User, perm: str, obj: Any) -> None:
    if not policy.can(user, perm, obj):
        raise PermissionDenied


def _assign(obj: Any, data: dict[str, Any], fields: tuple[str, ...]) -> None:
    for field in fields:
        if field in data:
            value = data[field]
            setattr(obj, field, value.strip() if isinstance(value, str) else value)


@transaction.atomic
def contract_create(*, user: User, client: Client, data: dict[str, Any]) -> Contract:
    _require(user, "contracts.change_contract", client)
    contract = Contract(client=client, owner=data.get("owner") or client.owner)
    _assign(contract, data, CONTRACT_FIELDS)
    contract.full_clean()
    contract.save()
    return contract


@transaction.atomic
def contract_update(*, user: User, contract: Contract, data: dict[str, Any]) -> Contract:
    _require(user, "contracts.change_contract", contract.client)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _assign(contract, data, CONTRACT_FIELDS)
    contract.full_clean()
    contract.save()
    return contract


@transaction.atomic
def clause_add(*, user: User, contract: Contract, data: dict[str, Any]) -> Clause:
    _require(user, "contracts.change_contract", contract.client)
    clause = Clause(contract=contract)
    _assign(clause, data, CLAUSE_FIELDS)
    clause.full_clean()
    clause.save()
    return clause


@transaction.atomic
def clause_mark_done(*, user: User, clause: Clause, done_on: date | None = None) -> Clause:
    _require(user, "contracts.change_contract", clause.contract.client)
    clause.done_on = done_on or timezone.localdate()
    clause.full_clean()
    clause.save(update_fields=["done_on"])
    return clause


@transaction.atomic
def clause_reopen(*, user: User, clause: Clause) -> Clause:
    _require(user, "contracts.change_contract", clause.contract.client)
    clause.done_on = None
    clause.save(update_fields=["done_on"])
    return clause


@transaction.atomic
def clause_delete(*, user: User, clause: Clause) -> None:
    _require(user, "contracts.change_contract", clause.contract.client)
    clause.delete()


# ------------------------------------------------------------------------------------------ claims


@transaction.atomic
def claim_create(*, user: User, client: Client, data: dict[str, Any]) -> Claim:
    _require(user, "contracts.change_claim", client)
    claim = Claim(
        client=client, registered_on=timezone.localdate(), assigned_to=data.get("assigned_to") or user
    )
    _assign(claim, data, CLAIM_FIELDS)
    _stamp_resolution(claim)
    claim.full_clean()
    claim.save()
    return claim


@transaction.atomic
def claim_update(*, user: User, claim: Claim, data: dict[str, Any]) -> Claim:
    _require(user, "contracts.change_claim", claim.client)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    _assign(claim, data, CLAIM_FIELDS)
    _stamp_resolution(claim)
    claim.full_clean()
    claim.save()
    return claim


@transaction.atomic
def claim_resolve(*, user: User, claim: Claim, resolution: str, rejected: bool = False) -> Claim:
    status = ClaimStatus.REJECTED if rejected else ClaimStatus.RESOLVED
    return claim_update(user=user, claim=claim, data={"status": status, "resolution": resolution})


def _stamp_resolution(claim: Claim) -> None:
    if claim.is_open:
        claim.resolved_on = None
    elif claim.resolved_on is None:
        claim.resolved_on = timezone.localdate()
