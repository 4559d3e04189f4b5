"""Segments as JSON (mounted at /api/segments): history, trend and forecast, and proposals."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Segment
from kam.core.api import READ_ERRORS, WRITE_ERRORS, KamPagination, Message, StrictIn, Text

from . import selectors, services
from .models import ProposalStatus, SegmentProposal

router = Router(tags=["segments"])
ERRORS = {**READ_ERRORS, 403: Message}


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    if not policy.can(user, "segments.view_segments"):
        raise PermissionDenied
    return user


def _segment(key: str) -> str:
    if key not in Segment.values:
        raise Http404("No such segment")
    return key


class SegmentOut(Schema):
    segment: str
    label: str
    turnover_12: int = Field(description="kopecks, last 12 complete months")
    turnover_prev_12: int
    income_12: int
    buyers_last_month: int
    trend_pct: Decimal | None = None


@router.get("", response={200: list[SegmentOut], **ERRORS}, summary="Every segment with its 12-month trend")
def segment_list(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request)
    return [
        {
            "segment": s.key,
            "label": s.label,
            "turnover_12": s.turnover_12,
            "turnover_prev_12": s.turnover_prev_12,
            "income_12": s.income_12,
            "buyers_last_month": s.buyers_last,
            "trend_pct": s.trend_pct,
        }
        for s in summaries_for(user)
    ]


def summaries_for(user: User) -> list[selectors.SegmentSummary]:
    return selectors.segment_summaries(user)


class MonthOut(Schema):
    month: date
    value: float


class HeldOutOut(Schema):
    month: date
    actual: float
    predicted: float


class ForecastOut(Schema):
    segment: str
    metric: str
    model: str
    history: list[MonthOut]
    forecast: list[MonthOut]
    holdout_model: str
    holdout: list[HeldOutOut]
    mae: float | None = None
    mape: float | None = Field(None, description="a fraction: 0.12 = 12 %")


class ForecastQuery(Schema):
    metric: Literal["turnover", "income", "buyers"] = "turnover"
    horizon: int = Field(3, ge=1, le=selectors.MAX_HORIZON)


@router.get(
    "/{segment}/forecast",
    response={200: ForecastOut, **ERRORS},
    summary="Monthly history and forecast of a segment, with the error on the last 3 held-out months",
)
def segment_forecast(request: HttpRequest, segment: str, params: Query[ForecastQuery]) -> dict[str, Any]:
    user = _user(request)
    segment = _segment(segment)
    series = selectors.segment_series(user, segment)
    data = selectors.segment_forecast(series, params.metric, params.horizon)
    return {
        "segment": segment,
        "metric": data.metric,
        "model": data.result.model,
        "history": [
            {"month": m, "value": v} for m, v in zip(series.months, series.values(data.metric), strict=True)
        ],
        "forecast": [{"month": m, "value": v} for m, v in data.rows],
        "holdout_model": data.result.holdout_model,
        "holdout": [{"month": m, "actual": a, "predicted": p} for m, a, p in data.holdout_rows],
        "mae": data.result.mae,
        "mape": data.result.mape,
    }


class SegmentProposalOut(Schema):
    id: int
    segment: str
    author: str
    title: str
    text: str
    products: str
    price_change_pct: Decimal | None = None
    status: str
    decision_note: str
    created_at: datetime

    @staticmethod
    def resolve_author(obj: SegmentProposal) -> str:
        return str(obj.author)


class SegmentProposalFilter(Schema):
    status: Literal["", *ProposalStatus.values] = ""  # type: ignore[valid-type]


@router.get(
    "/{segment}/proposals",
    response={200: list[SegmentProposalOut], **ERRORS},
    summary="Proposals in a segment",
)
@paginate(KamPagination)
def proposal_list(
    request: HttpRequest, segment: str, filters: Query[SegmentProposalFilter]
) -> QuerySet[SegmentProposal]:
    user = _user(request)
    qs = selectors.proposals_for(user, _segment(segment))
    return qs.filter(status=filters.status) if filters.status else qs


class SegmentProposalIn(StrictIn):
    title: Text = Field(min_length=1, max_length=200)
    text: Text = Field("", max_length=5000)
    products: Text = Field("", max_length=5000)
    price_change_pct: Decimal | None = Field(None, ge=-100, le=100, max_digits=5, decimal_places=2)


@router.post(
    "/{segment}/proposals",
    response={201: SegmentProposalOut, **WRITE_ERRORS},
    summary="Propose an assortment or price change",
)
def proposal_create(request: HttpRequest, segment: str, payload: SegmentProposalIn) -> Status:
    user = _user(request)
    proposal = services.proposal_create(actor=user, segment=_segment(segment), data=payload.dict())
    return Status(201, proposal)
