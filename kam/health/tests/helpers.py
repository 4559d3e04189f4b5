"""Hand-made data for health tests: ledger months, an analysis snapshot with key clients."""

from __future__ import annotations

from datetime import date
from typing import Any

from kam.analytics.models import Snapshot, SnapshotClient, SnapshotStatus
from kam.ledger.models import LedgerMonthly


def month_row(client: Any, month: date, income: int, turnover: int | None = None) -> LedgerMonthly:
    """A month of a client's ledger (kopecks)."""
    return LedgerMonthly.objects.create(
        client=client,
        manager=client.owner,
        department=client.department,
        month=month,
        income=income,
        turnover=income * 2 if turnover is None else turnover,
        lines=1,
    )


def key_snapshot(*clients: Any, others: tuple[Any, ...] = ()) -> Snapshot:
    """A finished analysis in which `clients` are key (and `others` are not)."""
    snapshot = Snapshot.objects.create(status=SnapshotStatus.DONE, total_basis=1000, settings={})
    for rank, client in enumerate([*clients, *others], start=1):
        SnapshotClient.objects.create(
            snapshot=snapshot,
            client=client,
            rank=rank,
            turnover=100,
            income=100,
            basis=100,
            abc="A",
            xyz="X",
            is_key=client in clients,
            is_key_any=client in clients,
        )
    return snapshot
