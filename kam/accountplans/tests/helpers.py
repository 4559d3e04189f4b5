"""Hand-made ledgers and plans for the account-plan tests."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from kam.access.models import User
from kam.accountplans import services
from kam.accountplans.models import AccountPlan
from kam.analytics.models import Snapshot, SnapshotClient, SnapshotStatus
from kam.clients.models import Client
from kam.ledger.models import ImportBatch, ImportSource, ImportStatus, SalesLine
from kam.ledger.services import ledger_refresh_monthly
from kam.orders.models import Product

_ids = itertools.count(1)


class Ledger:
    def __init__(self) -> None:
        self.batch = ImportBatch.objects.create(
            file_name="hand-made.csv", source=ImportSource.COMMAND, status=ImportStatus.IMPORTED
        )
        self.lines: list[SalesLine] = []

    def sale(
        self,
        client: Client,
        day: date,
        revenue: str,
        cost: str = "0.00",
        product: str = "",
        manager: User | None = None,
    ) -> Ledger:
        manager = manager or client.owner
        self.lines.append(
            SalesLine(
                external_id=f"ap-{next(_ids)}",
                date=day,
                client=client,
                manager=manager,
                department=manager.department,
                product_code=product,
                product_name=product or "Cement M500",
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


def product(code: str, name: str = "") -> Product:
    return Product.objects.create(code=code, name=name or f"Product {code}")


def make_plan(actor: User, client: Client, year: int = 2026, **extra: object) -> AccountPlan:
    return services.plan_create(actor=actor, client=client, year=year, **extra)  # type: ignore[arg-type]


def mark_key(*clients: Client) -> Snapshot:
    snapshot = Snapshot.objects.create(status=SnapshotStatus.DONE)
    for rank, client in enumerate(clients, start=1):
        SnapshotClient.objects.create(
            snapshot=snapshot,
            client=client,
            rank=rank,
            turnover=0,
            income=0,
            basis=0,
            abc="A",
            xyz="X",
            is_key=True,
            is_key_any=True,
        )
    return snapshot
