"""Writes for promotions. Every function checks the actor's right first, so a refusal changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import Role, User
from kam.clients.models import Client

from .models import Participant, Promotion

CHANGE = "promotions.change_promotion"
FIELDS = (
    "name",
    "kind",
    "status",
    "rules_text",
    "discount_pct",
    "volume_threshold",
    "bonus_pct",
    "starts_on",
    "ends_on",
    "department",
    "segment",
    "abc_class",
)


def _check(promotion: Promotion) -> None:
    errors: dict[str, list[str]] = {}
    if promotion.starts_on and promotion.ends_on and promotion.ends_on < promotion.starts_on:
        errors["ends_on"] = [_("The programme cannot end before it starts.")]
    if not (promotion.name or "").strip():
        errors["name"] = [_("Give the programme a name.")]
    if errors:
        raise ValidationError(errors)
    promotion.full_clean(exclude=["created_by"])


def _apply(promotion: Promotion, actor: User, data: dict[str, Any]) -> None:
    for field in FIELDS:
        if field in data:
            setattr(promotion, field, data[field])
    if actor.role == Role.HEAD:
        # A head's programme belongs to their department.
        promotion.department_id = actor.department_id


@transaction.atomic
def promotion_create(*, actor: User, data: dict[str, Any]) -> Promotion:
    if not policy.can(actor, CHANGE):
        raise PermissionDenied
    promotion = Promotion(created_by=actor)
    _apply(promotion, actor, data)
    _check(promotion)
    promotion.save()
    return promotion


@transaction.atomic
def promotion_update(*, actor: User, promotion_id: int, data: dict[str, Any]) -> Promotion:
    promotion = Promotion.objects.select_for_update().get(pk=promotion_id)
    if not policy.can(actor, CHANGE, promotion):
        raise PermissionDenied
    _apply(promotion, actor, data)
    _check(promotion)
    promotion.save()
    return promotion


def _locked(actor: User, promotion_id: int) -> Promotion:
    promotion = Promotion.objects.select_for_update().get(pk=promotion_id)
    if not policy.can(actor, CHANGE, promotion):
        raise PermissionDenied
    return promotion


def _insert_missing(promotion: Promotion, actor: User, clients: QuerySet[Client]) -> int:
    """INSERT … SELECT of the given clients not yet in the programme: one statement, any number of clients."""
    taken = Participant.objects.filter(promotion=promotion).values("client_id")
    ids = clients.exclude(pk__in=taken).order_by().values(picked_id=F("pk"))
    sql, params = ids.query.sql_with_params()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = connection.ops.quote_name(Participant._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (promotion_id, client_id, added_by_id, added_at) "
            f"SELECT %s, picked.picked_id, %s, %s FROM ({sql}) picked",
            [promotion.pk, actor.pk, now, *params],
        )
        return int(cursor.rowcount or 0)


@transaction.atomic
def participants_add(*, actor: User, promotion_id: int, clients: Iterable[Client]) -> int:
    """Adds the chosen clients; each must be one the actor sees. Returns how many were new."""
    promotion = _locked(actor, promotion_id)
    wanted = {c.pk for c in clients}
    if not wanted:
        return 0
    allowed = policy.visible_clients(actor).filter(pk__in=wanted)
    if allowed.count() != len(wanted):
        raise ValidationError(_("You may only add clients you can see."))
    return _insert_missing(promotion, actor, allowed)


def matching_clients(
    actor: User, *, segment: str = "", abc_class: str = "", department_id: int | None = None
) -> QuerySet[Client]:
    """Clients the actor sees in a segment, an ABC class of the latest analysis and/or a department."""
    from .selectors import latest_abc_snapshot_id

    qs = policy.visible_clients(actor).exclude(status="lost")
    if segment:
        qs = qs.filter(segment=segment)
    if department_id:
        qs = qs.filter(department_id=department_id)
    if abc_class:
        from kam.analytics.models import SnapshotClient

        snapshot_id = latest_abc_snapshot_id()
        if snapshot_id is None:
            return qs.none()
        qs = qs.filter(
            pk__in=SnapshotClient.objects.filter(snapshot_id=snapshot_id, abc=abc_class).values("client_id")
        )
    return qs


@transaction.atomic
def participants_add_matching(
    *,
    actor: User,
    promotion_id: int,
    segment: str = "",
    abc_class: str = "",
    department_id: int | None = None,
) -> int:
    promotion = _locked(actor, promotion_id)
    if not (segment or abc_class or department_id):
        raise ValidationError(_("Choose a segment, an ABC class or a department."))
    if abc_class:
        from .selectors import latest_abc_snapshot_id

        if latest_abc_snapshot_id() is None:
            raise ValidationError(_("There is no key-account analysis yet, so no ABC classes."))
    clients = matching_clients(actor, segment=segment, abc_class=abc_class, department_id=department_id)
    return _insert_missing(promotion, actor, clients)


@transaction.atomic
def participant_remove(*, actor: User, promotion_id: int, client_id: int) -> None:
    _locked(actor, promotion_id)
    if not policy.visible_clients(actor).filter(pk=client_id).exists():
        raise PermissionDenied
    Participant.objects.filter(promotion_id=promotion_id, client_id=client_id).delete()
