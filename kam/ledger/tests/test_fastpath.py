"""The columnar fast path (fastpath.py): the same lines as the row reader, and every doubt left to it."""

from __future__ import annotations

import pytest

from kam.ledger import services
from kam.ledger.models import ImportStatus, LedgerMonthly, SalesLine

from .helpers import csv_bytes, monthly_as_dict, monthly_from_lines, snapshot
from .test_import import LYUTIK_INN, NEW_INN, ROMASHKA_INN, VASILEK_INN, one_c_rows, run

pytestmark = pytest.mark.django_db

PREAMBLE = ["Продажи за период", "Период: 01.01.2024 - 29.02.2024", ""]


def lines() -> list[tuple[object, ...]]:
    return list(
        SalesLine.objects.order_by("external_id").values_list(
            "external_id",
            "date",
            "client_id",
            "manager_id",
            "department_id",
            "product_code",
            "product_name",
            "quantity",
            "revenue",
            "cost",
        )
    )


def columnar(batch) -> bool:
    return bool(batch.timings.get("columnar"))


def test_a_clean_1c_export_takes_the_fast_path_and_writes_what_the_row_reader_writes(company, monkeypatch):
    data = csv_bytes(one_c_rows(), preamble=PREAMBLE)  # Windows-1251, spaces between thousands
    fast = run(company, data)
    assert fast.status == ImportStatus.IMPORTED, fast.errors
    assert columnar(fast)
    assert (fast.rows_total, fast.rows_ok, fast.rows_bad, fast.encoding) == (4, 4, 0, "cp1251")
    fast_lines, fast_monthly = lines(), monthly_as_dict()
    assert fast_monthly == monthly_from_lines()

    SalesLine.objects.all().delete()
    LedgerMonthly.objects.all().delete()
    monkeypatch.setattr(services, "FAST_PATH", False)
    slow = run(company, data)
    assert slow.status == ImportStatus.IMPORTED and not columnar(slow)
    assert lines() == fast_lines
    assert monthly_as_dict() == fast_monthly


def test_a_utf8_file_with_line_ids_and_no_manager_column(company, monkeypatch):
    header = ["Код строки", "Дата", "ИНН", "Выручка", "Себестоимость"]
    rows = [
        ["L1", "05.03.2024", ROMASHKA_INN, "1 234 567,89", "1 000 000,00"],
        ["L2", "31.03.2024", VASILEK_INN, "-12,5", "0"],
        ["L10", "01.04.2024", LYUTIK_INN, "7", "3,33"],
    ]
    data = b"\xef\xbb\xbf" + csv_bytes(rows, header, encoding="utf-8")
    batch = run(company, data)
    assert batch.status == ImportStatus.IMPORTED, batch.errors
    assert columnar(batch)
    got = {ext: (rev, cost) for ext, *_rest, rev, cost in lines()}
    assert {k: (str(r), str(c)) for k, (r, c) in got.items()} == {
        "L1": ("1234567.89", "1000000.00"),
        "L2": ("-12.50", "0.00"),
        "L10": ("7.00", "3.33"),
    }
    second = SalesLine.objects.get(external_id="L2")
    assert (second.manager, second.department) == (company.bob, company.north)
    assert monthly_as_dict() == monthly_from_lines()


def test_importing_the_same_file_again_is_idempotent_on_the_fast_path(company):
    data = csv_bytes(one_c_rows())
    first = run(company, data)
    assert columnar(first) and first.rows_ok == 4
    before = snapshot()
    again = run(company, data)
    assert columnar(again)
    assert (again.status, again.rows_ok, again.rows_skipped) == (ImportStatus.IMPORTED, 0, 4)
    assert snapshot() == before
    # A file with the old lines and a new one adds only the new one, and its month's sums.
    more = [
        *one_c_rows(),
        ["20.01.2024", "ТД00-000010", "1", "", ROMASHKA_INN, "bob", "", "", "100,00", "90,00"],
    ]
    third = run(company, csv_bytes(more))
    assert columnar(third)
    assert (third.rows_ok, third.rows_skipped) == (1, 4)
    assert monthly_as_dict() == monthly_from_lines()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda rows: rows[2].__setitem__(8, "abc"), [4, "Выручка", "'abc' is not a number"]),
        (
            lambda rows: rows[1].__setitem__(0, "31.02.2024"),
            [3, "Дата", "'31.02.2024' is not a date: day or month out of range"],
        ),
        (
            lambda rows: rows[3].__setitem__(9, "12,345"),
            [5, "Себестоимость", "'12,345' has more than two decimal places"],
        ),
        (
            lambda rows: rows.append(list(rows[0])),
            [6, "Документ", "line id ТД00-000001/2024/1 repeats row 2"],
        ),
        (
            lambda rows: rows[0].__setitem__(4, NEW_INN),
            [2, "ИНН", f"unknown client: no client with INN {NEW_INN}"],
        ),
        (lambda rows: rows[0].__setitem__(5, "Nobody Known"), [2, "Менеджер", "no user 'nobody known'"]),
        (
            lambda rows: rows[0].__setitem__(4, "77-07"),
            [2, "ИНН", "'77-07' is not an INN: it must be digits only"],
        ),
    ],
    ids=[
        "text-in-number",
        "bad-date",
        "three-decimals",
        "duplicate",
        "unknown-client",
        "unknown-manager",
        "bad-inn",
    ],
)
def test_a_malformed_file_is_left_to_the_row_reader_and_rejected_whole(company, change, expected):
    rows = one_c_rows()
    change(rows)
    before = snapshot()
    batch = run(company, csv_bytes(rows))
    assert batch.status == ImportStatus.REJECTED
    assert not columnar(batch)
    assert expected in batch.errors
    assert "nothing was imported" in batch.message
    assert snapshot() == before


def test_cells_outside_the_fast_pattern_are_read_by_the_row_reader(company):
    rows = one_c_rows()
    rows[0][8] = "(1 234,56)"  # a negative amount in brackets
    batch = run(company, csv_bytes(rows))
    assert batch.status == ImportStatus.IMPORTED, batch.errors
    assert not columnar(batch)
    assert str(SalesLine.objects.get(external_id="ТД00-000001/2024/1").revenue) == "-1234.56"


def test_a_bulk_load_rebuilds_every_index_it_dropped(company, monkeypatch):
    from django.db import connection

    def indexes() -> set[str]:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, "ledger_salesline")
            found.update(connection.introspection.get_constraints(cursor, "ledger_monthly"))
        return {name for name, info in found.items() if info["index"] or info["unique"]}

    before = indexes()
    monkeypatch.setattr(services, "BULK_LOAD_MIN", 1)  # every import counts as a bulk load
    first = run(company, csv_bytes(one_c_rows()))
    assert columnar(first) and first.rows_ok == 4
    assert "indexes" in first.timings
    more = [["20.01.2024", "ТД00-000010", "1", "", ROMASHKA_INN, "bob", "", "", "100,00", "90,00"]]
    second = run(company, csv_bytes(one_c_rows() + more))
    assert (second.rows_ok, second.rows_skipped) == (1, 4)
    assert indexes() == before
    assert monthly_as_dict() == monthly_from_lines()
    # The line id is unique again after the load.
    again = run(company, csv_bytes(one_c_rows()))
    assert (again.rows_ok, again.rows_skipped) == (0, 4)
    assert SalesLine.objects.count() == 5


def test_the_line_id_keeps_its_bytewise_collation_through_a_bulk_load(company, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the C collation of the line id is PostgreSQL's (migration 0005)")

    def collation() -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_name = 'ledger_salesline' AND column_name = 'external_id'"
            )
            return str(cursor.fetchone()[0])

    assert collation() == "C"
    monkeypatch.setattr(services, "BULK_LOAD_MIN", 1)  # the unique index is dropped and built again
    batch = run(company, csv_bytes(one_c_rows()))
    assert columnar(batch) and batch.rows_ok == 4
    assert collation() == "C"
    again = run(company, csv_bytes(one_c_rows()))
    assert (again.rows_ok, again.rows_skipped) == (0, 4)


def _pg_only() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("ids reserved from the sequence, lines by client and date: PostgreSQL's bulk path")


def test_line_ids_are_reserved_in_one_step_above_every_id_taken(company):
    _pg_only()
    first = run(company, csv_bytes(one_c_rows()))
    assert columnar(first) and first.rows_ok == 4
    ids = sorted(SalesLine.objects.values_list("id", flat=True))
    assert ids == list(range(ids[0], ids[0] + 4))  # one range, no gaps
    # Another writer (an order's lines) takes ids by nextval(): above the import's range.
    other = SalesLine.objects.create(
        external_id="ORDER-1", date="2024-03-01", client=company.alice_client, revenue=1, cost=0, batch=first
    )
    assert other.pk > ids[-1]
    # A line stored with an explicit id ahead of the sequence: the next range starts above it too.
    ahead = SalesLine.objects.create(
        id=other.pk + 1000,
        external_id="ORDER-2",
        date="2024-03-01",
        client=company.alice_client,
        revenue=1,
        cost=0,
        batch=first,
    )
    more = [["20.01.2024", "ТД00-000010", "1", "", ROMASHKA_INN, "bob", "", "", "100,00", "90,00"]]
    second = run(company, csv_bytes(one_c_rows() + more))
    assert columnar(second) and (second.rows_ok, second.rows_skipped) == (1, 4)
    # The new line's id is its place among the file's 5 lines (the 4 known ones leave gaps), past
    # the gap kept free for other writers' nextval() between the reservation's two calls.
    added = SalesLine.objects.get(external_id="ТД00-000010/2024/1").pk
    gap = services.RESERVE_GAP
    assert ahead.pk + gap < added <= ahead.pk + gap + 5
    # And nextval() goes on above the range.
    last = SalesLine.objects.create(
        external_id="ORDER-3", date="2024-03-01", client=company.alice_client, revenue=1, cost=0, batch=first
    )
    assert last.pk > added


def test_two_reservations_never_overlap(company):
    _pg_only()
    from django.db import connection

    with connection.cursor() as cursor:
        a = services._reserve_line_ids(cursor, 1000)
        b = services._reserve_line_ids(cursor, 10)
        cursor.execute("SELECT nextval(pg_get_serial_sequence('ledger_salesline', 'id'))")
        after = int(cursor.fetchone()[0])
    assert b >= a + 1000 + services.RESERVE_GAP  # another writer's nextval() in between lands in the gap
    assert after >= b + 10


def test_postgres_writes_a_bulk_load_by_client_and_date_with_ids_in_that_order(company, monkeypatch):
    _pg_only()
    from django.db import connection

    monkeypatch.setattr(services, "BULK_LOAD_MIN", 1)  # the keys are dropped and built again
    batch = run(company, csv_bytes(one_c_rows()))
    assert columnar(batch) and batch.rows_ok == 4
    by_id = list(SalesLine.objects.order_by("id").values_list("client_id", "date", "external_id"))
    assert by_id == sorted(by_id)  # the file's lines of one client and day stay in file order
    with connection.cursor() as cursor:  # the key is there after the load
        cursor.execute(
            "SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'ledger_salesline'::regclass AND contype = 'p'"
        )
        assert [name for (name,) in cursor.fetchall()] == ["ledger_salesline_pkey"]


def test_a_failed_bulk_load_leaves_the_ledger_and_its_keys_as_they_were(company, monkeypatch):
    from django.db import connection

    def keys() -> dict[str, tuple[bool, bool, tuple[str, ...]]]:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, "ledger_salesline")
        return {
            name: (bool(info["primary_key"]), bool(info["unique"]), tuple(info["columns"]))
            for name, info in found.items()
            if info["index"] or info["unique"] or info["primary_key"]
        }

    run(company, csv_bytes(one_c_rows()[:1]))
    before, keys_before = snapshot(), keys()
    monkeypatch.setattr(services, "BULK_LOAD_MIN", 1)  # every import drops and rebuilds the indexes

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    # After the lines are in and the indexes built again: the aggregate fails.
    monkeypatch.setattr(services, "_add_csv_to_monthly", fail)
    monkeypatch.setattr(services, "_update_monthly", fail)
    batch = run(company, csv_bytes(one_c_rows()))
    assert batch.status == ImportStatus.FAILED
    assert snapshot() == before
    assert keys() == keys_before
    monkeypatch.undo()
    # The ledger works as before: the same file imports the three lines it did not have.
    again = run(company, csv_bytes(one_c_rows()))
    assert (again.status, again.rows_ok, again.rows_skipped) == (ImportStatus.IMPORTED, 3, 1)
    assert monthly_as_dict() == monthly_from_lines()
