"""Contracts with their clauses, and claims, as JSON (mounted at /api/contracts).

The pages' rules: the sales side that sees the client's dossier sees its contracts and claims (a KAM
their own and deputised clients, a head the department, the director all); sales support and finance
get 403; a contract or claim of a client the user may not see is a 404, and nothing is changed.
"""

from datetime import date
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.params.functions import Path
from pydantic import AfterValidator

from kam.access import policy
from kam.access.models import Role, User
from kam.core.api import READ_ERRORS, WRITE_ERRORS, DbId, KamPagination, StrictIn, Text, optional

from . import selectors, services
from .models import Claim, ClaimKind, ClaimStatus, Contract, ContractStatus

router = Router(tags=["contracts"])
Id = Annotated[int, Path(ge=1, le=2**53)]
VIEW = "contracts.view_contracts"
VIEW_CLAIMS = "contracts.view_claims"
CHANGE_CLAIM = "contracts.change_claim"


def _sane_day(value: date) -> date:
    if not 1900 <= value.year <= 2200:
        raise ValueError("the year must be between 1900 and 2200")
    return value


Day = Annotated[date, AfterValidator(_sane_day)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _require(user: User, perm: str) -> None:
    if not policy.can(user, perm):
        raise PermissionDenied


# ------------------------------------------------------------------------------------------ contracts


class ClauseOut(Schema):
    id: int
    text: str
    obligation_of: str
    due_on: date | None = None
    responsible_id: int | None = None
    responsible: str | None = None
    done_on: date | None = None


class ContractSummaryOut(Schema):
    id: int
    client_id: int
    client: str
    number: str
    title: str
    signed_on: date | None = None
    starts_on: date
    ends_on: date
    status: str
    auto_renewal: bool
    renewal_notice_days: int
    owner_id: int
    owner: str
    open_clauses: int

    @staticmethod
    def resolve_client(obj: Contract) -> str:
        return obj.client.short_name

    @staticmethod
    def resolve_owner(obj: Contract) -> str:
        return str(obj.owner)


class ContractOut(Schema):
    id: int
    client_id: int
    client: str
    number: str
    title: str
    signed_on: date | None = None
    starts_on: date
    ends_on: date
    status: str
    auto_renewal: bool
    renewal_notice_days: int
    renewal_due_from: date
    owner_id: int
    owner: str
    notes: str
    clauses: list[ClauseOut] = []


class ContractFilter(Schema):
    status: Literal["", *ContractStatus.values] = ""  # type: ignore[valid-type]
    client: int | None = Field(None, ge=1, le=2**53)
    q: Text = Field("", max_length=100)


@router.get("", response={200: list[ContractSummaryOut], **READ_ERRORS}, summary="Contracts the user may see")
@paginate(KamPagination)
def contract_list(request: HttpRequest, filters: Query[ContractFilter]) -> QuerySet[Contract]:
    user = _user(request)
    _require(user, VIEW)
    return selectors.contract_list(user, status=filters.status, q=filters.q.strip(), client_id=filters.client)


# ---------------------------------------------------------------------------------------------- claims
# (declared before /{contract_id} so that /claims is never read as a contract id)


class ClaimOut(Schema):
    id: int
    client_id: int
    client: str
    kind: str
    subject: str
    description: str
    registered_on: date
    assigned_to_id: int
    assigned_to: str
    deadline: date | None = None
    status: str
    resolution: str
    resolved_on: date | None = None

    @staticmethod
    def resolve_client(obj: Any) -> str:
        return obj["client"] if isinstance(obj, dict) else obj.client.short_name

    @staticmethod
    def resolve_assigned_to(obj: Any) -> str:
        return obj["assigned_to"] if isinstance(obj, dict) else str(obj.assigned_to)


class ClaimFilter(Schema):
    status: Literal["open_any", "all", *ClaimStatus.values] = "all"  # type: ignore[valid-type]
    kind: Literal["", *ClaimKind.values] = ""  # type: ignore[valid-type]
    client: int | None = Field(None, ge=1, le=2**53)
    q: Text = Field("", max_length=100)


@router.get(
    "/claims",
    response={200: list[ClaimOut], **READ_ERRORS},
    summary="Claims, complaints and conflicts the user may see (overdue open ones first)",
)
@paginate(KamPagination)
def claim_list(request: HttpRequest, filters: Query[ClaimFilter]) -> QuerySet[Claim]:
    user = _user(request)
    _require(user, VIEW_CLAIMS)
    status = "" if filters.status == "all" else filters.status
    return selectors.claim_list(
        user, status=status, kind=filters.kind, q=filters.q.strip(), client_id=filters.client
    )


@router.get("/claims/{claim_id}", response={200: ClaimOut, **READ_ERRORS}, summary="One claim")
def claim_get(request: HttpRequest, claim_id: Id) -> Claim:
    user = _user(request)
    _require(user, VIEW_CLAIMS)
    return selectors.claim_for(user, claim_id)


def _assignee(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    person = User.objects.filter(pk=user_id, is_active=True).exclude(role=Role.NONE).first()
    if person is None:
        raise ValidationError({"assigned_to_id": ["No such active user."]})
    return person


class ClaimIn(StrictIn):
    client_id: DbId
    kind: ClaimKind = ClaimKind.CLAIM
    subject: Text = Field(min_length=1, max_length=200)
    description: Text = Field("", max_length=10000)
    registered_on: Day | None = None
    assigned_to_id: DbId | None = None
    deadline: Day | None = None
    status: ClaimStatus = ClaimStatus.OPEN
    resolution: Text = Field("", max_length=10000)


@router.post("/claims", response={201: ClaimOut, **WRITE_ERRORS}, summary="Register a claim")
def claim_create(request: HttpRequest, payload: ClaimIn) -> Status:
    user = _user(request)
    _require(user, CHANGE_CLAIM)
    client = policy.get_client_for_user(user, payload.client_id, CHANGE_CLAIM)
    data = payload.model_dump(exclude={"client_id", "assigned_to_id"})
    if data["registered_on"] is None:
        data.pop("registered_on")
    if payload.assigned_to_id is not None:
        data["assigned_to"] = _assignee(payload.assigned_to_id)
    claim = services.claim_create(user=user, client=client, data=data)
    return Status(201, selectors.claim_for(user, claim.pk))


class ClaimPatch(StrictIn):
    kind: ClaimKind = optional()
    subject: Text = optional(min_length=1, max_length=200)
    description: Text = optional(max_length=10000)
    registered_on: Day = optional()
    assigned_to_id: DbId = optional()
    deadline: Day | None = optional()
    status: ClaimStatus = optional()
    resolution: Text = optional(max_length=10000)


@router.patch("/claims/{claim_id}", response={200: ClaimOut, **WRITE_ERRORS}, summary="Change a claim")
def claim_patch(request: HttpRequest, claim_id: Id, payload: ClaimPatch) -> Claim:
    user = _user(request)
    _require(user, VIEW_CLAIMS)
    claim = selectors.claim_for(user, claim_id)
    if not policy.can(user, CHANGE_CLAIM, claim.client):
        raise PermissionDenied
    data = payload.model_dump(exclude_unset=True)
    for name in ("kind", "subject", "description", "registered_on", "assigned_to_id", "status", "resolution"):
        if name in data and data[name] is None:
            raise ValidationError({name: ["This field may not be null."]})
    if "assigned_to_id" in data:
        data["assigned_to"] = _assignee(data.pop("assigned_to_id"))
    services.claim_update(user=user, claim=claim, data=data)
    return selectors.claim_for(user, claim.pk)


# ------------------------------------------------------------------------------------ one contract


@router.get(
    "/{contract_id}", response={200: ContractOut, **READ_ERRORS}, summary="One contract with its clauses"
)
def contract_get(request: HttpRequest, contract_id: Id) -> dict[str, Any]:
    user = _user(request)
    _require(user, VIEW)
    contract = selectors.contract_for(user, contract_id)
    return {
        "id": contract.pk,
        "client_id": contract.client_id,
        "client": contract.client.short_name,
        "number": contract.number,
        "title": contract.title,
        "signed_on": contract.signed_on,
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "status": contract.status,
        "auto_renewal": contract.auto_renewal,
        "renewal_notice_days": contract.renewal_notice_days,
        "renewal_due_from": contract.renewal_due_from,
        "owner_id": contract.owner_id,
        "owner": str(contract.owner),
        "notes": contract.notes,
        "clauses": [
            {
                "id": clause.pk,
                "text": clause.text,
                "obligation_of": clause.obligation_of,
                "due_on": clause.due_on,
                "responsible_id": clause.responsible_id,
                "responsible": str(clause.responsible) if clause.responsible else None,
                "done_on": clause.done_on,
            }
            for clause in contract.clauses.select_related("responsible").order_by("due_on", "pk")
        ],
    }
