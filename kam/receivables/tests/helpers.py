"""Small builders for receivables tests (hand-made data, dates given explicitly)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from kam.receivables import services
from kam.receivables.models import Invoice

_numbers = count(1)


def invoice(
    client: Any, amount: str, *, due_on: date, issued_on: date | None = None, actor: Any = None
) -> Invoice:
    return services.invoice_create(
        client=client,
        number=f"T-{next(_numbers)}",
        issued_on=issued_on or due_on - timedelta(days=30),
        due_on=due_on,
        amount=Decimal(amount),
        actor=actor,
    )


def d(text: str) -> date:
    return date.fromisoformat(text)
