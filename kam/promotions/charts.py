"""Server-side SVG bars of a programme's effect: no JavaScript library, works offline and in PDFs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from kam.core.money import format_money

from .selectors import Effect


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    label: str  # the amount
    caption: str  # which window


@dataclass(frozen=True)
class EffectChart:
    width: int
    height: int
    base_y: float
    bars: list[Bar]
    groups: list[tuple[float, str]]  # x of the group's centre, its name


def effect_chart(
    effect: Effect, metric: str = "turnover", width: int = 520, height: int = 260
) -> EffectChart:
    """Average per client before and during the programme, participants next to the control group."""
    pad_top, pad_bottom = 24, 48
    values: list[tuple[str, str, Decimal | None]] = []
    for key, group in (("participants", effect.participants), ("control", effect.control)):
        for window in ("before", "during"):
            values.append((key, window, group.per_client(metric, window)))
    top = max((abs(v) for _k, _w, v in values if v is not None), default=Decimal(0)) or Decimal(1)
    plot = height - pad_top - pad_bottom
    base_y = float(height - pad_bottom)
    bar_w = 60.0
    colors = {"before": "#9aa5b8", "during": "#1f5fbf"}
    captions = {"before": _("before"), "during": _("during")}
    bars: list[Bar] = []
    groups: list[tuple[float, str]] = []
    names = {"participants": _("Participants"), "control": _("Control group")}
    for index, (key, window, value) in enumerate(values):
        group_x = 60 + (index // 2) * (width / 2)
        x = group_x + (index % 2) * (bar_w + 16)
        amount = value or Decimal(0)
        h = float(abs(amount) / top) * plot
        y = base_y - h if amount >= 0 else base_y
        label = format_money(amount / 100, digits=0) if value is not None else "—"
        color = colors[window] if key == "participants" else ("#c9ced8" if window == "before" else "#b26a00")
        bars.append(Bar(x, y, bar_w, h, color, label, str(captions[window])))
        if index % 2 == 0:
            groups.append((group_x + bar_w + 8, str(names[key])))
    return EffectChart(width, height, base_y, bars, groups)
