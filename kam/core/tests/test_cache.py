"""The ledger-versioned cache: values are reused until the ledger changes, and never cross keys."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from kam.core import cache as ledger_cache
from kam.ledger import services
from kam.ledger.models import ImportStatus
from kam.ledger.services import ImportOptions
from kam.ledger.tests.helpers import csv_bytes
from kam.planning import selectors
from kam.planning.periods import Period
from kam.planning.tests.helpers import Ledger

pytestmark = pytest.mark.django_db

ROMASHKA_INN = "7707083893"  # alice_client, alice's


def _import(company, rows: list[list[str]]) -> None:
    header = ["line_id", "date", "inn", "revenue", "cost", "qty"]
    batch = services.import_batch_create(
        uploaded_by=company.diana,
        file_name="ledger.csv",
        fileobj=io.BytesIO(csv_bytes(rows, header, sep=",", encoding="utf-8")),
        options=ImportOptions(),
    )
    if batch.status == ImportStatus.QUEUED:
        batch = services.import_run(batch_id=batch.pk)
    assert batch.status == ImportStatus.IMPORTED, batch.errors


def test_a_cached_value_is_reused_until_the_ledger_changes(company):
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert ledger_cache.cached(("test.counter", 1), compute) == 1
    assert ledger_cache.cached(("test.counter", 1), compute) == 1
    assert ledger_cache.cached(("test.counter", 2), compute) == 2  # another key, another value
    Ledger().sale(company.alice_client, company.alice, date(2024, 1, 5), "10.00").save()
    assert ledger_cache.cached(("test.counter", 1), compute) == 3


@pytest.mark.django_db(transaction=True)
def test_requests_that_miss_together_compute_once_and_share_the_result(company):
    """A cold key asked for by several threads at once: one computes, the others wait for its value."""
    import threading
    import time

    from django.db import connection

    calls: list[int] = []
    results: list[int] = []

    def compute() -> int:
        calls.append(1)
        time.sleep(0.3)
        return 42

    def ask() -> None:
        try:
            results.append(ledger_cache.cached(("test.cold",), compute))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == [42, 42, 42, 42]
    assert len(calls) == 1


def test_a_lock_left_by_a_dead_request_delays_but_does_not_block(company, monkeypatch):
    monkeypatch.setattr(ledger_cache, "LOCK_WAIT", 0.2)
    key = ledger_cache.make_key(("test.orphan",))
    ledger_cache.cache.add(f"{key}:computing", 1, 60)  # its owner died before computing
    assert ledger_cache.cached(("test.orphan",), lambda: "computed anyway") == "computed anyway"
    assert ledger_cache.cache.get(f"{key}:computing") is None


def test_a_failed_computation_frees_its_lock(company):
    def broken() -> int:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        ledger_cache.cached(("test.broken",), broken)
    assert ledger_cache.cache.get(f"{ledger_cache.make_key(('test.broken',))}:computing") is None
    assert ledger_cache.cached(("test.broken",), lambda: 7) == 7


def test_the_version_changes_with_every_ledger_writer(company):
    before = ledger_cache.ledger_version()
    assert ledger_cache.ledger_version() == before
    ledger = Ledger()  # a new import batch
    after_batch = ledger_cache.ledger_version()
    assert after_batch != before
    ledger.sale(company.alice_client, company.alice, date(2024, 1, 5), "10.00").save()  # lines, aggregate
    after_lines = ledger_cache.ledger_version()
    assert after_lines != after_batch
    # Orders write lines through one long-lived batch: new lines alone change the version.
    ledger.sale(company.alice_client, company.alice, date(2024, 1, 6), "5.00").save()
    assert ledger_cache.ledger_version() != after_lines


def test_plan_actuals_are_cached_and_an_import_makes_them_recompute(company, django_assert_num_queries):
    january = Period.checked("month", date(2024, 1, 1))
    ids = [company.alice.pk]
    assert selectors.ledger_actuals(january, by="manager", ids=ids) == {}
    with django_assert_num_queries(1):  # the version only
        assert selectors.ledger_actuals(january, by="manager", ids=ids) == {}
    _import(company, [["A-1", "2024-01-15", ROMASHKA_INN, "1234.50", "1000", "3"]])
    actual = selectors.ledger_actuals(january, by="manager", ids=ids)[company.alice.pk]
    assert (actual.sales_volume, actual.active_clients, actual.new_clients) == (Decimal("1234.50"), 1, 1)
    _import(company, [["A-2", "2024-01-20", ROMASHKA_INN, "100.00", "50", "1"]])
    actual = selectors.ledger_actuals(january, by="manager", ids=ids)[company.alice.pk]
    assert actual.sales_volume == Decimal("1334.50")
    # Another scope is another key: the department's figure is not the manager's.
    by_department = selectors.ledger_actuals(january, by="department", ids=[company.north.pk])
    assert by_department[company.north.pk].sales_volume == Decimal("1334.50")
    assert selectors.ledger_actuals(january, by="manager", ids=[company.bob.pk]) == {}


def test_the_version_is_read_once_per_request(company, django_assert_num_queries):
    ledger_cache._on_request_started()  # what request_started does (the signal would close the db)
    try:
        first = ledger_cache.ledger_version()
        with django_assert_num_queries(0):
            assert ledger_cache.ledger_version() == first
        Ledger()  # an import batch saved in this request: the next read sees it
        assert ledger_cache.ledger_version() != first
    finally:
        ledger_cache._on_request_finished()
    with django_assert_num_queries(1):
        ledger_cache.ledger_version()


def test_keys_hold_every_part():
    version = "v1"
    assert ledger_cache.make_key(("a", [1, 2]), version) != ledger_cache.make_key(("a", [1, 3]), version)
    assert ledger_cache.make_key(("a", 1), version) != ledger_cache.make_key(("a", 1), "v2")
    assert ledger_cache.make_key(("a", {2, 1}), version) == ledger_cache.make_key(("a", {1, 2}), version)


@pytest.mark.parametrize("lookup", [500, 0])  # moved ids looked up one by one, or all visible ids read
def test_key_account_movement_is_cached_once_and_cut_to_what_each_user_sees(
    company, django_assert_num_queries, monkeypatch, lookup
):
    from kam.analytics import selectors as analysis

    monkeypatch.setattr(analysis, "MOVES_LOOKUP", lookup)
    from kam.analytics import services as analysis_services
    from kam.analytics.tests.test_key_accounts import sell

    sell(company.alice_client, 600)
    sell(company.bob_client, 300)
    sell(company.carol_client, 100)
    analysis_services.analysis_run(actor=None)
    sell(company.carol_client, 2000, month=date(2026, 9, 1))  # Lyutik (South) jumps
    sell(company.alice_client, 50, month=date(2026, 9, 1))
    later = analysis_services.analysis_run(actor=None)
    previous = analysis.previous_snapshot(later)
    everything = analysis.movement(company.diana, later, previous)
    assert company.carol_client.pk in everything
    with django_assert_num_queries(1):  # the ledger version; the moves come from the cache
        assert analysis.movement(company.diana, later, previous) == everything
    # The head of the North sees no move of a South client; the head of the South does.
    assert company.carol_client.pk not in analysis.movement(company.hannah, later, previous)
    assert company.carol_client.pk in analysis.movement(company.hugo, later, previous)
    assert set(analysis.movement(company.alice, later, previous)) <= {company.alice_client.pk}
    only = analysis.movement(company.diana, later, previous, client_ids=[company.alice_client.pk])
    assert set(only) <= {company.alice_client.pk}


def test_movement_counts_are_cut_to_the_department_and_cached(company, django_assert_num_queries):
    from kam.analytics import selectors as analysis
    from kam.analytics import services as analysis_services
    from kam.analytics.tests.test_key_accounts import sell

    sell(company.alice_client, 600)
    sell(company.bob_client, 300)
    sell(company.carol_client, 100)
    analysis_services.analysis_run(actor=None)
    sell(company.carol_client, 2000, month=date(2026, 9, 1))  # Lyutik (South) jumps
    later = analysis_services.analysis_run(actor=None)
    previous = analysis.previous_snapshot(later)

    def expected(user) -> dict[str, int]:
        moves = analysis.movement(user, later, previous)
        counts = {"total": len(moves)}
        for found in moves.values():
            for move in found:
                counts[move] = counts.get(move, 0) + 1
        return counts

    for user in (company.diana, company.hannah, company.hugo, company.alice):
        assert analysis.movement_counts(user, later, previous) == expected(user)
    south = analysis.movement_counts(company.hugo, later, previous)
    north = analysis.movement_counts(company.hannah, later, previous)
    assert south["total"] >= 1 and north["total"] >= 0
    everyone = analysis.movement_counts(company.diana, later, previous)
    assert everyone["total"] == south["total"] + north["total"]
    with django_assert_num_queries(1):  # the ledger version; the counts come from the cache
        analysis.movement_counts(company.hugo, later, previous)
    assert analysis.movement_counts(company.diana, later, None) == {}

    # Lyutik moves to the North: both heads' cached counts follow at once, not after an expiry.
    company.carol_client.department = company.north
    company.carol_client.save()
    assert analysis.movement_counts(company.hugo, later, previous) == expected(company.hugo)
    assert analysis.movement_counts(company.hannah, later, previous) == expected(company.hannah)
    assert analysis.movement_counts(company.hannah, later, previous)["total"] == everyone["total"]
    assert analysis.movement_counts(company.hugo, later, previous).get("total", 0) == 0


def test_report_counts_are_cached_and_a_page_of_moves_is_read_directly(company, django_assert_num_queries):
    from kam.analytics import selectors as analysis
    from kam.analytics import services as analysis_services
    from kam.analytics.tests.test_key_accounts import sell

    sell(company.alice_client, 600)
    sell(company.bob_client, 300)
    sell(company.carol_client, 100)
    analysis_services.analysis_run(actor=None)
    sell(company.carol_client, 2000, month=date(2026, 9, 1))
    later = analysis_services.analysis_run(actor=None)
    previous = analysis.previous_snapshot(later)
    for params in ({}, {"all": "1"}, {"abc": "A"}, {"q": "Lyutik"}):
        flt = analysis.ReportFilter.from_params(params)
        for user in (company.diana, company.hannah, company.hugo, company.alice):
            rows = analysis.company_rows(user, later, flt)
            assert analysis.report_count(user, later, flt, rows) == rows.count()
    flt = analysis.ReportFilter.from_params({"all": "1"})
    rows = analysis.company_rows(company.diana, later, flt)
    with django_assert_num_queries(1):  # the ledger version; the count comes from the cache
        analysis.report_count(company.diana, later, flt, rows)
    # A head's count follows a client moved out of the department at once.
    before = analysis.report_count(company.hugo, later, flt, analysis.company_rows(company.hugo, later, flt))
    company.carol_client.department = company.north
    company.carol_client.save()
    moved = analysis.company_rows(company.hugo, later, flt)
    assert analysis.report_count(company.hugo, later, flt, moved) == moved.count() == before - 1

    # Moves of a few clients from their own rows: the same as cutting down everyone's moves.
    ids = [company.alice_client.pk, company.carol_client.pk]
    everything = analysis.movement(company.diana, later, previous)
    direct = analysis.movement(company.diana, later, previous, client_ids=ids)
    assert direct == {k: v for k, v in everything.items() if k in ids}
    assert company.carol_client.pk in direct
