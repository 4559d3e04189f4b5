"""Server-side SVG for the concentration charts: no JavaScript library, works offline and in PDFs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kam.core.money import format_percent


@dataclass(frozen=True)
class CurveChart:
    width: int
    height: int
    pad: int
    lorenz_path: str
    pareto_path: str
    equality_path: str
    grid: list[tuple[float, float, float, float, str]]  # x1, y1, x2, y2, label
    marker: tuple[float, float, str] | None  # the 80 % point on the Pareto curve


def _points(curve: Sequence[Sequence[float]], w: int, h: int, pad: int) -> str:
    coords = [(pad + x * (w - 2 * pad), h - pad - y * (h - 2 * pad)) for x, y in curve]
    return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coords))


def curve_chart(
    lorenz: Sequence[Sequence[float]],
    pareto: Sequence[Sequence[float]],
    pareto_clients_share: float | None,
    threshold: float = 0.8,
    width: int = 560,
    height: int = 380,
    pad: int = 40,
) -> CurveChart:
    grid: list[tuple[float, float, float, float, str]] = []
    for step in range(0, 101, 20):
        f = step / 100
        x = pad + f * (width - 2 * pad)
        y = height - pad - f * (height - 2 * pad)
        grid.append((x, pad, x, height - pad, f"{step}\u00a0%"))
        grid.append((pad, y, width - pad, y, f"{step}\u00a0%"))
    marker = None
    if pareto_clients_share is not None:
        mx = pad + pareto_clients_share * (width - 2 * pad)
        my = height - pad - threshold * (height - 2 * pad)
        marker = (mx, my, f"{format_percent(pareto_clients_share)} → {format_percent(threshold, 0)}")
    return CurveChart(
        width=width,
        height=height,
        pad=pad,
        lorenz_path=_points(lorenz, width, height, pad) if lorenz else "",
        pareto_path=_points(pareto, width, height, pad) if pareto else "",
        equality_path=_points([(0, 0), (1, 1)], width, height, pad),
        grid=grid,
        marker=marker,
    )
