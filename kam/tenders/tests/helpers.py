from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from kam.tenders import services
from kam.tenders.models import Lot, Tender

MSK = ZoneInfo("Europe/Moscow")


def tender(
    user, client, *, deadline: datetime | None = None, title: str = "Medicines 2027", **extra: Any
) -> Tender:
    data: dict[str, Any] = {
        "platform": "44fz",
        "number": extra.pop("number", "0373100000126000001"),
        "title": title,
        "deadline": deadline or datetime(2026, 12, 1, 10, 0, tzinfo=MSK),
        "time_zone": "Europe/Moscow",
        "kam": client.owner,
    }
    data.update(extra)
    return services.tender_create(user=user, client=client, data=data)


def lot(user, t: Tender, *, initial: str = "1000000.00", bid: str | None = "950000.00", **extra: Any) -> Lot:
    data: dict[str, Any] = {
        "subject": extra.pop("subject", "Amoxicillin 500 mg"),
        "initial_price": Decimal(initial),
        "bid_amount": Decimal(bid) if bid is not None else None,
    }
    data.update(extra)
    return services.lot_add(user=user, tender=t, data=data)


def submitted(user, client, **extra: Any) -> tuple[Tender, Lot]:
    t = tender(user, client, **extra)
    first = lot(user, t)
    t = services.tender_set_status(user=user, tender=t, status="submitted")
    return t, first
