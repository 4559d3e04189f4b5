"""A synthetic sales ledger for benchmarks: heavy-tailed clients, 36 months, seeded (numpy, vectorised)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

MONTHS = 36
FIRST_MONTH = np.datetime64("2023-11-01")


def generate(
    lines: int, clients: int = 100_000, managers: int = 200, departments: int = 8, seed: int = 7
) -> pa.Table:
    rng = np.random.default_rng(seed)
    # Pareto weights: a few clients carry most of the income.
    weights = rng.pareto(1.16, clients) + 1
    weights /= weights.sum()
    client = rng.choice(clients, size=lines, p=weights).astype(np.int64) + 1
    manager_of_client = rng.integers(1, managers + 1, clients + 1)
    manager = manager_of_client[client].astype(np.int64)
    department = ((manager - 1) % departments + 1).astype(np.int64)
    month_idx = rng.integers(0, MONTHS, lines)
    day = rng.integers(0, 28, lines)
    dates = (FIRST_MONTH.astype("datetime64[M]") + month_idx).astype("datetime64[D]") + day
    revenue_kop = (rng.lognormal(10.5, 1.2, lines)).astype(np.int64) + 100
    returns = rng.random(lines) < 0.01
    revenue_kop[returns] *= -1
    cost_kop = (revenue_kop * rng.uniform(0.7, 0.92, lines)).astype(np.int64)
    return pa.table(
        {
            "line_id": np.arange(1, lines + 1, dtype=np.int64),
            "date": pa.array(dates.astype("datetime64[D]")),
            "client_id": client,
            "manager_id": manager,
            "department_id": department,
            "revenue_kop": revenue_kop,
            "cost_kop": cost_kop,
        }
    )


def write_parquet(table: pa.Table, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path
