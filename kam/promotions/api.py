"""Promotions as JSON (mounted at /api/promotions): the pages' access rules and the same selectors."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.params.functions import Path

from kam.access import policy
from kam.access.models import User
from kam.core.api import READ_ERRORS, KamPagination, Message

from . import selectors
from .models import Promotion, PromotionKind, PromotionStatus

router = Router(tags=["promotions"])
Id = Annotated[int, Path(ge=1, le=2**53)]
ERRORS = {**READ_ERRORS, 403: Message}


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


class PromotionOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    rules_text: str
    discount_pct: Decimal | None = None
    volume_threshold: Decimal | None = None
    bonus_pct: Decimal | None = None
    starts_on: date
    ends_on: date
    department_id: int | None = None
    segment: str
    abc_class: str
    participants: int = 0

    @staticmethod
    def resolve_participants(obj: Promotion) -> int:
        return int(getattr(obj, "participants_count", 0) or 0)


class GroupOut(Schema):
    clients: int
    buyers_before: int
    buyers_during: int
    turnover_before: int = Field(description="kopecks")
    turnover_during: int
    income_before: int
    income_during: int


class MetricOut(Schema):
    metric: str
    participant_change_per_client: Decimal | None = None
    control_change_per_client: Decimal | None = None
    did_per_client: Decimal | None = Field(None, description="kopecks per participant")
    did_total: Decimal | None = Field(None, description="kopecks over all participants")
    participant_change_pct: Decimal | None = None
    control_change_pct: Decimal | None = None
    did_pct: Decimal | None = Field(None, description="percentage points")


class EffectOut(Schema):
    during_from: date
    during_to: date
    before_from: date
    before_to: date
    months: int
    partial: bool
    participants: GroupOut
    control: GroupOut
    turnover: MetricOut
    income: MetricOut


class PromotionFilter(Schema):
    q: str = Field("", max_length=100)
    status: Literal["", *PromotionStatus.values] = ""  # type: ignore[valid-type]
    kind: Literal["", *PromotionKind.values] = ""  # type: ignore[valid-type]
    sort: Literal[tuple(selectors.SORTS)] = "-starts"  # type: ignore[valid-type]


@router.get("", response={200: list[PromotionOut], **ERRORS}, summary="Promotions the user may see")
@paginate(KamPagination)
def promotion_list(request: HttpRequest, filters: Query[PromotionFilter]) -> QuerySet[Promotion]:
    user = _user(request)
    if not policy.can(user, "promotions.view_promotions"):
        raise PermissionDenied
    q = filters.q.replace("\x00", "").strip()
    return selectors.promotion_list(user, q=q, status=filters.status, kind=filters.kind, sort=filters.sort)


@router.get("/{promotion_id}", response={200: PromotionOut, **ERRORS}, summary="One programme")
def promotion_get(request: HttpRequest, promotion_id: Id) -> Promotion:
    user = _user(request)
    if not policy.can(user, "promotions.view_promotions"):
        raise PermissionDenied
    promotion = selectors.promotion_for(user, promotion_id)
    promotion.participants_count = selectors.participants_for(user, promotion).count()  # type: ignore[attr-defined]
    return promotion


@router.get(
    "/{promotion_id}/effect",
    response={200: EffectOut | None, **ERRORS},
    summary="Difference-in-differences from the ledger (null before the programme starts)",
)
def promotion_effect(request: HttpRequest, promotion_id: Id) -> dict[str, Any] | None:
    user = _user(request)
    if not policy.can(user, "promotions.view_promotions"):
        raise PermissionDenied
    promotion = selectors.promotion_for(user, promotion_id)
    effect = selectors.promotion_effect(user, promotion)
    if effect is None:
        return None
    w = effect.windows
    return {
        "during_from": w.during_from,
        "during_to": w.during_to,
        "before_from": w.before_from,
        "before_to": w.before_to,
        "months": w.months,
        "partial": w.partial,
        "participants": effect.participants.__dict__,
        "control": effect.control.__dict__,
        "turnover": effect.turnover.__dict__,
        "income": effect.income.__dict__,
    }
