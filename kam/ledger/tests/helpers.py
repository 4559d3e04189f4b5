"""Ledger files as 1C and Excel write them, and a snapshot of what an import may change."""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from kam.clients.models import Client
from kam.core.money import to_kopecks
from kam.ledger.models import ImportBatch, LedgerMonthly, SalesLine

HEADER_1C = [
    "Дата",
    "Документ",
    "Номер строки",
    "Контрагент",
    "ИНН",
    "Менеджер",
    "Номенклатура",
    "Количество",
    "Выручка",
    "Себестоимость",
]


def csv_bytes(
    rows: list[list[Any]],
    header: list[str] | None = None,
    *,
    sep: str = ";",
    encoding: str = "cp1251",
    preamble: list[str] | None = None,
) -> bytes:
    lines = list(preamble or [])
    lines.append(sep.join(header or HEADER_1C))
    lines.extend(sep.join(str(c) for c in row) for row in rows)
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header or HEADER_1C)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def snapshot() -> dict[str, Any]:
    """What an import may change: compare before and after to prove nothing did."""
    return {
        "lines": SalesLine.objects.count(),
        "monthly": list(LedgerMonthly.objects.order_by("id").values_list()),
        "clients": Client.objects.count(),
    }


def monthly_as_dict() -> dict[tuple[Any, ...], tuple[int, int, int]]:
    return {
        (m.client_id, m.manager_id, m.department_id, m.month): (m.turnover, m.income, m.lines)
        for m in LedgerMonthly.objects.all()
    }


def monthly_from_lines() -> dict[tuple[Any, ...], tuple[int, int, int]]:
    """The aggregate computed the slow, obvious way: GROUP BY over the lines in Python."""
    sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for line in SalesLine.objects.all():
        key = (line.client_id, line.manager_id, line.department_id, line.date.replace(day=1))
        rev, cost = to_kopecks(Decimal(line.revenue)), to_kopecks(Decimal(line.cost))
        sums[key][0] += rev
        sums[key][1] += rev - cost
        sums[key][2] += 1
    return {k: (v[0], v[1], v[2]) for k, v in sums.items()}


def last_batch() -> ImportBatch:
    return ImportBatch.objects.latest("id")
