import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from kam.receivables.importing import import_file
from kam.receivables.models import Invoice, Payment, PaymentAllocation

from .helpers import d
from .test_pages import state

pytestmark = pytest.mark.django_db

ROMASHKA, VASILEK = "7707083893", "7736050003"
INVOICE_HEADER = "Код;Номер счета;Дата счета;Срок оплаты;Контрагент;ИНН;Сумма\r\n"


def csv_bytes(text: str, encoding: str = "cp1251") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def good_invoices() -> str:
    return (
        INVOICE_HEADER
        + f"A-1;СЧ-0001;10.01.2026;09.02.2026;Ромашка;{ROMASHKA};1 234,56\r\n"
        + f"A-2;СЧ-0002;15.01.2026;;Василек;{VASILEK};99,9\r\n"
    )


def test_a_1c_invoice_file_in_windows_1251_is_imported_once(company):
    result = import_file(csv_bytes(good_invoices()), kind="invoices", actor=company.fiona)
    assert result.ok and result.created == 2, result.errors
    inv = Invoice.objects.get(number="СЧ-0001")
    assert (inv.client, inv.amount, inv.issued_on, inv.due_on, inv.external_id) == (
        company.alice_client,
        Decimal("1234.56"),
        d("2026-01-10"),
        d("2026-02-09"),
        "A-1",
    )
    # no due date: the client's payment terms (30 days)
    assert Invoice.objects.get(number="СЧ-0002").due_on == d("2026-02-14")
    before = state()
    again = import_file(csv_bytes(good_invoices()), kind="invoices", actor=company.fiona)
    assert again.ok and again.created == 0 and again.skipped == 2
    assert state() == before


@pytest.mark.parametrize(
    ("line", "column", "reason"),
    [
        (f"B-1;СЧ-9;32.01.2026;;x;{ROMASHKA};10,00", "Дата счета", "not a date"),
        (f"B-1;СЧ-9;10.01.2026;;x;{ROMASHKA};десять", "Сумма", "not a number"),
        (f"B-1;СЧ-9;10.01.2026;;x;{ROMASHKA};-10,00", "Сумма", "more than zero"),
        (f"B-1;СЧ-9;10.01.2026;;x;{ROMASHKA};10,005", "Сумма", "two decimal places"),
        ("B-1;СЧ-9;10.01.2026;;x;7702070138;10,00", "ИНН", "no client with INN"),
        (f"B-1;СЧ-9;10.01.2026;01.01.2026;x;{ROMASHKA};10,00", "Срок оплаты", "before the invoice date"),
        (f"B-1;;10.01.2026;;x;{ROMASHKA};10,00", "Номер счета", "empty"),
        (f"A-1;СЧ-9;10.01.2026;;x;{ROMASHKA};10,00", "Код", "same record as row 2"),
    ],
)
def test_each_bad_row_is_reported_and_the_whole_file_is_refused(company, line, column, reason):
    text = (
        INVOICE_HEADER + f"A-1;СЧ-0001;10.01.2026;09.02.2026;Ромашка;{ROMASHKA};1 234,56\r\n" + line + "\r\n"
    )
    before = state()
    result = import_file(csv_bytes(text), kind="invoices", actor=company.fiona)
    assert not result.written and result.created == 0
    [error] = result.errors
    assert error.row == 3 and error.column == column and reason in error.message, error
    assert state() == before


def test_take_good_rows_writes_the_good_ones_and_reports_the_bad(company):
    text = good_invoices() + f"B-1;СЧ-9;10.01.2026;;x;{ROMASHKA};abc\r\n"
    result = import_file(csv_bytes(text), kind="invoices", actor=company.fiona, take_good_rows=True)
    assert result.created == 2 and [(e.row, e.column) for e in result.errors] == [(4, "Сумма")]
    assert Invoice.objects.count() == 2


def test_a_file_without_the_needed_columns_is_refused_with_its_columns_listed(company):
    result = import_file(csv_bytes("Foo;Bar\r\n1;2\r\n"), kind="invoices", actor=company.fiona)
    [error] = result.errors
    assert error.row is None and "Foo" in error.message
    assert Invoice.objects.count() == 0


def test_an_invoice_number_taken_under_another_id_is_an_error(company):
    import_file(csv_bytes(good_invoices()), kind="invoices", actor=company.fiona)
    text = INVOICE_HEADER + f"Z-9;СЧ-0001;10.01.2026;;x;{ROMASHKA};5,00\r\n"
    before = state()
    result = import_file(csv_bytes(text), kind="invoices", actor=company.fiona)
    assert "already exists" in result.errors[0].message
    assert state() == before


def test_payments_in_utf8_are_allocated_to_the_named_invoice_and_imported_once(company):
    import_file(csv_bytes(good_invoices()), kind="invoices", actor=company.fiona)
    text = (
        "\ufeffДата поступления;Номер платежного поручения;Плательщик;ИНН;Счет;Сумма\n"
        f"20.01.2026;101;Ромашка;{ROMASHKA};СЧ-0001;1000,00\n"
        f"21.01.2026;102;Василек;{VASILEK};;150,00\n"
    )
    result = import_file(csv_bytes(text, "utf-8"), kind="payments", actor=company.fiona)
    assert result.ok and result.created == 2, result.errors
    first = Payment.objects.get(reference="101")
    assert [(a.invoice.number, a.amount) for a in first.allocations.all()] == [
        ("СЧ-0001", Decimal("1000.00"))
    ]
    second = Payment.objects.get(reference="102")
    assert [(a.invoice.number, a.amount) for a in second.allocations.all()] == [("СЧ-0002", Decimal("99.90"))]
    before = state()
    again = import_file(csv_bytes(text, "utf-8"), kind="payments", actor=company.fiona)
    assert again.skipped == 2 and again.created == 0
    assert state() == before


def test_a_payment_naming_another_clients_invoice_is_refused(company):
    import_file(csv_bytes(good_invoices()), kind="invoices", actor=company.fiona)
    text = f"Дата;ИНН;Счет;Сумма\n20.01.2026;{VASILEK};СЧ-0001;10\n"
    result = import_file(csv_bytes(text, "utf-8"), kind="payments", actor=company.fiona)
    assert "no invoice" in result.errors[0].message
    assert Payment.objects.count() == 0 and PaymentAllocation.objects.count() == 0


def test_an_excel_file_is_read_too(company):
    wb = Workbook()
    ws = wb.active
    ws.append(["Номер счета", "Дата счета", "ИНН", "Сумма"])
    ws.append(["X-1", d("2026-01-10"), int(ROMASHKA), 10.5])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    result = import_file(buf, kind="invoices", actor=company.fiona, name="inv.xlsx")
    assert result.ok and result.created == 1, result.errors
    assert Invoice.objects.get().amount == Decimal("10.50")


def test_the_import_page_is_for_finance_and_refuses_a_kam(company, login):
    upload = SimpleUploadedFile("inv.csv", good_invoices().encode("cp1251"))
    before = state()
    assert (
        login(company.alice)
        .post(reverse("receivables:import"), {"kind": "invoices", "file": upload})
        .status_code
        == 403
    )
    assert state() == before
    upload = SimpleUploadedFile("inv.csv", good_invoices().encode("cp1251"))
    response = login(company.fiona).post(reverse("receivables:import"), {"kind": "invoices", "file": upload})
    assert response.status_code == 200
    assert Invoice.objects.count() == 2


def test_the_command_imports_for_finance_and_refuses_a_kam(company, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "inv.csv"
    path.write_bytes(good_invoices().encode("cp1251"))
    with pytest.raises(CommandError):
        call_command("import_receivables", "invoices", str(path), user="alice")
    assert Invoice.objects.count() == 0
    out = io.StringIO()
    call_command("import_receivables", "invoices", str(path), user="fiona", stdout=out)
    assert "imported 2" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_bytes((INVOICE_HEADER + f"Q;Q-1;xx;;x;{ROMASHKA};1\r\n").encode("cp1251"))
    with pytest.raises(CommandError):
        call_command("import_receivables", "invoices", str(bad), user="fiona", stderr=io.StringIO())
    assert Invoice.objects.count() == 2
