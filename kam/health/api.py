"""Account health as JSON (mounted at /api/health): the latest score of each client the user may see."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.params.functions import Path

from kam.access import policy
from kam.access.models import User
from kam.core.api import READ_ERRORS, KamPagination, Text

from . import presentation, selectors
from .models import HealthSnapshot

router = Router(tags=["health"])
Id = Annotated[int, Path(ge=1, le=2**53)]


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    if not policy.can(user, "health.view_health"):
        raise PermissionDenied
    return user


class HealthSummaryOut(Schema):
    client_id: int
    client: str
    kam: str
    day: date
    score: int
    band: str
    previous_score: int | None = None
    is_key: bool

    @staticmethod
    def resolve_client(obj: HealthSnapshot) -> str:
        return str(obj.client)

    @staticmethod
    def resolve_kam(obj: HealthSnapshot) -> str:
        return str(obj.client.owner)


class HealthComponentOut(Schema):
    name: str
    label: str
    value: str
    status: str
    points: str
    weight: int


class HealthPointOut(Schema):
    day: date
    score: int


class HealthAlertOut(Schema):
    day: date
    kind: str
    score: int
    previous_score: int | None = None
    created_at: datetime


class HealthOut(Schema):
    client_id: int
    client: str
    day: date | None = None
    score: int | None = None
    band: str | None = None
    previous_score: int | None = None
    is_key: bool = False
    components: list[HealthComponentOut]
    history: list[HealthPointOut]
    alerts: list[HealthAlertOut]


class HealthFilter(Schema):
    q: Text = Field("", max_length=100)
    kam: int | None = Field(None, ge=1, le=2**53)
    department: int | None = Field(None, ge=1, le=2**53)
    band: Literal["", "good", "watch", "risk"] = ""
    all: Literal["", "1"] = ""
    sort: Literal["score", "-score", "name", "change", "day"] = "score"


@router.get(
    "",
    response={200: list[HealthSummaryOut], **READ_ERRORS},
    summary="The latest health score of each client the user may see (key clients unless all=1)",
)
@paginate(KamPagination)
def health_list(request: HttpRequest, filters: Query[HealthFilter]) -> QuerySet[HealthSnapshot]:
    user = _user(request)
    return selectors.visible_latest(user, selectors.ListFilter.from_params(filters.dict()))


@router.get(
    "/{client_id}",
    response={200: HealthOut, **READ_ERRORS},
    summary="A client's health: components with value, points and weight; history; early warnings",
)
def health_get(request: HttpRequest, client_id: Id) -> dict[str, Any]:
    user = _user(request)
    client = policy.get_client_for_user(user, client_id, "health.view_client")
    latest = selectors.latest_for(client)
    rows = presentation.component_rows(latest)
    return {
        "client_id": client.pk,
        "client": str(client),
        "day": latest.day if latest else None,
        "score": latest.score if latest else None,
        "band": latest.band if latest else None,
        "previous_score": latest.previous_score if latest else None,
        "is_key": latest.is_key if latest else False,
        "components": [
            {
                "name": r["name"],
                "label": str(r["label"]),
                "value": r["value"],
                "status": r["status"],
                "points": str(r["points"]),
                "weight": int(r["weight"] or 0),
            }
            for r in rows
        ],
        "history": [{"day": s.day, "score": s.score} for s in selectors.client_history(client)],
        "alerts": list(
            selectors.recent_alerts(user, days=365, client=client).values(
                "day", "kind", "score", "previous_score", "created_at"
            )[:50]
        ),
    }
