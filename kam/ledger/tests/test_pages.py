"""The import pages: who may open them, upload → (columns) → progress → result, errors as CSV."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.ledger.models import ImportBatch, ImportSource, ImportStatus, SalesLine

from .helpers import csv_bytes, last_batch, snapshot
from .test_import import ROMASHKA_INN, one_c_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """upload(browser, data, **form fields) -> response; the import queued on commit runs at once."""

    def _upload(browser, data: bytes, name: str = "sales.csv", **fields):
        payload = {"unknown_clients": "error", "unknown_refs": "error", **fields}
        payload["file"] = SimpleUploadedFile(name, data, content_type="text/csv")
        with django_capture_on_commit_callbacks(execute=True):
            return browser.post(reverse("ledger:upload"), payload)

    return _upload


@pytest.fixture
def post_now(django_capture_on_commit_callbacks):
    def _post(browser, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return browser.post(url, data)

    return _post


def test_kams_support_finance_and_admins_cannot_open_the_ledger_pages_and_nothing_changes(
    company, login, upload
):
    batch = ImportBatch.objects.create(
        file_name="x.csv", status=ImportStatus.REJECTED, errors=[[2, "A", "b"]]
    )
    before = snapshot()
    batches_before = ImportBatch.objects.count()
    urls = [
        reverse("ledger:imports"),
        reverse("ledger:upload"),
        reverse("ledger:batch", args=[batch.pk]),
        reverse("ledger:batch_status", args=[batch.pk]),
        reverse("ledger:mapping", args=[batch.pk]),
        reverse("ledger:batch_errors", args=[batch.pk]),
    ]
    for user in (company.alice, company.sam, company.fiona, company.adam):
        browser = login(user)
        for url in urls:
            assert browser.get(url).status_code == 403, (user, url)
        assert upload(browser, csv_bytes(one_c_rows())).status_code == 403
        page = browser.get(reverse("home"))
        assert reverse("ledger:imports") not in page.content.decode()
    assert snapshot() == before
    assert ImportBatch.objects.count() == batches_before
    assert not LogEntry.objects.filter(additional_data__kind="export").exists()


def test_the_director_uploads_a_1c_file_and_sees_the_result(company, login, upload):
    browser = login(company.diana)
    assert reverse("ledger:imports") in browser.get(reverse("home")).content.decode()
    response = upload(browser, csv_bytes(one_c_rows()))
    batch = last_batch()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:batch", args=[batch.pk])
    assert batch.status == ImportStatus.IMPORTED
    assert (batch.uploaded_by, batch.source, batch.remote_addr) == (
        company.diana,
        ImportSource.PAGE,
        "127.0.0.1",
    )
    assert SalesLine.objects.count() == 4
    page = browser.get(response["Location"])
    text = page.content.decode()
    assert "4 lines imported." in text
    assert 'hx-trigger="every 1s"' not in text
    assert batch.sha256 in text
    # The uploaded file is not kept once the import is over.
    assert ImportBatch.objects.get(pk=batch.pk).stored_file == ""


def test_a_head_may_import_with_the_good_rows_option(company, login, upload):
    rows = one_c_rows()
    rows[0][8] = "abc"
    response = upload(login(company.hannah), csv_bytes(rows), take_good_rows="on")
    assert response.status_code == 302
    batch = last_batch()
    assert (batch.status, batch.rows_ok, batch.rows_bad) == (ImportStatus.PARTIAL, 3, 1)
    assert batch.options["take_good_rows"] is True


def test_a_rejected_file_lists_its_errors_and_gives_them_as_csv(company, login, upload):
    rows = one_c_rows()
    rows[1][0] = "32.01.2024"
    rows[2][9] = "дорого"
    browser = login(company.diana)
    before = snapshot()
    upload(browser, csv_bytes(rows))
    batch = last_batch()
    assert batch.status == ImportStatus.REJECTED
    assert snapshot() == before
    text = browser.get(reverse("ledger:batch", args=[batch.pk])).content.decode()
    assert "&#x27;32.01.2024&#x27; is not a date" in text
    assert "Себестоимость" in text
    errors = browser.get(reverse("ledger:batch_errors", args=[batch.pk]))
    assert errors["Content-Type"].startswith("text/csv")
    body = errors.content.decode("utf-8-sig").splitlines()
    assert body[0] == "Row,Column,Reason"
    assert body[1] == "3,Дата,'32.01.2024' is not a date: day or month out of range"
    assert body[2] == "4,Себестоимость,'дорого' is not a number"
    export = LogEntry.objects.get(additional_data__kind="export")
    assert (export.actor, export.additional_data["rows"]) == (company.diana, 2)


def test_unrecognised_headers_lead_to_the_column_mapping_step(company, login, upload, post_now):
    header = ["Когда", "Кто", "Деньги", "Затраты", "Ссылка"]
    data = csv_bytes([["05.05.2024", ROMASHKA_INN, "100,00", "60,00", "X-1"]], header)
    browser = login(company.diana)
    response = upload(browser, data)
    batch = last_batch()
    assert batch.status == ImportStatus.NEEDS_MAPPING
    assert response["Location"] == reverse("ledger:mapping", args=[batch.pk])
    form = browser.get(response["Location"])
    assert "1. Когда" in form.content.decode()
    # Something required left out: the form says what, nothing is imported.
    incomplete = browser.post(response["Location"], {"date": "0", "revenue": "2", "cost": "3"})
    assert incomplete.status_code == 200
    assert "Client INN or client name" in incomplete.content.decode()
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.NEEDS_MAPPING
    done = post_now(
        browser,
        response["Location"],
        {"date": "0", "client_inn": "1", "revenue": "2", "cost": "3", "external_id": "4"},
    )
    assert done["Location"] == reverse("ledger:batch", args=[batch.pk])
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED, batch.message
    assert SalesLine.objects.get().external_id == "X-1"
    # Once mapped, the page sends the user to the result.
    assert browser.get(reverse("ledger:mapping", args=[batch.pk])).status_code == 302


def test_one_column_cannot_be_two_fields(company, login, upload):
    header = ["Когда", "Кто", "Деньги", "Ссылка"]
    browser = login(company.diana)
    upload(browser, csv_bytes([["05.05.2024", ROMASHKA_INN, "100,00", "X-1"]], header))
    batch = last_batch()
    response = browser.post(
        reverse("ledger:mapping", args=[batch.pk]),
        {"date": "0", "client_inn": "1", "revenue": "2", "cost": "2", "external_id": "3"},
    )
    assert "One column cannot be both" in response.content.decode()
    assert SalesLine.objects.count() == 0


def test_the_status_part_polls_while_the_import_runs(company, login, upload):
    batch = ImportBatch.objects.create(
        file_name="big.csv",
        status=ImportStatus.RUNNING,
        phase="reading",
        progress_rows=120000,
        progress_pct=42,
    )
    browser = login(company.diana)
    text = browser.get(reverse("ledger:batch_status", args=[batch.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in text
    assert 'aria-valuenow="42"' in text
    assert "120,000 rows read" in text
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.IMPORTED, rows_total=5, rows_ok=5, message="5 lines imported."
    )
    text = browser.get(reverse("ledger:batch_status", args=[batch.pk])).content.decode()
    assert 'hx-trigger="every 1s"' not in text
    assert "5 lines imported." in text


def test_a_bad_upload_form_is_refused_with_a_message(company, login, upload):
    browser = login(company.diana)
    response = upload(browser, csv_bytes(one_c_rows()), unknown_clients="maybe")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_the_imports_list_costs_the_same_queries_for_few_and_many_imports(company, login, upload):
    browser = login(company.diana)

    def make(n: int) -> None:
        for i in range(n):
            ImportBatch.objects.create(
                file_name=f"f{i}.csv", uploaded_by=company.hannah, status=ImportStatus.IMPORTED
            )

    make(2)
    browser.get(reverse("ledger:imports"))
    with CaptureQueriesContext(connection) as few:
        page = browser.get(reverse("ledger:imports"))
    assert page.status_code == 200
    make(20)
    with CaptureQueriesContext(connection) as many:
        page = browser.get(reverse("ledger:imports"))
    assert "f19.csv" in page.content.decode()
    assert len(many) == len(few)


def test_every_upload_is_in_the_audit_log_with_its_address(company, login, upload):
    upload(login(company.hannah), csv_bytes(one_c_rows()), REMOTE_ADDR="10.0.0.7")
    batch = last_batch()
    entry = LogEntry.objects.get(object_pk=str(batch.pk), additional_data__event="uploaded")
    assert (entry.actor, entry.additional_data["sha256"]) == (company.hannah, batch.sha256)
