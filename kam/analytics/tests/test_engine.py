"""Key-account engine on hand-computed ledgers, the same on SQLite, DuckDB and PostgreSQL.

No Django here: the engine is pure Python over a DB-API connection.
PostgreSQL comes from KAM_PG_TEST_URL (default: local trust auth); each test works in a
schema of its own that is dropped afterwards. If the server is unreachable the PostgreSQL
cases are skipped, unless CI is set, where they fail.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import sqlite3
import uuid
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kam.analytics import cli
from kam.analytics.engine import (
    AnalysisResult,
    AnalysisSettings,
    ClientRow,
    Dialect,
    KeyAccountAnalysis,
    LedgerFileError,
    analyze_file,
)

PG_URL = os.environ.get("KAM_PG_TEST_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ENGINES: list[Dialect] = ["sqlite", "duckdb", "postgres"]

JAN = date(2024, 1, 1)
DEC = date(2024, 12, 1)

# (client_id, department_id, manager_id, month, turnover, income)
LedgerRow = tuple[int, int | None, int | None, date, int, int]
# (client_id, category_budget_kop, is_reference, is_partner, is_competent, is_innovator)
AttrRow = tuple[int, int | None, bool, bool, bool, bool]

LEDGER_DDL = (
    "CREATE TABLE ledger_monthly (client_id BIGINT NOT NULL, department_id BIGINT, manager_id BIGINT, "
    "month DATE NOT NULL, turnover BIGINT NOT NULL, income BIGINT NOT NULL)"
)
ATTR_DDL = (
    "CREATE TABLE client_attributes (client_id BIGINT NOT NULL, category_budget_kop BIGINT, "
    "is_reference BOOLEAN, is_partner BOOLEAN, is_competent BOOLEAN, is_innovator BOOLEAN)"
)


def row(
    client: int,
    income: int,
    month: int = 1,
    *,
    turnover: int | None = None,
    dept: int | None = None,
    mgr: int | None = None,
    year: int = 2024,
) -> LedgerRow:
    return (
        client,
        dept,
        mgr,
        date(year, month, 1),
        abs(income) * 3 if turnover is None else turnover,
        income,
    )


# --------------------------------------------------------------------------- backends


@dataclass
class Backend:
    dialect: Dialect
    conn: Any

    def load(self, rows: Sequence[LedgerRow], attributes: Sequence[AttrRow] = ()) -> None:
        self.conn.execute(LEDGER_DDL)
        if self.dialect == "sqlite":
            self.conn.executemany(
                "INSERT INTO ledger_monthly VALUES (?, ?, ?, ?, ?, ?)",
                [(c, d, m, mo.isoformat(), t, i) for c, d, m, mo, t, i in rows],
            )
        elif self.dialect == "duckdb":
            cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * 6
            table = pa.table(
                {
                    "client_id": pa.array(cols[0], pa.int64()),
                    "department_id": pa.array(cols[1], pa.int64()),
                    "manager_id": pa.array(cols[2], pa.int64()),
                    "month": pa.array(cols[3], pa.date32()),
                    "turnover": pa.array(cols[4], pa.int64()),
                    "income": pa.array(cols[5], pa.int64()),
                }
            )
            self.conn.register("ledger_arrow", table)
            self.conn.execute("INSERT INTO ledger_monthly SELECT * FROM ledger_arrow")
            self.conn.unregister("ledger_arrow")
        else:
            with self.conn.cursor() as cur, cur.copy("COPY ledger_monthly FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
        if attributes:
            self.conn.execute(ATTR_DDL)
            mark = "%s" if self.dialect == "postgres" else "?"
            sql = f"INSERT INTO client_attributes VALUES ({', '.join([mark] * 6)})"
            if self.dialect == "postgres":
                with self.conn.cursor() as cur:
                    cur.executemany(sql, attributes)
            else:
                self.conn.executemany(sql, attributes)

    def run(
        self,
        start: date | None = JAN,
        end: date | None = DEC,
        settings: AnalysisSettings | None = None,
        scope_rows: Literal["key", "all"] = "all",
    ) -> AnalysisResult:
        analysis = KeyAccountAnalysis(settings or AnalysisSettings(), start, end, scope_rows=scope_rows)
        return analysis.calculate(self.conn, self.dialect)


def _pg_connect() -> Any:
    import psycopg

    try:
        return psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL unreachable at {PG_URL} and CI is set: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {exc}")


@pytest.fixture(scope="module")
def pg_conn() -> Iterator[Any]:
    conn = _pg_connect()
    yield conn
    conn.close()


def _open(dialect: Dialect, request: pytest.FixtureRequest) -> Generator[Backend, None, None]:
    if dialect == "sqlite":
        conn = sqlite3.connect(":memory:")
        yield Backend("sqlite", conn)
        conn.close()
    elif dialect == "duckdb":
        dconn = duckdb.connect()
        yield Backend("duckdb", dconn)
        dconn.close()
    else:
        pconn = request.getfixturevalue("pg_conn")
        schema = f"kam_engine_test_{uuid.uuid4().hex[:12]}"
        pconn.execute(f"CREATE SCHEMA {schema}")
        pconn.execute(f"SET search_path TO {schema}")
        try:
            yield Backend("postgres", pconn)
        finally:
            pconn.execute("SET search_path TO public")
            pconn.execute(f"DROP SCHEMA {schema} CASCADE")
            pconn.execute("DISCARD TEMP")  # temporary views outlive the schema on this connection


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[Backend]:
    yield from _open(request.param, request)


def by_id(result: AnalysisResult) -> dict[int, ClientRow]:
    return {c.client_id: c for c in result.clients}


def flags(c: ClientRow) -> tuple[bool, bool, bool]:
    return (c.is_key, c.is_critical, c.is_mono)


# --------------------------------------------------------------------------- shares and flags


def test_share_of_exactly_10_percent_is_key_and_just_under_is_not(engine: Backend) -> None:
    engine.load([row(1, 100), row(2, 99), row(3, 801)])
    c = by_id(engine.run())
    assert c[1].share == Decimal("0.100000")
    assert c[1].is_key
    assert not c[2].is_key  # 9.9 %
    assert flags(c[3]) == (True, True, True)  # 80.1 %


def test_share_of_exactly_20_percent_is_not_critical_and_just_over_is(engine: Backend) -> None:
    engine.load([row(1, 200), row(2, 201), row(3, 599)])
    c = by_id(engine.run())
    assert flags(c[1]) == (True, False, False)
    assert flags(c[2]) == (True, True, False)
    assert c[2].share == Decimal("0.201000")


def test_share_of_exactly_70_percent_is_not_mono_and_just_over_is(engine: Backend) -> None:
    engine.load([row(1, 700, 1), row(2, 300, 1), row(1, 701, 2), row(2, 299, 2)])
    jan = by_id(engine.run(JAN, JAN))
    feb = by_id(engine.run(date(2024, 2, 1), date(2024, 2, 1)))
    assert flags(jan[1]) == (True, True, False)
    assert flags(feb[1]) == (True, True, True)
    assert feb[1].share == Decimal("0.701000")


def test_a_single_client_is_key_critical_mono_and_a(engine: Backend) -> None:
    engine.load([row(7, 5000, 3)])
    result = engine.run()
    (c,) = result.clients
    assert (c.client_id, c.rank, c.share, c.cumulative_share, c.abc) == (
        7,
        1,
        Decimal("1.000000"),
        Decimal("1"),
        "A",
    )
    assert flags(c) == (True, True, True)
    assert c.loss_if_leaves == 5000 and c.loss_if_leaves_share == Decimal("1")
    k = result.concentration
    assert (k.top1_share, k.hhi, k.gini, k.pareto_clients) == (Decimal("1"), Decimal("10000"), Decimal(0), 1)


def test_absolute_threshold_compares_the_annualised_basis(engine: Backend) -> None:
    engine.load([row(1, 500_000_000), row(2, 499_999_999), row(3, 250_000_000, 7), row(4, 10**12)])
    settings = AnalysisSettings(absolute_threshold_kop=500_000_000, potential_npv_threshold_kop=None)
    year = by_id(engine.run(settings=settings))
    assert year[1].is_key_absolute and not year[1].is_key  # 0.05 % of the company, key by size
    assert not year[2].is_key_absolute
    assert [r.code for r in year[1].reasons] == ["absolute"]
    assert year[1].reasons[0].figures == {
        "basis": 500_000_000,
        "annual_basis": 500_000_000,
        "threshold": 500_000_000,
    }
    # Over July..December 250 000 000 is 500 000 000 a year.
    half = by_id(engine.run(date(2024, 7, 1), DEC, settings))
    assert half[3].is_key_absolute
    assert not by_id(engine.run(settings=AnalysisSettings()))[1].is_key_absolute  # off by default


def test_turnover_can_be_the_basis(engine: Backend) -> None:
    engine.load([row(1, 10, turnover=1000), row(2, 500, turnover=100)])
    income = by_id(engine.run())
    assert (income[1].is_key, income[2].is_key) == (False, True)  # 10/510 < 10 %
    turnover = engine.run(settings=AnalysisSettings(basis="turnover"))
    c = by_id(turnover)
    assert turnover.total_basis == 1100 and turnover.total_income == 510
    assert c[1].basis == 1000 and c[1].share == Decimal("0.909091") and c[1].is_key
    assert c[2].share == Decimal("0.090909") and not c[2].is_key
    assert [x.client_id for x in turnover.clients] == [1, 2]


# --------------------------------------------------------------------------- ABC


def test_cumulative_of_exactly_80_percent_is_a_and_the_next_is_b(engine: Backend) -> None:
    engine.load([row(1, 50), row(2, 30), row(3, 15), row(4, 5)])
    c = by_id(engine.run())
    assert [c[i].abc for i in (1, 2, 3, 4)] == ["A", "A", "B", "C"]
    assert c[2].cumulative_share == Decimal("0.800000")
    assert c[3].cumulative_share == Decimal("0.950000")  # exactly 95 % is still B, the next is C


def test_the_client_that_crosses_80_percent_is_a(engine: Backend) -> None:
    engine.load([row(1, 50), row(2, 40), row(3, 10)])
    c = by_id(engine.run())
    assert [c[i].abc for i in (1, 2, 3)] == ["A", "A", "B"]


def test_equal_bases_rank_by_client_id(engine: Backend) -> None:
    engine.load([row(9, 40), row(3, 40), row(5, 20)])
    assert [(c.client_id, c.rank, c.abc) for c in engine.run().clients] == [
        (3, 1, "A"),
        (9, 2, "A"),
        (5, 3, "B"),
    ]


def test_zero_and_negative_clients_are_c_and_never_key(engine: Backend) -> None:
    engine.load([row(1, 100), row(2, 0, turnover=500), row(3, -20)])
    result = engine.run()
    c = by_id(result)
    assert result.total_basis == 80
    assert c[1].share == Decimal("1.250000") and flags(c[1]) == (True, True, True) and c[1].abc == "A"
    assert c[2].share == Decimal("0") and c[2].abc == "C" and not c[2].is_key_any
    assert c[3].share == Decimal("-0.250000") and c[3].abc == "C" and not c[3].is_key
    assert (c[2].xyz, c[3].xyz) == ("Z", "Z")
    assert [x.client_id for x in result.clients] == [1, 2, 3]


def test_a_non_positive_company_total_gives_no_shares_no_key_and_all_c(engine: Backend) -> None:
    engine.load([row(1, 50), row(2, -100)])
    result = engine.run()
    assert result.total_basis == -50
    for c in result.clients:
        assert (c.share, c.cumulative_share, c.abc, flags(c)) == (None, None, "C", (False, False, False))
    k = result.concentration
    assert (k.top1_share, k.pareto_clients, k.positive_clients_count) == (None, None, 1)


def test_an_empty_period_gives_an_empty_result(engine: Backend) -> None:
    engine.load([row(1, 100, 5, year=2020)])
    result = engine.run()
    assert result.clients == [] and result.departments == [] and result.managers == []
    assert (result.total_basis, result.total_turnover, result.total_income) == (0, 0, 0)
    assert result.concentration.clients_count == 0 and result.concentration.hhi is None
    json.dumps(result.to_dict())


def test_an_empty_ledger_with_the_default_period_does_not_crash(engine: Backend) -> None:
    engine.load([])
    result = engine.run(None, None)
    assert result.clients == [] and result.months == 12


def test_the_default_period_is_the_12_months_ending_with_the_last_month(engine: Backend) -> None:
    engine.load([row(1, 100, 3, year=2023), row(1, 100, 2, year=2024), row(2, 100, 3, year=2024)])
    result = engine.run(None, None)
    assert (result.period_start, result.period_end) == (date(2023, 4, 1), date(2024, 3, 1))
    assert by_id(result)[1].income == 100  # March 2023 is outside


def test_returns_net_against_sales(engine: Backend) -> None:
    # A return booked under another manager in the same month and a net-negative month.
    engine.load(
        [
            row(1, 400, 1, turnover=1000, mgr=1),
            row(1, -120, 1, turnover=-300, mgr=2),
            row(1, -50, 2, turnover=-100, mgr=1),
            row(2, 100, 1, turnover=150),
        ]
    )
    result = engine.run(JAN, date(2024, 2, 1))
    c = by_id(result)
    assert (c[1].turnover, c[1].income, c[1].months_with_sales) == (600, 230, 2)
    assert (result.total_turnover, result.total_income) == (750, 330)
    # Monthly income 280, −50: cv = 165 / 115 ≈ 1.43 → Z.
    assert c[1].xyz == "Z" and c[1].cv == pytest.approx(165 / 115, abs=1e-4)
    mgr = {(r.scope_id, r.client_id): r for r in result.managers}
    assert (mgr[(1, 1)].income, mgr[(2, 1)].income) == (350, -120)


# --------------------------------------------------------------------------- XYZ


def test_cv_of_exactly_025_is_x_and_just_above_is_y(engine: Backend) -> None:
    feb = date(2024, 2, 1)
    engine.load(
        [
            row(1, 5, 1), row(1, 3, 2),  # mean 4, sd 1: cv 0.25 → X
            row(2, 501, 1), row(2, 299, 2),  # mean 400, sd 101: cv 0.2525 → Y
            row(3, 3, 1), row(3, 1, 2),  # cv exactly 0.5 → Y
            row(4, 10, 1),  # February has no line: counts as 0, cv 1 → Z
            row(5, 7, 1), row(5, 7, 2),  # constant → X
            row(6, 10, 1), row(6, -4, 2),  # mean 3, sd 7: cv 2.33 → Z
        ]
    )  # fmt: skip
    c = by_id(engine.run(JAN, feb))
    assert {i: c[i].xyz for i in c} == {1: "X", 2: "Y", 3: "Y", 4: "Z", 5: "X", 6: "Z"}
    assert (c[1].cv, c[3].cv, c[4].cv, c[5].cv) == (0.25, 0.5, 1.0, 0.0)
    assert by_id(engine.run(JAN, JAN))[4].xyz == "X"  # a one-month period: no variation


def test_cv_over_twelve_months(engine: Backend) -> None:
    engine.load([row(1, 5 if m % 2 else 3, m) for m in range(1, 13)] + [row(2, 5, m) for m in range(1, 12)])
    c = by_id(engine.run())
    assert c[1].xyz == "X" and c[1].cv == 0.25
    assert c[2].xyz == "Y"  # 11 of 12 months: cv = sqrt(11)/11 ≈ 0.3015


# --------------------------------------------------------------------------- departments and managers


def test_a_client_can_be_key_for_a_department_or_manager_without_being_key_for_the_company(
    engine: Backend,
) -> None:
    engine.load(
        [
            row(1, 900, dept=1, mgr=1),
            row(2, 100, dept=1, mgr=2),
            row(3, 9000, dept=2, mgr=3),
            row(4, 400, dept=2, mgr=2),
            row(5, 50),  # no department, no manager
        ]
    )
    result = engine.run()
    c = by_id(result)
    assert not c[2].is_key and c[2].share == Decimal("0.009569")  # 100 / 10 450
    assert (c[2].key_for_departments, c[2].key_for_managers) == ((1,), (2,))
    dept = {(r.scope_id, r.client_id): r for r in result.departments}
    mgr = {(r.scope_id, r.client_id): r for r in result.managers}
    assert set(dept) == {(1, 1), (1, 2), (2, 3), (2, 4)}
    d12 = dept[(1, 2)]
    assert (d12.share, d12.scope_total_basis, d12.rank, d12.is_key, d12.is_critical) == (
        Decimal("0.100000"), 1000, 2, True, False,
    )  # fmt: skip
    assert flags(dept[(1, 1)]) == (True, True, True)  # type: ignore[arg-type]
    m22 = mgr[(2, 2)]
    assert (m22.share, m22.is_key, m22.is_critical) == (Decimal("0.200000"), True, False)  # exactly 20 %
    assert mgr[(2, 4)].is_critical
    assert [r.scope for r in result.departments] == ["department"] * 4
    # By default only the rows that are key inside their scope come back.
    key_only = engine.run(scope_rows="key")
    assert [(r.scope_id, r.client_id) for r in key_only.departments] == [(1, 1), (1, 2), (2, 3)]
    assert [(r.scope_id, r.client_id) for r in key_only.managers] == [(1, 1), (2, 4), (2, 2), (3, 3)]
    assert by_id(key_only)[2].key_for_managers == (2,)


# --------------------------------------------------------------------------- concentration


def test_concentration_figures(engine: Backend) -> None:
    engine.load([row(1, 40), row(2, 30), row(3, 20), row(4, 10), row(5, 0)])
    k = engine.run().concentration
    assert (k.clients_count, k.positive_clients_count) == (5, 4)
    assert (k.top1_share, k.top5_share, k.top10_share) == (Decimal("0.4"), Decimal("1"), Decimal("1"))
    assert k.hhi == Decimal("3000")  # (.16 + .09 + .04 + .01) × 10 000
    assert k.gini == Decimal("0.25")  # 2·(10+40+90+160)/(4·100) − 5/4
    assert (k.pareto_clients, k.pareto_clients_share) == (3, Decimal("0.6"))  # 40+30+20 ≥ 80 %
    assert k.lorenz_curve == [(0.0, 0.0), (0.25, 0.1), (0.5, 0.3), (0.75, 0.6), (1.0, 1.0)]
    assert k.pareto_curve == [(0.0, 0.0), (0.25, 0.4), (0.5, 0.7), (0.75, 0.9), (1.0, 1.0)]


def test_concentration_with_a_loss_making_client(engine: Backend) -> None:
    engine.load([row(1, 60), row(2, 40), row(3, -20)])
    result = engine.run()
    k = result.concentration
    assert k.top1_share == Decimal("0.75")  # 60 / 80, like the client share
    assert k.hhi == Decimal("5200")  # over the positive bases: .6² + .4²
    assert k.gini == Decimal("0.1")  # 2·(40+120)/(2·100) − 3/2
    assert (k.pareto_clients, k.pareto_clients_share) == (2, Decimal("0.666667"))
    assert by_id(result)[1].loss_if_leaves_share == Decimal("0.75")


def test_curves_are_cut_down_for_charting(engine: Backend) -> None:
    engine.load([row(i, i) for i in range(1, 1001)])
    k = engine.run().concentration
    assert len(k.lorenz_curve) <= 200 and len(k.pareto_curve) <= 200
    assert k.lorenz_curve[0] == (0.0, 0.0) and k.lorenz_curve[-1] == (1.0, 1.0)
    assert k.gini == Decimal("0.333")  # n=1000, x=i: (n−1)/(3n)
    xs = [x for x, _ in k.pareto_curve]
    assert xs == sorted(xs)


# --------------------------------------------------------------------------- the other definitions


def test_potential_by_wallet_left(engine: Backend) -> None:
    engine.load(
        [
            row(1, 1_000, turnover=100_000_000),
            row(2, 1_000, turnover=100_000_000),
            row(3, 1_000, turnover=10),
            row(4, 100_000),  # keeps 1..3 under 10 %: potential is their only reason
        ],
        attributes=[
            (1, 400_000_000, False, False, False, False),  # wallet 300 000 000: exactly the threshold
            (2, 399_999_999, False, False, False, False),
            (3, None, False, False, False, False),
        ],
    )
    c = by_id(engine.run())
    assert (c[1].wallet_left, c[1].is_key_potential) == (300_000_000, True)
    assert (c[2].wallet_left, c[2].is_key_potential) == (299_999_999, False)
    assert (c[3].wallet_left, c[3].is_key_potential) == (None, False)
    (reason,) = c[1].reasons
    assert reason.code == "potential"
    assert reason.figures["wallet_left"] == 300_000_000 and reason.figures["category_budget"] == 400_000_000


def test_wallet_left_annualises_the_turnover_of_a_short_period(engine: Backend) -> None:
    engine.load(
        [row(1, 1, 7, turnover=50_000_000), row(2, 1, 7, turnover=10)],
        attributes=[(1, 400_000_000, False, False, False, False), (2, 1000, False, False, False, False)],
    )
    c = by_id(engine.run(date(2024, 7, 1), DEC))
    assert (c[1].annual_turnover, c[1].wallet_left, c[1].is_key_potential) == (100_000_000, 300_000_000, True)
    assert by_id(engine.run(date(2024, 6, 1), DEC))[2].annual_turnover == 17  # 10 × 12 / 7, floored


def test_potential_by_npv_of_the_expected_margin(engine: Backend) -> None:
    engine.load([row(1, 1_520_875_000), row(2, 333_333_334, 2), row(3, 333_333_333, 2)])
    c = by_id(engine.run())
    # 1 520 875 000 / 1.15 + / 1.15² + / 1.15³ = 1 322 500 000 + 1 150 000 000 + 1 000 000 000
    assert c[1].npv == 3_472_500_000 and c[1].is_key_potential
    flat = by_id(engine.run(settings=AnalysisSettings(discount_rate=Decimal(0))))
    assert (flat[2].npv, flat[2].is_key_potential) == (1_000_000_002, True)
    assert (flat[3].npv, flat[3].is_key_potential) == (999_999_999, False)
    off = by_id(engine.run(settings=AnalysisSettings(potential_npv_threshold_kop=None)))
    assert not off[1].is_key_potential


def test_why_key_lists_every_definition_that_holds(engine: Backend) -> None:
    engine.load(
        [row(1, 800), row(2, 150), row(3, 50), row(4, 0)],
        attributes=[
            (1, None, True, False, False, True),
            (3, None, False, True, True, False),
        ],
    )
    c = by_id(engine.run())
    assert [r.code for r in c[1].reasons] == ["share", "reference", "innovator"]
    share = c[1].reasons[0].figures
    assert share == {
        "share": Decimal("0.8"),
        "basis": 800,
        "threshold": Decimal("0.10"),
        "critical": True,
        "mono": True,
    }
    assert c[1].reasons[1].figures == {"basis": 800, "share": Decimal("0.8")}
    assert [r.code for r in c[2].reasons] == ["share"]
    assert [r.code for r in c[3].reasons] == ["partner", "competent"] and c[3].is_key_any and not c[3].is_key
    assert c[4].reasons == () and not c[4].is_key_any
    payload = json.loads(json.dumps(engine.run().to_dict()))
    assert payload["clients"][0]["reasons"][0] == {
        "code": "share",
        "figures": {"share": "0.800000", "basis": 800, "threshold": "0.10", "critical": True, "mono": True},
    }


def test_client_attributes_may_be_a_temporary_view(engine: Backend) -> None:
    engine.load([row(1, 10), row(2, 1000)])
    engine.conn.execute(
        "CREATE TEMP VIEW client_attributes AS SELECT 1 AS client_id,"
        " CAST(NULL AS BIGINT) AS category_budget_kop, TRUE AS is_reference, FALSE AS is_partner,"
        " FALSE AS is_competent, FALSE AS is_innovator"
    )
    assert [r.code for r in by_id(engine.run())[1].reasons] == ["reference"]


def test_it_runs_on_a_db_api_cursor_too(engine: Backend) -> None:
    engine.load([row(1, 10), row(2, 90)])
    cursor = engine.conn.cursor()
    result = KeyAccountAnalysis(period_start=JAN, period_end=DEC).calculate(cursor, engine.dialect)
    assert [(c.client_id, c.abc) for c in result.clients] == [(2, "A"), (1, "B")]
    cursor.close()


# --------------------------------------------------------------------------- the same on three engines


def _random_ledger(seed: int = 20240611) -> tuple[list[LedgerRow], list[AttrRow]]:
    rnd = random.Random(seed)
    rows: list[LedgerRow] = []
    for client in range(1, 351):
        size = rnd.choice([1, 1, 1, 5, 20, 300]) * rnd.randint(1_000_000, 50_000_000)
        if client <= 3:
            size *= 60  # a few whales, so company-level key and critical flags occur
        noise = rnd.choice([0.05, 0.2, 0.4, 2.0])  # steady, seasonal, erratic buyers
        margin = rnd.uniform(-0.1, 0.4)
        dept = rnd.choice([None, 1, 2, 3, 4, 5])
        months = range(1, 25) if rnd.random() < 0.5 else rnd.sample(range(1, 25), rnd.randint(1, 14))
        for m in months:
            month = date(2023 + (m - 1) // 12, (m - 1) % 12 + 1, 1)
            turnover = int(size * max(rnd.gauss(1, noise), -0.2))
            income = int(turnover * margin) + rnd.randint(-1000, 1000)
            # Some months split over two managers, one of them possibly a return.
            if rnd.random() < 0.2:
                part = rnd.randint(-abs(turnover) // 4, abs(turnover))
                rows.append((client, dept, rnd.randint(1, 20), month, part, part // 4))
                turnover, income = turnover - part, income - part // 4
            rows.append((client, dept, rnd.choice([None, *range(1, 21)]), month, turnover, income))
    attrs: list[AttrRow] = [
        (
            c,
            rnd.choice([None, rnd.randint(0, 10**10)]),
            rnd.random() < 0.05,
            rnd.random() < 0.05,
            False,
            False,
        )
        for c in range(1, 351, 3)
    ]
    return rows, attrs


def _oracle(
    rows: Sequence[LedgerRow], start: date, end: date
) -> dict[int, tuple[int, str, bool, bool, bool]]:
    """Independent plain-Python reading of the rule: basis, ABC and the share flags per client."""
    basis: dict[int, int] = {}
    for c, _d, _m, month, _t, income in rows:
        if start <= month <= end:
            basis[c] = basis.get(c, 0) + income
    total = sum(basis.values())
    out = {}
    before = 0
    for c, b in sorted(basis.items(), key=lambda kv: (-kv[1], kv[0])):
        share = Fraction(b, total)
        prior = Fraction(before, total)
        abc = "C" if b <= 0 else "A" if prior < Fraction(8, 10) else "B" if prior < Fraction(95, 100) else "C"
        out[c] = (
            b,
            abc,
            b > 0 and share >= Fraction(1, 10),
            b > 0 and share > Fraction(2, 10),
            share > Fraction(7, 10),
        )
        before += b
    return out


def test_three_engines_agree_on_a_random_ledger(request: pytest.FixtureRequest) -> None:
    rows, attrs = _random_ledger()
    assert len(rows) > 4_000
    start, end = date(2023, 7, 1), date(2024, 6, 1)
    results: dict[str, AnalysisResult] = {}
    for dialect in ENGINES:
        opened = _open(dialect, request)
        backend = next(opened)
        try:
            backend.load(rows, attrs)
            results[dialect] = backend.run(start, end, AnalysisSettings(absolute_threshold_kop=3_000_000_000))
        finally:
            opened.close()

    def essence(r: AnalysisResult) -> list[tuple[Any, ...]]:
        return [
            (
                c.client_id, c.rank, c.turnover, c.income, c.basis, c.share, c.cumulative_share, c.abc, c.xyz,
                flags(c), c.is_key_absolute, c.is_key_potential, c.npv, c.wallet_left, c.is_key_any,
                [x.code for x in c.reasons], c.key_for_departments, c.key_for_managers,
            )
            for c in r.clients
        ]  # fmt: skip

    sqlite_result = results["sqlite"]
    assert len(sqlite_result.clients) > 300
    for dialect in ("duckdb", "postgres"):
        other = results[dialect]
        assert essence(other) == essence(sqlite_result), dialect
        assert [s.to_dict() for s in other.departments] == [s.to_dict() for s in sqlite_result.departments]
        assert [s.to_dict() for s in other.managers] == [s.to_dict() for s in sqlite_result.managers]
        assert other.concentration == sqlite_result.concentration
        assert (other.total_basis, other.total_turnover) == (
            sqlite_result.total_basis,
            sqlite_result.total_turnover,
        )
    # The potential flag is decided in SQL by an integer rewrite; it must match the figures.
    wallet_threshold, npv_threshold = 300_000_000, 1_000_000_000  # the defaults
    for c in sqlite_result.clients:
        by_wallet = c.wallet_left is not None and c.wallet_left >= wallet_threshold
        assert c.is_key_potential == (by_wallet or c.npv >= npv_threshold), c
    assert any(c.is_key_potential for c in sqlite_result.clients)
    oracle = _oracle(rows, start, end)
    assert {c.client_id: (c.basis, c.abc, *flags(c)) for c in sqlite_result.clients} == oracle
    assert {c.abc for c in sqlite_result.clients} == {"A", "B", "C"}
    assert {c.xyz for c in sqlite_result.clients} == {"X", "Y", "Z"}
    assert any(c.is_critical for c in sqlite_result.clients) and any(
        c.key_for_managers for c in sqlite_result.clients
    )


def _exact(row: dict[str, Any]) -> dict[str, Any]:
    # cv is the one float of a row: DuckDB's parallel sums may differ in the last bit between two
    # runs of the same query, so it is compared to 12 significant digits.
    cv = row.get("cv")
    return {**row, "cv": None if cv is None else float(f"{cv:.12g}")}


def test_rows_read_one_by_one_equal_rows_built_all_at_once(engine: Backend) -> None:
    # The result builds a client's row when it is read (ClientRows): one at a time for a page,
    # column-wise when every row is read. Both ways must give the same rows.
    rows, attrs = _random_ledger()
    engine.load(rows, attrs)
    settings = AnalysisSettings(absolute_threshold_kop=3_000_000_000)
    run = lambda: engine.run(date(2023, 7, 1), date(2024, 6, 1), settings)  # noqa: E731
    one_by_one, all_at_once = run(), run()
    n = len(one_by_one.clients)
    assert n > 300
    singles = [_exact(one_by_one.clients[i].to_dict()) for i in reversed(range(n))][::-1]
    assert singles == [_exact(c.to_dict()) for c in all_at_once.clients]
    assert one_by_one.clients[-1] is one_by_one.clients[n - 1]
    assert [_exact(c.to_dict()) for c in one_by_one.clients[:3]] == singles[:3]
    # A row read before the others are built keeps its identity (and changes made to it).
    third = run()
    third.clients[5].client_label = "read first"
    assert [c.client_label for c in third.clients][5] == "read first"
    assert third.key_count == sum(1 for c in all_at_once.clients if c.is_key_any) > 0
    assert [c.client_id for c in third.key_clients] == [
        c.client_id for c in all_at_once.clients if c.is_key_any
    ]
    assert [_exact(c.to_dict()) for c in run().clients] == singles
    assert [_exact(c.to_dict()) for c in one_by_one.clients] == singles


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key_share": Decimal("0.12345")}, "at most 4 decimal places"),
        ({"key_share": Decimal("0.3")}, "key_share <= critical_share"),
        ({"mono_share": Decimal("1.5")}, "mono_share <= 1"),
        ({"key_share": Decimal(0)}, "0 < key_share"),
        ({"abc_a": Decimal("0.95")}, "abc_a < abc_b"),
        ({"xyz_x": Decimal("0.6")}, "xyz_x < xyz_y"),
        ({"key_share": 0.1}, "not 0.1"),
        ({"basis": "profit"}, "basis must be"),
        ({"absolute_threshold_kop": 0}, "absolute_threshold_kop"),
        ({"horizon_years": 0}, "horizon_years"),
    ],
)
def test_settings_are_validated(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AnalysisSettings(**kwargs)


def test_settings_take_decimals_as_exact_integers() -> None:
    s = AnalysisSettings(key_share=Decimal("0.10000"), critical_share="0.2525")  # type: ignore[arg-type]
    assert (s.num("key_share"), s.num("critical_share")) == (1000, 2525)
    assert s.critical_share == Decimal("0.2525")
    assert s.annuity_factor() == Fraction(20, 23) + Fraction(400, 529) + Fraction(8000, 12167)


def test_an_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dialect"):
        KeyAccountAnalysis().calculate(sqlite3.connect(":memory:"), "oracle")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- ledger files


RU_CSV = (
    "Дата;Клиент;Менеджер;Отдел;Выручка;Себестоимость\n"
    "15.01.2024;ООО Альфа;Иванов;Опт;1 234,56;1 000,00\n"
    "20.01.2024;ООО Альфа;Иванов;Опт;-234,56;-200,00\n"
    "03.02.2024;ИП Бета;Петров;Розница;100,10;90,05\n"
    '28.02.2024;"ЗАО ""Гамма; и Ко""";Петров;Опт;5000;4000,5\n'
)


def test_analyze_file_reads_a_russian_csv_with_semicolons_and_comma_decimals(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(RU_CSV, encoding="utf-8")
    result = analyze_file(path)
    assert (result.period_start, result.period_end) == (date(2023, 3, 1), date(2024, 2, 1))
    c = {x.client_label: x for x in result.clients}
    assert set(c) == {"ООО Альфа", "ИП Бета", 'ЗАО "Гамма; и Ко"'}
    alfa = c["ООО Альфа"]
    assert (alfa.turnover, alfa.income) == (100_000, 20_000)  # 1234.56 − 234.56; the return nets
    assert (c["ИП Бета"].turnover, c["ИП Бета"].income) == (10_010, 1_005)
    assert c['ЗАО "Гамма; и Ко"'].income == 99_950
    assert result.total_income == 120_955
    assert {r.scope_label for r in result.departments} == {"Опт", "Розница"}
    assert {r.scope_label for r in result.managers} == {"Иванов", "Петров"}
    assert all(r.client_label for r in result.departments)


def test_analyze_file_reads_windows_1251(tmp_path: Path) -> None:
    path = tmp_path / "ledger-1c.csv"
    path.write_bytes(RU_CSV.encode("cp1251"))
    assert {c.client_label for c in analyze_file(path).clients} == {
        "ООО Альфа",
        "ИП Бета",
        'ЗАО "Гамма; и Ко"',
    }


def test_analyze_file_reads_windows_1251_that_starts_as_ascii(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    lines = ["date;client;revenue;cost", *["2024-01-01;A;1;1"] * 5000, "2024-01-02;Бета;2;1"]
    path.write_bytes("\n".join(lines).encode("cp1251"))  # the first 64 KiB are plain ASCII
    assert {c.client_label: c.income for c in analyze_file(path).clients} == {"A": 0, "Бета": 100}


def test_analyze_file_keeps_integer_client_ids_and_rounds_to_the_kopeck(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(
        "date,client_id,client_name,revenue,cost\n"
        '2024-03-05,42,Acme,"1,000.005",0.1\n'
        "2024-03-06,7,Bolt,0.3,0.2\n"
    )
    c = by_id(analyze_file(path, period_start=date(2024, 1, 1), period_end=date(2024, 3, 31)))
    assert (c[42].client_label, c[42].turnover, c[42].income) == ("Acme", 100_001, 99_991)
    assert (c[7].turnover, c[7].income) == (30, 10)


def test_analyze_file_reads_xlsx(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Date", "Client", "Manager", "Revenue", "Cost"])
    ws.append([datetime(2024, 5, 3), "Acme", "Ann", 0.1, 0.2])
    ws.append([datetime(2024, 5, 9), "Acme", "Ann", 1234.56, 1000])
    ws.append([datetime(2024, 6, 1), "Bolt", "Bob", 300, 100.01])
    path = tmp_path / "ledger.xlsx"
    wb.save(path)
    result = analyze_file(path)
    c = {x.client_label: x for x in result.clients}
    assert (c["Acme"].turnover, c["Acme"].income) == (123_466, 23_446)
    assert (c["Bolt"].turnover, c["Bolt"].income) == (30_000, 19_999)
    assert result.period_end == date(2024, 6, 1)
    assert {r.scope_label for r in result.managers} == {"Ann", "Bob"}


def test_analyze_file_names_the_sheet_row_of_a_bad_xlsx_cell(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Дата", "Клиент", "Выручка", "Себестоимость"])
    ws.append(["15.01.2024", "Альфа", "1 000,50", 900])
    ws.append([])
    ws.append(["16.01.2024", "Альфа", "много", 900])
    path = tmp_path / "ledger.xlsx"
    wb.save(path)
    with pytest.raises(LedgerFileError, match="row 4: Выручка 'много' is not a number"):
        analyze_file(path)


def test_analyze_file_reads_parquet(tmp_path: Path) -> None:
    table = pa.table(
        {
            "date": pa.array([date(2024, 1, 31), date(2024, 2, 1), date(2024, 2, 2)], pa.date32()),
            "client": ["Acme", "Acme", "Bolt"],
            "department": ["East", "West", "East"],
            "revenue": pa.array(
                [Decimal("100.10"), Decimal("-10.00"), Decimal("50.00")], pa.decimal128(12, 2)
            ),
            "cost": pa.array([70.07, -7.0, 0.1], pa.float64()),
        }
    )
    path = tmp_path / "ledger.parquet"
    pq.write_table(table, path)
    result = analyze_file(path)
    c = {x.client_label: x for x in result.clients}
    assert (c["Acme"].turnover, c["Acme"].income) == (9_010, 2_703)
    assert (c["Bolt"].turnover, c["Bolt"].income) == (5_000, 4_990)
    assert [(r.scope_label, r.client_label) for r in result.departments] == [
        ("East", "Bolt"),
        ("East", "Acme"),
    ]
    every = analyze_file(path, scope_rows="all")
    assert [(r.scope_label, r.client_label, r.income) for r in every.departments] == [
        ("East", "Bolt", 4_990), ("East", "Acme", 3_003), ("West", "Acme", -300),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("date;client;revenue\n2024-01-01;A;1\n", "missing column(s): cost"),
        (
            "date;client;revenue;cost\n2024-01-01;A;1;1\n31.02.2024;A;1;1\n",
            "row 3: date '31.02.2024' is not a date",
        ),
        (
            "date;client;revenue;cost\n2024-01-01;A;1;1\n2024-01-02;A;12x;1\n",
            "row 3: revenue '12x' is not a number",
        ),
        ("date;client;revenue;cost\n2024-01-01;;1;1\n", "row 2: client is empty"),
        ("", "empty"),
    ],
)
def test_analyze_file_rejects_bad_files_with_one_clear_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(LedgerFileError) as info:
        analyze_file(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_analyze_file_refuses_a_missing_file_and_unknown_types(tmp_path: Path) -> None:
    with pytest.raises(LedgerFileError, match="no such file"):
        analyze_file(tmp_path / "nope.csv")
    other = tmp_path / "ledger.json"
    other.write_text("{}")
    with pytest.raises(LedgerFileError, match="unsupported file type"):
        analyze_file(other)


def test_analyze_file_of_a_header_only_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("date;client;revenue;cost\n")
    assert analyze_file(path).clients == []


# --------------------------------------------------------------------------- command line


@pytest.fixture
def ledger_csv(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.csv"
    path.write_text(RU_CSV, encoding="utf-8")
    return path


def test_cli_prints_a_table_and_the_concentration_summary(
    ledger_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["analyze", str(ledger_csv)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Period 2023-03 .. 2024-02 (12 months), basis: income"
    header = lines[1].split()
    assert header[:3] == ["rank", "client", "turnover"] and "why" in header
    first = lines[3]
    assert first.split()[:5] == ["1", "ЗАО", '"Гамма;', "и", 'Ко"']
    assert (
        "999.50" in first
        and "82.63" in first
        and "key,critical,mono" in first
        and first.rstrip().endswith("share")
    )
    assert "Top-1 82.63 %" in out and "HHI" in out and "Key clients: 2 (share 2)" in out


def test_cli_writes_csv(ledger_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["analyze", str(ledger_csv), "--format", "csv", "--basis", "turnover"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["client"] for r in rows] == ['ЗАО "Гамма; и Ко"', "ООО Альфа", "ИП Бета"]
    assert rows[1]["turnover_rub"] == "1000.00" and rows[1]["share"] == "0.163932"
    assert rows[0]["flags"] == "key,critical,mono" and rows[0]["why_key"] == "share"


def test_cli_writes_json_with_settings_from_the_options(
    ledger_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "analyze",
        str(ledger_csv),
        "--format",
        "json",
        "--key-share",
        "0.2",
        "--from",
        "2024-02",
        "--to",
        "2024-02",
        "--absolute-threshold",
        "11994",  # a year: Gamma's February × 12 is 999.50 × 12 = 11 994.00, exactly the threshold
        "--wallet-threshold",
        "off",
    ]
    assert cli.main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    settings = data["settings"]
    assert (settings["key_share"], settings["absolute_threshold_kop"]) == ("0.2", 1_199_400)
    assert settings["potential_wallet_threshold_kop"] is None
    assert (data["period_start"], data["period_end"], data["months"]) == ("2024-02-01", "2024-02-01", 1)
    clients = data["clients"]
    assert [c["client_label"] for c in clients] == ['ЗАО "Гамма; и Ко"', "ИП Бета"]
    assert [c["is_key_absolute"] for c in clients] == [True, False]
    assert [r["code"] for r in clients[0]["reasons"]] == ["share", "absolute"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["analyze", "/no/such/ledger.csv"], "no such file"),
        (["analyze", "{csv}", "--from", "2024-13"], "is not a month"),
        (["analyze", "{csv}", "--key-share", "0.123456"], "at most 4 decimal places"),
        (["analyze", "{bad}"], "missing column(s)"),
    ],
)
def test_cli_errors_exit_2_with_one_line(
    ledger_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("when;who\n2024-01-01;A\n")
    argv = [a.format(csv=ledger_csv, bad=bad) for a in argv]
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.out == ""
