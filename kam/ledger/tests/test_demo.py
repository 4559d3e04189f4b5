"""The demo ledger generator and the bulk-load path (indexes built after a big load)."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from kam.ledger import demo, services
from kam.ledger.models import ImportBatch, ImportSource, LedgerMonthly, SalesLine

from .helpers import csv_bytes, monthly_as_dict, monthly_from_lines
from .test_import import one_c_rows, run

pytestmark = pytest.mark.django_db


def secondary_indexes() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, SalesLine._meta.db_table)
    return {name for name, info in constraints.items() if info["index"] and not info["unique"]}


def fill(company, lines: int = 3000, seed: int = 5) -> int:
    weights = {
        company.alice_client.pk: 10_000_000,
        company.bob_client.pk: 1_000_000,
        company.carol_client.pk: 100_000,
    }
    return demo.fill_demo_ledger(lines=lines, months=12, seed=seed, weights=weights, stdout=io.StringIO())


def test_the_demo_ledger_follows_the_weights_and_rebuilds_the_aggregate(company, monkeypatch):
    monkeypatch.setattr(demo, "PG_CHUNK", 1000)  # several chunks, written while the next is built
    monkeypatch.setattr(demo, "SQLITE_CHUNK", 1000)
    assert fill(company) == 3000
    assert SalesLine.objects.count() == 3000
    assert monthly_as_dict() == monthly_from_lines()
    turnover: dict[int, int] = defaultdict(int)
    income = 0
    for month in LedgerMonthly.objects.all():
        turnover[month.client_id] += month.turnover
        income += month.income
    total = sum(turnover.values())
    # Purchases over 12 months ≈ the annual weight, less about 0.25 % of returns.
    assert 0.95 * 10_000_000_00 < turnover[company.alice_client.pk] < 1.0 * 10_000_000_00
    assert (
        turnover[company.alice_client.pk]
        > turnover[company.bob_client.pk]
        > turnover[company.carol_client.pk]
    )
    assert 0.10 < income / total < 0.30
    assert SalesLine.objects.filter(revenue__lt=0).exists()
    line = SalesLine.objects.filter(client=company.carol_client).earliest("id")
    assert (line.manager, line.department) == (company.carol, company.south)
    today = timezone.localdate()
    first = date(today.year - 1 if today.month < 12 else today.year, today.month % 12 + 1, 1)
    assert first <= SalesLine.objects.earliest("date").date
    assert SalesLine.objects.latest("date").date <= today
    assert SalesLine.objects.filter(external_id="DEMO-5-000000000").exists()
    assert ImportBatch.objects.get().source == ImportSource.DEMO


def test_running_the_demo_again_with_the_same_seed_adds_nothing(company):
    fill(company)
    before = monthly_as_dict()
    assert fill(company) == 0
    assert SalesLine.objects.count() == 3000
    assert monthly_as_dict() == before


def test_a_big_demo_load_builds_the_indexes_after_and_keeps_them(company, monkeypatch):
    expected = secondary_indexes()
    assert {"ledger_line_client_date", "ledger_line_manager_date"} <= expected
    monkeypatch.setattr(services, "BULK_LOAD_MIN", 1)
    fill(company, lines=2000)
    assert secondary_indexes() == expected
    assert monthly_as_dict() == monthly_from_lines()


def test_a_big_first_import_builds_the_indexes_after_and_keeps_them(company, monkeypatch):
    expected = secondary_indexes()
    monkeypatch.setattr(services, "BULK_LOAD_MIN", 1)
    batch = run(company, csv_bytes(one_c_rows()))
    assert batch.rows_ok == 4
    assert secondary_indexes() == expected
    assert monthly_as_dict() == monthly_from_lines()


def test_nothing_to_generate_writes_nothing(company):
    assert demo.fill_demo_ledger(lines=0, months=12, seed=1, weights={1: 5}, stdout=None) == 0
    assert demo.fill_demo_ledger(lines=10, months=12, seed=1, weights={}, stdout=None) == 0
    assert not SalesLine.objects.exists()


def test_a_big_reimport_finds_its_lines_known_and_leaves_the_indexes_alone(company, monkeypatch):
    monkeypatch.setattr(services, "BULK_LOAD_MIN", 1)
    first = run(company, csv_bytes(one_c_rows()))
    assert "indexes" in first.timings
    before = monthly_as_dict()
    again = run(company, csv_bytes(one_c_rows()))
    assert (again.rows_ok, again.rows_skipped) == (0, 4)
    assert "indexes" not in again.timings
    assert monthly_as_dict() == before
    mixed = run(
        company,
        csv_bytes([*one_c_rows(), ["01.03.2024", "Н-1", "1", "", "7707083893", "", "", "", "5", "1"]]),
    )
    assert (mixed.rows_ok, mixed.rows_skipped) == (1, 4)
    assert monthly_as_dict() == monthly_from_lines()
