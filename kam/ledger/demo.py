"""Demo sales ledger: millions of plausible invoice lines in seconds, built with numpy.

Each client's purchases over the period follow its weight (annual purchases in RUB); lines are
spread over the months with a seasonal profile (a January dip, a peak before the year's end), each
client drifts up or down over time, line amounts are log-normal, cost is 70–90 % of revenue (income
10–30 %), and about one line in a hundred is a return (negative revenue and cost). The manager is the
client's KAM, the department the client's. Line ids are `DEMO-<seed>-<n>`, so running it again
with the same seed adds nothing.

Nothing is built row by row in Python except the tuples SQLite's executemany needs; PostgreSQL
gets the lines as CSV written by Arrow through COPY.
"""

from __future__ import annotations

import calendar
import io
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from kam.clients.models import Client

from .models import ImportBatch, ImportSource, ImportStatus
from .services import LINE_COLUMNS, PG_LOCK_KEY, bulk_load, ledger_rebuild_monthly

SQLITE_CHUNK = 50_000
PG_CHUNK = 500_000
RETURN_SHARE = 0.01
PRODUCTS = (
    ("Цемент М500, 50 кг", "CEM-500"),
    ("Арматура А500С 12 мм", "ARM-12"),
    ("Кирпич облицовочный", "BRK-OBL"),
    ("Гипсокартон 12,5 мм", "GKL-125"),
    ("Саморезы 3,5×35, 1000 шт", "SMR-35"),
    ("Краска фасадная 10 л", "PNT-F10"),
    ("Утеплитель минвата 100 мм", "MIN-100"),
    ("Профнастил С20", "PRF-C20"),
    ("Труба ПНД 32 мм", "PND-32"),
    ("Кабель ВВГнг 3×2,5", "VVG-325"),
    ("Смесь штукатурная 30 кг", "SHT-30"),
    ("Плитка керамогранит 60×60", "KER-60"),
    ("Брус 100×100×6000", "BRS-100"),
    ("Фанера ФК 15 мм", "FAN-15"),
    ("Герметик силиконовый", "GRM-SIL"),
    ("Перчатки рабочие, 12 пар", "PER-12"),
)


def _out(stdout: Any, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _months_back(today: date, months: int) -> list[date]:
    """First days of the last `months` months, the current one last."""
    first = []
    year, month = today.year, today.month
    for _i in range(months):
        first.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return first[::-1]


def _generate(
    *, lines: int, months: int, seed: int, weights: np.ndarray, today: date
) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = len(weights)
    firsts = _months_back(today, months)
    # Seasonality: fewer sales in January, more from September to December.
    profile = np.array([0.75, 0.85, 0.95, 1.0, 1.0, 0.95, 0.9, 0.95, 1.05, 1.1, 1.15, 1.2])
    month_weight = profile[[d.month - 1 for d in firsts]]
    lengths = np.array([calendar.monthrange(d.year, d.month)[1] for d in firsts])
    lengths[-1] = today.day  # the current month so far
    month_weight = month_weight * lengths / lengths.mean()
    share = weights / weights.sum()
    client = rng.choice(n, size=lines, p=share).astype(np.int32)
    month = rng.choice(months, size=lines, p=month_weight / month_weight.sum()).astype(np.int32)
    start = np.array([d.toordinal() for d in firsts], dtype=np.int32)
    day = start[month] + (rng.random(lines) * lengths[month]).astype(np.int32)
    # Each client grows or shrinks by up to ±30 % a year; line amounts are log-normal.
    drift = rng.uniform(-0.3, 0.3, n)
    raw = rng.lognormal(0.0, 0.8, lines) * np.exp(drift[client] * (month - months + 1) / 12.0)
    per_client = np.bincount(client, weights=raw, minlength=n)
    target = weights * months / 12.0  # RUB over the period
    scale = np.divide(target, per_client, out=np.zeros(n), where=per_client > 0)
    revenue = np.maximum(np.rint(raw * scale[client] * 100.0), 100).astype(np.int64)
    cost = np.rint(revenue * rng.uniform(0.7, 0.9, lines)).astype(np.int64)
    returned = rng.random(lines) < RETURN_SHARE
    revenue[returned] = -revenue[returned] // 4
    cost[returned] = -cost[returned] // 4
    return {
        "client": client,
        "day": day,
        "revenue": revenue,
        "cost": cost,
        "quantity": rng.integers(1, 200, lines, dtype=np.int32),
        "product": rng.integers(0, len(PRODUCTS), lines, dtype=np.int32),
    }


def fill_demo_ledger(*, lines: int, months: int, seed: int, weights: dict[int, int], stdout: Any) -> int:
    """Write `lines` demo sales lines for the clients in `weights` and rebuild the monthly aggregate.

    Returns the number of lines added (0 for those already there from an earlier run).
    """
    if lines <= 0 or months <= 0 or not weights:
        return 0
    started = time.monotonic()
    clients = Client.objects.values_list("pk", "owner_id", "department_id")
    if len(weights) <= 20_000:
        clients = clients.filter(pk__in=list(weights))
    known = {pk: (owner, dept) for pk, owner, dept in clients.iterator(chunk_size=20_000) if pk in weights}
    ids = np.array(sorted(known), dtype=np.int64)
    if not len(ids):
        return 0
    amounts = np.array([max(int(weights[pk]), 1) for pk in ids.tolist()], dtype=np.float64)
    data = _generate(lines=lines, months=months, seed=seed, weights=amounts, today=timezone.localdate())
    owner = np.array([known[pk][0] for pk in ids.tolist()], dtype=np.int64)
    department = np.array(
        [known[pk][1] if known[pk][1] is not None else -1 for pk in ids.tolist()], dtype=np.int64
    )
    _out(stdout, f"ledger: generated {lines:,} lines in {time.monotonic() - started:.1f} s")
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            file_name=f"demo ledger (seed {seed})",
            source=ImportSource.DEMO,
            status=ImportStatus.RUNNING,
            started_at=timezone.now(),
            options={"seed": seed, "months": months},
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK_KEY])
            added = _copy_postgres(batch.pk, seed, data, ids, owner, department, stdout, started)
        else:
            added = _insert_sqlite(batch.pk, seed, data, ids, owner, department, stdout, started)
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportStatus.IMPORTED,
            rows_total=lines,
            rows_ok=added,
            rows_skipped=lines - added,
            finished_at=timezone.now(),
            progress_pct=100,
            progress_rows=lines,
            message=f"{added} demo lines generated.",
        )
    _out(stdout, f"ledger: {added:,} lines written in {time.monotonic() - started:.1f} s")
    rows = ledger_rebuild_monthly()
    _out(stdout, f"ledger: monthly aggregate rebuilt ({rows:,} rows) in {time.monotonic() - started:.1f} s")
    return added


def _insert_sqlite(
    batch_id: int,
    seed: int,
    data: dict[str, np.ndarray],
    ids: np.ndarray,
    owner: np.ndarray,
    department: np.ndarray,
    stdout: Any,
    started: float,
) -> int:
    lines = len(data["client"])
    first_day = int(data["day"].min())
    day_text = [date.fromordinal(o).isoformat() for o in range(first_day, int(data["day"].max()) + 1)]
    client_info = [
        (int(pk), int(o), int(d) if d >= 0 else None)
        for pk, o, d in zip(ids.tolist(), owner.tolist(), department.tolist(), strict=True)
    ]
    products = [(code, name) for name, code in PRODUCTS]
    sql = (
        f"INSERT INTO ledger_salesline ({LINE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (external_id) DO NOTHING"
    )
    prefix = f"DEMO-{seed}-"
    added = 0
    with connection.cursor() as cursor, bulk_load(cursor, lines):
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MB: the indexes stay in memory while loading
        for start in range(0, lines, SQLITE_CHUNK):
            stop = min(lines, start + SQLITE_CHUNK)
            rows = [
                (
                    f"{prefix}{n:09d}",
                    day_text[d - first_day],
                    *client_info[c],
                    *products[p],
                    q,
                    r / 100,
                    k / 100,
                    batch_id,
                )
                for n, c, d, p, q, r, k in zip(
                    range(start, stop),
                    data["client"][start:stop].tolist(),
                    data["day"][start:stop].tolist(),
                    data["product"][start:stop].tolist(),
                    data["quantity"][start:stop].tolist(),
                    data["revenue"][start:stop].tolist(),
                    data["cost"][start:stop].tolist(),
                    strict=True,
                )
            ]
            cursor.executemany(sql, rows)
            added += cursor.rowcount
            if (stop // SQLITE_CHUNK) % 20 == 0 or stop == lines:
                _out(stdout, f"ledger: {stop:,} / {lines:,} lines ({time.monotonic() - started:.0f} s)")
    return added


def _decimal_array(kopecks: np.ndarray) -> Any:
    """Integer kopecks as an Arrow decimal(18, 2) column without any per-value Python work."""
    import pyarrow as pa

    words = np.empty((len(kopecks), 2), dtype=np.int64)
    words[:, 0] = kopecks
    words[:, 1] = np.where(kopecks < 0, -1, 0)  # two's complement sign extension to 128 bits
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(kopecks), [None, pa.py_buffer(words)])


def _arrow_chunk(
    start: int,
    stop: int,
    prefix: str,
    batch_id: int,
    data: dict[str, np.ndarray],
    ids: np.ndarray,
    owner: np.ndarray,
    department: np.ndarray,
) -> bytes:
    """Lines start..stop as CSV for COPY, written by Arrow (no Python object per line)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pa_csv

    client = data["client"][start:stop]
    numbers = pc.cast(pa.array(np.arange(start, stop, dtype=np.int64)), pa.string())
    departments = department[client]
    product = pa.array(data["product"][start:stop])
    epoch = date(1970, 1, 1).toordinal()
    table = pa.table(
        {
            "external_id": pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, 9, "0"), ""),
            "date": pa.array((data["day"][start:stop] - epoch).astype(np.int32)).view(pa.date32()),
            "client_id": pa.array(ids[client]),
            "manager_id": pa.array(owner[client]),
            "department_id": pa.array(departments, mask=departments < 0),
            "product_code": pa.array([code for _name, code in PRODUCTS]).take(product),
            "product_name": pa.array([name for name, _code in PRODUCTS]).take(product),
            "quantity": pa.array(data["quantity"][start:stop]),
            "revenue": _decimal_array(data["revenue"][start:stop]),
            "cost": _decimal_array(data["cost"][start:stop]),
            "batch_id": pa.array(np.full(stop - start, batch_id, dtype=np.int64)),
        }
    )
    buffer = io.BytesIO()
    pa_csv.write_csv(table, buffer, write_options=pa_csv.WriteOptions(include_header=False))
    return buffer.getvalue()


def _copy_postgres(
    batch_id: int,
    seed: int,
    data: dict[str, np.ndarray],
    ids: np.ndarray,
    owner: np.ndarray,
    department: np.ndarray,
    stdout: Any,
    started: float,
) -> int:
    lines = len(data["client"])
    prefix = f"DEMO-{seed}-"
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_salesline")
        before = int(cursor.fetchone()[0])
        # A first run copies straight into the ledger; a repeated one goes through a staging table
        # so that lines already there are skipped.
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM ledger_salesline WHERE external_id >= %s AND external_id < %s)",
            [prefix, prefix[:-1] + "."],
        )
        repeated = bool(cursor.fetchone()[0])
        target = "ledger_demo_stage" if repeated else "ledger_salesline"
        if repeated:
            cursor.execute("DROP TABLE IF EXISTS pg_temp.ledger_demo_stage")
            cursor.execute("CREATE TEMP TABLE ledger_demo_stage (LIKE ledger_salesline INCLUDING DEFAULTS)")
            cursor.execute("ALTER TABLE ledger_demo_stage DROP COLUMN id")
        starts = list(range(0, lines, PG_CHUNK))

        def build(start: int) -> bytes:
            return _arrow_chunk(
                start, min(lines, start + PG_CHUNK), prefix, batch_id, data, ids, owner, department
            )

        # Arrow writes the next chunk (without the GIL) while PostgreSQL takes in this one: two cores busy.
        with bulk_load(cursor, lines), ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(build, starts[0])
            for number, start in enumerate(starts):
                stop = min(lines, start + PG_CHUNK)
                text = pending.result()
                if number + 1 < len(starts):
                    pending = pool.submit(build, starts[number + 1])
                with cursor.cursor.copy(
                    f"COPY {target} ({LINE_COLUMNS}) FROM STDIN WITH (FORMAT csv)"
                ) as copy:
                    copy.write(text)
                if repeated:
                    cursor.execute(
                        f"INSERT INTO ledger_salesline ({LINE_COLUMNS}) SELECT {LINE_COLUMNS} "
                        "FROM ledger_demo_stage ON CONFLICT (external_id) DO NOTHING"
                    )
                    cursor.execute("TRUNCATE ledger_demo_stage")
                _out(stdout, f"ledger: {stop:,} / {lines:,} lines ({time.monotonic() - started:.0f} s)")
        if repeated:
            cursor.execute("DROP TABLE pg_temp.ledger_demo_stage")
        cursor.execute("SELECT COUNT(*) FROM ledger_salesline WHERE id > %s", [before])
        return int(cursor.fetchone()[0])
