"""Server-side SVG for the segment view: history, held-out check and forecast on one time axis."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from kam.core.money import format_money, format_number

from .selectors import SegmentForecast


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    pad_left: int
    pad: int
    history_path: str
    holdout_path: str
    forecast_path: str
    forecast_from_x: float | None
    grid: list[tuple[float, str]]  # y, label
    ticks: list[tuple[float, str]]  # x, month label
    points: list[tuple[float, float, str]]  # forecast points: x, y, title

    @property
    def axis_bottom(self) -> int:
        return self.height - self.pad


def _label(value: float, money: bool) -> str:
    return format_money(Decimal(round(value)) / 100, digits=0) if money else format_number(round(value))


def _path(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))


def forecast_chart(data: SegmentForecast, width: int = 760, height: int = 300) -> LineChart:
    pad, pad_left = 28, 96
    history = [float(v) for v in data.series.values(data.metric)]
    forecast = data.result.values
    held = data.result.holdout_predicted
    total = len(history) + len(forecast)
    values = history + list(forecast) + list(held)
    top = max(values, default=0.0)
    bottom = min(0.0, min(values, default=0.0))
    span = (top - bottom) or 1.0
    step = (width - pad_left - pad) / max(1, total - 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        return pad_left + index * step, height - pad - (value - bottom) / span * (height - 2 * pad)

    history_pts = [xy(i, v) for i, v in enumerate(history)]
    start = len(history) - len(held)
    holdout_pts = [xy(start + i, v) for i, v in enumerate(held)]
    forecast_pts = (
        [xy(len(history) - 1 + i, v) for i, v in enumerate([history[-1], *forecast])]
        if history and forecast
        else []
    )
    grid = []
    for k in range(5):
        value = bottom + span * k / 4
        grid.append((xy(0, value)[1], _label(value, data.is_money)))
    months = list(data.series.months) + list(data.forecast_months)
    every = max(1, len(months) // 12)
    ticks = [(xy(i, bottom)[0], f"{m:%m.%y}") for i, m in enumerate(months) if i % every == 0]
    points = [
        (*xy(len(history) + i, v), f"{m:%m.%Y}: {_label(v, data.is_money)}")
        for i, (m, v) in enumerate(zip(data.forecast_months, forecast, strict=True))
    ]
    return LineChart(
        width=width,
        height=height,
        pad_left=pad_left,
        pad=pad,
        history_path=_path(history_pts),
        holdout_path=_path(holdout_pts) if len(holdout_pts) > 1 else "",
        forecast_path=_path(forecast_pts) if len(forecast_pts) > 1 else "",
        forecast_from_x=history_pts[-1][0] if history_pts and forecast else None,
        grid=grid,
        ticks=ticks,
        points=points,
    )


def sparkline(values: Sequence[int], width: int = 160, height: int = 32) -> str:
    """An SVG path of a short series (no axes) for the segment list."""
    if len(values) < 2:
        return ""
    top, bottom = max(values), min(0, min(values))
    span = (top - bottom) or 1
    step = width / (len(values) - 1)
    return _path([(i * step, height - 2 - (v - bottom) / span * (height - 4)) for i, v in enumerate(values)])
