"""Importing ledger files through the service: formats, validation, idempotence, the aggregate."""

from __future__ import annotations

import io
import random
from datetime import date
from decimal import Decimal

import pytest

from kam.clients.models import Client, ClientStatus
from kam.ledger import services
from kam.ledger.models import ImportBatch, ImportStatus, LedgerMonthly, SalesLine
from kam.ledger.services import ImportOptions

from .helpers import csv_bytes, monthly_as_dict, monthly_from_lines, snapshot, xlsx_bytes

pytestmark = pytest.mark.django_db

ROMASHKA_INN = "7707083893"  # alice_client
VASILEK_INN = "7736050003"  # bob_client
LYUTIK_INN = "7702070139"  # carol_client
NEW_INN = "7728168971"  # valid, no client yet
NEW_INN_2 = "7710140679"


def run(company, data: bytes, name: str = "ledger.csv", **options) -> ImportBatch:
    batch = services.import_batch_create(
        uploaded_by=company.diana, file_name=name, fileobj=io.BytesIO(data), options=ImportOptions(**options)
    )
    if batch.status == ImportStatus.QUEUED:
        batch = services.import_run(batch_id=batch.pk)
    return batch


def one_c_rows() -> list[list[str]]:
    return [
        [
            "15.01.2024 0:00:00",
            "ТД00-000001",
            "1",
            'ООО "Ромашка"',
            ROMASHKA_INN,
            "Test Alice",
            "Гвозди",
            "10",
            "1 234,56",
            "1 000,10",
        ],
        [
            "15.01.2024 0:00:00",
            "ТД00-000001",
            "2",
            'ООО "Ромашка"',
            ROMASHKA_INN,
            "Test Alice",
            "Шурупы",
            "2,5",
            "12\u00a0345\u00a0678,90",
            "10 000 000,01",
        ],
        ["03.02.2024", "ТД00-000002", "1", 'ООО "Василек"', VASILEK_INN, "bob", "Гвозди", "1", "0,01", "0"],
        [
            "29.02.2024",
            "ТД00-000003",
            "1",
            'ООО "Лютик"',
            LYUTIK_INN,
            "Test Carol",
            "Болты",
            "-1",
            "-500,00",
            "-400,00",
        ],
    ]


def test_a_1c_export_in_windows_1251_is_imported_to_the_kopeck(company):
    data = csv_bytes(one_c_rows(), preamble=["Продажи за период", "Период: 01.01.2024 - 29.02.2024", ""])
    batch = run(company, data)
    assert batch.status == ImportStatus.IMPORTED, batch.errors
    assert (batch.encoding, batch.delimiter, batch.header_row) == ("cp1251", ";", 4)
    assert (batch.rows_total, batch.rows_ok, batch.rows_bad) == (4, 4, 0)
    line = SalesLine.objects.get(external_id="ТД00-000001/2024/2")
    assert line.revenue == Decimal("12345678.90")
    assert line.cost == Decimal("10000000.01")
    assert line.quantity == Decimal("2.5")
    assert line.date == date(2024, 1, 15)
    assert (line.client, line.manager, line.department) == (
        company.alice_client,
        company.alice,
        company.north,
    )
    assert line.product_name == "Шурупы"
    january = LedgerMonthly.objects.get(client=company.alice_client, month=date(2024, 1, 1))
    assert (january.turnover, january.income, january.lines) == (1234691346, 234591335, 2)
    tiny = LedgerMonthly.objects.get(client=company.bob_client)
    assert (tiny.turnover, tiny.income, tiny.manager_id, tiny.month) == (
        1,
        1,
        company.bob.pk,
        date(2024, 2, 1),
    )
    refund = LedgerMonthly.objects.get(client=company.carol_client)
    assert (refund.turnover, refund.income, refund.department_id) == (-50000, -10000, company.south.pk)
    assert monthly_as_dict() == monthly_from_lines()


def test_a_utf8_file_with_bom_commas_and_iso_dates_is_read(company):
    header = ["line_id", "date", "inn", "revenue", "cost", "qty"]
    rows = [
        ["A-1", "2024-03-05", ROMASHKA_INN, '"1,234.50"', "1000", "3"],
        ["A-2", "2024-03-31", VASILEK_INN, "99.99", "50.5", ""],
    ]
    data = b"\xef\xbb\xbf" + csv_bytes(rows, header, sep=",", encoding="utf-8")
    batch = run(company, data)
    assert batch.status == ImportStatus.IMPORTED, batch.errors
    assert (batch.encoding, batch.delimiter) == ("utf-8-sig", ",")
    assert SalesLine.objects.get(external_id="A-1").revenue == Decimal("1234.50")
    second = SalesLine.objects.get(external_id="A-2")
    assert (second.cost, second.quantity) == (Decimal("50.50"), None)
    # No manager column: the line is the client's KAM's, in the KAM's department.
    assert (second.manager, second.department) == (company.bob, company.north)


def test_an_excel_workbook_is_imported_with_typed_cells(company):
    rows = [
        [date(2024, 4, 1), "РН-7", 1, "Ромашка", int(ROMASHKA_INN), "alice", "Гвозди", 3, 1500.1, 1200],
        [date(2024, 4, 2), "РН-7", 2, "Ромашка", int(ROMASHKA_INN), "alice", "Болты", 1.5, "2 000,00", 0.3],
    ]
    batch = run(company, xlsx_bytes(rows), name="sales.xlsx")
    assert batch.status == ImportStatus.IMPORTED, batch.errors
    first = SalesLine.objects.get(external_id="РН-7/2024/1")
    assert (first.revenue, first.cost, first.quantity) == (Decimal("1500.10"), Decimal("1200.00"), Decimal(3))
    assert SalesLine.objects.get(external_id="РН-7/2024/2").cost == Decimal("0.30")
    month = LedgerMonthly.objects.get(client=company.alice_client)
    assert (month.turnover, month.income) == (350010, 350010 - 120030)


def test_random_bytes_are_rejected_as_not_text_and_nothing_changes(company):
    before = snapshot()
    noise = random.Random(7).randbytes(5000)
    batch = run(company, noise.replace(b"\x00", b"\x01"))
    assert batch.status == ImportStatus.REJECTED
    assert "does not read as text" in batch.message
    assert snapshot() == before


def test_a_binary_file_is_rejected(company):
    batch = run(company, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), name="photo.png")
    assert batch.status == ImportStatus.REJECTED
    assert "binary" in batch.message


def test_a_file_that_is_not_the_encoding_asked_for_is_rejected(company):
    before = snapshot()
    batch = run(company, csv_bytes(one_c_rows()), encoding="utf-8")
    assert batch.status == ImportStatus.REJECTED
    assert "cannot be read as utf-8" in batch.message
    assert snapshot() == before


def test_missing_columns_are_named_and_the_file_waits_for_a_mapping(company):
    header = ["Дата", "Документ", "ИНН", "Выручка"]
    batch = run(company, csv_bytes([["01.01.2024", "Д1", ROMASHKA_INN, "10"]], header))
    assert batch.status == ImportStatus.NEEDS_MAPPING
    assert "Cost" in batch.message
    assert SalesLine.objects.count() == 0


def test_bad_dates_are_reported_by_row_and_column_and_the_file_is_rejected(company):
    rows = one_c_rows()
    rows[1][0] = "31.02.2024"
    rows[2][0] = "завтра"
    before = snapshot()
    batch = run(company, csv_bytes(rows))
    assert batch.status == ImportStatus.REJECTED
    assert batch.errors == [
        [3, "Дата", "'31.02.2024' is not a date: day or month out of range"],
        [4, "Дата", "'завтра' is not a date (write 31.01.2024 or 2024-01-31)"],
    ]
    assert batch.rows_bad == 2
    assert snapshot() == before


def test_text_in_a_number_is_reported_with_row_column_and_value(company):
    rows = one_c_rows()
    rows[2][8] = "abc"
    rows[3][9] = "12,345"
    before = snapshot()
    batch = run(company, csv_bytes(rows))
    assert batch.status == ImportStatus.REJECTED
    assert [3, "Выручка", "'abc' is not a number"] not in batch.errors
    assert [4, "Выручка", "'abc' is not a number"] in batch.errors
    assert [5, "Себестоимость", "'12,345' has more than two decimal places"] in batch.errors
    assert "nothing was imported" in batch.message
    assert snapshot() == before


def test_duplicate_lines_in_a_file_are_errors(company):
    rows = one_c_rows()
    rows.append(list(rows[0]))
    before = snapshot()
    batch = run(company, csv_bytes(rows))
    assert batch.status == ImportStatus.REJECTED
    assert batch.errors == [[6, "Документ", "line id ТД00-000001/2024/1 repeats row 2"]]
    assert snapshot() == before


def test_taking_the_good_rows_imports_only_them_and_lists_the_bad(company):
    rows = one_c_rows()
    rows[1][8] = "много"
    rows.append(["01.03.2024", "ТД00-000009", "1", "Неизвестный", NEW_INN, "", "", "", "10", "5"])
    batch = run(company, csv_bytes(rows), take_good_rows=True)
    assert batch.status == ImportStatus.PARTIAL
    assert (batch.rows_total, batch.rows_ok, batch.rows_bad) == (5, 3, 2)
    assert batch.errors == [
        [3, "Выручка", "'много' is not a number"],
        [6, "ИНН", f"unknown client: no client with INN {NEW_INN}"],
    ]
    assert set(SalesLine.objects.values_list("external_id", flat=True)) == {
        "ТД00-000001/2024/1",
        "ТД00-000002/2024/1",
        "ТД00-000003/2024/1",
    }
    assert monthly_as_dict() == monthly_from_lines()


def test_importing_the_same_file_again_changes_nothing(company):
    data = csv_bytes(one_c_rows())
    first = run(company, data)
    assert first.rows_ok == 4
    before = snapshot()
    again = run(company, data)
    assert again.status == ImportStatus.IMPORTED
    assert (again.rows_ok, again.rows_skipped) == (0, 4)
    assert "4 lines were already imported" in again.message
    assert snapshot() == before
    assert set(SalesLine.objects.values_list("batch_id", flat=True)) == {first.pk}


def test_an_explicit_mapping_reads_a_file_with_unknown_headers(company):
    header = ["Когда", "Кто", "Деньги", "Затраты", "Ссылка"]
    rows = [["05.05.2024", ROMASHKA_INN, "100,00", "60,00", "X-1"]]
    mapping = {
        "date": "Когда",
        "client_inn": "Кто",
        "revenue": "Деньги",
        "cost": "Затраты",
        "external_id": "5",
    }
    batch = run(company, csv_bytes(rows, header), mapping=mapping)
    assert batch.status == ImportStatus.IMPORTED, batch.message
    assert SalesLine.objects.get(external_id="X-1").revenue == Decimal("100.00")


def test_a_mapping_to_a_column_that_does_not_exist_is_rejected(company):
    batch = run(company, csv_bytes(one_c_rows()), mapping={"revenue": "Сумма без НДС"})
    assert batch.status == ImportStatus.REJECTED
    assert "Сумма без НДС" in batch.message


def test_unknown_clients_are_reported_as_errors_by_default(company):
    rows = [["01.03.2024", "Д-1", "1", "Новый клиент", NEW_INN, "", "", "", "10", "5"]]
    before = snapshot()
    batch = run(company, csv_bytes(rows))
    assert batch.status == ImportStatus.REJECTED
    assert batch.errors == [[2, "ИНН", f"unknown client: no client with INN {NEW_INN}"]]
    assert snapshot() == before


def test_unknown_clients_can_be_created_as_prospects(company):
    rows = [
        ["01.03.2024", "Д-1", "1", 'ООО "Новый"', NEW_INN, "", "", "", "10", "5"],
        ["02.03.2024", "Д-2", "1", 'ООО "Новый"', NEW_INN, "", "", "", "20", "5"],
        ["03.03.2024", "Д-3", "1", "Другой", NEW_INN_2, "Test Carol", "", "", "30", "5"],
    ]
    batch = run(company, csv_bytes(rows), unknown_clients="create", owner_id=company.bob.pk)
    assert batch.status == ImportStatus.IMPORTED, batch.errors
    assert batch.clients_created == 2
    new = Client.objects.get(tax_number=NEW_INN)
    assert (new.status, new.legal_name, new.owner, new.department) == (
        ClientStatus.PROSPECT,
        'ООО "Новый"',
        company.bob,
        company.north,
    )
    # The row's own manager owns the client when they can.
    assert Client.objects.get(tax_number=NEW_INN_2).owner == company.carol
    assert Client.objects.filter(search_name__contains="НОВЫЙ").count() == 1
    assert monthly_as_dict() == monthly_from_lines()


def test_prospects_need_a_valid_inn_and_an_owner(company):
    rows = [
        ["01.03.2024", "Д-1", "1", "Плохой ИНН", "7707083890", "", "", "", "10", "5"],
        ["01.03.2024", "Д-2", "1", "Без хозяина", NEW_INN, "", "", "", "10", "5"],
    ]
    before = snapshot()
    batch = run(company, csv_bytes(rows), unknown_clients="create")
    assert batch.status == ImportStatus.REJECTED
    assert batch.errors == [
        [2, "ИНН", "INN 7707083890: This INN fails its checksum: check the digits."],
        [
            3,
            "ИНН",
            "no KAM to own the new client 'Без хозяина (INN 7728168971)': choose an owner for new clients",
        ],
    ]
    assert snapshot() == before


def test_clients_are_found_by_name_when_there_is_no_inn(company):
    header = ["Дата", "Номер", "Покупатель", "Сумма", "Себестоимость"]
    rows = [["01.06.2024", "N1", "romashka", "10", "1"], ["01.06.2024", "N2", "ООО «Нет такого»", "10", "1"]]
    batch = run(company, csv_bytes(rows, header), take_good_rows=True)
    assert SalesLine.objects.get(external_id="N1/2024/1").client == company.alice_client
    assert batch.errors == [[3, "Покупатель", "unknown client: no client called 'ООО «Нет такого»'"]]


def test_unknown_managers_are_errors_or_fall_back_to_the_clients_kam(company):
    rows = [["01.03.2024", "Д-1", "1", "Ромашка", ROMASHKA_INN, "Пупкин Василий", "", "", "10", "5"]]
    before = snapshot()
    rejected = run(company, csv_bytes(rows))
    assert rejected.errors == [[2, "Менеджер", "no user 'пупкин василий'"]]
    assert snapshot() == before
    taken = run(company, csv_bytes(rows), unknown_refs="fallback")
    assert taken.status == ImportStatus.IMPORTED
    line = SalesLine.objects.get()
    assert (line.manager, line.department) == (company.alice, company.north)


def test_the_aggregate_equals_a_group_by_over_the_lines_after_several_imports(company):
    run(company, csv_bytes(one_c_rows()))
    more = [
        # Same client and month as the first file: the month is recomputed, not overwritten.
        ["20.01.2024", "ТД00-000010", "1", "", ROMASHKA_INN, "bob", "", "", "100,00", "90,00"],
        ["21.01.2024", "ТД00-000011", "1", "", ROMASHKA_INN, "Test Alice", "", "", "-1 234,56", "-1 000,10"],
        ["01.12.2023", "ТД00-000012", "1", "", LYUTIK_INN, "", "", "", "7,77", "0,01"],
    ]
    run(company, csv_bytes(more))
    run(company, csv_bytes(one_c_rows() + more))  # everything again: nothing new
    assert SalesLine.objects.count() == 7
    assert monthly_as_dict() == monthly_from_lines()
    alice_january = LedgerMonthly.objects.get(
        client=company.alice_client, manager=company.alice, month=date(2024, 1, 1)
    )
    assert (alice_january.turnover, alice_january.lines) == (1234691346 - 123456, 3)
    services.ledger_rebuild_monthly()
    assert monthly_as_dict() == monthly_from_lines()


def test_the_aggregate_is_the_same_when_many_months_are_read_in_one_scan(company, monkeypatch):
    monkeypatch.setattr(services, "SCAN_PAIRS", 0)
    run(company, csv_bytes(one_c_rows()))
    more = [["20.01.2024", "ТД00-000010", "1", "", ROMASHKA_INN, "bob", "", "", "100,00", "90,00"]]
    run(company, csv_bytes(more))
    assert monthly_as_dict() == monthly_from_lines()
    assert LedgerMonthly.objects.count() == 4


def test_refreshing_some_months_by_hand_matches_the_full_rebuild(company):
    run(company, csv_bytes(one_c_rows()))
    LedgerMonthly.objects.all().delete()
    services.ledger_refresh_monthly(pairs=[(company.alice_client.pk, date(2024, 1, 31))])
    assert set(LedgerMonthly.objects.values_list("client_id", flat=True)) == {company.alice_client.pk}
    services.ledger_rebuild_monthly()
    assert monthly_as_dict() == monthly_from_lines()


def test_a_failure_while_writing_leaves_the_database_as_it_was(company, monkeypatch):
    before = snapshot()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_update_monthly", broken)
    monkeypatch.setattr(services, "_add_to_monthly", broken)
    monkeypatch.setattr(services, "_add_csv_to_monthly", broken)  # PostgreSQL's columnar path
    batch = run(company, csv_bytes(one_c_rows()))
    assert batch.status == ImportStatus.FAILED
    assert "disk full" in batch.message
    assert snapshot() == before


def test_every_import_is_in_the_audit_log(company):
    from auditlog.models import LogEntry

    batch = run(company, csv_bytes(one_c_rows()))
    entries = LogEntry.objects.filter(object_pk=str(batch.pk), additional_data__kind="import").order_by("id")
    assert [e.additional_data["event"] for e in entries] == ["uploaded", "finished"]
    assert all(e.actor == company.diana for e in entries)
    assert entries[1].changes_dict["status"] == ["queued", "imported"]


def test_the_analysis_engine_reads_the_aggregate_the_import_keeps(company):
    from django.db import connection

    from kam.analytics.engine import Dialect, KeyAccountAnalysis

    run(company, csv_bytes(one_c_rows()))
    dialect: Dialect = "postgres" if connection.vendor == "postgresql" else "sqlite"
    with connection.cursor() as cursor:
        result = KeyAccountAnalysis(period_start=date(2024, 1, 1), period_end=date(2024, 2, 1)).calculate(
            cursor, dialect
        )
    assert result.total_turnover == 1234691346 + 1 - 50000
    assert result.total_income == 234591335 + 1 - 10000
