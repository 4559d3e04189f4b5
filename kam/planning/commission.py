"""The arithmetic of the variable pay, free of the database so every boundary can be tested directly.

* A deal's tier is chosen by its amount (revenue): the tier with the largest "from" that the amount reaches
  (thresholds inclusive). A net return (negative amount) falls in the lowest tier, so it claws back.
* Commission per deal = base × rate / 100, rounded to the kopeck half-up (base = amount or margin).
* Subtotal = Σ deal commissions (already in kopecks, so exact).
* The plan factor comes from the month's sales-plan fulfilment: the row with the largest "from %" that
  fulfilment reaches, compared exactly as actual × 100 ≥ from % × plan (no rounded percentage).
  No month plan (or a zero plan): factor 1.
* Total = subtotal × factor, rounded once to the kopeck half-up; "plan adjustment" = total − subtotal,
  so deal commissions + adjustment = total to the kopeck.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from kam.core.money import KOPECK

ONE = Decimal(1)


def to_kopeck(value: Decimal) -> Decimal:
    return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


def pick_tier(amount: Decimal, tiers: Sequence[tuple[Decimal, Decimal]]) -> tuple[Decimal, Decimal]:
    """(min amount, rate %) of the tier for `amount`; `tiers` in any order, at least one row."""
    ordered = sorted(tiers, key=lambda t: t[0], reverse=True)
    for minimum, rate in ordered:
        if amount >= minimum:
            return minimum, rate
    return ordered[-1]


def deal_commission(base: Decimal, rate: Decimal) -> Decimal:
    return to_kopeck(base * rate / 100)


def pick_factor(
    actual: Decimal, plan: Decimal | None, factors: Sequence[tuple[Decimal, Decimal]]
) -> tuple[Decimal | None, Decimal]:
    """(from %, factor) for a fulfilment of actual/plan; (None, 1) without a plan."""
    if plan is None or plan <= 0 or not factors:
        return None, ONE
    ordered = sorted(factors, key=lambda f: f[0], reverse=True)
    for from_pct, factor in ordered:
        if actual * 100 >= from_pct * plan:
            return from_pct, factor
    return ordered[-1]


def total_with_factor(subtotal: Decimal, factor: Decimal) -> Decimal:
    return to_kopeck(subtotal * factor)
