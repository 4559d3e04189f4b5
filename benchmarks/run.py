"""`make bench`: kam's figures next to baselines measured in the same run, as ratios.

  analysis: kam's engine ranking the monthly aggregate (SQLite, PostgreSQL, DuckDB)
            vs a hand-written DuckDB query over the raw lines and a plain pandas groupby
  memory:   peak RSS of kam's analysis at that size (subprocess)
  import:   kam's ledger import vs plain COPY (PostgreSQL) / bulk insert (SQLite)

Usage: .venv/bin/python benchmarks/run.py [--lines 1000000] [--repeat 3] [--skip-import] [--skip-analysis]
       [--skip-postgres] [--skip-sqlite-import] [--import-runs 1]
--import-runs N imports the same CSV into PostgreSQL N times, each into a fresh database, and prints
the median (with the load average before each run).
The machine is shared and noisy: every figure is the median of --repeat runs, and the analysis
runs take turns with their baseline (A B A B ...) so that both see the same load; read the
ratio of the medians, printed with the load average.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ledger_data import generate, write_parquet  # noqa: E402

from kam.analytics.engine import AnalysisResult, AnalysisSettings, KeyAccountAnalysis  # noqa: E402

PERIOD = (date(2025, 11, 1), date(2026, 10, 1))  # the last 12 of the 36 generated months
PG_URL = os.environ.get("KAM_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_DB = "kam_bench"

# The baseline: what an analyst would write by hand in DuckDB over the raw lines.
DUCKDB_BASELINE = """
WITH per_client AS (
    SELECT client_id, SUM(revenue_kop) AS turnover, SUM(revenue_kop - cost_kop) AS income
    FROM lines WHERE date >= DATE '2025-11-01' AND date < DATE '2026-11-01'
    GROUP BY client_id
), ranked AS (
    SELECT *, SUM(income) OVER () AS total,
           SUM(income) OVER (ORDER BY income DESC, client_id ROWS UNBOUNDED PRECEDING) AS cum
    FROM per_client
)
SELECT client_id, turnover, income, income / total AS share,
       CASE WHEN cum - income < 0.8 * total THEN 'A'
            WHEN cum - income < 0.95 * total THEN 'B' ELSE 'C' END AS abc,
       income >= 0.1 * total AS is_key
FROM ranked ORDER BY income DESC
"""

AGGREGATE_SQL = """
SELECT client_id, department_id, manager_id, CAST(date_trunc('month', date) AS DATE) AS month,
       SUM(revenue_kop)::BIGINT AS turnover, SUM(revenue_kop - cost_kop)::BIGINT AS income,
       COUNT(*)::INTEGER AS lines
FROM lines GROUP BY ALL
"""


# The index kam's migrations put on ledger_monthly (kam/ledger/models.py, LedgerMonthly.Meta).
COVER = "month, client_id, manager_id, department_id, turnover, income"


def interleaved(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median time of each function, run in turns (A B C A B C ...) after one untimed round.

    On a shared machine the load changes from one second to the next; taking turns makes kam and
    its baseline see the same load, so the ratio of their medians is what to read.
    """
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            began = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - began)
    return {name: statistics.median(t) for name, t in times.items()}


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def row(name: str, ours: float, baseline_name: str, baseline: float, unit: str = "s") -> None:
    ratio = ours / baseline if baseline else float("nan")
    print(f"  {name:<44} {ours:9.3f} {unit}   vs {baseline_name:<28} {baseline:9.3f} {unit}", end="")
    print(f"   ratio {ratio:6.2f}x")


def pandas_baseline(parquet: Path) -> Callable[[], object]:
    import pandas as pd

    frame = pd.read_parquet(parquet)
    frame["date"] = pd.to_datetime(frame["date"])
    start, stop = pd.Timestamp("2025-11-01"), pd.Timestamp("2026-11-01")

    def run() -> object:
        period = frame[(frame["date"] >= start) & (frame["date"] < stop)]
        per_client = (
            period.assign(income=period["revenue_kop"] - period["cost_kop"])
            .groupby("client_id")
            .agg(turnover=("revenue_kop", "sum"), income=("income", "sum"))
        )
        per_client = per_client.sort_values("income", ascending=False)
        total = per_client["income"].sum()
        per_client["share"] = per_client["income"] / total
        per_client["cum"] = per_client["income"].cumsum()
        return per_client

    return run


def load_sqlite_aggregate(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    rows = con.execute(
        "SELECT client_id, department_id, manager_id, CAST(month AS VARCHAR), turnover, income, lines "
        "FROM ledger_monthly"
    ).fetchall()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE IF EXISTS ledger_monthly")
    db.execute(
        "CREATE TABLE ledger_monthly (client_id INTEGER, department_id INTEGER, manager_id INTEGER, "
        "month DATE, turnover BIGINT, income BIGINT, lines INTEGER)"
    )
    db.executemany("INSERT INTO ledger_monthly VALUES (?,?,?,?,?,?,?)", rows)
    db.execute(f"CREATE INDEX ledger_monthly_month_cover ON ledger_monthly({COVER})")
    db.execute("ANALYZE")
    db.commit()
    db.close()


def postgres_connect(dbname: str = BENCH_DB):  # type: ignore[no-untyped-def]
    import psycopg

    admin = psycopg.connect(PG_URL, autocommit=True)
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
    if not exists:
        admin.execute(f"CREATE DATABASE {dbname}")
    admin.close()
    base = PG_URL.rsplit("/", 1)[0]
    return psycopg.connect(f"{base}/{dbname}", autocommit=True)


def load_postgres_aggregate(con: duckdb.DuckDBPyConnection, pg) -> None:  # type: ignore[no-untyped-def]
    pg.execute("DROP TABLE IF EXISTS ledger_monthly")
    pg.execute(
        "CREATE TABLE ledger_monthly (client_id BIGINT, department_id BIGINT, manager_id BIGINT, "
        "month DATE, turnover BIGINT, income BIGINT, lines INTEGER)"
    )
    rows = con.execute("SELECT * FROM ledger_monthly").fetchall()
    with pg.cursor() as cur, cur.copy("COPY ledger_monthly FROM STDIN") as copy:
        for r in rows:
            copy.write_row(r)
    pg.execute(f"CREATE INDEX ON ledger_monthly({COVER})")
    pg.execute("VACUUM ANALYZE ledger_monthly")  # as autovacuum leaves it after an import


def memory_child(sqlite_path: str) -> None:
    db = sqlite3.connect(sqlite_path)
    KeyAccountAnalysis(AnalysisSettings(), *PERIOD).calculate_sqlite(db)
    # VmHWM (peak resident set of this process image), in KiB. Not ru_maxrss: Linux carries the
    # parent's peak over fork and exec into it, and the parent holds the whole generated ledger.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                print(int(line.split()[1]))
                return
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=int(os.environ.get("KAM_BENCH_LINES", "1000000")))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-analysis", action="store_true")
    parser.add_argument("--skip-sqlite-import", action="store_true")
    parser.add_argument(
        "--import-runs",
        type=int,
        default=1,
        help="PostgreSQL imports of the same CSV, each into a fresh database; the median is printed",
    )
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return

    work = Path(tempfile.mkdtemp(prefix="kam-bench-"))
    print(f"kam benchmarks: {args.lines:,} ledger lines, 100,000 clients, median of {args.repeat} runs")
    print(f"  load average at start: {_load()} ({os.cpu_count()} cores; the machine may be shared)")
    began = time.perf_counter()
    parquet = write_parquet(generate(args.lines), work / "lines.parquet")
    print(f"  (data generated in {time.perf_counter() - began:.1f} s)")

    con = duckdb.connect()
    con.execute(f"CREATE TABLE lines AS SELECT * FROM read_parquet('{parquet}')")
    if args.skip_analysis:
        run_import_bench_if_any(con, work, args)
        print(f"\nload average at the end: {_load()}")
        con.close()
        shutil.rmtree(work, ignore_errors=True)
        return
    aggregate_time = median_time(
        lambda: con.execute(f"CREATE OR REPLACE TABLE ledger_monthly AS {AGGREGATE_SQL}"), 1
    )
    aggregate_rows = con.execute("SELECT COUNT(*) FROM ledger_monthly").fetchone()[0]  # type: ignore[index]
    print(
        f"  monthly aggregate: {aggregate_rows:,} rows from {args.lines:,} lines "
        f"(built once per import, {aggregate_time:.2f} s in DuckDB)"
    )

    analysis = KeyAccountAnalysis(AnalysisSettings(), *PERIOD)

    def duck_baseline() -> object:
        return con.execute(DUCKDB_BASELINE).fetchall()

    def every_row(run: Callable[[], AnalysisResult]) -> Callable[[], object]:
        # The result builds a client's row when it is read; this reads them all (as a full export does).
        return lambda: list(run().clients)

    print("\nanalysis (full key-account analysis: shares, ABC, XYZ, dept/manager levels, concentration)")
    print(f"  runs interleaved with the baseline, median of {args.repeat} each; load average {_load()}")
    on_duck = lambda: analysis.calculate_duckdb(con)  # noqa: E731
    t = interleaved(
        {
            "base": duck_baseline,
            "pandas": pandas_baseline(parquet),
            "kam": on_duck,
            "kam_rows": every_row(on_duck),
        },
        args.repeat,
    )
    row("kam engine on DuckDB aggregate", t["kam"], "DuckDB query on raw lines", t["base"])
    row("kam engine on DuckDB aggregate", t["kam"], "pandas groupby on raw lines", t["pandas"])
    row("  the same, every client row built", t["kam_rows"], "DuckDB query on raw lines", t["base"])
    print(f"  load average after the DuckDB runs: {_load()}")

    sqlite_path = work / "bench.sqlite3"
    load_sqlite_aggregate(con, sqlite_path)
    db = sqlite3.connect(sqlite_path)
    t = interleaved({"base": duck_baseline, "kam": lambda: analysis.calculate_sqlite(db)}, args.repeat)
    row("kam engine on SQLite aggregate", t["kam"], "DuckDB query on raw lines", t["base"])

    if not args.skip_postgres:
        pg = postgres_connect()
        load_postgres_aggregate(con, pg)
        t = interleaved({"base": duck_baseline, "kam": lambda: analysis.calculate_postgres(pg)}, args.repeat)
        row("kam engine on PostgreSQL aggregate", t["kam"], "DuckDB query on raw lines", t["base"])
        pg.close()
    print(f"  load average after the analysis: {_load()}")

    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(sqlite_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    peak_mib = int(out.stdout.strip().splitlines()[-1]) / 1024
    print(f"\nmemory: peak RSS of the analysis process (SQLite): {peak_mib:.0f} MiB (target < 1024 MiB)")

    if not args.skip_import:
        run_import_bench_if_any(con, work, args)
    print(f"\nload average at the end: {_load()}")
    con.close()
    shutil.rmtree(work, ignore_errors=True)


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run_import_bench_if_any(con: duckdb.DuckDBPyConnection, work: Path, args: argparse.Namespace) -> None:
    try:
        from import_bench import run_import_bench
    except ImportError as error:
        print(f"\nimport: skipped ({error})")
        return
    if args.import_runs > 1 and not args.skip_postgres:
        postgres_import_runs(con, work, args)
        if args.skip_sqlite_import:
            return
        args.skip_postgres = True  # the SQLite import below, once
    run_import_bench(
        con,
        work,
        args.lines,
        args.repeat,
        skip_postgres=args.skip_postgres,
        skip_sqlite=args.skip_sqlite_import,
        row=row,
    )


def postgres_import_runs(con: duckdb.DuckDBPyConnection, work: Path, args: argparse.Namespace) -> None:
    """The PostgreSQL import of one CSV, --import-runs times (a fresh database each), and the median."""
    from import_bench import _fresh_postgres, _run_child, write_csv

    csv_path = work / "ledger-1c.csv"
    began = time.perf_counter()
    write_csv(con, csv_path, args.lines)
    print(
        f"\nimport of a {args.lines:,}-line 1C-style CSV ({csv_path.stat().st_size / 2**20:.0f} MiB, "
        f"written in {time.perf_counter() - began:.1f} s) into PostgreSQL, {args.import_runs} runs"
    )
    ours, baselines = [], []
    for run in range(1, args.import_runs + 1):
        print(f"  run {run}: load average before {_load()}")
        count, seconds, baseline = _run_child(_fresh_postgres("kam_bench_import"), csv_path)
        assert count == args.lines, f"imported {count} of {args.lines} lines"
        print(
            f"    {seconds:.1f} s = {count / seconds:,.0f} lines/s; COPY into a bare table {baseline:.2f} s"
        )
        ours.append(seconds)
        baselines.append(baseline)
    median, base = statistics.median(ours), statistics.median(baselines)
    row(
        f"kam import into PostgreSQL ({args.lines / median:,.0f} lines/s)",
        median,
        "COPY into a bare table",
        base,
    )
    print(
        f"  median of {args.import_runs}: {args.lines / median:,.0f} lines/s (runs: {', '.join(f'{t:.1f}' for t in ours)} s)"
    )


if __name__ == "__main__":
    main()
