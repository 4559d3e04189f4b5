"""An upload from the page runs in a real background thread after commit, not inline."""

from __future__ import annotations

import io
import threading

import pytest
from django.db import transaction

from kam.core.testing import make_company
from kam.ledger import services
from kam.ledger.models import ImportBatch, ImportStatus, SalesLine

from .helpers import csv_bytes
from .test_import import one_c_rows


@pytest.mark.django_db(transaction=True)
def test_a_queued_import_runs_in_a_thread_once_the_upload_is_committed(settings):
    settings.KAM_TASKS_INLINE = False
    company = make_company()
    before = {t.ident for t in threading.enumerate()}
    with transaction.atomic():
        batch = services.import_batch_create(
            uploaded_by=company.diana,
            file_name="sales.csv",
            fileobj=io.BytesIO(csv_bytes(one_c_rows())),
            options=services.ImportOptions(),
        )
        services.import_enqueue(batch=batch)
        # Nothing starts before the upload is committed.
        assert {t.ident for t in threading.enumerate()} == before
    workers = [t for t in threading.enumerate() if t.ident not in before]
    assert len(workers) == 1
    workers[0].join(timeout=120)
    assert not workers[0].is_alive()
    batch = ImportBatch.objects.get(pk=batch.pk)
    assert batch.status == ImportStatus.IMPORTED, batch.message
    assert set(batch.timings) >= {"read", "check", "insert", "aggregate", "total"}
    assert SalesLine.objects.count() == 4
