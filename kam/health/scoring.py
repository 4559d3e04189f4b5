"""The health score of one client from its already-aggregated facts: pure functions, no database.

Each component gets a level — 2 good (its full weight), 1 watch (half), 0 risk (nothing) — by comparing its
value with two limits from HealthConfig. A value exactly on a limit belongs to the better level. Every
comparison is exact (integers or Decimal, cross-multiplied; never a float).
score = round half up (Σ points / Σ weights × 100), 0–100.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .models import COMPONENTS, Band, HealthConfig

GOOD, WATCH, RISK = 2, 1, 0
LEVEL_NAMES = {GOOD: "good", WATCH: "watch", RISK: "risk"}


@dataclass
class Facts:
    """What the data says about one client on one day (money in kopecks or Decimal RUB)."""

    recent_income: int = 0  # Σ income of the last N complete months
    previous_income: int = 0  # Σ income of the same N months a year earlier
    recent_months: int = 0  # months with purchases among the last N
    history_months: int = 0  # months with purchases among the 12 months before those N
    overdue: Decimal = Decimal("0")
    open_claims: int = 0
    decision_makers: int = 0
    decision_makers_covered: int = 0
    days_since_meeting: int | None = None  # None: no meeting ever recorded
    feedback_count: int = 0
    feedback_sum: int = 0


def at_most(value: Any, ok: Any, warn: Any) -> int:
    """Lower is better: value ≤ ok good, ≤ warn watch, otherwise risk."""
    if value <= ok:
        return GOOD
    if value <= warn:
        return WATCH
    return RISK


def at_least(value: Any, ok: Any, warn: Any) -> int:
    """Higher is better: value ≥ ok good, ≥ warn watch, otherwise risk."""
    if value >= ok:
        return GOOD
    if value >= warn:
        return WATCH
    return RISK


def _ratio_pct(num: int, den: int) -> str | None:
    if den == 0:
        return None
    return str((Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def trend_level(recent: int, previous: int, config: HealthConfig) -> tuple[int, str | None]:
    """Income drop year on year, in % of the earlier income. (level, change in % or None)."""
    if previous <= 0:
        # Nothing (or a loss) a year earlier: growing from nothing is good, nothing now is risk.
        return (GOOD if recent > 0 else RISK), None
    drop = previous - recent  # kopecks; negative when income grew
    # drop / previous ≤ ok % ⇔ drop × 100 ≤ ok × previous
    level = at_most(drop * 100, config.trend_ok_drop_pct * previous, config.trend_warn_drop_pct * previous)
    return level, _ratio_pct(recent - previous, previous)


def frequency_level(recent: int, history: int, months: int, config: HealthConfig) -> tuple[int, str | None]:
    """Months with purchases in the last `months` against the usual rate (history months out of 12)."""
    if history == 0:
        return (GOOD if recent > 0 else RISK), None
    # (recent / months) / (history / 12) × 100 ≥ ok ⇔ recent × 12 × 100 ≥ ok × history × months
    value = recent * 12 * 100
    level = at_least(
        value, config.frequency_ok_pct * history * months, config.frequency_warn_pct * history * months
    )
    return level, _ratio_pct(recent * 12, history * months)


def overdue_level(overdue: Decimal, config: HealthConfig) -> int:
    return at_most(overdue, config.overdue_ok_rub, config.overdue_warn_rub)


def claims_level(count: int, config: HealthConfig) -> int:
    return at_most(count, config.claims_ok, config.claims_warn)


def coverage_level(covered: int, total: int, config: HealthConfig) -> tuple[int, str | None]:
    """Share of decision makers we were in touch with; none recorded is a risk (whom do we talk to?)."""
    if total == 0:
        return RISK, None
    level = at_least(covered * 100, config.coverage_ok_pct * total, config.coverage_warn_pct * total)
    return level, _ratio_pct(covered, total)


def meeting_level(days: int | None, config: HealthConfig) -> int:
    if days is None:
        return RISK
    return at_most(days, config.meeting_ok_days, config.meeting_warn_days)


def satisfaction_level(count: int, total: int, config: HealthConfig) -> tuple[int, str | None]:
    """Average score of the feedback in the window; no feedback is "watch" (unknown, ask the client)."""
    if count == 0:
        return WATCH, None
    # total / count ≥ ok ⇔ total ≥ ok × count
    level = at_least(Decimal(total), config.satisfaction_ok * count, config.satisfaction_warn * count)
    return level, str((Decimal(total) / count).quantize(Decimal("0.01"), ROUND_HALF_UP))


def band_of(score: int, config: HealthConfig) -> str:
    if score >= config.band_good:
        return Band.GOOD
    if score >= config.band_watch:
        return Band.WATCH
    return Band.RISK


def evaluate(facts: Facts, config: HealthConfig) -> tuple[int, str, dict[str, Any]]:
    """(score, band, components) where components[name] = {value, level, points, weight, …} (JSON-safe)."""
    weights = config.weights()
    months = int(config.trend_months)
    trend, trend_change = trend_level(facts.recent_income, facts.previous_income, config)
    frequency, frequency_pct = frequency_level(facts.recent_months, facts.history_months, months, config)
    coverage, coverage_pct = coverage_level(facts.decision_makers_covered, facts.decision_makers, config)
    satisfaction, satisfaction_avg = satisfaction_level(facts.feedback_count, facts.feedback_sum, config)
    parts: dict[str, dict[str, Any]] = {
        "trend": {
            "level": trend,
            "value": trend_change,
            "recent": facts.recent_income,
            "previous": facts.previous_income,
            "months": months,
        },
        "frequency": {
            "level": frequency,
            "value": frequency_pct,
            "recent": facts.recent_months,
            "history": facts.history_months,
            "months": months,
        },
        "overdue": {"level": overdue_level(facts.overdue, config), "value": str(facts.overdue)},
        "claims": {"level": claims_level(facts.open_claims, config), "value": facts.open_claims},
        "coverage": {
            "level": coverage,
            "value": coverage_pct,
            "covered": facts.decision_makers_covered,
            "total": facts.decision_makers,
        },
        "meeting": {
            "level": meeting_level(facts.days_since_meeting, config),
            "value": facts.days_since_meeting,
        },
        "satisfaction": {"level": satisfaction, "value": satisfaction_avg, "count": facts.feedback_count},
    }
    total_weight = sum(weights.values())
    earned = Decimal(0)
    for name in COMPONENTS:
        part = parts[name]
        points = Decimal(weights[name]) * part["level"] / 2
        earned += points
        part["weight"] = weights[name]
        part["points"] = str(int(points)) if points == points.to_integral_value() else str(points)
        part["status"] = LEVEL_NAMES[part["level"]]
    score = int((earned * 100 / total_weight).to_integral_value(ROUND_HALF_UP)) if total_weight else 0
    return score, band_of(score, config), parts
