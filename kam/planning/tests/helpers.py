"""Hand-made ledgers: sales lines written directly, then the monthly aggregate refreshed."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from kam.access.models import User
from kam.clients.models import Client
from kam.ledger.models import ImportBatch, ImportSource, ImportStatus, SalesLine
from kam.ledger.services import ledger_refresh_monthly

_ids = itertools.count(1)


class Ledger:
    def __init__(self) -> None:
        self.batch = ImportBatch.objects.create(
            file_name="hand-made.csv", source=ImportSource.COMMAND, status=ImportStatus.IMPORTED
        )
        self.lines: list[SalesLine] = []

    def sale(
        self, client: Client, manager: User | None, day: date, revenue: str, cost: str = "0.00"
    ) -> Ledger:
        self.lines.append(
            SalesLine(
                external_id=f"hand-{next(_ids)}",
                date=day,
                client=client,
                manager=manager,
                department=manager.department if manager else None,
                product_name="Cement M500",
                revenue=Decimal(revenue),
                cost=Decimal(cost),
                batch=self.batch,
            )
        )
        return self

    def save(self) -> None:
        SalesLine.objects.bulk_create(self.lines)
        ledger_refresh_monthly(pairs=[(line.client_id, line.date) for line in self.lines])
        self.lines = []
