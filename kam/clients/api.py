"""Clients, their dossier and the competitor registry as JSON (mounted at /api/clients and /api/competitors).

Thin on purpose: each endpoint asks kam.access.policy, calls one selector or service and shapes the
answer. Access is the pages' access: a client one may not see is a 404, sales support and finance read
requisites only, sensitive fields are null for those who may not see them, and every dossier read is
written to the audit log with door="api".
"""

from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.params.functions import Path

from kam.access import policy
from kam.access.models import Department, User
from kam.core import audit
from kam.core.api import READ_ERRORS, WRITE_ERRORS, KamPagination, Message

from . import selectors, services
from .models import Client, ClientCompetitor, Competitor, Relationship, Stakeholder
from .schemas import (
    ClientDetailOut,
    ClientIn,
    ClientOut,
    ClientPatch,
    ClientQuery,
    CompetitorIn,
    CompetitorOut,
    CompetitorQuery,
    FinancialIn,
    FinancialOut,
    PresenceIn,
    PresenceOut,
    PresencePatch,
    ReassignIn,
    RelationshipIn,
    RelationshipOut,
    StakeholderIn,
    StakeholderOut,
    StakeholderPatch,
)

router = Router(tags=["clients"])
competitors_router = Router(tags=["competitors"])

Id = Annotated[int, Path(ge=1, le=2**53)]
Year = Annotated[int, Path(ge=1990, le=2100)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _person(user: User) -> dict[str, Any]:
    return {"id": user.pk, "name": str(user)}


def _department(department: Department | None) -> dict[str, Any] | None:
    return None if department is None else {"id": department.pk, "name": department.name}


# ---------------------------------------------------------------- shaping


def _client_fields(client: Client) -> dict[str, Any]:
    return {
        "id": client.pk,
        "short_name": client.short_name,
        "legal_name": client.legal_name,
        "country": client.country,
        "tax_number": client.tax_number,
        "industry": client.industry,
        "region": client.region,
        "segment": client.segment,
        "status": client.status,
        "owner": _person(client.owner),
        "department": _department(client.department),
        "price_column": client.price_column,
        "payment_terms_days": client.payment_terms_days,
        "credit_limit": client.credit_limit,
        "tags": [t.name for t in client.tags.all()],
        "created_at": client.created_at,
        "updated_at": client.updated_at,
    }


def _client_detail(request: HttpRequest, client: Client) -> dict[str, Any]:
    """The client as `user` may read it; a dossier read is recorded."""
    user = _user(request)
    rights = {
        "view_dossier": policy.can(user, "clients.view_dossier", client),
        "change": policy.can(user, "clients.change_client", client),
        "reassign": policy.can(user, "clients.reassign_client", client),
        "view_sensitive": policy.can(user, "clients.view_sensitive", client),
    }
    dossier = None
    if rights["view_dossier"]:
        dossier = {
            "history": client.history,
            "needs": client.needs,
            "plans": client.plans,
            "decision_process": client.decision_process,
            "category_budget": client.category_budget,
            "is_reference": client.is_reference,
            "is_partner": client.is_partner,
            "is_competent": client.is_competent,
            "is_innovator": client.is_innovator,
            "team": [{"user": _person(m.user), "role": m.role} for m in client.team.select_related("user")],
        }
        audit.record_view(user, client, request=request, what="client", door="api")
    return {**_client_fields(client), "dossier": dossier, "rights": rights}


def _stakeholder(person: Stakeholder, sensitive: bool) -> dict[str, Any]:
    return {
        "id": person.pk,
        "full_name": person.full_name,
        "position": person.position,
        "decision_role": person.decision_role,
        "influence": person.influence,
        "attitude": person.attitude,
        "email": person.email,
        "phone": person.phone,
        "last_contact_on": person.last_contact_on,
        "private_notes": person.private_notes if sensitive else None,
    }


def _relationship(relation: Relationship) -> dict[str, Any]:
    return {
        "id": relation.pk,
        "source": {"id": relation.source_id, "name": relation.source.full_name},
        "target": {"id": relation.target_id, "name": relation.target.full_name},
        "kind": relation.kind,
    }


def _presence(item: ClientCompetitor) -> dict[str, Any]:
    return {
        "id": item.pk,
        "competitor": {"id": item.competitor_id, "name": item.competitor.name},
        "supplies": item.supplies,
        "estimated_share": item.estimated_share,
        "price_level": item.price_level,
    }


def _dossier_client(request: HttpRequest, client_id: int, what: str) -> Client:
    """A client whose dossier the user may read (else 404), with the read recorded."""
    user = _user(request)
    client = policy.get_client_for_user(user, client_id, "clients.view_dossier")
    audit.record_view(user, client, request=request, what=what, door="api")
    return client


def _changeable_client(request: HttpRequest, client_id: int) -> Client:
    return policy.get_client_for_user(_user(request), client_id, "clients.change_client")


def _owner_for(user: User, owner_id: int | None) -> User:
    """The KAM a client goes to: one `user` may hand clients to (as on the pages), else 422."""
    if owner_id is None:
        return user
    owner = selectors.kams_visible_to(user).filter(pk=owner_id).first()
    if owner is None:
        raise ValidationError({"owner_id": _("You cannot give a client to this user.")})
    return owner


# ---------------------------------------------------------------- clients


@router.get("", response={200: list[ClientOut], **READ_ERRORS}, summary="List clients you may see")
@paginate(KamPagination)
def list_clients(request: HttpRequest, filters: Query[ClientQuery]) -> QuerySet[Client]:
    flt = selectors.ClientFilter(
        search=filters.q.strip(),
        status=filters.status or "",
        segment=filters.segment or "",
        region=filters.region.strip(),
        owner_id=filters.kam,
        department_id=filters.department,
        tag=filters.tag.strip(),
        sort=filters.sort,
    )
    return selectors.client_list(_user(request), flt)


@router.post("", response={201: ClientDetailOut, **WRITE_ERRORS}, summary="Register a client")
def create_client(request: HttpRequest, payload: ClientIn) -> Status[dict[str, Any]]:
    user = _user(request)
    if not policy.can(user, "clients.add_client"):
        raise HttpError(403, _("Your role cannot register clients."))
    fields = payload.model_dump(exclude={"tags", "owner_id"})
    client = services.client_create(owner=_owner_for(user, payload.owner_id), tags=payload.tags, **fields)
    return Status(
        201, _client_detail(request, policy.get_client_for_user(user, client.pk, "clients.view_requisites"))
    )


@router.get("/{client_id}", response={200: ClientDetailOut, **READ_ERRORS}, summary="One client")
def get_client(request: HttpRequest, client_id: Id) -> dict[str, Any]:
    client = policy.get_client_for_user(_user(request), client_id, "clients.view_requisites")
    return _client_detail(request, client)


@router.patch("/{client_id}", response={200: ClientDetailOut, **WRITE_ERRORS}, summary="Change a client")
def patch_client(request: HttpRequest, client_id: Id, payload: ClientPatch) -> dict[str, Any]:
    user = _user(request)
    client = _changeable_client(request, client_id)
    fields = payload.model_dump(exclude_unset=True)
    tags = fields.pop("tags", None)
    services.client_update(client=client, tags=tags, **fields)
    return _client_detail(request, policy.get_client_for_user(user, client_id, "clients.view_requisites"))


@router.post(
    "/{client_id}/reassign",
    response={200: ClientDetailOut, **WRITE_ERRORS},
    summary="Give a client to another KAM",
)
def reassign_client(request: HttpRequest, client_id: Id, payload: ReassignIn) -> dict[str, Any]:
    user = _user(request)
    client = policy.get_client_for_user(user, client_id, "clients.reassign_client")
    services.client_reassign(client=client, new_owner=_owner_for(user, payload.owner_id))
    client = Client.objects.select_related("owner", "department").get(pk=client.pk)
    return _client_detail(request, client)


# ---------------------------------------------------------------- stakeholders


@router.get(
    "/{client_id}/stakeholders", response={200: list[StakeholderOut], **READ_ERRORS}, summary="Stakeholders"
)
def list_stakeholders(request: HttpRequest, client_id: Id) -> list[dict[str, Any]]:
    client = _dossier_client(request, client_id, "stakeholders")
    sensitive = policy.can(_user(request), "clients.view_sensitive", client)
    return [_stakeholder(s, sensitive) for s in client.stakeholders.all()]


def _stakeholder_fields(request: HttpRequest, client: Client, fields: dict[str, Any]) -> dict[str, Any]:
    if "private_notes" in fields and not policy.can(_user(request), "clients.view_sensitive", client):
        raise HttpError(403, _("You may not write private notes on this client's people."))
    return fields


@router.post(
    "/{client_id}/stakeholders", response={201: StakeholderOut, **WRITE_ERRORS}, summary="Add a stakeholder"
)
def create_stakeholder(request: HttpRequest, client_id: Id, payload: StakeholderIn) -> Status[dict[str, Any]]:
    client = _changeable_client(request, client_id)
    fields = _stakeholder_fields(request, client, payload.model_dump(exclude_unset=True))
    person = services.stakeholder_save(client=client, **fields)
    return Status(201, _stakeholder(person, policy.can(_user(request), "clients.view_sensitive", client)))


@router.patch(
    "/{client_id}/stakeholders/{stakeholder_id}",
    response={200: StakeholderOut, **WRITE_ERRORS},
    summary="Change a stakeholder",
)
def patch_stakeholder(
    request: HttpRequest, client_id: Id, stakeholder_id: Id, payload: StakeholderPatch
) -> dict[str, Any]:
    client = _changeable_client(request, client_id)
    person = get_object_or_404(Stakeholder, pk=stakeholder_id, client=client)
    fields = _stakeholder_fields(request, client, payload.model_dump(exclude_unset=True))
    person = services.stakeholder_save(client=client, stakeholder=person, **fields)
    return _stakeholder(person, policy.can(_user(request), "clients.view_sensitive", client))


@router.delete(
    "/{client_id}/stakeholders/{stakeholder_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a stakeholder (and their relationships)",
)
def delete_stakeholder(request: HttpRequest, client_id: Id, stakeholder_id: Id) -> Status[None]:
    client = _changeable_client(request, client_id)
    person = get_object_or_404(Stakeholder, pk=stakeholder_id, client=client)
    services.stakeholder_delete(stakeholder=person)
    return Status(204, None)


# ---------------------------------------------------------------- relationships


@router.get(
    "/{client_id}/relationships",
    response={200: list[RelationshipOut], **READ_ERRORS},
    summary="The relationship map's edges",
)
def list_relationships(request: HttpRequest, client_id: Id) -> list[dict[str, Any]]:
    client = _dossier_client(request, client_id, "relationships")
    relations = client.relationships.select_related("source", "target").order_by("id")
    return [_relationship(r) for r in relations]


@router.post(
    "/{client_id}/relationships",
    response={201: RelationshipOut, **WRITE_ERRORS},
    summary="Draw a relationship between two stakeholders",
)
def create_relationship(
    request: HttpRequest, client_id: Id, payload: RelationshipIn
) -> Status[dict[str, Any]]:
    client = _changeable_client(request, client_id)
    people = {s.pk: s for s in client.stakeholders.filter(pk__in=[payload.source_id, payload.target_id])}
    if payload.source_id not in people or payload.target_id not in people:
        raise ValidationError(_("Both people must be stakeholders of this client."))
    relation = services.relationship_create(
        client=client, source=people[payload.source_id], target=people[payload.target_id], kind=payload.kind
    )
    return Status(201, _relationship(relation))


@router.delete(
    "/{client_id}/relationships/{relationship_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a relationship",
)
def delete_relationship(request: HttpRequest, client_id: Id, relationship_id: Id) -> Status[None]:
    client = _changeable_client(request, client_id)
    relation = get_object_or_404(Relationship, pk=relationship_id, client=client)
    services.relationship_delete(relationship=relation)
    return Status(204, None)


# ---------------------------------------------------------------- competitor presence at a client


@router.get(
    "/{client_id}/competitors",
    response={200: list[PresenceOut], **READ_ERRORS},
    summary="Which competitors supply this client",
)
def list_presences(request: HttpRequest, client_id: Id) -> list[dict[str, Any]]:
    client = _dossier_client(request, client_id, "competitors")
    return [_presence(p) for p in client.competitors.select_related("competitor")]


def _competitor(competitor_id: int) -> Competitor:
    competitor = Competitor.objects.filter(pk=competitor_id).first()
    if competitor is None:
        raise ValidationError({"competitor_id": _("No such competitor in the registry.")})
    return competitor


@router.post(
    "/{client_id}/competitors",
    response={201: PresenceOut, **WRITE_ERRORS},
    summary="Record a competitor at this client",
)
def create_presence(request: HttpRequest, client_id: Id, payload: PresenceIn) -> Status[dict[str, Any]]:
    client = _changeable_client(request, client_id)
    fields = payload.model_dump(exclude={"competitor_id"})
    item = services.client_competitor_save(
        client=client, competitor=_competitor(payload.competitor_id), **fields
    )
    item.refresh_from_db()  # answer with what was stored (35.5 is kept as 35.50)
    return Status(201, _presence(item))


@router.patch(
    "/{client_id}/competitors/{presence_id}",
    response={200: PresenceOut, **WRITE_ERRORS},
    summary="Change a competitor's presence",
)
def patch_presence(
    request: HttpRequest, client_id: Id, presence_id: Id, payload: PresencePatch
) -> dict[str, Any]:
    client = _changeable_client(request, client_id)
    item = get_object_or_404(
        ClientCompetitor.objects.select_related("competitor"), pk=presence_id, client=client
    )
    fields = payload.model_dump(exclude_unset=True)
    competitor_id = fields.pop("competitor_id", None)
    competitor = item.competitor if competitor_id is None else _competitor(competitor_id)
    item = services.client_competitor_save(client=client, competitor=competitor, presence=item, **fields)
    item.refresh_from_db()
    return _presence(item)


@router.delete(
    "/{client_id}/competitors/{presence_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a competitor from this client",
)
def delete_presence(request: HttpRequest, client_id: Id, presence_id: Id) -> Status[None]:
    client = _changeable_client(request, client_id)
    item = get_object_or_404(ClientCompetitor, pk=presence_id, client=client)
    services.client_competitor_delete(presence=item)
    return Status(204, None)


# ---------------------------------------------------------------- financial indicators


def _financial(indicator: Any) -> dict[str, Any]:
    return {
        "year": indicator.year,
        "revenue": indicator.revenue,
        "profit": indicator.profit,
        "employees": indicator.employees,
    }


@router.get(
    "/{client_id}/financials",
    response={200: list[FinancialOut], **READ_ERRORS},
    summary="Yearly financial indicators, newest first",
)
def list_financials(request: HttpRequest, client_id: Id) -> list[dict[str, Any]]:
    client = _dossier_client(request, client_id, "financials")
    return [_financial(f) for f in client.financials.all()]


@router.put(
    "/{client_id}/financials/{year}",
    response={200: FinancialOut, **WRITE_ERRORS},
    summary="Set one year's indicators (fields left out are cleared)",
)
def put_financial(request: HttpRequest, client_id: Id, year: Year, payload: FinancialIn) -> dict[str, Any]:
    client = _changeable_client(request, client_id)
    indicator = services.financial_indicator_save(client=client, year=year, **payload.model_dump())
    indicator.refresh_from_db()
    return _financial(indicator)


# ---------------------------------------------------------------- competitor registry


@competitors_router.get(
    "", response={200: list[CompetitorOut], **READ_ERRORS, 403: Message}, summary="The competitor registry"
)
@paginate(KamPagination)
def list_competitors(request: HttpRequest, filters: Query[CompetitorQuery]) -> QuerySet[Competitor]:
    if not policy.can(_user(request), "clients.view_competitors"):
        raise HttpError(403, _("Your role does not work with the competitor registry."))
    qs = Competitor.objects.order_by("name", "id")
    term = filters.q.strip()
    return qs.filter(name__icontains=term) if term else qs


@competitors_router.post(
    "", response={201: CompetitorOut, **WRITE_ERRORS}, summary="Add a competitor to the registry"
)
def create_competitor(request: HttpRequest, payload: CompetitorIn) -> Status[Competitor]:
    if not policy.can(_user(request), "clients.add_competitor"):
        raise HttpError(403, _("Your role does not work with the competitor registry."))
    with transaction.atomic():
        competitor = services.competitor_create(**payload.model_dump())
    return Status(201, competitor)
