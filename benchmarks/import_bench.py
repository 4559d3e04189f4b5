"""Import benchmark: kam's ledger import of a 1C-style CSV vs the plainest bulk load of the same file.

PostgreSQL: kam's import (parse, validate every row, resolve clients by INN, insert, refresh the monthly
aggregate) vs `COPY` of the same CSV into a bare table. SQLite: vs `executemany` INSERT of the parsed rows.
Each database is prepared in a subprocess with its own DATABASE_URL so Django settings stay per run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 20_000


def _inn(n: int) -> str:
    """A valid 10-digit INN built from a number (check digit by the INN algorithm)."""
    base = f"77{n:07d}"
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    check = sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11 % 10
    return base + str(check)


def write_csv(con: duckdb.DuckDBPyConnection, path: Path, lines: int) -> None:
    """The ledger as a 1C export would give it: line id, dd.mm.yyyy, INN, comma decimals, ';'.

    Written by DuckDB (the INN's check digit and the money text in SQL), so that writing 10 M lines
    takes seconds; `_inn` and `_money` say the same in Python.
    """
    digits = " + ".join(
        f"CAST(substr(base, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate((2, 4, 10, 3, 5, 9, 4, 6, 8))
    )

    def money(col: str) -> str:
        return (
            f"(CASE WHEN {col} < 0 THEN '-' ELSE '' END) || CAST(abs({col}) // 100 AS VARCHAR) || ',' "
            f"|| lpad(CAST(abs({col}) % 100 AS VARCHAR), 2, '0')"
        )

    header = ";".join(["Код строки", "Дата", "ИНН", "Выручка", "Себестоимость"])
    body = path.with_suffix(".body")
    con.execute(
        f"""
        COPY (
            SELECT 'L' || line_id, strftime(date, '%d.%m.%Y'),
                   base || CAST(({digits}) % 11 % 10 AS VARCHAR), {money("revenue_kop")}, {money("cost_kop")}
            FROM (
                SELECT *, '77' || lpad(CAST((client_id - 1) % {CLIENTS} AS VARCHAR), 7, '0') AS base
                FROM lines ORDER BY line_id LIMIT {lines}
            )
            ORDER BY line_id
        ) TO '{body}' (FORMAT csv, DELIMITER ';', HEADER false, QUOTE '')
        """
    )
    with path.open("wb") as out, body.open("rb") as rows:
        out.write((header + "\n").encode("utf-8"))
        while chunk := rows.read(1 << 20):
            out.write(chunk)
    body.unlink()


def _money(kop: int) -> str:
    sign = "-" if kop < 0 else ""
    whole, frac = divmod(abs(kop), 100)
    return f"{sign}{whole},{frac:02d}"


CHILD = r"""
import os, sys, time, sqlite3
sys.path.insert(0, sys.argv[1])
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
import django
django.setup()
from django.core.management import call_command
from django.db import connection
call_command("migrate", verbosity=0)
from kam.access.models import Department, Role, User
from kam.clients.models import Client
sys.path.insert(0, os.path.join(sys.argv[1], "benchmarks"))
from import_bench import CLIENTS, _inn
csv_path = sys.argv[2]
if not Client.objects.exists():
    dept = Department.objects.create(name="Bench")
    kam = User.objects.create(username="bench-kam", role=Role.KAM, department=dept)
    Client.objects.bulk_create([Client(legal_name=f"Bench {i}", short_name=f"Bench {i}", search_name=f"BENCH {i}",
                                       tax_number=_inn(i), owner=kam, department=dept) for i in range(CLIENTS)],
                               batch_size=5000)
from kam.ledger.services import ImportOptions, import_ledger_file
from kam.ledger.models import SalesLine
began = time.perf_counter()
batch = import_ledger_file(path=csv_path, options=ImportOptions(unknown_refs="fallback"))
ours = time.perf_counter() - began
assert batch.status == "imported", (batch.status, batch.errors[:3] if batch.errors else None)
count = SalesLine.objects.count()
# Baseline: the plainest bulk load of the same file into a bare table.
with connection.cursor() as cursor:
    cursor.execute("DROP TABLE IF EXISTS bench_plain")
    cursor.execute("CREATE TABLE bench_plain (line_id TEXT, day TEXT, inn TEXT, revenue TEXT, cost TEXT)")
began = time.perf_counter()
if connection.vendor == "postgresql":
    with connection.cursor() as cursor, open(csv_path, "rb") as handle:
        with cursor.cursor.copy("COPY bench_plain FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true)") as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
else:
    import csv as _csv
    with open(csv_path, newline="", encoding="utf-8") as handle, connection.cursor() as cursor:
        reader = _csv.reader(handle, delimiter=";")
        next(reader)
        cursor.executemany("INSERT INTO bench_plain VALUES (?, ?, ?, ?, ?)", list(reader))
baseline = time.perf_counter() - began
import json
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) "
            "FROM pg_settings WHERE name IN ('server_version', 'shared_buffers', 'max_wal_size', "
            "'checkpoint_timeout', 'wal_compression', 'maintenance_work_mem', "
            "'max_parallel_maintenance_workers', 'synchronous_commit', 'lc_collate')"
        )
        print("SETTINGS " + cursor.fetchone()[0])
print("TIMINGS " + json.dumps(batch.timings))
print(f"RESULT {count} {ours} {baseline}")
"""


def _run_child(database_url: str, csv_path: Path) -> tuple[int, float, float]:
    env = {**os.environ, "DATABASE_URL": database_url, "KAM_TASKS_INLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT), str(csv_path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in out.stdout.splitlines():
        if line.startswith("SETTINGS "):
            print(f"    server: {line[9:]} (the server's own configuration, not changed by the benchmark)")
        if line.startswith("TIMINGS "):
            print(f"    phases: {line[8:]}")
        if line.startswith("RESULT "):
            _tag, count, ours, baseline = line.split()
            return int(count), float(ours), float(baseline)
    raise RuntimeError(f"import benchmark failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")


def _fresh_postgres(name: str) -> str:
    import psycopg

    admin_url = os.environ.get("KAM_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def run_import_bench(
    con: duckdb.DuckDBPyConnection,
    work: Path,
    lines: int,
    repeat: int,
    *,
    skip_postgres: bool,
    row: Callable[..., Any],
    skip_sqlite: bool = False,
) -> None:
    csv_path = work / "ledger-1c.csv"
    began = time.perf_counter()
    write_csv(con, csv_path, lines)
    print(
        f"\nimport of a {lines:,}-line 1C-style CSV ({csv_path.stat().st_size / 2**20:.0f} MiB, "
        f"written in {time.perf_counter() - began:.1f} s); one run each (a fresh database per run)"
    )
    results = []
    if not skip_postgres:
        results.append(
            (
                "PostgreSQL",
                _run_child(_fresh_postgres("kam_bench_import"), csv_path),
                "COPY into a bare table",
            )
        )
    if not skip_sqlite:
        results.append(
            (
                "SQLite",
                _run_child(f"sqlite:///{work / 'import.sqlite3'}", csv_path),
                "executemany into a bare table",
            )
        )
    for name, (count, ours, baseline), what in results:
        assert count == lines, f"{name}: imported {count} of {lines} lines"
        row(f"kam import into {name} ({count / ours:,.0f} lines/s)", ours, what, baseline)
