"""Writes on clients and their dossier. Each function validates, saves atomically and returns the object.

Permission is checked by the caller (page or API) through kam.access.policy; these functions assume it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from kam.access.models import Role, User

from .models import (
    Client,
    ClientCompetitor,
    Competitor,
    FinancialIndicator,
    RelationKind,
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
    if user.role not in (Role.KAM, Role.HEAD) or not user.is_active:
        raise ValidationError({"user": _("Only active KAMs and heads can be on an account team.")})
    if user.pk == client.owner_id:
        raise ValidationError({"user": _("%(name)s is already this client's KAM.") % {"name": user}})
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


@transaction.atomic
def stakeholder_delete(*, stakeholder: Stakeholder) -> None:
    """Removes the person and, with them, their lines on the relationship map."""
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
    if (
        kind in SYMMETRIC_RELATIONS
        and Relationship.objects.filter(source=target, target=source, kind=kind).exists()
    ):
        # "A allied with B" is "B allied with A": one line on the map, not two.
        raise ValidationError(_("This relationship is already on the map."))
    if (
        kind == RelationKind.REPORTS_TO
        and Relationship.objects.filter(source=target, target=source, kind=kind).exists()
    ):
        raise ValidationError(
            _("%(target)s already reports to %(source)s: two people cannot report to each other.")
            % {"target": target, "source": source}
        )
    relation = Relationship(client=client, source=source, target=target, kind=kind)
    relation.full_clean()
    relation.save()
    return relation


SYMMETRIC_RELATIONS = (RelationKind.ALLIED, RelationKind.RIVAL)


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
    # Lock the client so two people adding shares at once cannot pass 100 % together.
    Client.objects.select_for_update().filter(pk=client.pk).first()
    item = presence or ClientCompetitor(client=client)
    if item.client_id != client.pk:
        raise ValidationError(_("This record belongs to another client."))
    others = ClientCompetitor.objects.filter(client=client).exclude(pk=item.pk)
    if others.filter(competitor=competitor).exists():
        raise ValidationError(
            {
                "competitor": _("%(name)s is already recorded at this client: change that row instead.")
                % {"name": competitor}
            }
        )
    item.competitor = competitor
    for name in ("supplies", "estimated_share", "price_level"):
        if name in fields:
            setattr(item, name, fields[name])
    item.full_clean()
    taken = others.aggregate(total=Sum("estimated_share"))["total"] or Decimal(0)
    if taken + item.estimated_share > 100:
        raise ValidationError(
            {
                "estimated_share": _(
                    "Competitors' shares at this client would add up to %(total)s %%; "
                    "the others already hold %(taken)s %%, so at most %(left)s %% is left."
                )
                % {
                    "total": _plain(taken + item.estimated_share),
                    "taken": _plain(taken),
                    "left": _plain(max(Decimal(100) - taken, Decimal(0))),
                }
            }
        )
    item.save()
    return item


def _plain(number: Decimal) -> str:
    """12.50 → 12.5, 40.00 → 40."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _refuse_taken_year(client: Client, year: int, indicator: FinancialIndicator | None = None) -> None:
    taken = FinancialIndicator.objects.filter(client=client, year=year)
    if indicator is not None:
        taken = taken.exclude(pk=indicator.pk)
    if taken.exists():
        message = _("Figures for %(year)s are already recorded: change that row instead.") % {"year": year}
        raise ValidationError({"year": message})


@transaction.atomic
def financial_indicator_create(*, client: Client, year: int, **fields: Any) -> FinancialIndicator:
    """A new year of figures; a year already recorded is refused (use update or save)."""
    _refuse_taken_year(client, year)
    return financial_indicator_save(client=client, year=year, **fields)


@transaction.atomic
def financial_indicator_update(
    *, indicator: FinancialIndicator, year: int, **fields: Any
) -> FinancialIndicator:
    """Change a recorded year, possibly moving it to another year that is still free."""
    indicator = FinancialIndicator.objects.select_for_update().get(pk=indicator.pk)
    _refuse_taken_year(indicator.client, year, indicator)
    indicator.year = year
    for name in ("revenue", "profit", "employees"):
        if name in fields:
            setattr(indicator, name, fields[name])
    indicator.full_clean()
    indicator.save()
    return indicator


def financial_indicator_delete(*, indicator: FinancialIndicator) -> None:
    indicator.delete()


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
