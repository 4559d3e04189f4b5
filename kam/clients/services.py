"""Writes on clients and their dossier. Each function validates, saves atomically and returns the object.

Permission is checked by the caller (page or API) through kam.access.policy; these functions assume it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kam.access.models import Role, User

from .models import (
    Client,
    ClientCompetitor,
    Competitor,
    FinancialIndicator,
    Relationship,
    Stakeholder,
    Tag,
    TeamMember,
)

CLIENT_FIELDS = {
    "legal_name",
    "short_name",
    "country",
    "tax_number",
    "industry",
    "region",
    "segment",
    "status",
    "price_column",
    "payment_terms_days",
    "credit_limit",
    "history",
    "needs",
    "plans",
    "decision_process",
    "category_budget",
    "is_reference",
    "is_partner",
    "is_competent",
    "is_innovator",
}


def _check_owner(owner: User) -> None:
    if owner.role not in (Role.KAM, Role.HEAD) or not owner.is_active:
        raise ValidationError({"owner": _("A client's KAM must be an active key account manager or head.")})


def _apply(client: Client, fields: dict[str, Any]) -> None:
    unknown = set(fields) - CLIENT_FIELDS
    if unknown:
        raise ValidationError(_("Unknown client fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(client, name, value)


@transaction.atomic
def client_create(*, owner: User, tags: list[str] | None = None, **fields: Any) -> Client:
    _check_owner(owner)
    client = Client(owner=owner, department_id=owner.department_id)
    _apply(client, fields)
    client.full_clean()
    client.save()
    if tags is not None:
        client_set_tags(client=client, tags=tags)
    return client


@transaction.atomic
def client_update(*, client: Client, tags: list[str] | None = None, **fields: Any) -> Client:
    client = Client.objects.select_for_update().get(pk=client.pk)
    _apply(client, fields)
    client.full_clean()
    client.save()
    if tags is not None:
        client_set_tags(client=client, tags=tags)
    return client


@transaction.atomic
def client_reassign(*, client: Client, new_owner: User) -> Client:
    """Give the client to another KAM; the client follows the new KAM's department."""
    _check_owner(new_owner)
    client = Client.objects.select_for_update().get(pk=client.pk)
    client.owner = new_owner
    client.department_id = new_owner.department_id
    client.full_clean()
    client.save()
    return client


def client_set_tags(*, client: Client, tags: list[str]) -> None:
    names = sorted({t.strip()[:60] for t in tags if t.strip()})
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n) for n in names if n not in existing]
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    client.tags.set(Tag.objects.filter(name__in=names))


@transaction.atomic
def team_member_add(*, client: Client, user: User, role: str = "") -> TeamMember:
    if user.role not in (Role.KAM, Role.HEAD):
        raise ValidationError({"user": _("Only KAMs and heads can be on an account team.")})
    member, _created = TeamMember.objects.update_or_create(client=client, user=user, defaults={"role": role})
    return member


def team_member_remove(*, client: Client, user: User) -> None:
    TeamMember.objects.filter(client=client, user=user).delete()


STAKEHOLDER_FIELDS = {
    "full_name",
    "position",
    "decision_role",
    "influence",
    "attitude",
    "email",
    "phone",
    "private_notes",
    "last_contact_on",
}


@transaction.atomic
def stakeholder_save(*, client: Client, stakeholder: Stakeholder | None = None, **fields: Any) -> Stakeholder:
    unknown = set(fields) - STAKEHOLDER_FIELDS
    if unknown:
        raise ValidationError(
            _("Unknown stakeholder fields: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    person = stakeholder or Stakeholder(client=client)
    if person.client_id != client.pk:
        raise ValidationError(_("This stakeholder belongs to another client."))
    for name, value in fields.items():
        setattr(person, name, value)
    person.full_clean()
    person.save()
    return person


def stakeholder_delete(*, stakeholder: Stakeholder) -> None:
    stakeholder.delete()


@transaction.atomic
def relationship_create(
    *, client: Client, source: Stakeholder, target: Stakeholder, kind: str
) -> Relationship:
    if source.client_id != client.pk or target.client_id != client.pk:
        raise ValidationError(_("Both people must be stakeholders of this client."))
    if source.pk == target.pk:
        raise ValidationError(_("A person cannot be related to themself."))
    if Relationship.objects.filter(source=source, target=target, kind=kind).exists():
        raise ValidationError(_("This relationship is already on the map."))
    relation = Relationship(client=client, source=source, target=target, kind=kind)
    relation.full_clean()
    relation.save()
    return relation


def relationship_delete(*, relationship: Relationship) -> None:
    relationship.delete()


def competitor_get_or_create(*, name: str) -> Competitor:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Name the competitor.")})
    competitor, _created = Competitor.objects.get_or_create(name=name)
    return competitor


@transaction.atomic
def competitor_create(
    *, name: str, website: str = "", strengths: str = "", weaknesses: str = ""
) -> Competitor:
    """A new entry in the registry; a name already there is refused (names are unique)."""
    competitor = Competitor(
        name=name.strip(), website=website.strip(), strengths=strengths, weaknesses=weaknesses
    )
    competitor.full_clean()
    competitor.save()
    return competitor


def client_competitor_delete(*, presence: ClientCompetitor) -> None:
    presence.delete()


@transaction.atomic
def client_competitor_save(
    *, client: Client, competitor: Competitor, presence: ClientCompetitor | None = None, **fields: Any
) -> ClientCompetitor:
    item = presence or ClientCompetitor(client=client)
    item.competitor = competitor
    for name in ("supplies", "estimated_share", "price_level"):
        if name in fields:
            setattr(item, name, fields[name])
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def financial_indicator_save(*, client: Client, year: int, **fields: Any) -> FinancialIndicator:
    indicator = FinancialIndicator.objects.filter(client=client, year=year).first() or FinancialIndicator(
        client=client, year=year
    )
    for name in ("revenue", "profit", "employees"):
        if name in fields:
            setattr(indicator, name, fields[name])
    indicator.full_clean()
    indicator.save()
    return indicator
