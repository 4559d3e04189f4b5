"""How a snapshot's components read on pages, exports and the brief; the sparkline of the history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.money import format_money

from .models import COMPONENTS, HealthSnapshot

LABELS = {
    "trend": gettext_lazy("Income trend"),
    "frequency": gettext_lazy("Order frequency"),
    "overdue": gettext_lazy("Overdue debt"),
    "claims": gettext_lazy("Open claims"),
    "coverage": gettext_lazy("Decision makers covered"),
    "meeting": gettext_lazy("Last meeting"),
    "satisfaction": gettext_lazy("Satisfaction"),
}
STATUS_LABELS = {
    "good": gettext_lazy("good"),
    "watch": gettext_lazy("watch"),
    "risk": gettext_lazy("risk"),
}


def _kop(value: Any) -> str:
    return format_money(Decimal(int(value or 0)) / 100, digits=0)


def value_text(name: str, part: dict[str, Any]) -> str:
    value = part.get("value")
    if name == "trend":
        figures = _("%(recent)s vs %(previous)s a year earlier, %(months)s months") % {
            "recent": _kop(part.get("recent")),
            "previous": _kop(part.get("previous")),
            "months": part.get("months"),
        }
        return f"{value} % · {figures}" if value is not None else figures
    if name == "frequency":
        text = _("%(recent)s of the last %(months)s months with purchases; %(history)s of the 12 before") % {
            "recent": part.get("recent"),
            "months": part.get("months"),
            "history": part.get("history"),
        }
        return f"{value} % {_('of its usual rate')} · {text}" if value is not None else text
    if name == "overdue":
        return format_money(Decimal(str(value or "0")))
    if name == "claims":
        return str(value)
    if name == "coverage":
        if not part.get("total"):
            return _("no decision maker recorded")
        return _("%(covered)s of %(total)s in touch (%(pct)s %%)") % {
            "covered": part.get("covered"),
            "total": part.get("total"),
            "pct": value,
        }
    if name == "meeting":
        return _("never") if value is None else _("%(days)s days ago") % {"days": value}
    if name == "satisfaction":
        if not part.get("count"):
            return _("no feedback in the period")
        return _("%(avg)s of 5 (%(count)s responses)") % {"avg": value, "count": part.get("count")}
    return "" if value is None else str(value)


def component_rows(snapshot: HealthSnapshot | None) -> list[dict[str, Any]]:
    if snapshot is None:
        return []
    rows = []
    for name in COMPONENTS:
        part = snapshot.components.get(name)
        if not part:
            continue
        rows.append(
            {
                "name": name,
                "label": LABELS[name],
                "value": value_text(name, part),
                "points": part.get("points"),
                "weight": part.get("weight"),
                "status": part.get("status", ""),
                "status_label": STATUS_LABELS.get(part.get("status", ""), ""),
            }
        )
    return rows


def sparkline(history: list[HealthSnapshot], width: int = 300, height: int = 60) -> dict[str, Any] | None:
    """Points of a small line chart of the scores (0 at the bottom, 100 at the top), server-side SVG."""
    if not history:
        return None
    pad = 4
    step = (width - 2 * pad) / max(1, len(history) - 1)
    points = []
    for i, snap in enumerate(history):
        x = pad + i * step if len(history) > 1 else width / 2
        y = pad + (100 - snap.score) * (height - 2 * pad) / 100
        points.append({"x": round(x, 1), "y": round(y, 1), "score": snap.score, "day": snap.day})
    return {
        "width": width,
        "height": height,
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "last": points[-1],
    }
