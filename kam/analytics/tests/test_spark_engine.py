"""The analysis SQL in Spark SQL (local mode) gives what DuckDB gives, to the kopeck.

DuckDB runs through the engine (KeyAccountAnalysis.calculate_duckdb); Spark through the adapter
kam/analytics/spark.py, which renders the same SQL. Each comparison covers every client's rank,
turnover and income in kopecks, ABC/XYZ, the key/critical/mono and other flags, the reasons, the
department and manager rows and the concentration figures. The only value compared approximately
is cv, a float statistic (its sum of squares may be added up in another order).

Needs Java (scripts/ensure-services.sh installs Debian's default-jre-headless); no database.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal

import duckdb
import pytest

from kam.analytics.engine import AnalysisResult, AnalysisSettings, KeyAccountAnalysis
from kam.analytics.spark import main, run_analysis_spark, spark_sql
from kam.analytics.tests.test_engine import AttrRow, Backend, LedgerRow, _random_ledger, row

pytestmark = pytest.mark.spark

START, END = date(2023, 7, 1), date(2024, 6, 1)


# One JVM for the module; module scope stops it as soon as these tests are done instead of
# holding it through the rest of the run (only this module uses Spark).
@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java is not installed (scripts/ensure-services.sh installs default-jre-headless)")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[1]")
        .appName("kam-test")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.driver.memory", "512m")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _duckdb(
    rows: Sequence[LedgerRow],
    attrs: Sequence[AttrRow] = (),
    *,
    settings: AnalysisSettings | None = None,
    start: date | None = None,
    end: date | None = None,
    scope_rows: Literal["key", "all"] = "all",
    export_to: Path | None = None,
) -> AnalysisResult:
    conn = duckdb.connect()
    try:
        Backend("duckdb", conn).load(rows, attrs)
        if export_to is not None:  # the export the operators' guide shows
            conn.execute(f"COPY ledger_monthly TO '{export_to / 'ledger_monthly.parquet'}' (FORMAT parquet)")
            if attrs:
                conn.execute(
                    f"COPY client_attributes TO '{export_to / 'client_attributes.parquet'}' (FORMAT parquet)"
                )
        return KeyAccountAnalysis(settings, start, end, scope_rows=scope_rows).calculate_duckdb(conn)
    finally:
        conn.close()


def _essence(result: AnalysisResult) -> list[tuple[Any, ...]]:
    return [
        (
            c.client_id, c.rank, c.turnover, c.income, c.basis, c.cumulative_basis, c.abc, c.xyz,
            c.is_key, c.is_critical, c.is_mono, c.is_key_absolute, c.is_key_potential, c.is_key_any,
            c.npv, c.wallet_left, [r.code for r in c.reasons], c.key_for_departments, c.key_for_managers,
        )
        for c in result.clients
    ]  # fmt: skip


def _without_cv(data: dict[str, Any]) -> tuple[dict[str, Any], list[float | None]]:
    cvs = [c.pop("cv") for c in data["clients"]]
    return data, cvs


def assert_same(spark_data: dict[str, Any], duck_data: dict[str, Any]) -> None:
    spark_rest, spark_cv = _without_cv(spark_data)
    duck_rest, duck_cv = _without_cv(duck_data)
    assert spark_rest == duck_rest
    assert [v is None for v in spark_cv] == [v is None for v in duck_cv]
    numbers = [(a, b) for a, b in zip(spark_cv, duck_cv, strict=True) if a is not None]
    assert [a for a, _ in numbers] == pytest.approx([b for _, b in numbers], rel=1e-12, abs=1e-15)


@pytest.fixture(scope="module")
def random_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, AnalysisSettings, AnalysisResult]:
    """The cross-engine test's random ledger, analysed by DuckDB and exported to Parquet."""
    rows, attrs = _random_ledger()
    folder = tmp_path_factory.mktemp("spark-ledger")
    settings = AnalysisSettings(absolute_threshold_kop=3_000_000_000)
    duck = _duckdb(rows, attrs, settings=settings, start=START, end=END, export_to=folder)
    return folder, settings, duck


def test_spark_sql_only_renames_double_precision_and_the_relations() -> None:
    sql = KeyAccountAnalysis().client_sql("duckdb", START, END, with_attributes=True)
    adapted = spark_sql(sql, ledger="v_ledger", attributes="v_attrs")
    assert "DOUBLE PRECISION" not in adapted and "FROM v_ledger" in adapted and "FROM v_attrs" in adapted
    renamed = sql.replace("ledger_monthly", "v_ledger").replace("client_attributes", "v_attrs")
    assert adapted == renamed.replace("DOUBLE PRECISION", "DOUBLE")


def test_spark_and_duckdb_agree_on_the_random_ledger_from_parquet(
    spark: Any, random_book: tuple[Path, AnalysisSettings, AnalysisResult]
) -> None:
    folder, settings, duck = random_book
    result = run_analysis_spark(
        spark,
        folder / "ledger_monthly.parquet",
        settings,
        START,
        END,
        attributes=folder / "client_attributes.parquet",
        scope_rows="all",
    )
    assert len(result.clients) > 300
    assert _essence(result) == _essence(duck)
    assert {c.abc for c in result.clients} == {"A", "B", "C"}
    assert {c.xyz for c in result.clients} == {"X", "Y", "Z"}
    assert any(c.is_critical for c in result.clients) and any(c.is_key_potential for c in result.clients)
    assert any(c.is_reference for c in result.clients) and any(c.key_for_managers for c in result.clients)
    assert (result.total_basis, result.total_turnover, result.total_income) == (
        duck.total_basis,
        duck.total_turnover,
        duck.total_income,
    )
    assert_same(result.to_dict(), duck.to_dict())
    # The temporary views are gone.
    assert not [t.name for t in spark.catalog.listTables() if t.name.startswith("kam_")]


def test_spark_and_duckdb_agree_on_the_edges_from_a_dataframe(spark: Any) -> None:
    from pyspark.sql.types import DateType, LongType, StructField, StructType

    big = 90_000_000_000_000  # 900 billion RUB in kopecks: exact only as integers
    rows = [
        row(1, 5, 1), row(1, 3, 2),  # cv exactly 0.25 → X
        row(2, 501, 1), row(2, 299, 2),  # cv 0.2525 → Y
        row(3, 3, 1), row(3, 1, 2),  # cv exactly 0.5 → Y
        row(4, 10, 1),  # one month of two → Z
        row(5, 7, 1, dept=1, mgr=1), row(5, 7, 2, dept=1, mgr=2),
        row(6, 10, 1), row(6, -4, 2),
        row(7, 0, 2, turnover=500),  # zero income: C, never key
        row(8, -20, 1, dept=1),
        row(9, big + 1, 1, turnover=3 * big + 7, dept=2, mgr=1),  # a whale
        row(10, big // 9, 2, dept=2, mgr=1), row(11, big // 9, 2, dept=2),  # equal bases: by id
    ]  # fmt: skip
    schema = StructType(
        [
            StructField("client_id", LongType(), False),
            StructField("department_id", LongType(), True),
            StructField("manager_id", LongType(), True),
            StructField("month", DateType(), False),
            StructField("turnover", LongType(), False),
            StructField("income", LongType(), False),
        ]
    )
    frame = spark.createDataFrame(rows, schema)
    duck = _duckdb(rows)  # default period: the 12 months ending with the last month
    result = run_analysis_spark(spark, frame, scope_rows="all")
    assert (result.period_start, result.period_end) == (date(2023, 3, 1), date(2024, 2, 1))
    assert _essence(result) == _essence(duck)
    assert_same(result.to_dict(), duck.to_dict())
    c = {r.client_id: r for r in result.clients}
    assert c[9].income == big + 1 and c[9].turnover == 3 * big + 7 and c[9].is_mono
    assert [c[10].rank + 1, c[11].rank] == [c[11].rank, c[10].rank + 1]
    assert (c[7].abc, c[8].abc, c[7].is_key_any, c[8].is_key) == ("C", "C", False, False)


def test_spark_submit_entry_point_writes_the_same_json(
    spark: Any, random_book: tuple[Path, AnalysisSettings, AnalysisResult], tmp_path: Path
) -> None:
    folder, _settings, _duck = random_book
    rows, attrs = _random_ledger()
    duck = _duckdb(rows, attrs, settings=AnalysisSettings(basis="turnover"), end=END, scope_rows="key")
    out = tmp_path / "result.json"
    argv = [
        "--ledger", str(folder / "ledger_monthly.parquet"),
        "--attributes", str(folder / "client_attributes.parquet"),
        "--end", "2024-06", "--basis", "turnover", "--output", str(out),
    ]  # fmt: skip
    assert main(argv, spark=spark) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["period_start"] == "2023-07-01" and data["settings"]["basis"] == "turnover"
    assert_same(data, json.loads(json.dumps(duck.to_dict())))


def test_a_bigint_overflow_raises_even_with_ansi_off_and_the_setting_is_put_back(spark: Any) -> None:
    from pyspark.sql.types import DateType, LongType, StructField, StructType

    schema = StructType(
        [StructField(name, LongType()) for name in ("client_id", "department_id", "manager_id")]
        + [StructField("month", DateType())]
        + [StructField(name, LongType()) for name in ("turnover", "income")]
    )
    huge = 2**62  # two of them overflow the BIGINT sum: Spark 3.5 without ANSI would wrap around
    frame = spark.createDataFrame([row(1, huge, 1, turnover=1), row(1, huge, 2, turnover=1)], schema)
    spark.conf.set("spark.sql.ansi.enabled", "false")
    try:
        with pytest.raises(Exception, match=r"(?i)overflow"):
            run_analysis_spark(spark, frame, period_start=date(2024, 1, 1), period_end=date(2024, 12, 1))
        assert spark.conf.get("spark.sql.ansi.enabled") == "false"
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "true")
