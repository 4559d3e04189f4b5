"""The columnar fast path of a ledger import: a clean CSV file read, checked and written set-wise.

The row-by-row reader (importing.RowParser) costs a few microseconds per line in Python. Most
files are clean 1C exports, so an import first tries this path:

1. the file is transcoded to UTF-8 (from Windows-1251 when need be) without its title block and
   header, and DuckDB reads it, every cell as text, in columns;
2. money is checked and turned into kopecks by a regular expression in SQL (the importer's own
   fast pattern, `1 234 567,89`); every other column has few distinct values (dates, INNs,
   managers, departments, products, quantities): those are parsed once each by the very same
   Python functions as the row reader; line ids are checked for emptiness, length and repeats
   in SQL;
3. under the import lock, INNs, managers and departments are matched with the same rules as the
   row reader (`services._resolve`), and the lines go to the database in bulk: PostgreSQL by
   `COPY` of a CSV that DuckDB writes, SQLite by `executemany`.

Whenever anything is not plainly right — a cell the fast pattern does not read, a bad or empty
value, a repeated line id, an unknown client, manager or department, a file DuckDB cannot parse —
the fast path steps aside (returns None) and the row reader imports the file instead, so errors
are always reported by row, column and reason exactly as before. No database here except in
`write()`, which the caller runs inside its transaction.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import importing
from .importing import MAX_AMOUNT_KOP, MAX_CELL_CHARS, BadValue, Table

log = logging.getLogger(__name__)

# The importer's fast money pattern (importing._MONEY_FAST), for RE2: ASCII digits only.
_MONEY = r"^(-?)([0-9]{1,3}(?:[ \x{a0}\x{202f}][0-9]{3})+|[0-9]+)(?:[.,]([0-9]{1,2}))?$"
# Its commonest case (no thousands separators), which RE2 matches several times faster; a cell it
# matches is matched by _MONEY too, so trying it first changes no result.
_MONEY_SIMPLE = r"^-?[0-9]+(?:[.,][0-9]{1,2})?$"
# Characters Python's str.strip() removes: a cell starting or ending with one goes the slow way.
_SPACE = (
    r"[\s\x{0b}\x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)
_PADDED = f"^{_SPACE}|{_SPACE}$"
_CHUNK = 1 << 20
# DuckDB's share of the machine while it reads a file: a 10 M-line file needs ~2.5 GB to stay in
# memory (beyond the limit DuckDB spills to its temporary directory, and takes several times longer).
MEMORY_LIMIT = os.environ.get("KAM_IMPORT_MEMORY", "4GB")
THREADS = max(1, min(os.cpu_count() or 2, 8))


class NotClean(Exception):
    """The file needs the row-by-row reader; the message says why (for the log)."""


@dataclass
class Prepared:
    """A file read into DuckDB and checked as far as it can be without the database."""

    con: Any  # duckdb.DuckDBPyConnection
    workdir: Path
    total: int  # non-blank rows
    inns: list[str]
    mapping: dict[str, int] = field(default_factory=dict)
    managers: dict[str, str] = field(default_factory=dict)  # raw cell → matching key
    departments: dict[str, str] = field(default_factory=dict)  # raw cell → name key
    has_manager: bool = False
    has_department: bool = False

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _transcode(raw: IO[bytes], table: Table, target: Path) -> None:
    """Write the rows after the header as UTF-8; NotClean if the header cannot be found by lines."""
    if table.encoding in ("utf-8", "utf-8-sig") and _copy_utf8(raw, table, target):
        return
    raw.seek(0)
    text = io.TextIOWrapper(raw, encoding=table.encoding, newline="")
    try:
        before = [text.readline() for _ in range(table.header_row)]
        # The title block and header must be plain lines (no quoted line breaks) for this to hold.
        records = list(csv.reader(before, delimiter=table.delimiter))
        if len(records) != table.header_row or [c.strip() for c in records[-1]] != table.headers:
            raise NotClean(f"the header is not on line {table.header_row}")
        with target.open("w", encoding="utf-8", newline="") as out:
            shutil.copyfileobj(text, out, _CHUNK)
    finally:
        text.detach()


def _copy_utf8(raw: IO[bytes], table: Table, target: Path) -> bool:
    """A UTF-8 file's rows after the header, copied as bytes: the same bytes as _transcode writes,
    without decoding and encoding them again (a 10 M-line file is ~0.5 GB).

    The encoding was checked over the whole file when it was opened, so the bytes are valid UTF-8.
    False (the text reader does it) unless the title block and header are plain lines ending in
    \\n or \\r\\n: a bare \\r ends a line for the text reader.
    """
    raw.seek(0)
    texts = []
    for _ in range(table.header_row):
        line = raw.readline()
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            return False
        body = text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else None
        if body is None or "\r" in body:
            return False
        texts.append(text)
    if texts:
        texts[0] = texts[0].removeprefix("\ufeff")
    records = list(csv.reader(texts, delimiter=table.delimiter))
    if len(records) != table.header_row or [c.strip() for c in records[-1]] != table.headers:
        return False
    with target.open("wb") as out:
        shutil.copyfileobj(raw, out, _CHUNK)
    return True


def _distinct(con: Any, column: str) -> list[Any]:
    # From `lines`, not the view `keyed`: both have the same rows (see _prepare), and no join is needed.
    return [value for (value,) in con.execute(f"SELECT DISTINCT {column} FROM lines").fetchall()]


def _parsed_table(
    con: Any, name: str, columns: Sequence[str], types: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """A small DuckDB table of (raw cell → parsed value) pairs.

    The columns go over as DuckDB lists (no pyarrow: its first use imports pandas, ~0.7 s).
    """
    unnest = ", ".join(
        f"unnest(${i + 1}::{t}[]) AS {c}" for i, (c, t) in enumerate(zip(columns, types, strict=True))
    )
    con.execute(
        f"CREATE TABLE {name} AS SELECT {unnest}", [[row[i] for row in rows] for i in range(len(columns))]
    )


def _parse_distinct(values: list[Any], parse: Callable[[Any], Any]) -> list[tuple[Any, Any]]:
    pairs = []
    for value in values:
        try:
            pairs.append((value, parse(value)))
        except BadValue as error:
            raise NotClean(str(error)) from None
    return pairs


def prepare(raw: IO[bytes], table: Table, mapping: dict[str, int]) -> Prepared | None:
    """Read and check a CSV file set-wise; None when the row reader must do it."""
    if table.kind != "csv" or "client_inn" not in mapping or len(table.delimiter) != 1:
        return None
    if "external_id" not in mapping and not ("document" in mapping and "line_no" in mapping):
        return None  # numbering a document's lines in file order is the row reader's job
    workdir = Path(tempfile.mkdtemp(prefix="kam-import-"))
    con = None
    try:
        import duckdb

        con = duckdb.connect(
            config={
                "threads": THREADS,
                "memory_limit": MEMORY_LIMIT,
                "temp_directory": str(workdir),
                "preserve_insertion_order": True,
            }
        )
        prepared = _prepare(con, raw, table, mapping, workdir)
    except NotClean as reason:
        log.info("ledger import: row by row (%s)", reason)
    except Exception as error:  # DuckDB's own parse errors and the like: the row reader will explain
        log.info("ledger import: row by row (%s: %s)", type(error).__name__, str(error)[:200])
    else:
        return prepared
    if con is not None:
        con.close()
    shutil.rmtree(workdir, ignore_errors=True)
    return None


def _prepare(con: Any, raw: IO[bytes], table: Table, mapping: dict[str, int], workdir: Path) -> Prepared:
    body = workdir / "lines.csv"
    _transcode(raw, table, body)
    width = len(table.headers)
    if max(mapping.values()) >= width:
        raise NotClean("a mapped column is beyond the header")
    cols = [f"c{i}" for i in range(width)]

    def col(name: str) -> str:
        return f"c{mapping[name]}"

    spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + "}"
    delim = _quote(table.delimiter)
    # Money: one regular expression (the importer's fast pattern) says the cell is plain; then the
    # spaces go, the decimal comma becomes a point and DECIMAL gives the exact amount. Anything else
    # (or too large) is NULL here and goes the slow way.
    money = []
    for name in ("revenue", "cost"):
        c = col(name)
        # (replace() is several times faster than translate() in DuckDB.)
        point = f"replace({c}, ',', '.')"
        plain = point
        for space in (" ", "\u00a0", "\u202f"):
            plain = f"replace({plain}, '{space}', '')"
        # DECIMAL(16, 2): up to 14 digits of rubles; more is NULL (MAX_AMOUNT_KOP has 13).
        money.append(
            f"CASE WHEN regexp_full_match({c}, '{_MONEY_SIMPLE}') THEN TRY_CAST({point} AS DECIMAL(16, 2)) "
            f"WHEN regexp_full_match({c}, '{_MONEY}') THEN TRY_CAST({plain} AS DECIMAL(16, 2)) END"
        )
    # The money cells themselves are not kept: at 10 M lines every column kept costs ~160 MB.
    raw_money = ", ".join(col(name) for name in ("revenue", "cost"))
    con.execute(
        f"CREATE TABLE lines AS SELECT * EXCLUDE ({raw_money}), {money[0]} AS revenue, {money[1]} AS cost "
        f"FROM read_csv({_quote(str(body))}, delim={delim}, quote='\"', "
        f"escape='\"', header=false, auto_detect=false, columns={spec}, null_padding=true, "
        "strict_mode=true) "
        f"WHERE NOT ({' AND '.join(f'{c} IS NULL' for c in cols)})"
    )
    # One pass for the row count and the cheap checks: money in the fast pattern, a date in every row,
    # line ids present, not padded, not too long (a document's line id is checked for length below).
    limit = MAX_CELL_CHARS["external_id"]
    if "external_id" in mapping:
        ext_sql = col("external_id")
        bad_ids = (
            f"{ext_sql} IS NULL OR regexp_matches({ext_sql}, '{_PADDED}') OR length({ext_sql}) > {limit}"
        )
    else:
        doc, line = col("document"), col("line_no")
        bad_ids = (
            f"{doc} IS NULL OR {line} IS NULL "
            f"OR regexp_matches({doc}, '{_PADDED}') OR regexp_matches({line}, '{_PADDED}')"
        )
        ext_sql = f"{doc} || '/' || CAST(d.year AS VARCHAR) || '/' || {line}"
    bad_money = (
        f"revenue IS NULL OR cost IS NULL "
        f"OR abs(revenue) * 100 > {MAX_AMOUNT_KOP} OR abs(cost) * 100 > {MAX_AMOUNT_KOP}"
    )
    (total, bad_money_rows, bad_id_rows, no_date) = con.execute(
        f"SELECT COUNT(*), COUNT(*) FILTER (WHERE {bad_money}), COUNT(*) FILTER (WHERE {bad_ids}), "
        f"COUNT(*) FILTER (WHERE {col('date')} IS NULL) FROM lines"
    ).fetchone()
    if not total:
        raise NotClean("no rows")
    if bad_money_rows:
        raise NotClean("money cells outside the fast pattern")
    if bad_id_rows:
        raise NotClean("empty, padded or long line ids")
    if no_date:
        raise NotClean("rows without a date")

    # Dates: each distinct cell parsed by the row reader's function.
    dates = _parse_distinct(_distinct(con, col("date")), importing.parse_date)
    _parsed_table(
        con,
        "days",
        ("raw", "day", "year"),
        ("VARCHAR", "DATE", "INTEGER"),
        [(r, d, d.year) for r, d in dates],
    )
    # Every row has a date and every distinct date is in `days` (once), so `keyed` has every line once.
    # A view, not a copy of every line: the join with the dates is cheap to repeat.
    con.execute(
        f"CREATE VIEW keyed AS SELECT l.rowid AS n, l.*, {ext_sql} AS ext, d.day "
        f"FROM lines l JOIN days d ON d.raw = l.{col('date')}"
    )
    if "external_id" in mapping:
        # The id is a column of its own: counted without the join.
        (distinct_ids,) = con.execute(f"SELECT COUNT(DISTINCT {ext_sql}) FROM lines").fetchone()
        too_long = 0
    else:
        (distinct_ids, too_long) = con.execute(
            f"SELECT COUNT(DISTINCT ext), COUNT(*) FILTER (WHERE length(ext) > {limit}) FROM keyed"
        ).fetchone()
    if distinct_ids != total or too_long:
        raise NotClean("repeated or long line ids")

    # INNs: digits only, present on every row (rows without one are matched by name, row by row).
    inns = _parse_distinct(_distinct(con, col("client_inn")), importing.parse_inn)
    if any(not inn for _raw, inn in inns):
        raise NotClean("rows without an INN")
    _parsed_table(con, "inns", ("raw", "inn"), ("VARCHAR", "VARCHAR"), inns)

    prepared = Prepared(
        con=con, workdir=workdir, total=int(total), inns=sorted({inn for _r, inn in inns}), mapping=mapping
    )

    # Quantity, product: parsed per distinct value by the row reader's rules.
    if "quantity" in mapping:
        quantities = _parse_distinct(_distinct(con, col("quantity")), importing.parse_quantity)
        _parsed_table(con, "quantities", ("raw", "qty"), ("VARCHAR", "VARCHAR"), quantities)
    product_cols = [col(n) if n in mapping else "NULL" for n in ("product_code", "product_name")]
    products = []
    for code_raw, name_raw in con.execute(
        f"SELECT DISTINCT {product_cols[0]}, {product_cols[1]} FROM lines"
    ).fetchall():
        code, name = importing.cell_text(code_raw), importing.cell_text(name_raw)
        if len(code) > MAX_CELL_CHARS["product_code"]:
            raise NotClean("a long product code")
        products.append((code_raw, name_raw, code, name[: MAX_CELL_CHARS["product_name"]]))
    _parsed_table(con, "products", ("code_raw", "name_raw", "code", "name"), ("VARCHAR",) * 4, products)

    # Managers and departments: keys here, matched to users and departments under the lock.
    if "manager" in mapping:
        prepared.has_manager = True
        for value in _distinct(con, col("manager")):
            if value:
                prepared.managers[value] = " ".join(value.lower().replace("ё", "е").split())
    if "department" in mapping:
        prepared.has_department = True
        for value in _distinct(con, col("department")):
            if value:
                prepared.departments[value] = importing.name_key(value)
    return prepared


# The order `final` is built in: the file's, or by client and date (see build_final).
FILE_ORDER = "b.n"
CLIENT_DATE_ORDER = "b.client_id, b.day, b.n"


def final_sql(prepared: Prepared, order: str = FILE_ORDER) -> str:
    """The lines to write, sorted by `order`: n (the order in the file), external_id, date, client_id,
    manager_id, department_id, product_code, product_name, quantity, revenue, cost (DECIMAL(16, 2)),
    revenue_kop, cost_kop (BIGINT).

    Needs the tables client_map(inn, client_id, owner, dept), mgr_map(raw, user_id), dept_map(raw,
    dept_id) and user_dept(user_id, dept) made by the caller; the fallbacks for an empty or unknown
    manager or department are those of services._row_values.
    """
    m = prepared.mapping

    def col(name: str) -> str:
        return f"COALESCE(k.c{m[name]}, '')" if name in m else "''"

    quantity = "q.qty" if "quantity" in m else "CAST(NULL AS VARCHAR)"
    quantity_join = (
        f"LEFT JOIN quantities q ON COALESCE(q.raw, '') = {col('quantity')}" if "quantity" in m else ""
    )
    manager_join = f"LEFT JOIN mgr_map mm ON mm.raw = {col('manager')}" if "manager" in m else ""
    manager = "COALESCE(mm.user_id, c.owner)" if "manager" in m else "c.owner"
    dept_join = f"LEFT JOIN dept_map dm ON dm.raw = {col('department')}" if "department" in m else ""
    given_dept = "dm.dept_id" if "department" in m else "CAST(NULL AS BIGINT)"
    return f"""
WITH b AS (
    SELECT k.n, k.ext, k.day, c.client_id, {manager} AS manager_id, {given_dept} AS given_dept,
           c.dept AS client_dept, p.code, p.name, {quantity} AS qty, k.revenue, k.cost
    FROM keyed k
    JOIN inns i ON i.raw = k.c{m["client_inn"]}
    JOIN client_map c ON c.inn = i.inn
    JOIN products p ON COALESCE(p.code_raw, '') = {col("product_code")}
                   AND COALESCE(p.name_raw, '') = {col("product_name")}
    {quantity_join}
    {manager_join}
    {dept_join}
)
SELECT b.n, b.ext AS external_id, b.day AS date, b.client_id, b.manager_id,
       COALESCE(b.given_dept, u.dept, b.client_dept) AS department_id,
       b.code AS product_code, b.name AS product_name, b.qty AS quantity,
       b.revenue, b.cost, CAST(b.revenue * 100 AS BIGINT) AS revenue_kop,
       CAST(b.cost * 100 AS BIGINT) AS cost_kop
FROM b LEFT JOIN user_dept u ON u.user_id = b.manager_id
ORDER BY {order}
"""


def build_final(prepared: Prepared, order: str = FILE_ORDER) -> None:
    """The table `final` (final_sql), sorted by `order`; the lines read are dropped.

    DuckDB keeps a table's insertion order in a scan without ORDER BY (preserve_insertion_order),
    so the lines can be written in that order without sorting them again. PostgreSQL's import
    writes them by client and date: the (client, date) index, the ledger's largest, is then built
    from presorted input, and a client's lines (what an account plan reads) sit together.
    """
    con = prepared.con
    con.execute(f"CREATE TABLE final AS {final_sql(prepared, order)}")
    con.execute("DROP VIEW keyed")
    con.execute("DROP TABLE lines")


def add_table(
    prepared: Prepared, name: str, columns: Sequence[str], types: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    _parsed_table(prepared.con, name, columns, types, rows)
