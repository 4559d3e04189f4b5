"""The demo company's sales plans, as a head of sales would set them: last year's month plus growth.

Each active KAM gets a monthly plan from January of the current year to next month: sales volume =
the KAM's sales in the same month a year earlier (from the ledger's monthly aggregate) × a growth of
3-20 %, rounded to a thousand roubles; active clients = last year's buying clients ± 10 %; new
clients = about one in twenty of them. A KAM without sales that month a year earlier gets no plan
(the plan pages show "no plan", as for a newcomer). Seeded, so the same demo gives the same plans.
Written in bulk with a first version each (PlanChange), set by the director.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum

from kam.access.models import Role, User
from kam.core.money import from_kopecks
from kam.ledger.models import LedgerMonthly

from .models import Plan, PlanChange
from .periods import PeriodKind

NOTE = "Demo: last year's month plus growth"


def _months(today: date) -> list[date]:
    """January of `today`'s year to the month after `today`'s."""
    months = [date(today.year, m, 1) for m in range(1, today.month + 1)]
    months.append(date(today.year + 1, 1, 1) if today.month == 12 else date(today.year, today.month + 1, 1))
    return months


def fill_demo_plans(*, seed: int, today: date, log: Callable[[str], object] = lambda _line: None) -> int:
    """Write the monthly plans of every active KAM (see the module); returns how many were written."""
    months = _months(today)
    year_before = {date(m.year - 1, m.month, 1): m for m in months}
    last_year = (
        LedgerMonthly.objects.filter(
            month__in=list(year_before), manager__role=Role.KAM, manager__is_active=True
        )
        .values("manager_id", "month")
        .annotate(sales=Sum("turnover"), active=Count("client", distinct=True, filter=Q(turnover__gt=0)))
        .order_by("manager_id", "month")
    )
    director = User.objects.filter(role=Role.DIRECTOR, is_active=True).order_by("pk").first()
    rng = random.Random(f"{seed}:plans")
    plans = []
    for row in last_year:
        if row["sales"] <= 0:
            continue
        growth = Decimal(103 + int(rng.random() * 18)) / 100
        sales = (from_kopecks(row["sales"]) * growth).quantize(Decimal("1E3"))
        active = max(1, round(row["active"] * (0.9 + rng.random() * 0.2)))
        plans.append(
            Plan(
                kam_id=row["manager_id"],
                period_kind=PeriodKind.MONTH,
                period_start=year_before[row["month"]],
                sales_volume=max(sales, Decimal(1000)),
                active_clients=active,
                new_clients=max(1, round(active / 20)),
                set_by=director,
            )
        )
    Plan.objects.bulk_create(plans, batch_size=1000)
    written = Plan.objects.filter(period_kind=PeriodKind.MONTH, period_start__in=months, set_by=director)
    PlanChange.objects.bulk_create(
        [
            PlanChange(
                plan_id=plan_id,
                changed_by=director,
                sales_volume=sales_volume,
                active_clients=active_clients,
                new_clients=new_clients,
                note=NOTE,
            )
            for plan_id, sales_volume, active_clients, new_clients in written.values_list(
                "id", "sales_volume", "active_clients", "new_clients"
            )
        ],
        batch_size=1000,
    )
    kams = len({p.kam_id for p in plans})
    log(f"plans: {len(plans)} monthly plans of {kams} KAMs, {months[0]:%Y-%m} to {months[-1]:%Y-%m}")
    return len(plans)
