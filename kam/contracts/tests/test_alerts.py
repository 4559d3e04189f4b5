"""Renewal and obligation alerts at date boundaries, in the installation's local time (Europe/Moscow)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from unittest import mock

from django.utils import timezone

from kam.contracts import selectors

from .helpers import clause, contract


def _numbers(qs) -> list[str]:
    return sorted(c.number for c in qs)


def test_a_renewal_is_due_exactly_at_the_notice_day_and_not_one_day_before(company):
    today = date(2026, 3, 1)
    for number, days in (("AT", 30), ("BEFORE", 31), ("INSIDE", 29), ("TODAY", 0)):
        contract(company.alice, company.alice_client, number=number, ends_on=today + timedelta(days=days))
    contract(company.alice, company.alice_client, number="ENDED", ends_on=today - timedelta(days=1))
    contract(
        company.alice, company.alice_client, number="DRAFT", status="draft", ends_on=today + timedelta(days=5)
    )
    assert _numbers(selectors.renewals_due(company.alice, today=today)) == ["AT", "INSIDE", "TODAY"]


def test_each_contract_uses_its_own_notice_period(company):
    today = date(2026, 3, 1)
    contract(
        company.alice,
        company.alice_client,
        number="N60",
        renewal_notice_days=60,
        ends_on=today + timedelta(60),
    )
    contract(
        company.alice,
        company.alice_client,
        number="N10",
        renewal_notice_days=10,
        ends_on=today + timedelta(11),
    )
    assert _numbers(selectors.renewals_due(company.alice, today=today)) == ["N60"]


def test_an_obligation_is_overdue_from_the_day_after_its_due_date(company):
    today = date(2026, 3, 1)
    c = contract(company.alice, company.alice_client)
    clause(company.alice, c, due_on=today - timedelta(days=1), text="yesterday")
    clause(company.alice, c, due_on=today, text="today")
    clause(company.alice, c, due_on=today + timedelta(days=1), text="tomorrow")
    done = clause(company.alice, c, due_on=today - timedelta(days=5), text="done long ago")
    done.done_on = today - timedelta(days=6)
    done.save()
    clause(company.alice, c, due_on=None, text="no date")
    assert [o.text for o in selectors.overdue_obligations(company.alice, today=today)] == ["yesterday"]
    due = [o.text for o in selectors.obligations_due(company.alice, today=today, days=14)]
    assert due == ["yesterday", "today", "tomorrow"]
    assert [o.text for o in selectors.obligations_due(company.alice, today=today, days=0)] == [
        "yesterday",
        "today",
    ]


def test_just_after_midnight_in_moscow_the_day_is_moscows_not_utcs(company):
    c = contract(company.alice, company.alice_client, ends_on=date(2026, 6, 10))
    clause(company.alice, c, due_on=date(2026, 5, 10), text="due yesterday in Moscow, today in UTC")
    clause(company.alice, c, due_on=date(2026, 5, 11), text="due today in Moscow")
    # 21:30 UTC on 10 May is 00:30 on 11 May in Moscow.
    late_evening_utc = datetime(2026, 5, 10, 21, 30, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=late_evening_utc):
        assert timezone.localdate() == date(2026, 5, 11)
        overdue = [o.text for o in selectors.overdue_obligations(company.alice)]
        renewals = _numbers(selectors.renewals_due(company.alice))
    assert overdue == ["due yesterday in Moscow, today in UTC"]
    # Ends 10 June: 30 days from 11 May (Moscow) is exactly the notice day; by the UTC date it would be 31.
    assert renewals == ["D-1"]
    just_before_midnight = datetime(2026, 5, 10, 20, 59, tzinfo=UTC)  # 23:59 on 10 May in Moscow
    with mock.patch("django.utils.timezone.now", return_value=just_before_midnight):
        assert list(selectors.overdue_obligations(company.alice)) == []
        assert list(selectors.renewals_due(company.alice)) == []


def test_alerts_only_cover_clients_the_user_sees(company):
    today = timezone.localdate()
    mine = contract(company.alice, company.alice_client, number="A", ends_on=today + timedelta(days=3))
    theirs = contract(company.carol, company.carol_client, number="C", ends_on=today + timedelta(days=3))
    clause(company.alice, mine, due_on=today - timedelta(days=2))
    clause(company.carol, theirs, due_on=today - timedelta(days=2))
    assert _numbers(selectors.renewals_due(company.alice)) == ["A"]
    assert [o.contract.number for o in selectors.overdue_obligations(company.alice)] == ["A"]
    assert _numbers(selectors.renewals_due(company.diana)) == ["A", "C"]
    assert _numbers(selectors.renewals_due(company.hugo)) == ["C"]
    assert list(selectors.renewals_due(company.sam)) == []
    assert list(selectors.overdue_obligations(company.fiona)) == []
