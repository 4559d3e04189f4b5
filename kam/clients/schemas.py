"""Typed input and output of the clients API (django-ninja / pydantic).

Input schemas are strict: unknown fields are refused, text is checked for characters no database
can store, and PATCH schemas accept a field left out but never a null where the model has none.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import field_validator

from kam.core.api import DbId, StrictIn, Text, optional

from .models import Attitude, ClientStatus, DecisionRole, RelationKind, Segment
from .selectors import SORTS

Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2, allow_inf_nan=False)]
BigMoney = Annotated[Decimal, Field(max_digits=18, decimal_places=2, allow_inf_nan=False)]


# ---------------------------------------------------------------- shared


class PersonRef(Schema):
    id: int
    name: str


class DepartmentRef(Schema):
    id: int
    name: str


# ---------------------------------------------------------------- clients


class ClientQuery(Schema):
    q: Text = Field("", max_length=100, description="Name, or the start of a tax number")
    status: ClientStatus | None = None
    segment: Segment | None = None
    region: Text = Field("", max_length=120)
    kam: DbId | None = Field(None, description="Owner KAM's user id")
    department: DbId | None = None
    tag: Text = Field("", max_length=60)
    sort: str = Field("name", json_schema_extra={"enum": list(SORTS)})

    @field_validator("sort")
    @classmethod
    def _known_sort(cls, value: str) -> str:
        if value not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")
        return value


class ClientFields(Schema):
    """What every role that sees the client may read: its requisites."""

    id: int
    short_name: str
    legal_name: str
    country: str
    tax_number: str
    industry: str
    region: str
    segment: Segment
    status: ClientStatus
    owner: PersonRef
    department: DepartmentRef | None
    price_column: int
    payment_terms_days: int
    credit_limit: Decimal
    tags: list[str]
    created_at: datetime
    updated_at: datetime


class ClientOut(ClientFields):
    """A client in a list, read straight from the model (owner, department and tags selected with it)."""

    @staticmethod
    def resolve_owner(obj: Any) -> dict[str, Any]:
        return {"id": obj.owner_id, "name": str(obj.owner)}

    @staticmethod
    def resolve_department(obj: Any) -> dict[str, Any] | None:
        return None if obj.department is None else {"id": obj.department_id, "name": obj.department.name}

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return [t.name for t in obj.tags.all()]


class TeamMemberOut(Schema):
    user: PersonRef
    role: str


class DossierOut(Schema):
    history: str
    needs: str
    plans: str
    decision_process: str
    category_budget: Decimal | None
    is_reference: bool
    is_partner: bool
    is_competent: bool
    is_innovator: bool
    team: list[TeamMemberOut]


class ClientRights(Schema):
    view_dossier: bool
    change: bool
    reassign: bool
    view_sensitive: bool


class ClientDetailOut(ClientFields):
    dossier: DossierOut | None = Field(
        description="Null for roles that may read the requisites only (sales support, finance)"
    )
    rights: ClientRights


class ClientIn(StrictIn):
    legal_name: Text = Field(min_length=1, max_length=300)
    short_name: Text = Field(min_length=1, max_length=120)
    country: str = Field("RU", pattern=r"^[A-Z]{2}$")
    tax_number: Text = Field("", max_length=20)
    industry: Text = Field("", max_length=120)
    region: Text = Field("", max_length=120)
    segment: Segment = Segment.MEDIUM
    status: ClientStatus = ClientStatus.ACTIVE
    price_column: int = Field(1, ge=1, le=10)
    payment_terms_days: int = Field(30, ge=0, le=365)
    credit_limit: Money = Decimal(0)
    history: Text = ""
    needs: Text = ""
    plans: Text = ""
    decision_process: Text = ""
    category_budget: Money | None = None
    is_reference: bool = False
    is_partner: bool = False
    is_competent: bool = False
    is_innovator: bool = False
    tags: list[Annotated[Text, Field(max_length=60)]] = Field(default_factory=list, max_length=50)
    owner_id: DbId | None = Field(None, description="The KAM who will own the client; yourself if left out")


class ClientPatch(StrictIn):
    legal_name: Text = optional(min_length=1, max_length=300)
    short_name: Text = optional(min_length=1, max_length=120)
    country: str = optional(pattern=r"^[A-Z]{2}$")
    tax_number: Text = optional(max_length=20)
    industry: Text = optional(max_length=120)
    region: Text = optional(max_length=120)
    segment: Segment = optional()
    status: ClientStatus = optional()
    price_column: int = optional(ge=1, le=10)
    payment_terms_days: int = optional(ge=0, le=365)
    credit_limit: Money = optional()
    history: Text = optional()
    needs: Text = optional()
    plans: Text = optional()
    decision_process: Text = optional()
    category_budget: Money | None = optional()
    is_reference: bool = optional()
    is_partner: bool = optional()
    is_competent: bool = optional()
    is_innovator: bool = optional()
    tags: list[Annotated[Text, Field(max_length=60)]] = optional(max_length=50)


class ReassignIn(StrictIn):
    owner_id: DbId


# ---------------------------------------------------------------- stakeholders


class StakeholderOut(Schema):
    id: int
    full_name: str
    position: str
    decision_role: DecisionRole
    influence: int
    attitude: Attitude
    email: str
    phone: str
    last_contact_on: date | None
    private_notes: str | None = Field(description="Null unless you may see sensitive fields")


class StakeholderIn(StrictIn):
    full_name: Text = Field(min_length=1, max_length=200)
    position: Text = Field("", max_length=200)
    decision_role: DecisionRole = DecisionRole.USER
    influence: int = Field(3, ge=1, le=5)
    attitude: Attitude = Attitude.NEUTRAL
    email: Text = Field("", max_length=254)
    phone: Text = Field("", max_length=40)
    private_notes: Text = ""
    last_contact_on: date | None = None


class StakeholderPatch(StrictIn):
    full_name: Text = optional(min_length=1, max_length=200)
    position: Text = optional(max_length=200)
    decision_role: DecisionRole = optional()
    influence: int = optional(ge=1, le=5)
    attitude: Attitude = optional()
    email: Text = optional(max_length=254)
    phone: Text = optional(max_length=40)
    private_notes: Text = optional()
    last_contact_on: date | None = optional()


# ---------------------------------------------------------------- relationships


class RelationshipOut(Schema):
    id: int
    source: PersonRef
    target: PersonRef
    kind: RelationKind


class RelationshipIn(StrictIn):
    source_id: DbId
    target_id: DbId
    kind: RelationKind


# ---------------------------------------------------------------- competitors


class CompetitorOut(Schema):
    id: int
    name: str
    website: str
    strengths: str
    weaknesses: str


class CompetitorIn(StrictIn):
    name: Text = Field(min_length=1, max_length=200)
    website: Text = Field("", max_length=200)
    strengths: Text = ""
    weaknesses: Text = ""


class CompetitorQuery(Schema):
    q: Text = Field("", max_length=100, description="Part of the name")


class CompetitorRef(Schema):
    id: int
    name: str


class PresenceOut(Schema):
    id: int
    competitor: CompetitorRef
    supplies: str
    estimated_share: Decimal
    price_level: str


Share = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2, allow_inf_nan=False)]


class PresenceIn(StrictIn):
    competitor_id: DbId
    supplies: Text = Field("", max_length=300)
    estimated_share: Share
    price_level: Text = Field("", max_length=100)


class PresencePatch(StrictIn):
    competitor_id: DbId = optional()
    supplies: Text = optional(max_length=300)
    estimated_share: Share = optional()
    price_level: Text = optional(max_length=100)


# ---------------------------------------------------------------- financial indicators


class FinancialOut(Schema):
    year: int
    revenue: Decimal | None
    profit: Decimal | None
    employees: int | None


class FinancialIn(StrictIn):
    revenue: BigMoney | None = None
    profit: BigMoney | None = None
    employees: int | None = Field(None, ge=0, le=2_147_483_647)
