"""The key-account analysis in Spark SQL: the engine's own SQL, run on a SparkSession.

Past one machine (see docs/operators/spark-and-citus.md) the analysis can run on a Spark cluster
over ``ledger_monthly`` exported to Parquet. Nothing is rewritten by hand: the two queries are
rendered by :class:`kam.analytics.engine.KeyAccountAnalysis` for the DuckDB dialect (dates as
``DATE 'YYYY-MM-DD'`` literals, which Spark SQL reads the same way) and adapted here in one
place, :func:`spark_sql`:

* ``DOUBLE PRECISION`` (used only for the XYZ variance, a statistic, never money) is spelled
  ``DOUBLE`` in Spark SQL;
* ``ledger_monthly`` and ``client_attributes`` become the names of temporary views over the
  given table, Parquet files or DataFrame.

Everything else is already portable: the SQL has no division, money is BIGINT kopecks and
shares are compared as integers (``basis * 10000 >= total * numerator``), window functions
and CTEs are standard. The queries run with ``spark.sql.ansi.enabled`` on (the default from
Spark 4.0, set here and put back for Spark 3.5), so that an overflow of a BIGINT sum raises
instead of wrapping around silently. The rows come back in the engine's own shape and go
through the engine's own Python step, so the result is an :class:`AnalysisResult` equal to the
one DuckDB gives, to the kopeck.

Run on a cluster (``spark-submit``), see :func:`main`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .engine import (
    AnalysisResult,
    AnalysisSettings,
    Dialect,
    KeyAccountAnalysis,
    add_months,
    month_start,
    months_between,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# The engine's SQL is rendered for this dialect and adapted by spark_sql().
BASE_DIALECT: Dialect = "duckdb"

# A ledger given as a str is a Parquet path when it looks like one, else a table or view name.
_PATH_HINT = re.compile(r"(/|\\|://|\.parquet$|\.pq$)", re.IGNORECASE)


def spark_sql(sql: str, *, ledger: str = "ledger_monthly", attributes: str = "client_attributes") -> str:
    """The engine's DuckDB-dialect SQL as Spark SQL, reading ``ledger`` and ``attributes``."""
    out = sql.replace("DOUBLE PRECISION", "DOUBLE")
    out = re.sub(r"\bledger_monthly\b", ledger, out)
    return re.sub(r"\bclient_attributes\b", attributes, out)


def _is_path(value: object) -> bool:
    return isinstance(value, Path) or (isinstance(value, str) and bool(_PATH_HINT.search(value)))


def _as_frame(spark: SparkSession, source: str | Path | DataFrame) -> DataFrame:
    if isinstance(source, str | Path):
        return spark.read.parquet(str(source)) if _is_path(source) else spark.table(str(source))
    return source


@contextmanager
def _ansi(spark: SparkSession) -> Iterator[None]:
    """ANSI mode on for the analysis (BIGINT overflow raises), the session's setting put back after."""
    before = spark.conf.get("spark.sql.ansi.enabled", "false")
    spark.conf.set("spark.sql.ansi.enabled", "true")
    try:
        yield
    finally:
        spark.conf.set("spark.sql.ansi.enabled", before or "false")


def _rows(spark: SparkSession, sql: str) -> list[Sequence[Any]]:
    # pyspark Rows are tuples: they unpack exactly like DB-API rows.
    return list(spark.sql(sql).collect())


def run_analysis_spark(
    spark: SparkSession,
    ledger: str | Path | DataFrame = "ledger_monthly",
    settings: AnalysisSettings | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    *,
    attributes: str | Path | DataFrame | None = None,
    scope_rows: Literal["key", "all"] = "key",
) -> AnalysisResult:
    """Run the key-account analysis in Spark SQL and return the engine's :class:`AnalysisResult`.

    ``ledger`` is ``ledger_monthly`` (client_id, department_id, manager_id, month, turnover,
    income; money in integer kopecks): a table or view name, a Parquet file or directory, or a
    DataFrame. ``attributes`` (client_id, category_budget_kop, is_reference, is_partner,
    is_competent, is_innovator) is optional in the same forms; without it a table or view named
    ``client_attributes`` is used when the session has one. The period rules are the engine's:
    by default the 12 months ending with the last month in the ledger.
    """
    analysis = KeyAccountAnalysis(settings, period_start, period_end, scope_rows=scope_rows)
    tag = uuid.uuid4().hex[:12]
    ledger_view = f"kam_ledger_monthly_{tag}"
    attributes_view = f"kam_client_attributes_{tag}"
    _as_frame(spark, ledger).createOrReplaceTempView(ledger_view)
    views = [ledger_view]
    if attributes is not None:
        _as_frame(spark, attributes).createOrReplaceTempView(attributes_view)
        views.append(attributes_view)
    elif spark.catalog.tableExists("client_attributes"):
        attributes_view = "client_attributes"
    else:
        attributes_view = ""
    try:
        with _ansi(spark):
            start, end = _resolve_period(spark, analysis, ledger_view)
            client_sql = analysis.client_sql(BASE_DIALECT, start, end, with_attributes=bool(attributes_view))
            scope_sql = analysis.scope_sql(BASE_DIALECT, start, end)
            names = {"ledger": ledger_view, "attributes": attributes_view or "client_attributes"}
            client_rows = _rows(spark, spark_sql(client_sql, **names))
            scope = _rows(spark, spark_sql(scope_sql, **names))
    finally:
        for view in views:
            spark.catalog.dropTempView(view)
    # The engine's own pass over the ranked clients (exact shares, NPV, reasons, concentration).
    return analysis._build(start, end, months_between(start, end), client_rows, scope)


def _resolve_period(spark: SparkSession, analysis: KeyAccountAnalysis, ledger_view: str) -> tuple[date, date]:
    """KeyAccountAnalysis.resolve_period, reading the last month from the Spark view."""
    end = analysis.period_end
    if end is None:
        (last,) = spark.sql(f"SELECT CAST(MAX(month) AS DATE) FROM {ledger_view}").collect()[0]
        end = month_start(last if last is not None else date.today())
    start = analysis.period_start if analysis.period_start is not None else add_months(end, -11)
    if start > end:
        raise ValueError(f"period start {start} is after period end {end}")
    return start, end


# --------------------------------------------------------------------------- spark-submit


def _month(text: str) -> date:
    return month_start(date.fromisoformat(text if len(text) > 7 else f"{text}-01"))


def main(argv: Sequence[str] | None = None, spark: SparkSession | None = None) -> int:
    """``spark-submit --py-files kam-engine.zip kam/analytics/spark.py --ledger PATH [...]``.

    Writes the result as JSON (the engine's ``to_dict()``: Decimals as strings, money in
    kopecks) to ``--output`` or stdout.
    """
    parser = argparse.ArgumentParser(description="kam key-account analysis in Spark SQL")
    parser.add_argument("--ledger", required=True, help="ledger_monthly: Parquet path or table name")
    parser.add_argument("--attributes", help="client_attributes: Parquet path or table name")
    parser.add_argument("--start", type=_month, help="first month, YYYY-MM")
    parser.add_argument("--end", type=_month, help="last month, YYYY-MM (default: the last in the ledger)")
    parser.add_argument("--basis", choices=("income", "turnover"), default="income")
    parser.add_argument("--scope-rows", choices=("key", "all"), default="key")
    parser.add_argument("--output", type=Path, help="JSON file (default: stdout)")
    args = parser.parse_args(argv)

    own_session = spark is None
    if spark is None:
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.appName("kam-key-account-analysis").getOrCreate()
    try:
        result = run_analysis_spark(
            spark,
            args.ledger,
            AnalysisSettings(basis=args.basis),
            args.start,
            args.end,
            attributes=args.attributes,
            scope_rows=args.scope_rows,
        )
    finally:
        if own_session:
            spark.stop()
    text = json.dumps(result.to_dict(), ensure_ascii=False)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
