"""manage.py import_ledger: progress, summary, exit code 1 with the errors when a file is rejected."""

from __future__ import annotations

import io

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command

from kam.clients.models import Client, ClientStatus
from kam.ledger.models import ImportBatch, ImportSource, SalesLine

from .helpers import csv_bytes, snapshot, xlsx_bytes
from .test_import import NEW_INN, ROMASHKA_INN, one_c_rows

pytestmark = pytest.mark.django_db


def write(tmp_path, data: bytes, name: str = "sales.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_ledger", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_a_1c_file_and_prints_a_summary(company, tmp_path):
    out, _err = run(write(tmp_path, csv_bytes(one_c_rows())), "--user", "diana")
    assert "Imported: 4 rows, 4 imported, 0 already imported, 0 bad" in out
    assert SalesLine.objects.count() == 4
    batch = ImportBatch.objects.get()
    assert (batch.source, batch.uploaded_by) == (ImportSource.COMMAND, company.diana)
    assert LogEntry.objects.filter(object_pk=str(batch.pk), additional_data__kind="import").count() == 2
    again, _err = run(write(tmp_path, csv_bytes(one_c_rows())))
    assert "0 imported, 4 already imported" in again


def test_a_rejected_file_exits_with_1_and_lists_every_error(company, tmp_path):
    rows = one_c_rows()
    rows[0][8] = "abc"
    rows[2][0] = "00.00.2024"
    path = write(tmp_path, csv_bytes(rows))
    before = snapshot()
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_ledger", path, stdout=out, stderr=io.StringIO())
    assert raised.value.returncode == 1
    assert "Rejected: 4 rows, 0 imported" in str(raised.value)
    text = out.getvalue()
    assert "row 2, column Выручка: 'abc' is not a number" in text
    assert "row 4, column Дата: '00.00.2024' is not a date: day or month out of range" in text
    assert snapshot() == before


def test_take_good_rows_on_the_command_line(company, tmp_path):
    rows = one_c_rows()
    rows[0][8] = "abc"
    out, _err = run(write(tmp_path, csv_bytes(rows)), "--take-good-rows")
    assert "Imported good rows only: 4 rows, 3 imported" in out
    assert "row 2, column Выручка: 'abc' is not a number" in out


def test_an_explicit_mapping_on_the_command_line(company, tmp_path):
    header = ["When", "Who", "Amount", "COGS", "Ref"]
    path = write(
        tmp_path, csv_bytes([["2024-05-05", ROMASHKA_INN, "100.00", "60.00", "X-9"]], header, sep=",")
    )
    with pytest.raises(CommandError) as raised:
        call_command("import_ledger", path, stdout=io.StringIO(), stderr=io.StringIO())
    assert raised.value.returncode == 1
    run(path, "--map", "date=When,client_inn=Who,revenue=Amount,cost=COGS,external_id=Ref")
    assert SalesLine.objects.get().external_id == "X-9"


def test_unknown_clients_become_prospects_owned_by_the_given_kam(company, tmp_path):
    rows = [["01.03.2024", "Д-1", "1", "Новый", NEW_INN, "", "", "", "10", "5"]]
    path = write(tmp_path, csv_bytes(rows))
    out, _err = run(path, "--create-unknown-clients", "--owner", "carol")
    assert "1 new prospects" in out
    client = Client.objects.get(tax_number=NEW_INN)
    assert (client.status, client.owner, client.department) == (
        ClientStatus.PROSPECT,
        company.carol,
        company.south,
    )


def test_an_excel_file_and_an_encoding_option(company, tmp_path):
    rows = [[row[0][:10], *row[1:]] for row in one_c_rows()]
    run(write(tmp_path, xlsx_bytes(rows), "sales.xlsx"))
    assert SalesLine.objects.count() == 4
    with pytest.raises(CommandError, match="cannot be read as utf-8"):
        call_command(
            "import_ledger",
            write(tmp_path, csv_bytes(one_c_rows()), "other.csv"),
            "--encoding",
            "utf-8",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_bad_command_lines_are_refused_before_anything_happens(company, tmp_path):
    path = write(tmp_path, csv_bytes(one_c_rows()))
    with pytest.raises(CommandError, match="no user with login 'nobody'"):
        call_command("import_ledger", path, "--owner", "nobody")
    with pytest.raises(CommandError, match="field=Column"):
        call_command("import_ledger", path, "--map", "date")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_ledger", str(tmp_path / "missing.csv"))
    assert not ImportBatch.objects.exists()
