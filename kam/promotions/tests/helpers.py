from __future__ import annotations

from datetime import date
from typing import Any

from kam.ledger.models import LedgerMonthly
from kam.promotions import services
from kam.promotions.models import Promotion


def sale(client, month: date, turnover: int, income: int | None = None, manager=None) -> LedgerMonthly:
    """One ledger_monthly row in kopecks; income defaults to a tenth of turnover."""
    return LedgerMonthly.objects.create(
        client=client,
        manager=manager or client.owner,
        department=client.department,
        month=month,
        turnover=turnover,
        income=turnover // 10 if income is None else income,
        lines=1,
    )


def promotion(actor, *, starts_on: date, ends_on: date, **extra: Any) -> Promotion:
    data: dict[str, Any] = {
        "name": "Spring discount",
        "kind": "discount",
        "status": "active",
        "rules_text": "5 % off the spring range",
        "discount_pct": "5.00",
        "starts_on": starts_on,
        "ends_on": ends_on,
    }
    data.update(extra)
    return services.promotion_create(actor=actor, data=data)
