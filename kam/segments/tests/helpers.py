from __future__ import annotations

from datetime import date

from django.utils import timezone

from kam.ledger.models import LedgerMonthly
from kam.segments.selectors import add_months, month_start


def last_month() -> date:
    return add_months(month_start(timezone.localdate()), -1)


def trend(client, months: int, start: int = 1_000_000, slope: int = 50_000) -> list[int]:
    """`months` of ledger up to last month for `client`, turnover growing by `slope` kopecks a month."""
    first = add_months(last_month(), -(months - 1))
    values = [start + slope * i for i in range(months)]
    LedgerMonthly.objects.bulk_create(
        LedgerMonthly(
            client=client,
            manager=client.owner,
            department=client.department,
            month=add_months(first, i),
            turnover=value,
            income=value // 5,
            lines=3,
        )
        for i, value in enumerate(values)
    )
    return values
