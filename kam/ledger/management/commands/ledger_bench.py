"""manage.py ledger_bench --lines 1000000: time the importer on a generated 1C-style file.

Writes a Windows-1251 CSV as 1C exports it (`;`, comma decimals, spaces between thousands,
dd.mm.yyyy, Russian headers) for the clients in the database, imports it exactly as
`import_ledger` does, and prints the time per phase and the lines per second. Running it again
with the same seed measures a re-import (every line already there).
"""

import os
import tempfile
import time
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from kam.clients.models import Client
from kam.ledger import demo, services
from kam.ledger.models import SalesLine

HEADER = (
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
)


def _money(kopecks: int) -> str:
    sign = "-" if kopecks < 0 else ""
    rub, kop = divmod(abs(kopecks), 100)
    return f"{sign}{rub:,}".replace(",", "\u00a0") + f",{kop:02d}"


class Command(BaseCommand):
    help = "Time the ledger importer on a generated 1C-style CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lines", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--clients", type=int, default=2000, help="use at most this many clients")
        parser.add_argument("--keep-file", action="store_true", help="keep the generated CSV")
        parser.add_argument(
            "--delete-after", action="store_true", help="remove the benchmark's lines afterwards"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        clients = list(
            Client.objects.exclude(tax_number="")
            .filter(country="RU")
            .select_related("owner")
            .order_by("pk")[: opts["clients"]]
        )
        if not clients:
            raise CommandError("No clients with an INN: run `manage.py demo --lines 0` first.")
        lines, seed = opts["lines"], opts["seed"]
        started = time.perf_counter()
        weights = np.array([1.0 + (i % 97) for i in range(len(clients))]) * 1e6
        data = demo._generate(lines=lines, months=12, seed=seed, weights=weights, today=timezone.localdate())
        names = [c.legal_name.replace(";", ",").replace('"', "") for c in clients]
        inns = [c.tax_number for c in clients]
        managers = [f"{c.owner.last_name} {c.owner.first_name}".strip() or c.owner.username for c in clients]
        products = [name.replace(";", ",") for name, _code in demo.PRODUCTS]
        handle, path = tempfile.mkstemp(prefix="ledger-bench-", suffix=".csv")
        with os.fdopen(handle, "w", encoding="cp1251", errors="replace", newline="") as out:
            out.write("Отчет по продажам\r\n\r\n")
            out.write(";".join(HEADER) + "\r\n")
            day_text: dict[int, str] = {}
            for n, c, d, p, q, r, k in zip(
                range(lines),
                data["client"].tolist(),
                data["day"].tolist(),
                data["product"].tolist(),
                data["quantity"].tolist(),
                data["revenue"].tolist(),
                data["cost"].tolist(),
                strict=True,
            ):
                text = day_text.get(d)
                if text is None:
                    text = day_text[d] = _date_text(d)
                out.write(
                    f"{text};BENCH-{seed}-{n // 5:08d};{n % 5 + 1};{names[c]};{inns[c]};{managers[c]};"
                    f"{products[p]};{q};{_money(r)};{_money(k)}\r\n"
                )
        size = os.path.getsize(path)
        took = time.perf_counter() - started
        self.stdout.write(f"file: {lines:,} lines, {size / 1e6:.0f} MB, written in {took:.1f} s: {path}")
        try:
            batch = services.import_ledger_file(
                path=path,
                options=services.ImportOptions(),
                echo=lambda b: self.stderr.write(f"  {b.phase or b.status}: {b.progress_rows:,} rows"),
            )
        finally:
            if not opts["keep_file"]:
                os.unlink(path)
        timings = dict(batch.timings)
        columnar = bool(timings.pop("columnar", 0))
        self.stdout.write(
            f"{batch.get_status_display()}: {batch.rows_ok:,} added, {batch.rows_skipped:,} already there, "
            f"{batch.rows_bad:,} bad; read {'in columns (fast path)' if columnar else 'row by row'}"
        )
        for phase, seconds in timings.items():
            rate = lines / seconds if seconds else 0
            self.stdout.write(f"  {phase:<10} {seconds:8.2f} s  {rate:>12,.0f} lines/s")
        write = timings.get("copy", 0) + timings.get("insert", 0) + timings.get("indexes", 0)
        if write:
            self.stdout.write(f"  insert path (copy + insert + indexes): {lines / write:,.0f} lines/s")
        if opts["delete_after"]:
            with transaction.atomic():
                SalesLine.objects.filter(batch=batch).delete()
            services.ledger_rebuild_monthly()
            self.stdout.write("benchmark lines deleted, monthly aggregate rebuilt")


def _date_text(ordinal: int) -> str:
    from datetime import date

    return date.fromordinal(ordinal).strftime("%d.%m.%Y")
