"""Key-account analysis engine (SPEC 3.2): one SQL definition for SQLite, PostgreSQL and DuckDB.

Pure Python, no Django. The engine reads a relation named ``ledger_monthly``
(``client_id, department_id, manager_id, month, turnover, income``; money in integer
kopecks, ``month`` the first day of the month) and, when present, ``client_attributes``
(``client_id, category_budget_kop, is_reference, is_partner, is_competent, is_innovator``)
from whatever connection it is given, and returns a typed :class:`AnalysisResult`.

Exactness
---------
Money stays integer kopecks end to end. Every threshold is a Decimal with at most four
decimal places, turned into an integer numerator over 10 000, and shares are compared as
``basis * 10000 >= total * numerator`` in integers. Sums are kept in BIGINT (int64) on
all three engines, so company totals must stay below 9.2e14 kopecks (9.2 trillion RUB,
ample for one company's book); past that PostgreSQL and DuckDB raise an error and SQLite
would silently turn to floating point. Shares are returned as
Decimal quantized to 1e-6 and are computed from the integers, never from floats.
XYZ uses DOUBLE for the variance (a statistic, not money), compared without division or
square roots so that small-integer edges such as cv == 0.25 are exact.

What runs where
---------------
SQL (identical text on the three engines apart from how a date literal is written) does
the heavy part and decides every class and flag: monthly and per-client aggregation,
company totals, rank, cumulative share, ABC, XYZ, the share, absolute and potential
flags, and the department/manager shares and flags. Python works on the ranked clients
(never the ledger) for figures that need unbounded integers or rationals: the concentration
figures (HHI, Gini, curves) from the basis column, and, per client, the NPV and wallet-left
amounts, the Decimal shares and the "why key" reasons. The client rows come back as columns
(numpy arrays from DuckDB) and a :class:`ClientRow` is built only when it is read
(:class:`ClientRows`): a page of 50 clients builds 50 rows, an export or the snapshot writer
builds them all, column-wise.

Readings of the rule worth knowing
----------------------------------
* XYZ is always on monthly income, whatever the basis.
* The absolute threshold is annual: ``basis * 12 / months >= threshold``.
* "Never key" for clients with basis <= 0 applies to the share and absolute flags;
  potential and the marked definitions (reference, partner, competent, innovator) hold
  whatever the basis, since they are about the future or the relationship.
* Ledger rows without a department (manager) take no part in department (manager) scopes.
"""

from __future__ import annotations

import codecs
import gc
import math
import re
import tempfile
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from itertools import accumulate
from operator import mul
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload

if TYPE_CHECKING:
    import duckdb

Dialect = Literal["sqlite", "postgres", "duckdb"]
Basis = Literal["income", "turnover"]

DIALECTS: tuple[Dialect, ...] = ("sqlite", "postgres", "duckdb")
# Thresholds are exact rationals over this denominator (four decimal places).
SCALE = 10_000
# Above this the integer share comparison could overflow SQLite's int64 (see module doc).
MAX_TOTAL_KOP = 922_337_203_685_477
SHARE_PLACES = 6
CURVE_POINTS = 200

REASON_CODES = ("share", "absolute", "potential", "reference", "partner", "competent", "innovator")


# --------------------------------------------------------------------------- settings


def _threshold_num(name: str, value: Decimal) -> int:
    """The exact integer numerator of ``value`` over SCALE; ValueError past 4 decimal places."""
    scaled = value * SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{name}={value}: at most 4 decimal places are allowed")
    return int(scaled)


def _as_decimal(name: str, value: object) -> Decimal:
    # Floats are refused: 0.1 as a float is not 0.1, and thresholds are compared exactly.
    if isinstance(value, bool | float):
        raise ValueError(f"{name}: give a Decimal or a string such as '0.10', not {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{name}: {value!r} is not a number") from None
    else:
        raise ValueError(f"{name}: expected a Decimal, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{name}: {value!r} is not a finite number")
    return result


def _check_kop(name: str, value: object) -> None:
    """None (off) or a positive amount of kopecks that keeps the SQL in int64."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}: expected whole kopecks as int, got {value!r}")
    if not 0 < value <= MAX_TOTAL_KOP:
        raise ValueError(f"{name}={value}: must be between 1 and {MAX_TOTAL_KOP} kopecks")


@dataclass(frozen=True)
class AnalysisSettings:
    """Thresholds of SPEC 3.2. Shares are fractions (Decimal('0.10') = 10 %), money is kopecks."""

    basis: Basis = "income"
    key_share: Decimal = Decimal("0.10")
    critical_share: Decimal = Decimal("0.20")
    mono_share: Decimal = Decimal("0.70")
    abc_a: Decimal = Decimal("0.80")
    abc_b: Decimal = Decimal("0.95")
    xyz_x: Decimal = Decimal("0.25")
    xyz_y: Decimal = Decimal("0.50")
    # Annual amount; compared with the basis annualised over the period. None = off.
    absolute_threshold_kop: int | None = None
    horizon_years: int = 3
    discount_rate: Decimal = Decimal("0.15")
    # None switches the corresponding potential test off.
    potential_wallet_threshold_kop: int | None = 300_000_000
    potential_npv_threshold_kop: int | None = 1_000_000_000

    def __post_init__(self) -> None:
        if self.basis not in ("income", "turnover"):
            raise ValueError(f"basis must be 'income' or 'turnover', not {self.basis!r}")
        for f in fields(self):
            if f.type in ("Decimal", Decimal):
                value = _as_decimal(f.name, getattr(self, f.name))
                _threshold_num(f.name, value)
                # Frozen: normalise str/int inputs to Decimal in place.
                object.__setattr__(self, f.name, value)
        if not 0 < self.key_share <= self.critical_share <= self.mono_share <= 1:
            raise ValueError(
                "shares must satisfy 0 < key_share <= critical_share <= mono_share <= 1, got "
                f"{self.key_share}, {self.critical_share}, {self.mono_share}"
            )
        if not 0 < self.abc_a < self.abc_b <= 1:
            raise ValueError(
                f"ABC bounds must satisfy 0 < abc_a < abc_b <= 1, got {self.abc_a}, {self.abc_b}"
            )
        if not 0 <= self.xyz_x < self.xyz_y:
            raise ValueError(f"XYZ bounds must satisfy 0 <= xyz_x < xyz_y, got {self.xyz_x}, {self.xyz_y}")
        if not 0 <= self.discount_rate <= 10:
            raise ValueError(f"discount_rate must be between 0 and 10, got {self.discount_rate}")
        h = self.horizon_years
        if isinstance(h, bool) or not isinstance(h, int) or not 1 <= h <= 50:
            raise ValueError(f"horizon_years must be an int from 1 to 50, got {h!r}")
        for name in (
            "absolute_threshold_kop",
            "potential_wallet_threshold_kop",
            "potential_npv_threshold_kop",
        ):
            _check_kop(name, getattr(self, name))

    def num(self, name: str) -> int:
        """Integer numerator over 10 000 of a share/ratio setting, e.g. num('key_share') == 1000."""
        return _threshold_num(name, getattr(self, name))

    def annuity_factor(self) -> Fraction:
        """Σ_{t=1..horizon} 1/(1+r)^t as an exact fraction."""
        growth = 1 + Fraction(self.discount_rate)
        return sum((1 / growth**t for t in range(1, self.horizon_years + 1)), Fraction(0))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class KeyReason:
    """One definition of a key client that holds, with the figures that prove it."""

    code: str  # one of REASON_CODES
    figures: dict[str, int | Decimal | bool | None]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "figures": {k: _jsonable(v) for k, v in self.figures.items()}}


def _share(basis: int, total: int) -> Decimal | None:
    return ratio(basis, total) if total > 0 else None


@dataclass(slots=True)
class ClientRow:
    """A client over the period. Money in kopecks; shares are fractions (0.1 = 10 %).

    Shares are properties computed exactly from the integers on demand, so that building
    100 000 rows does not build 300 000 Decimals nobody reads.
    """

    client_id: int
    rank: int
    turnover: int
    income: int
    basis: int
    cumulative_basis: int  # basis of this client and of every client ranked above it
    total_basis: int  # the company's
    abc: str
    xyz: str
    cv: float | None  # coefficient of variation of monthly income; None when mean <= 0
    months_with_sales: int
    is_key: bool
    is_critical: bool
    is_mono: bool
    is_key_absolute: bool
    annual_turnover: int
    annual_income: int
    category_budget: int | None
    wallet_left: int | None
    npv: int
    is_key_potential: bool
    is_reference: bool
    is_partner: bool
    is_competent: bool
    is_innovator: bool
    is_key_any: bool = False
    reasons: tuple[KeyReason, ...] = ()
    # Departments / managers in whose book this client is key (see ScopeRow).
    key_for_departments: tuple[int, ...] = ()
    key_for_managers: tuple[int, ...] = ()
    client_label: str | None = None

    @property
    def share(self) -> Decimal | None:
        """basis / company basis; None when the company basis is <= 0."""
        return _share(self.basis, self.total_basis)

    @property
    def cumulative_share(self) -> Decimal | None:
        return _share(self.cumulative_basis, self.total_basis)

    @property
    def loss_if_leaves(self) -> int:
        """The basis the company loses if this client leaves."""
        return self.basis

    @property
    def loss_if_leaves_share(self) -> Decimal | None:
        return self.share

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            out[name] = [r.to_dict() for r in value] if name == "reasons" else _jsonable(value)
        for name in ("share", "cumulative_share", "loss_if_leaves", "loss_if_leaves_share"):
            out[name] = _jsonable(getattr(self, name))
        return out


@dataclass(slots=True)
class ScopeRow:
    """A client's share inside one department or one manager's book."""

    scope: Literal["department", "manager"]
    scope_id: int
    client_id: int
    rank: int
    turnover: int
    income: int
    basis: int
    scope_total_basis: int
    is_key: bool
    is_critical: bool
    is_mono: bool
    scope_label: str | None = None
    client_label: str | None = None

    @property
    def share(self) -> Decimal | None:
        """basis / scope basis; None when the scope basis is <= 0."""
        return _share(self.basis, self.scope_total_basis)

    def to_dict(self) -> dict[str, Any]:
        out = {name: _jsonable(getattr(self, name)) for name in self.__slots__}
        out["share"] = _jsonable(self.share)
        return out


@dataclass(slots=True)
class Concentration:
    """Concentration of the book.

    top-N shares and the Pareto count are relative to the company total basis (like the
    client shares and ABC). HHI, Gini and the curves describe the distribution of the
    positive bases only, so HHI stays on 0..10 000 and Gini on 0..1 even when loss-making
    clients pull the company total below the sum of the profitable ones.
    """

    clients_count: int
    positive_clients_count: int
    top1_share: Decimal | None
    top5_share: Decimal | None
    top10_share: Decimal | None
    hhi: Decimal | None  # 0..10000, 2 decimal places
    gini: Decimal | None  # 0..1, 6 decimal places
    pareto_threshold: Decimal  # abc_a, 0.80 by default
    pareto_clients: int | None  # fewest top clients that give pareto_threshold of the basis
    pareto_clients_share: Decimal | None  # pareto_clients / clients_count
    # (cumulative share of clients, cumulative share of basis), at most CURVE_POINTS points.
    lorenz_curve: list[tuple[float, float]]  # clients from the smallest up
    pareto_curve: list[tuple[float, float]]  # clients from the largest down

    def to_dict(self) -> dict[str, Any]:
        out = {name: _jsonable(getattr(self, name)) for name in self.__slots__}
        out["lorenz_curve"] = [list(p) for p in self.lorenz_curve]
        out["pareto_curve"] = [list(p) for p in self.pareto_curve]
        return out


@dataclass(slots=True)
class AnalysisResult:
    period_start: date
    period_end: date  # first day of the last month, inclusive
    months: int
    settings: AnalysisSettings
    total_basis: int
    total_turnover: int
    total_income: int
    # In rank order. From the engine a ClientRows: each row is built when first read.
    clients: Sequence[ClientRow]
    departments: list[ScopeRow]
    managers: list[ScopeRow]
    concentration: Concentration

    @property
    def key_clients(self) -> list[ClientRow]:
        if isinstance(self.clients, ClientRows):
            return self.clients.key_any()
        return [c for c in self.clients if c.is_key_any]

    @property
    def key_count(self) -> int:
        if isinstance(self.clients, ClientRows):
            return self.clients.key_any_count()
        return sum(1 for c in self.clients if c.is_key_any)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "months": self.months,
            "settings": self.settings.to_dict(),
            "total_basis": self.total_basis,
            "total_turnover": self.total_turnover,
            "total_income": self.total_income,
            "clients": [c.to_dict() for c in self.clients],
            "departments": [s.to_dict() for s in self.departments],
            "managers": [s.to_dict() for s in self.managers],
            "concentration": self.concentration.to_dict(),
        }


# The columns of CLIENT_SQL, in order.
CLIENT_COLUMNS = (
    "client_id", "rnk", "turnover", "income", "basis", "cum_basis", "total_basis", "income_sq",
    "months_with_sales", "is_key", "is_critical", "is_mono", "is_key_absolute", "is_key_potential",
    "abc", "xyz", "category_budget_kop", "is_reference", "is_partner", "is_competent", "is_innovator",
)  # fmt: skip
# Positions of the flags that make a client key under one definition or another (is_key_any).
_KEY_ANY_COLUMNS = (9, 12, 13, 17, 18, 19, 20)


def _as_list(column: Any) -> Sequence[Any]:
    """A column as a Python sequence: numpy arrays (DuckDB) via tolist(), masked values as None."""
    if isinstance(column, list | tuple):
        return column
    values: list[Any] = column.tolist()
    return values


class ClientRows(Sequence[ClientRow]):
    """The ranked clients, kept as the query's columns; a ClientRow is built when first read.

    A page or an export that reads a few rows builds only those; iterating builds every row
    once (then they are kept, so changes such as ``client_label`` stay). Reads of whole
    columns (totals, concentration, key counts) never build rows.
    """

    __slots__ = ("_columns", "_factory", "_lists", "_n", "_rows")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, columns: Sequence[Any], factory: _RowFactory) -> None:
        if len(columns) != len(CLIENT_COLUMNS):
            raise ValueError(f"expected {len(CLIENT_COLUMNS)} columns, got {len(columns)}")
        self._columns = columns
        self._n = len(columns[0])
        # Each column becomes a Python sequence when first needed.
        self._lists: list[Sequence[Any] | None] = [None] * len(columns)
        self._rows: list[ClientRow | None] = [None] * self._n
        self._factory = factory

    def column(self, name: str) -> Sequence[Any]:
        """One column of CLIENT_COLUMNS as a Python sequence, in rank order."""
        return self._list(CLIENT_COLUMNS.index(name))

    def _list(self, j: int) -> Sequence[Any]:
        values = self._lists[j]
        if values is None:
            values = self._lists[j] = _as_list(self._columns[j])
        return values

    def _as_lists(self) -> list[Sequence[Any]]:
        return [self._list(j) for j in range(len(self._lists))]

    def __len__(self) -> int:
        return self._n

    def _row(self, i: int) -> ClientRow:
        row = self._rows[i]
        if row is None:
            row = self._rows[i] = self._factory.one([c[i] for c in self._as_lists()])
        return row

    @overload
    def __getitem__(self, index: int) -> ClientRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[ClientRow]: ...
    def __getitem__(self, index: int | slice) -> ClientRow | list[ClientRow]:
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(self._n))]
        if index < 0:
            index += self._n
        if not 0 <= index < self._n:
            raise IndexError("client row index out of range")
        return self._row(index)

    def __iter__(self) -> Iterator[ClientRow]:
        if self._n and None in self._rows:
            self._build_all()
        return iter(self._rows)  # type: ignore[arg-type]

    def _build_all(self) -> None:
        # Building ~100 000 rows allocates millions of objects and none of them form cycles;
        # the cyclic collector would rescan them again and again (3x slower), so pause it.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            built = self._factory.many(self._as_lists(), self._key_any_indexes())
            if self._rows.count(None) < self._n:
                # Rows read before keep their identity (and any change made to them).
                built = [old if old is not None else new for old, new in zip(self._rows, built, strict=True)]
            self._rows = built  # type: ignore[assignment]
        finally:
            if gc_was_enabled:
                gc.enable()

    def _key_any_indexes(self) -> list[int]:
        flags = zip(*(self._list(j) for j in _KEY_ANY_COLUMNS), strict=True)
        return [i for i, f in enumerate(flags) if any(f)]

    def key_any(self) -> list[ClientRow]:
        """The key clients (any definition), in rank order; only their rows are built."""
        return [self._row(i) for i in self._key_any_indexes()]

    def key_any_count(self) -> int:
        return len(self._key_any_indexes())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ClientRows | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"<ClientRows: {self._n} clients>"


def _jsonable(value: object) -> Any:
    # Decimals as strings keep them exact in JSON.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --------------------------------------------------------------------------- periods


def month_start(d: date) -> date:
    return date(d.year, d.month, 1)


def add_months(d: date, n: int) -> date:
    k = d.year * 12 + d.month - 1 + n
    return date(k // 12, k % 12 + 1, 1)


def months_between(start: date, end: date) -> int:
    """Number of months in the inclusive range [start, end]."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def last_12_months(end: date) -> tuple[date, date]:
    end = month_start(end)
    return add_months(end, -11), end


def _to_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    raise ValueError(f"not a date: {value!r}")


# --------------------------------------------------------------------------- SQL

# The analysis, written once. Placeholders are filled only with validated ints, a
# whitelisted column name or a date literal built from a `date` object.
CLIENT_SQL = """
WITH client_month AS (
    -- Sums stay BIGINT (PostgreSQL would widen to NUMERIC, DuckDB to HUGEINT: both slower);
    -- they fit under the documented bound, and PostgreSQL/DuckDB raise if they did not.
    SELECT client_id, month, CAST(SUM(turnover) AS BIGINT) AS turnover, CAST(SUM(income) AS BIGINT) AS income
    FROM ledger_monthly
    WHERE month >= {start} AND month < {stop}
    GROUP BY client_id, month
),
client_sum AS (
    SELECT client_id,
           CAST(SUM(turnover) AS BIGINT) AS turnover,
           CAST(SUM(income) AS BIGINT) AS income,
           SUM(CAST(income AS DOUBLE PRECISION) * CAST(income AS DOUBLE PRECISION)) AS income_sq,
           COUNT(*) AS months_with_sales
    FROM client_month
    GROUP BY client_id
),
with_basis AS (
    SELECT client_id, turnover, income, income_sq, months_with_sales, {basis} AS basis,
           -- XYZ without division or roots, so that cv == 0.25 with small integers is exact:
           -- cv <= k  <=>  (N·Σx² − (Σx)²)·10000² <= (k·10000)²·(Σx)²,  for Σx > 0.
           ({months} * income_sq - CAST(income AS DOUBLE PRECISION) * CAST(income AS DOUBLE PRECISION))
               * {scale_sq} AS var_scaled,
           CAST(income AS DOUBLE PRECISION) * CAST(income AS DOUBLE PRECISION) AS income_sum_sq
    FROM client_sum
),
ranked AS (
    -- The company total as a window over the same rows: one pass, no second scan of with_basis.
    SELECT w.client_id, w.turnover, w.income, w.income_sq, w.months_with_sales, w.basis,
           w.var_scaled, w.income_sum_sq,
           ROW_NUMBER() OVER (ORDER BY w.basis DESC, w.client_id) AS rnk,
           SUM(w.basis) OVER (
               ORDER BY w.basis DESC, w.client_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS cum_basis,
           SUM(w.basis) OVER () AS total_basis
    FROM with_basis w
),
attrs AS (
    SELECT client_id,
           MAX(category_budget_kop) AS category_budget_kop,
           MAX(CASE WHEN is_reference THEN 1 ELSE 0 END) AS is_reference,
           MAX(CASE WHEN is_partner THEN 1 ELSE 0 END) AS is_partner,
           MAX(CASE WHEN is_competent THEN 1 ELSE 0 END) AS is_competent,
           MAX(CASE WHEN is_innovator THEN 1 ELSE 0 END) AS is_innovator
    FROM {attributes}
    GROUP BY client_id
)
SELECT r.client_id, r.rnk, r.turnover, r.income, r.basis, CAST(r.cum_basis AS BIGINT) AS cum_basis,
       CAST(r.total_basis AS BIGINT) AS total_basis, r.income_sq, r.months_with_sales,
       CASE WHEN r.total_basis > 0 AND r.basis > 0
                 AND r.basis * {scale} >= r.total_basis * {key_num} THEN 1 ELSE 0 END AS is_key,
       CASE WHEN r.total_basis > 0 AND r.basis > 0
                 AND r.basis * {scale} > r.total_basis * {critical_num} THEN 1 ELSE 0 END AS is_critical,
       CASE WHEN r.total_basis > 0 AND r.basis > 0
                 AND r.basis * {scale} > r.total_basis * {mono_num} THEN 1 ELSE 0 END AS is_mono,
       CASE WHEN {absolute_on} = 1 AND r.basis > 0
                 AND r.basis * 12 >= {absolute_for_period} THEN 1 ELSE 0 END AS is_key_absolute,
       -- Potential, exact in integers: npv >= T  <=>  income >= npv_min_income, and
       -- budget − floor(12·turnover/N) >= W  <=>  12·turnover < N·(budget − W + 1).
       CASE WHEN ({npv_on} = 1 AND r.income >= {npv_min_income})
                 OR ({wallet_on} = 1 AND a.category_budget_kop IS NOT NULL
                     AND r.turnover * 12 < {months} * (a.category_budget_kop - {wallet_threshold} + 1))
            THEN 1 ELSE 0 END AS is_key_potential,
       CASE WHEN r.total_basis <= 0 OR r.basis <= 0 THEN 'C'
            WHEN (r.cum_basis - r.basis) * {scale} < r.total_basis * {abc_a_num} THEN 'A'
            WHEN (r.cum_basis - r.basis) * {scale} < r.total_basis * {abc_b_num} THEN 'B'
            ELSE 'C' END AS abc,
       CASE WHEN r.income <= 0 THEN 'Z'
            WHEN r.var_scaled <= {xyz_x_num_sq} * r.income_sum_sq THEN 'X'
            WHEN r.var_scaled <= {xyz_y_num_sq} * r.income_sum_sq THEN 'Y'
            ELSE 'Z' END AS xyz,
       a.category_budget_kop,
       COALESCE(a.is_reference, 0) AS is_reference,
       COALESCE(a.is_partner, 0) AS is_partner,
       COALESCE(a.is_competent, 0) AS is_competent,
       COALESCE(a.is_innovator, 0) AS is_innovator
FROM ranked r
LEFT JOIN attrs a ON a.client_id = r.client_id
ORDER BY r.rnk
"""

SCOPE_SQL = """
WITH base AS (
    -- One row per client, department and manager over the period (NULLs group together):
    -- the two scope sums below then read ~one row per client instead of one per month.
    SELECT client_id, department_id, manager_id,
           CAST(SUM(turnover) AS BIGINT) AS turnover, CAST(SUM(income) AS BIGINT) AS income
    FROM ledger_monthly
    WHERE month >= {start} AND month < {stop}
    GROUP BY client_id, department_id, manager_id
),
scope_sum AS (
    SELECT 'department' AS scope, department_id AS scope_id, client_id,
           CAST(SUM(turnover) AS BIGINT) AS turnover, CAST(SUM(income) AS BIGINT) AS income
    FROM base
    WHERE department_id IS NOT NULL
    GROUP BY department_id, client_id
    UNION ALL
    SELECT 'manager' AS scope, manager_id AS scope_id, client_id,
           CAST(SUM(turnover) AS BIGINT) AS turnover, CAST(SUM(income) AS BIGINT) AS income
    FROM base
    WHERE manager_id IS NOT NULL
    GROUP BY manager_id, client_id
),
with_basis AS (
    SELECT scope, scope_id, client_id, turnover, income, {basis} AS basis FROM scope_sum
),
scope_totals AS (
    SELECT scope, scope_id, SUM(basis) AS scope_total FROM with_basis GROUP BY scope, scope_id
),
flagged AS (
    SELECT w.scope, w.scope_id, w.client_id, w.turnover, w.income, w.basis, t.scope_total,
           CASE WHEN t.scope_total > 0 AND w.basis > 0
                     AND w.basis * {scale} >= t.scope_total * {key_num} THEN 1 ELSE 0 END AS is_key,
           CASE WHEN t.scope_total > 0 AND w.basis > 0
                     AND w.basis * {scale} > t.scope_total * {critical_num} THEN 1 ELSE 0 END AS is_critical,
           CASE WHEN t.scope_total > 0 AND w.basis > 0
                     AND w.basis * {scale} > t.scope_total * {mono_num} THEN 1 ELSE 0 END AS is_mono
    FROM with_basis w
    JOIN scope_totals t ON t.scope = w.scope AND t.scope_id = w.scope_id
),
picked AS (
    SELECT * FROM flagged WHERE is_key >= {min_key}
)
-- Key rows are the top of their scope (the share grows with the basis), so ranking only
-- the picked rows gives every key row its rank in the whole scope.
SELECT scope, scope_id, client_id,
       ROW_NUMBER() OVER (PARTITION BY scope, scope_id ORDER BY basis DESC, client_id) AS rnk,
       turnover, income, basis, CAST(scope_total AS BIGINT) AS scope_total,
       is_key, is_critical, is_mono
FROM picked
ORDER BY scope, scope_id, rnk
"""

# Stands in for client_attributes when the relation does not exist: same columns, no rows.
NO_ATTRIBUTES = (
    "(SELECT CAST(NULL AS BIGINT) AS client_id, CAST(NULL AS BIGINT) AS category_budget_kop,"
    " CAST(NULL AS BOOLEAN) AS is_reference, CAST(NULL AS BOOLEAN) AS is_partner,"
    " CAST(NULL AS BOOLEAN) AS is_competent, CAST(NULL AS BOOLEAN) AS is_innovator"
    " WHERE 1 = 0) no_attributes"
)

# The only dialect difference: SQLite keeps dates as ISO text, the others have DATE.
_DATE_LITERAL: dict[Dialect, str] = {
    "sqlite": "'{}'",
    "postgres": "DATE '{}'",
    "duckdb": "DATE '{}'",
}

_ATTRIBUTES_EXIST_SQL: dict[Dialect, str] = {
    "sqlite": (
        "SELECT COUNT(*) FROM (SELECT name FROM sqlite_master WHERE name = 'client_attributes'"
        " UNION ALL SELECT name FROM sqlite_temp_master WHERE name = 'client_attributes') found"
    ),
    "postgres": "SELECT CASE WHEN to_regclass('client_attributes') IS NULL THEN 0 ELSE 1 END",
    "duckdb": "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'client_attributes'",
}


def _date_literal(dialect: Dialect, d: date) -> str:
    return _DATE_LITERAL[dialect].format(d.strftime("%Y-%m-%d"))


class _Cursor(Protocol):
    def fetchall(self) -> Sequence[Sequence[Any]]: ...


def _fetchall(conn: Any, sql: str) -> list[Sequence[Any]]:
    """Run sql on a DB-API connection (sqlite3, psycopg, duckdb) or cursor (e.g. Django's)."""
    execute = getattr(conn, "execute", None)
    if execute is not None:
        cursor: _Cursor | None = execute(sql)
        # DB-API cursors return None from execute; connections return a cursor.
        return list((cursor if cursor is not None else conn).fetchall())
    cur = conn.cursor()
    try:
        cur.execute(sql)
        return list(cur.fetchall())
    finally:
        cur.close()


def _fetch_columns(conn: Any, sql: str) -> list[Any]:
    """The result of sql column by column, one sequence per column.

    DuckDB hands its columns over as numpy arrays (no Python object per value until a row is
    read); other connections give rows, transposed here.
    """
    if callable(getattr(conn, "fetchnumpy", None)) and callable(getattr(conn, "execute", None)):
        return list(conn.execute(sql).fetchnumpy().values())
    rows = _fetchall(conn, sql)
    return list(zip(*rows, strict=True)) if rows else [() for _ in CLIENT_COLUMNS]


# PostgreSQL's default work_mem (4 MB) makes the ranking's hash aggregates and sorts spill to disk
# from ~50 000 clients on; 256 MB keeps 10 M ledger lines' aggregate in memory (measured: 2-3x faster).
PG_WORK_MEM = "256MB"


@contextmanager
def _postgres_memory(conn: Any, dialect: Dialect) -> Iterator[None]:
    """On PostgreSQL, run the analysis with PG_WORK_MEM and JIT off, then put the settings back."""
    if dialect != "postgres":
        yield
        return
    before = _fetchall(conn, "SELECT current_setting('work_mem'), current_setting('jit')")[0]
    _fetchall(conn, f"SELECT set_config('work_mem', '{PG_WORK_MEM}', false), set_config('jit', 'off', false)")
    try:
        yield
    finally:
        with suppress(Exception):  # a failed transaction: the settings go with the connection's reset
            restore = f"set_config('work_mem', '{before[0]}', false), set_config('jit', '{before[1]}', false)"
            _fetchall(conn, f"SELECT {restore}")


# --------------------------------------------------------------------------- exact helpers


def ratio(num: int, den: int, places: int = SHARE_PLACES) -> Decimal:
    """num/den as a Decimal rounded half away from zero, from integers only (den > 0)."""
    unit = 10**places
    q, r = divmod(abs(num) * unit, den)
    if 2 * r >= den:
        q += 1
    return Decimal(-q if num < 0 else q).scaleb(-places)


def _fraction_decimal(value: Fraction, places: int) -> Decimal:
    return ratio(value.numerator, value.denominator, places)


def _curve(cum: Sequence[int], total: int) -> list[tuple[float, float]]:
    """(i/n, cum[i]/total) for i = 0..n, cut down to at most CURVE_POINTS points."""
    n = len(cum) - 1
    if n <= 0 or total <= 0:
        return []
    if n + 1 <= CURVE_POINTS:
        idx: Iterable[int] = range(n + 1)
    else:
        idx = sorted({round(k * n / (CURVE_POINTS - 1)) for k in range(CURVE_POINTS)})
    return [(round(i / n, 6), round(cum[i] / total, 6)) for i in idx]


def concentration(clients: Sequence[ClientRow], total: int, settings: AnalysisSettings) -> Concentration:
    """Concentration figures from clients sorted by rank, in exact integer arithmetic."""
    return concentration_of_bases([c.basis for c in clients], total, settings)


def concentration_of_bases(bases: Sequence[int], total: int, settings: AnalysisSettings) -> Concentration:
    """Concentration figures from the clients' bases in rank order (descending), exact integers."""
    threshold = settings.abc_a
    positives = [b for b in bases if b > 0]  # ranked, so descending
    n = len(positives)
    cum_down = [0, *accumulate(positives)]  # basis of the top k clients
    pos_total = cum_down[-1]
    top1 = top5 = top10 = pareto_share = None
    pareto: int | None = None
    if total > 0:
        top1, top5, top10 = (ratio(cum_down[min(k, n)], total) for k in (1, 5, 10))
        # Fewest top clients with cum * 10000 >= total * abc_a_num, i.e. cum >= ceil(...).
        # Only positives can get there and their cumulative basis is increasing.
        k = bisect_left(cum_down, -(-total * settings.num("abc_a") // SCALE), 1)
        if k <= n:
            pareto = k
            pareto_share = ratio(k, len(bases))
    hhi = gini = None
    lorenz: list[tuple[float, float]] = []
    pareto_curve: list[tuple[float, float]] = []
    if n:
        hhi = ratio(sum(map(mul, positives, positives)) * SCALE, pos_total * pos_total, 2)
        cum_up = [0, *accumulate(reversed(positives))]  # from the smallest up
        # Gini = 2 Σ i·x_(i) / (n Σx) − (n+1)/n, x ascending, i = 1..n: the largest (first) weighs n.
        weighted = sum(map(mul, range(n, 0, -1), positives))
        gini = _fraction_decimal(Fraction(2 * weighted, n * pos_total) - Fraction(n + 1, n), 6)
        lorenz = _curve(cum_up, pos_total)
        pareto_curve = _curve(cum_down, pos_total)
    return Concentration(
        clients_count=len(bases),
        positive_clients_count=n,
        top1_share=top1,
        top5_share=top5,
        top10_share=top10,
        hhi=hhi,
        gini=gini,
        pareto_threshold=threshold,
        pareto_clients=pareto,
        pareto_clients_share=pareto_share,
        lorenz_curve=lorenz,
        pareto_curve=pareto_curve,
    )


# --------------------------------------------------------------------------- the query object


class KeyAccountAnalysis:
    """Key-account analysis over ``ledger_monthly`` for an inclusive month range.

    Dates are normalised to the first day of their month. With ``period_end`` None the
    period ends with the last month present in the ledger; with ``period_start`` None it
    is the 12 months ending with ``period_end`` (SPEC: "default last 12 months").

    ``scope_rows`` chooses which department/manager rows come back: "key" (default) only
    the clients that are key inside their department or manager's book, "all" every
    client × department and client × manager pair. A big book has several of those per
    client, and most callers (key-account report, "why key") only need the key ones.
    """

    def __init__(
        self,
        settings: AnalysisSettings | None = None,
        period_start: date | None = None,
        period_end: date | None = None,
        *,
        scope_rows: Literal["key", "all"] = "key",
    ) -> None:
        if scope_rows not in ("key", "all"):
            raise ValueError(f"scope_rows must be 'key' or 'all', not {scope_rows!r}")
        self.scope_rows = scope_rows
        self.settings = settings if settings is not None else AnalysisSettings()
        self.period_start = month_start(period_start) if period_start is not None else None
        self.period_end = month_start(period_end) if period_end is not None else None
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValueError(f"period start {self.period_start} is after period end {self.period_end}")

    # -- SQL ---------------------------------------------------------------

    def _common_params(self, dialect: Dialect, start: date, end: date) -> dict[str, int | str]:
        s = self.settings
        return {
            "start": _date_literal(dialect, start),
            "stop": _date_literal(dialect, add_months(end, 1)),  # exclusive, also safe for timestamps
            "basis": {"income": "income", "turnover": "turnover"}[s.basis],
            "scale": SCALE,
            "key_num": s.num("key_share"),
            "critical_num": s.num("critical_share"),
            "mono_num": s.num("mono_share"),
        }

    def client_sql(self, dialect: Dialect, start: date, end: date, *, with_attributes: bool) -> str:
        s = self.settings
        months = months_between(start, end)
        absolute = s.absolute_threshold_kop
        npv_thr, wallet_thr = s.potential_npv_threshold_kop, s.potential_wallet_threshold_kop
        return CLIENT_SQL.format(
            **self._common_params(dialect, start, end),
            attributes="client_attributes" if with_attributes else NO_ATTRIBUTES,
            months=months,
            scale_sq=SCALE * SCALE,
            abc_a_num=s.num("abc_a"),
            abc_b_num=s.num("abc_b"),
            xyz_x_num_sq=s.num("xyz_x") ** 2,
            xyz_y_num_sq=s.num("xyz_y") ** 2,
            absolute_on=0 if absolute is None else 1,
            # basis * 12 >= threshold * months  <=>  annualised basis >= annual threshold.
            absolute_for_period=0 if absolute is None else absolute * months,
            npv_on=0 if npv_thr is None else 1,
            npv_min_income=0 if npv_thr is None else self._npv_min_income(npv_thr, months),
            wallet_on=0 if wallet_thr is None else 1,
            wallet_threshold=0 if wallet_thr is None else wallet_thr,
        )

    def _npv_min_income(self, threshold: int, months: int) -> int:
        """The least period income whose NPV reaches threshold: ceil(T·N / (12·F))."""
        factor = self.settings.annuity_factor()
        need = -(-threshold * months * factor.denominator // (12 * factor.numerator))
        return min(need, MAX_TOTAL_KOP + 1)  # beyond any real income: keeps the literal in int64

    def scope_sql(self, dialect: Dialect, start: date, end: date) -> str:
        min_key = 1 if self.scope_rows == "key" else 0
        return SCOPE_SQL.format(**self._common_params(dialect, start, end), min_key=min_key)

    # -- running -----------------------------------------------------------

    def calculate_sqlite(self, conn: Any) -> AnalysisResult:
        return self.calculate(conn, "sqlite")

    def calculate_postgres(self, conn: Any) -> AnalysisResult:
        return self.calculate(conn, "postgres")

    def calculate_duckdb(self, conn: Any) -> AnalysisResult:
        return self.calculate(conn, "duckdb")

    def resolve_period(self, conn: Any) -> tuple[date, date]:
        end = self.period_end
        if end is None:
            (last,) = _fetchall(conn, "SELECT MAX(month) FROM ledger_monthly")[0]
            end = month_start(_to_date(last) if last is not None else date.today())
        start = self.period_start if self.period_start is not None else add_months(end, -11)
        if start > end:
            raise ValueError(f"period start {start} is after period end {end}")
        return start, end

    def calculate(self, conn: Any, dialect: Dialect) -> AnalysisResult:
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")
        start, end = self.resolve_period(conn)
        months = months_between(start, end)
        has_attrs = int(_fetchall(conn, _ATTRIBUTES_EXIST_SQL[dialect])[0][0]) > 0
        with _postgres_memory(conn, dialect):
            client_columns = _fetch_columns(
                conn, self.client_sql(dialect, start, end, with_attributes=has_attrs)
            )
            scope_rows = _fetchall(conn, self.scope_sql(dialect, start, end))
        return self._build_columns(start, end, months, client_columns, scope_rows)

    def _build(
        self,
        start: date,
        end: date,
        months: int,
        client_rows: Sequence[Sequence[Any]],
        scope_rows: Sequence[Sequence[Any]],
    ) -> AnalysisResult:
        """The result from the rows of the two queries (e.g. collected from Spark)."""
        columns: list[Sequence[Any]] = (
            list(zip(*client_rows, strict=True)) if client_rows else [() for _ in CLIENT_COLUMNS]
        )
        return self._build_columns(start, end, months, columns, scope_rows)

    def _build_columns(
        self,
        start: date,
        end: date,
        months: int,
        client_columns: Sequence[Any],
        scope_rows: Sequence[Sequence[Any]],
    ) -> AnalysisResult:
        # Works on whole columns (totals, concentration); a client's row is built when read.
        s = self.settings
        departments: list[ScopeRow] = []
        managers: list[ScopeRow] = []
        key_in: dict[str, dict[int, list[int]]] = {"department": {}, "manager": {}}
        for scope, scope_id, cid, rnk, turnover, income, basis, scope_total, k, crit, mono in scope_rows:
            srow = ScopeRow(
                scope,
                scope_id,
                cid,
                rnk,
                turnover,
                income,
                basis,
                scope_total,
                bool(k),
                bool(crit),
                bool(mono),
            )
            (departments if scope == "department" else managers).append(srow)
            if k:
                key_in[scope].setdefault(cid, []).append(scope_id)

        factory = _RowFactory(self, months, key_in["department"], key_in["manager"])
        clients = ClientRows(client_columns, factory)
        bases = clients.column("basis")
        total_basis = int(client_columns[CLIENT_COLUMNS.index("total_basis")][0]) if len(clients) else 0
        return AnalysisResult(
            period_start=start,
            period_end=end,
            months=months,
            settings=s,
            total_basis=total_basis,
            total_turnover=sum(clients.column("turnover")),
            total_income=sum(clients.column("income")),
            clients=clients,
            departments=departments,
            managers=managers,
            concentration=concentration_of_bases(bases, total_basis, s),
        )

    def _reasons(self, c: ClientRow, months: int) -> tuple[KeyReason, ...]:
        """The six definitions of a key client that hold for c, each with its figures."""
        s = self.settings
        share = c.share
        reasons: list[KeyReason] = []
        if c.is_key:
            figures = {"share": share, "basis": c.basis, "threshold": s.key_share}
            reasons.append(KeyReason("share", {**figures, "critical": c.is_critical, "mono": c.is_mono}))
        if c.is_key_absolute:
            figures = {
                "basis": c.basis,
                "annual_basis": c.basis * 12 // months,
                "threshold": s.absolute_threshold_kop,
            }
            reasons.append(KeyReason("absolute", figures))
        if c.is_key_potential:
            figures = {
                "category_budget": c.category_budget,
                "annual_turnover": c.annual_turnover,
                "wallet_left": c.wallet_left,
                "wallet_threshold": s.potential_wallet_threshold_kop,
                "annual_income": c.annual_income,
                "npv": c.npv,
                "npv_threshold": s.potential_npv_threshold_kop,
            }
            reasons.append(KeyReason("potential", figures))
        marked = (c.is_reference, c.is_partner, c.is_competent, c.is_innovator)
        for code, flag in zip(("reference", "partner", "competent", "innovator"), marked, strict=True):
            if flag:
                reasons.append(KeyReason(code, {"basis": c.basis, "share": share}))
        return tuple(reasons)


class _RowFactory:
    """Turns rows of CLIENT_SQL into ClientRows: one at a time, or all at once column-wise.

    Both ways compute the same figures with the same integer arithmetic; the column-wise one
    (used when every row is read, e.g. by the snapshot writer or an export) makes each row
    with one call of the dataclass constructor and no Python frame per row.
    """

    __slots__ = ("key_depts", "key_mgrs", "months", "npv_den", "npv_num", "reasons")

    def __init__(
        self,
        analysis: KeyAccountAnalysis,
        months: int,
        key_depts: dict[int, list[int]],
        key_mgrs: dict[int, list[int]],
    ) -> None:
        factor = analysis.settings.annuity_factor()
        self.months = months
        # NPV = annual income × Σ 1/(1+r)^t, floored: income · 12·num // (months·den).
        self.npv_num, self.npv_den = 12 * factor.numerator, months * factor.denominator
        self.key_depts, self.key_mgrs = key_depts, key_mgrs
        self.reasons = analysis._reasons

    def _finish(self, row: ClientRow, key_any: bool) -> None:
        if key_any:
            row.reasons = self.reasons(row, self.months)
            row.is_key_any = True
        cid = row.client_id
        if cid in self.key_depts:
            row.key_for_departments = tuple(self.key_depts[cid])
        if cid in self.key_mgrs:
            row.key_for_managers = tuple(self.key_mgrs[cid])

    def one(self, values: Sequence[Any]) -> ClientRow:
        (
            cid, rnk, turnover, income, basis, cum_basis, total_basis, income_sq, months_with_sales,
            k, crit, mono, absolute, potential, abc, xyz, budget, is_ref, is_partner, is_comp, is_innov,
        ) = values  # fmt: skip
        months = self.months
        annual_turnover = turnover * 12 // months
        cv = None
        if income > 0:  # cv = sqrt(N·Σx² − (Σx)²) / Σx, defined for a positive mean only
            cv = math.sqrt(max(months * income_sq - float(income) ** 2, 0.0)) / income
        row = ClientRow(
            cid, rnk, turnover, income, basis, cum_basis, total_basis, abc, xyz,
            cv,
            months_with_sales, bool(k), bool(crit), bool(mono), bool(absolute),
            annual_turnover, income * 12 // months, budget,
            None if budget is None else budget - annual_turnover,  # wallet left
            income * self.npv_num // self.npv_den,
            bool(potential),
            bool(is_ref), bool(is_partner), bool(is_comp), bool(is_innov),
        )  # fmt: skip
        self._finish(row, bool(k or absolute or potential or is_ref or is_partner or is_comp or is_innov))
        return row

    def many(self, columns: Sequence[Sequence[Any]], key_any: Iterable[int]) -> list[ClientRow]:
        """Every row, from the columns; key_any: the positions of the key clients (any definition)."""
        (
            cid, rnk, turnover, income, basis, cum_basis, total_basis, income_sq, months_with_sales,
            k, crit, mono, absolute, potential, abc, xyz, budget, is_ref, is_partner, is_comp, is_innov,
        ) = columns  # fmt: skip
        months, npv_num, npv_den, sqrt = self.months, self.npv_num, self.npv_den, math.sqrt
        annual_turnover = [t * 12 // months for t in turnover]
        cv = [
            sqrt(max(months * q - float(i) ** 2, 0.0)) / i if i > 0 else None
            for i, q in zip(income, income_sq, strict=True)
        ]
        rows = list(
            map(
                ClientRow,
                cid, rnk, turnover, income, basis, cum_basis, total_basis, abc, xyz,
                cv,
                months_with_sales, map(bool, k), map(bool, crit), map(bool, mono), map(bool, absolute),
                annual_turnover, [i * 12 // months for i in income], budget,
                [None if b is None else b - a for b, a in zip(budget, annual_turnover, strict=True)],
                [i * npv_num // npv_den for i in income],
                map(bool, potential),
                map(bool, is_ref), map(bool, is_partner), map(bool, is_comp), map(bool, is_innov),
            )
        )  # fmt: skip
        for i in key_any:
            self._finish(rows[i], True)
        for scoped in (self.key_depts, self.key_mgrs):
            if scoped:
                for row in rows:
                    if row.client_id in scoped:
                        self._finish(row, False)
        return rows


# --------------------------------------------------------------------------- ledger files


class LedgerFileError(ValueError):
    """A ledger file that cannot be read; the message is one line meant for the user."""


# Accepted headers, compared after lower-casing and turning spaces/dashes into "_".
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "date": (
        "date", "month", "period", "doc_date", "document_date", "invoice_date", "sale_date",
        "дата", "период", "месяц", "дата_документа", "дата_продажи",
    ),
    "client_id": ("client_id", "customer_id", "account_id", "id_клиента", "код_клиента", "код_контрагента"),
    "client": (
        "client", "client_name", "customer", "customer_name", "account", "account_name",
        "клиент", "контрагент", "покупатель",
    ),
    "manager": ("manager", "manager_id", "manager_name", "kam", "sales_manager", "менеджер", "ответственный"),
    "department": (
        "department", "department_id", "department_name", "dept", "division", "отдел", "подразделение",
    ),
    "revenue": (
        "revenue", "sales", "amount", "turnover", "revenue_rub", "sales_rub", "sum",
        "выручка", "сумма", "оборот", "сумма_продажи", "сумма_продаж",
    ),
    "cost": ("cost", "cogs", "cost_price", "cost_rub", "себестоимость"),
    # Used in place of cost when the file already carries the margin.
    "income": ("income", "margin", "gross_profit", "gross_margin", "маржа", "валовая_прибыль", "доход"),
}  # fmt: skip

# A column the XLSX loader adds: the sheet row of each line, for error messages.
_ROW_COLUMN = "__kam_row"
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%Y.%m.%d", "%Y-%m", "%m.%Y")


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().strip('"').lstrip("\ufeff").lower())


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _detect_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (";", "\t", ",", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_error_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _to_utf8(path: Path, workdir: Path) -> Path:
    """A UTF-8 copy of a Windows-1251 file (1C's usual export), transcoded in chunks."""
    target = workdir / "ledger-utf8.csv"
    with path.open("r", encoding="cp1251", newline="") as src, target.open("w", encoding="utf-8") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    return target


def _load_csv(conn: duckdb.DuckDBPyConnection, path: Path, workdir: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)
        source = path
    except UnicodeDecodeError:
        source = _to_utf8(path, workdir)
    with source.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        header = fh.readline()
    if not header.strip():
        raise LedgerFileError(f"{path}: the file is empty")
    sql = (
        "CREATE OR REPLACE TABLE raw_ledger AS SELECT * FROM read_csv(?, delim = ?, header = true, "
        "all_varchar = true, quote = '\"', escape = '\"')"
    )
    delimiter = _detect_delimiter(header)
    try:
        conn.execute(sql, [str(source), delimiter])
    except Exception as exc:
        # Only the start was checked for UTF-8; a Windows-1251 byte may come later.
        if source != path or "unicode" not in str(exc).lower():
            raise
        conn.execute(sql, [str(_to_utf8(path, workdir)), delimiter])


def _load_xlsx(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    import openpyxl
    import pyarrow as pa

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = wb.worksheets[0]
        header: list[str] | None = None
        columns: list[list[str | None]] = []
        sheet_rows: list[int] = []
        for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=sheet.min_row):
            cells = [_cell_text(v) for v in values]
            if not any(cells):
                continue
            if header is None:
                header = [c or f"column{i + 1}" for i, c in enumerate(cells)]
                columns = [[] for _ in header]
                continue
            sheet_rows.append(row_number)
            for i, col in enumerate(columns):
                col.append(cells[i] if i < len(cells) else None)
    finally:
        wb.close()
    if header is None:
        raise LedgerFileError(f"{path}: the first sheet is empty")
    arrays = [pa.array(col, type=pa.string()) for col in columns] + [pa.array(sheet_rows, type=pa.int64())]
    table = pa.Table.from_arrays(arrays, names=[*header, _ROW_COLUMN])
    conn.register("raw_ledger_arrow", table)
    conn.execute("CREATE TABLE raw_ledger AS SELECT * FROM raw_ledger_arrow")
    conn.unregister("raw_ledger_arrow")


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if isinstance(value, float):
        # repr() is the shortest exact round-trip; format as plain digits for DECIMAL.
        return format(Decimal(repr(value)), "f")
    text = str(value).strip()
    return text or None


# Types whose values are exact; binary floats go through their shortest text instead.
_EXACT_NUMERIC = (
    "DECIMAL", "NUMERIC", "HUGEINT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT",
    "UHUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT",
)  # fmt: skip
# Removed from numbers before parsing: spaces (also no-break and thin) and apostrophes used
# as thousands separators; the Unicode minus becomes "-".
_NUMBER_NOISE = ((" ", ""), ("\u00a0", ""), ("\u202f", ""), ("\u2009", ""), ("'", ""), ("\u2212", "-"))
# The kopeck: rubles are cast to DECIMAL(18, 2), which DuckDB rounds half away from zero on
# the exact digits, i.e. ROUND(x, 2) on DECIMAL without any binary float in between.
_RUBLES = "DECIMAL(18, 2)"


def _money_sql(col: str, col_type: str) -> str:
    """SQL turning a money column in rubles into an exact DECIMAL(18, 2)."""
    if col_type.upper().startswith(_EXACT_NUMERIC):
        return f"CAST({col} AS {_RUBLES})"
    # Text, and floats as their shortest text: 1.005 typed in a spreadsheet stays 1.005.
    v = f"CAST({col} AS VARCHAR)"
    s = v
    for old, new in _NUMBER_NOISE:
        s = f"replace({s}, {_sql_str(old)}, {_sql_str(new)})"
    # With both separators the last one is the decimal point; a lone comma is a decimal comma.
    cleaned = (
        f"CASE WHEN contains({s}, ',') AND contains({s}, '.') THEN "
        f"CASE WHEN regexp_matches({s}, ',[0-9]*$') THEN replace(replace({s}, '.', ''), ',', '.') "
        f"ELSE replace({s}, ',', '') END "
        f"ELSE replace({s}, ',', '.') END"
    )
    # Most values only need comma → dot; the slower cleaning runs for the others only
    # (CASE evaluates a branch only for its rows; COALESCE would evaluate both).
    fast = f"TRY_CAST(replace({v}, ',', '.') AS {_RUBLES})"
    return f"CASE WHEN {fast} IS NOT NULL THEN {fast} ELSE TRY_CAST(NULLIF({cleaned}, '') AS {_RUBLES}) END"


def _date_sql(text: str) -> str:
    """SQL parsing a date written as text (ISO, DD.MM.YYYY, ...; a time part is ignored)."""
    v = f"split_part(replace(trim({text}), 'T', ' '), ' ', 1)"
    formats = ", ".join(_sql_str(f) for f in _DATE_FORMATS)
    return (
        f"CAST(CASE WHEN regexp_full_match({v}, '[0-9]{{1,2}}\\.[0-9]{{1,2}}\\.[0-9]{{2}}') "
        f"THEN try_strptime({v}, '%d.%m.%y') ELSE try_strptime({v}, [{formats}]) END AS DATE)"
    )


def _find_columns(path: Path, names: Sequence[str]) -> dict[str, str]:
    normalised: dict[str, str] = {}
    for name in names:
        normalised.setdefault(_normalise_header(name), name)
    found: dict[str, str] = {}
    for role, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in normalised:
                found[role] = normalised[alias]
                break
    missing = [role for role in ("date", "revenue") if role not in found]
    if "client_id" not in found and "client" not in found:
        missing.append("client")
    if "cost" not in found and "income" not in found:
        missing.append("cost")
    if missing:
        listed = "; ".join(f"{m} (one of: {', '.join(COLUMN_ALIASES[m][:6])})" for m in missing)
        raise LedgerFileError(f"{path}: missing column(s): {listed}; found: {', '.join(names)}")
    return found


def _id_map_sql(table: str, key: str, label: str) -> str:
    """Map each raw text of ledger_keys.<key> to a BIGINT id and a label.

    The id is the key itself when every (trimmed) key is an integer, else its dense_rank;
    a blank key gets no id.
    """
    return f"""
        CREATE TABLE {table} AS
        WITH k AS (
            SELECT DISTINCT {key} AS raw, NULLIF(trim({key}), '') AS key, NULLIF(trim({label}), '') AS label
            FROM ledger_keys
        ),
        keys AS (
            SELECT key, MIN(label) AS label FROM k WHERE key IS NOT NULL GROUP BY key
        ),
        numeric_keys AS (
            SELECT COALESCE(bool_and(regexp_full_match(key, '-?[0-9]{{1,18}}')), false) AS ok FROM keys
        ),
        numbered AS (
            SELECT key, label,
                   CASE WHEN (SELECT ok FROM numeric_keys) THEN CAST(key AS BIGINT)
                        ELSE dense_rank() OVER (ORDER BY key) END AS id
            FROM keys
        )
        SELECT DISTINCT k.raw, n.id, n.label FROM k LEFT JOIN numbered n ON n.key = k.key
    """


def _build_ledger_monthly(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    """raw_ledger (one row per ledger line, any types) → ledger_monthly and id → label maps."""
    types = {str(r[0]): str(r[1]) for r in conn.execute("DESCRIBE raw_ledger").fetchall()}
    # XLSX rows carry their sheet row number; CSV data rows start on line 2.
    row_no = _quote_ident(_ROW_COLUMN) if _ROW_COLUMN in types else "rowid + 2"
    cols = _find_columns(path, [name for name in types if name != _ROW_COLUMN])
    q = {role: _quote_ident(name) for role, name in cols.items()}
    raw = {role: f"CAST({q[role]} AS VARCHAR)" for role in cols}
    money: dict[str, str] = {
        role: _money_sql(q[role], types[cols[role]]) for role in ("revenue", "cost", "income") if role in q
    }
    client_role = "client_id" if "client_id" in cols else "client"
    label_role = "client" if "client" in cols else client_role

    # Dates and keys repeat a lot: parse, trim and number each distinct text once, then
    # join the lines to those small maps on the raw text.
    conn.execute(
        f"CREATE TABLE date_map AS SELECT raw, {_date_sql('raw')} AS d "
        f"FROM (SELECT DISTINCT {raw['date']} AS raw FROM raw_ledger) dates"
    )
    key_roles = [r for r in ("client_id", "client", "department", "manager") if r in cols]
    conn.execute(
        f"CREATE TABLE ledger_keys AS SELECT DISTINCT {', '.join(f'{raw[r]} AS {r}' for r in key_roles)} "
        "FROM raw_ledger"
    )
    conn.execute(_id_map_sql("client_map", client_role, label_role))
    joins = [
        f"LEFT JOIN date_map dm ON dm.raw = {raw['date']}",
        f"LEFT JOIN client_map c ON c.raw = {raw[client_role]}",
    ]
    ids = {}
    for role, alias, table in (("department", "d", "department_map"), ("manager", "m", "manager_map")):
        if role in cols:
            conn.execute(_id_map_sql(table, role, role))
            joins.append(f"LEFT JOIN {table} {alias} ON {alias}.raw = {raw[role]}")
            ids[role] = f"{alias}.id"
        else:
            conn.execute(f"CREATE TABLE {table} (raw VARCHAR, id BIGINT, label VARCHAR)")
            ids[role] = "CAST(NULL AS BIGINT)"
    kop = {role: f"CAST(COALESCE({expr}, 0) * 100 AS BIGINT)" for role, expr in money.items()}
    income = f"{kop['revenue']} - {kop['cost']}" if "cost" in kop else kop["income"]
    unreadable = " OR ".join(f"({q[role]} IS NOT NULL AND {expr} IS NULL)" for role, expr in money.items())
    conn.execute(f"""
        CREATE TABLE ledger_staging AS
        SELECT c.id AS client_id, {ids["department"]} AS department_id, {ids["manager"]} AS manager_id,
               CAST(date_trunc('month', dm.d) AS DATE) AS month,
               SUM({kop["revenue"]}) AS turnover,
               SUM({income}) AS income,
               SUM(CASE WHEN {unreadable} THEN 1 ELSE 0 END) AS unreadable
        FROM raw_ledger {" ".join(joins)}
        GROUP BY ALL
    """)
    (broken,) = conn.execute(
        "SELECT COUNT(*) FROM ledger_staging WHERE client_id IS NULL OR month IS NULL "
        "OR year(month) NOT BETWEEN 1900 AND 2200 OR unreadable > 0"
    ).fetchone() or (0,)
    if broken:
        _raise_first_bad_line(conn, path, cols, row_no, client_role, money)
    conn.execute(
        "CREATE VIEW ledger_monthly AS SELECT client_id, department_id, manager_id, month, turnover, income "
        "FROM ledger_staging"
    )


def _raise_first_bad_line(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    cols: dict[str, str],
    row_no: str,
    client_role: str,
    money: dict[str, str],
) -> None:
    """Find the first line breaking each rule (one scan) and raise for the earliest rule."""
    q = {role: _quote_ident(name) for role, name in cols.items()}
    bad_date = "SELECT raw FROM date_map WHERE d IS NULL OR year(d) NOT BETWEEN 1900 AND 2200"
    blank = "NULLIF(trim(CAST({} AS VARCHAR)), '') IS NULL"
    # (rule broken, column shown, message)
    checks = [
        (blank.format(q["date"]), "date", "{column} is empty"),
        (
            f"CAST({q['date']} AS VARCHAR) IN ({bad_date})",
            "date",
            "{column} {value!r} is not a date (use YYYY-MM-DD or DD.MM.YYYY)",
        ),
        (blank.format(q[client_role]), client_role, "{column} is empty"),
        *(
            (f"{q[r]} IS NOT NULL AND {e} IS NULL", r, "{column} {value!r} is not a number")
            for r, e in money.items()
        ),
    ]
    firsts = ", ".join(
        f"arg_min(struct_pack(r := {row_no}, v := CAST({q[role]} AS VARCHAR)), {row_no}) "
        f"FILTER (WHERE {cond})"
        for cond, role, _message in checks
    )
    found = conn.execute(f"SELECT {firsts} FROM raw_ledger").fetchone() or ()
    for (_cond, role, message), hit in zip(checks, found, strict=True):
        if hit is not None:
            detail = message.format(column=cols[role], value=hit["v"])
            raise LedgerFileError(f"{path}: row {hit['r']}: {detail}")
    raise LedgerFileError(f"{path}: some lines cannot be read")


def load_ledger_file(conn: duckdb.DuckDBPyConnection, path: str | Path) -> None:
    """Create ``ledger_monthly`` and the label maps in a DuckDB connection from a ledger file.

    Columns are found by name (English or Russian 1C headers, see COLUMN_ALIASES): date,
    client_id and/or client, optional manager and department, revenue and cost (or
    income/margin), money in rubles with dot or comma decimals.
    """
    path = Path(path)
    if not path.is_file():
        raise LedgerFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        with tempfile.TemporaryDirectory(prefix="kam-ledger-") as workdir:
            if suffix in (".csv", ".txt", ".tsv"):
                _load_csv(conn, path, Path(workdir))
            elif suffix in (".xlsx", ".xlsm"):
                _load_xlsx(conn, path)
            elif suffix in (".parquet", ".pq"):
                conn.execute("CREATE TABLE raw_ledger AS SELECT * FROM read_parquet(?)", [str(path)])
            else:
                raise LedgerFileError(
                    f"{path}: unsupported file type {suffix or '(none)'}; use CSV, XLSX or Parquet"
                )
        _build_ledger_monthly(conn, path)
    except LedgerFileError:
        raise
    except Exception as exc:  # a broken file must give one clear line, not a traceback
        raise LedgerFileError(f"{path}: cannot read the ledger: {_first_error_line(exc)}") from exc


def analyze_file(
    path: str | Path,
    settings: AnalysisSettings | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    *,
    scope_rows: Literal["key", "all"] = "key",
) -> AnalysisResult:
    """Analyse a raw ledger file (CSV, XLSX or Parquet) in an in-memory DuckDB.

    The default period is the 12 months ending with the last month in the file.
    Client, department and manager labels from the file are kept on the rows.
    """
    import duckdb

    conn = duckdb.connect()
    try:
        conn.execute("SET enable_progress_bar = false")  # the CLI's stderr is for errors only
        load_ledger_file(conn, path)
        analysis = KeyAccountAnalysis(settings, period_start, period_end, scope_rows=scope_rows)
        result = analysis.calculate_duckdb(conn)
        labels = {
            name: dict(conn.execute(f"SELECT id, label FROM {name} WHERE id IS NOT NULL").fetchall())
            for name in ("client_map", "department_map", "manager_map")
        }
    finally:
        conn.close()
    clients, depts, mgrs = labels["client_map"], labels["department_map"], labels["manager_map"]
    for c in result.clients:
        c.client_label = clients.get(c.client_id)
    for rows, scope_labels in ((result.departments, depts), (result.managers, mgrs)):
        for r in rows:
            r.client_label = clients.get(r.client_id)
            r.scope_label = scope_labels.get(r.scope_id)
    return result
