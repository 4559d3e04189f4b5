"""Writes for tenders, lots and their specifications: typed, atomic, full_clean(); access checked here too.

Status moves follow TRANSITIONS, and each has its condition: a bid is submitted with at least one lot
priced; a tender is won when a lot is won; lost when every bid lot is lost, each with its winner and
reasons. Lot results are recorded while the tender is submitted.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import Role, User
from kam.clients.models import Client

from .models import (
    Lot,
    LotItem,
    LotResult,
    Tender,
    TenderFeedToken,
    TenderStatus,
)

TENDER_FIELDS = (
    "platform",
    "number",
    "title",
    "published_on",
    "deadline",
    "time_zone",
    "kam",
    "opportunity",
    "url",
    "notes",
)
LOT_FIELDS = ("number", "subject", "initial_price", "bid_amount")
RESULT_FIELDS = ("result", "winner", "winner_name", "winning_price", "reasons")
ITEM_FIELDS = ("position", "name", "product", "quantity", "unit")
RESPONSIBLE_ROLES = (Role.KAM, Role.HEAD, Role.DIRECTOR)
CHANGE = "tenders.change_tender"


def _require(user: User, perm: str, obj: Any) -> None:
    if not policy.can(user, perm, obj):
        raise PermissionDenied


def _assign(obj: Any, data: dict[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        if name in data:
            value = data[name]
            setattr(obj, name, value.strip() if isinstance(value, str) else value)


def _check_kam(tender: Tender) -> None:
    kam = tender.kam
    if not kam.is_active or kam.role not in RESPONSIBLE_ROLES:
        raise ValidationError({"kam": _("The responsible person must be an active KAM, head or director.")})


def _editable(tender: Tender) -> None:
    if tender.status not in (TenderStatus.PREPARING, TenderStatus.SUBMITTED):
        raise ValidationError(_("This tender is closed: reopen it before changing its lots."))


@transaction.atomic
def tender_create(*, user: User, client: Client, data: dict[str, Any]) -> Tender:
    _require(user, CHANGE, client)
    tender = Tender(client=client, kam=data.get("kam") or client.owner, status=TenderStatus.PREPARING)
    _assign(tender, data, TENDER_FIELDS)
    if not tender.kam_id:
        tender.kam = client.owner
    _check_kam(tender)
    tender.full_clean()
    tender.save()
    return tender


@transaction.atomic
def tender_update(*, user: User, tender: Tender, data: dict[str, Any]) -> Tender:
    _require(user, CHANGE, tender.client)
    tender = Tender.objects.select_for_update().select_related("client").get(pk=tender.pk)
    _assign(tender, data, TENDER_FIELDS)
    _check_kam(tender)
    tender.full_clean()
    tender.save()
    return tender


@transaction.atomic
def tender_set_status(*, user: User, tender: Tender, status: str, note: str | None = None) -> Tender:
    _require(user, CHANGE, tender.client)
    tender = Tender.objects.select_for_update().select_related("client").get(pk=tender.pk)
    if status not in TenderStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status == tender.status:
        return tender
    if status not in tender.allowed_transitions():
        raise ValidationError(
            {
                "status": _("A tender cannot go from %(old)s to %(new)s.")
                % {"old": tender.get_status_display(), "new": TenderStatus(status).label}
            }
        )
    lots = list(tender.lots.all())
    bid = [lot for lot in lots if lot.bid_amount is not None]
    if status == TenderStatus.SUBMITTED and tender.status == TenderStatus.PREPARING and not bid:
        raise ValidationError(_("Add a lot with our bid before submitting the tender."))
    if status == TenderStatus.WON:
        if not any(lot.result == LotResult.WON for lot in lots):
            raise ValidationError(_("Record which lot we won before marking the tender as won."))
        if any(not lot.result for lot in bid):
            raise ValidationError(_("Record the result of every lot we bid on."))
    if status == TenderStatus.LOST:
        if any(lot.result == LotResult.WON for lot in lots):
            raise ValidationError(_("A lot of this tender was won: the tender is won, not lost."))
        if not bid or any(lot.result != LotResult.LOST for lot in bid):
            raise ValidationError(
                _("Record every lot we bid on as lost, with its winner and reasons, before closing as lost.")
            )
        for lot in bid:
            lot.full_clean()  # a lost lot names its winner and reasons
    tender.status = status
    if note is not None:
        tender.result_note = note.strip()
    tender.full_clean()
    tender.save()
    return tender


# ------------------------------------------------------------------------------------------ lots


@transaction.atomic
def lot_add(*, user: User, tender: Tender, data: dict[str, Any]) -> Lot:
    _require(user, CHANGE, tender.client)
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    _editable(tender)
    lot = Lot(tender=tender)
    if "number" not in data or not data["number"]:
        last = tender.lots.order_by("-number").values_list("number", flat=True).first()
        lot.number = (last or 0) + 1
    _assign(lot, {k: v for k, v in data.items() if not (k == "number" and not v)}, LOT_FIELDS)
    lot.full_clean()
    lot.save()
    return lot


@transaction.atomic
def lot_update(*, user: User, lot: Lot, data: dict[str, Any]) -> Lot:
    _require(user, CHANGE, lot.tender.client)
    lot = Lot.objects.select_for_update().select_related("tender").get(pk=lot.pk)
    _editable(lot.tender)
    _assign(lot, data, LOT_FIELDS)
    lot.full_clean()
    lot.save()
    return lot


@transaction.atomic
def lot_set_result(*, user: User, lot: Lot, data: dict[str, Any]) -> Lot:
    """Won or lost (with the winner, winning price and reasons), or back to unknown."""
    _require(user, CHANGE, lot.tender.client)
    lot = Lot.objects.select_for_update().select_related("tender").get(pk=lot.pk)
    if lot.tender.status != TenderStatus.SUBMITTED:
        raise ValidationError(_("Results are recorded for a submitted tender."))
    _assign(lot, data, RESULT_FIELDS)
    if lot.result == LotResult.WON:
        lot.winner = None
        lot.winner_name = ""
        if lot.winning_price is None:
            lot.winning_price = lot.bid_amount
    elif not lot.result:
        lot.winner, lot.winner_name, lot.winning_price = None, "", None
    lot.full_clean()
    lot.save()
    return lot


@transaction.atomic
def lot_delete(*, user: User, lot: Lot) -> None:
    _require(user, CHANGE, lot.tender.client)
    _editable(lot.tender)
    lot.delete()


@transaction.atomic
def item_add(*, user: User, lot: Lot, data: dict[str, Any]) -> LotItem:
    _require(user, CHANGE, lot.tender.client)
    _editable(lot.tender)
    item = LotItem(lot=lot)
    if not data.get("position"):
        last = lot.items.order_by("-position").values_list("position", flat=True).first()
        item.position = (last or 0) + 1
    _assign(item, {k: v for k, v in data.items() if not (k == "position" and not v)}, ITEM_FIELDS)
    if item.product is not None and not item.name.strip():
        item.name = item.product.name
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def item_delete(*, user: User, item: LotItem) -> None:
    _require(user, CHANGE, item.lot.tender.client)
    _editable(item.lot.tender)
    item.delete()


# ------------------------------------------------------------------------------ calendar feed


@transaction.atomic
def feed_token_issue(*, user: User) -> tuple[TenderFeedToken, str]:
    """A new secret feed URL; the previous ones stop working. The raw token is shown once."""
    _require(user, "tenders.view_tenders", None)
    TenderFeedToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    raw = secrets.token_urlsafe(32)
    token = TenderFeedToken.objects.create(user=user, token_hash=TenderFeedToken.hash(raw), prefix=raw[:8])
    return token, raw


@transaction.atomic
def feed_token_revoke(*, user: User) -> int:
    return TenderFeedToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def feed_user(raw: str) -> User | None:
    token = (
        TenderFeedToken.objects.select_related("user")
        .filter(token_hash=TenderFeedToken.hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return token.user if token else None
