"""Reads for the segment view: monthly history per segment from `ledger_monthly` (one GROUP BY, never a
loop over ledger rows), its trend and forecast, and the proposals a user may see."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.access import policy
from kam.access.models import Role, User
from kam.clients.models import Segment
from kam.ledger.models import LedgerMonthly

from . import forecast as fc
from .models import SegmentProposal

METRICS = {"turnover": _("Turnover"), "income": _("Income"), "buyers": _("Buying clients")}
MODEL_NAMES = {
    fc.HOLT_WINTERS: _("Holt-Winters: additive trend and 12-month season"),
    fc.HOLT: _("Holt's linear trend (less than 24 months of history, no season)"),
    fc.SIMPLE: _("Simple exponential smoothing (less than 6 months of history)"),
    fc.NONE: _("No forecast: too little history"),
}
MAX_HISTORY = 60  # months
MAX_HORIZON = 24


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _ledger_for(user: User) -> QuerySet[LedgerMonthly]:
    qs = LedgerMonthly.objects.all()
    if policy.client_scope(user) is None:
        return qs
    return qs.filter(client_id__in=policy.visible_clients(user).values("pk"))


def last_complete_month(today: date | None = None) -> date | None:
    """The last month to show: the month before this one, or the ledger's last month if it is older."""
    today = today or timezone.localdate()
    last = LedgerMonthly.objects.aggregate(last=Max("month"))["last"]
    if last is None:
        return None
    return min(month_start(last), add_months(month_start(today), -1))


@dataclass
class Series:
    months: list[date] = field(default_factory=list)
    turnover: list[int] = field(default_factory=list)  # kopecks
    income: list[int] = field(default_factory=list)
    buyers: list[int] = field(default_factory=list)

    def values(self, metric: str) -> list[int]:
        return list(getattr(self, metric))

    def total(self, metric: str, last: int, skip: int = 0) -> int:
        values = self.values(metric)
        end = len(values) - skip
        return sum(values[max(0, end - last) : max(0, end)])


def _fill(rows: Sequence[Mapping[str, Any]], first: date, last: date) -> Series:
    by_month = {row["month"]: row for row in rows}
    series = Series()
    month = first
    while month <= last:
        row = by_month.get(month, {})
        series.months.append(month)
        series.turnover.append(int(row.get("turnover") or 0))
        series.income.append(int(row.get("income") or 0))
        series.buyers.append(int(row.get("buyers") or 0))
        month = add_months(month, 1)
    return series


def segment_series(user: User, segment: str, today: date | None = None) -> Series:
    """Monthly turnover, income and buying clients of a segment over the clients `user` sees."""
    last = last_complete_month(today)
    if last is None:
        return Series()
    earliest = add_months(last, -(MAX_HISTORY - 1))
    rows = list(
        _ledger_for(user)
        .filter(client__segment=segment, month__gte=earliest, month__lte=last)
        .values("month")
        .annotate(turnover=Sum("turnover"), income=Sum("income"), buyers=Count("client_id", distinct=True))
        .order_by("month")
    )
    if not rows:
        return Series()
    return _fill(rows, month_start(rows[0]["month"]), last)


@dataclass
class SegmentSummary:
    key: str
    label: str
    series: Series
    turnover_12: int
    turnover_prev_12: int
    income_12: int
    buyers_last: int

    @property
    def trend_pct(self) -> Decimal | None:
        if self.turnover_prev_12 <= 0:
            return None
        change = Decimal(self.turnover_12 - self.turnover_prev_12) * 100 / Decimal(self.turnover_prev_12)
        return change.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def segment_summaries(user: User, today: date | None = None) -> list[SegmentSummary]:
    """Every segment over the last 24 months, in one GROUP BY (segment × month)."""
    last = last_complete_month(today)
    rows_by_segment: dict[str, list[Any]] = {key: [] for key in Segment.values}
    first = last
    if last is not None:
        first = add_months(last, -23)
        rows = (
            _ledger_for(user)
            .filter(month__gte=first, month__lte=last)
            .values("client__segment", "month")
            .annotate(
                turnover=Sum("turnover"), income=Sum("income"), buyers=Count("client_id", distinct=True)
            )
            .order_by()
        )
        for row in rows:
            rows_by_segment.setdefault(row["client__segment"], []).append(row)
    result = []
    for key, label in Segment.choices:
        series = _fill(rows_by_segment.get(key, []), first, last) if first and last else Series()
        result.append(
            SegmentSummary(
                key=key,
                label=str(label),
                series=series,
                turnover_12=series.total("turnover", 12),
                turnover_prev_12=series.total("turnover", 12, skip=12),
                income_12=series.total("income", 12),
                buyers_last=series.buyers[-1] if series.buyers else 0,
            )
        )
    return result


@dataclass
class SegmentForecast:
    metric: str
    horizon: int
    series: Series
    result: fc.Forecast
    forecast_months: list[date]
    holdout_months: list[date]

    @property
    def model_name(self) -> str:
        return str(MODEL_NAMES[self.result.model])

    @property
    def holdout_model_name(self) -> str:
        return str(MODEL_NAMES[self.result.holdout_model])

    @property
    def is_money(self) -> bool:
        return self.metric != "buyers"

    @property
    def rows(self) -> list[tuple[date, float]]:
        return list(zip(self.forecast_months, self.result.values, strict=True))

    @property
    def holdout_rows(self) -> list[tuple[date, float, float]]:
        return list(
            zip(self.holdout_months, self.result.holdout_actual, self.result.holdout_predicted, strict=True)
        )

    @property
    def mape_pct(self) -> Decimal | None:
        if self.result.mape is None:
            return None
        return Decimal(str(self.result.mape * 100)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def segment_forecast(series: Series, metric: str = "turnover", horizon: int = 3) -> SegmentForecast:
    metric = metric if metric in METRICS else "turnover"
    horizon = max(1, min(MAX_HORIZON, horizon))
    values = [float(v) for v in series.values(metric)]
    result = fc.forecast(values, horizon, nonnegative=metric != "income")
    last = series.months[-1] if series.months else None
    months = [add_months(last, i) for i in range(1, len(result.values) + 1)] if last else []
    held = series.months[-len(result.holdout_actual) :] if result.holdout_actual else []
    return SegmentForecast(metric, horizon, series, result, months, held)


def proposals_for(user: User, segment: str | None = None) -> QuerySet[SegmentProposal]:
    qs = SegmentProposal.objects.select_related("author", "decided_by")
    if segment:
        qs = qs.filter(segment=segment)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.role == Role.DIRECTOR:
        return qs
    if user.role == Role.HEAD:
        if user.department_id is None:
            return qs.filter(author=user)
        return qs.filter(Q(author=user) | Q(author__department_id=user.department_id))
    if user.role == Role.KAM:
        return qs.filter(author=user)
    return qs.none()
