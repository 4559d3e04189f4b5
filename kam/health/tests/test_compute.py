"""Facts gathered set-based from a hand-made ledger and records; daily snapshots; early warnings."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kam.activities.models import Activity, Feedback
from kam.clients.models import Stakeholder
from kam.contracts.models import Claim
from kam.core.testing import INNS, make_client
from kam.health import selectors, services
from kam.health.models import HealthAlert, HealthConfig, HealthSnapshot
from kam.receivables.models import Invoice

from .helpers import key_snapshot, month_row

pytestmark = pytest.mark.django_db
DAY = date(2026, 5, 10)  # recent months: Feb–Apr 2026; a year earlier: Feb–Apr 2025


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def test_the_windows_are_complete_months():
    w = selectors.windows(DAY, 3)
    assert (w.recent_start, w.end) == (date(2026, 2, 1), date(2026, 5, 1))
    assert (w.previous_start, w.previous_end) == (date(2025, 2, 1), date(2025, 5, 1))
    assert w.history_start == date(2025, 2, 1)
    assert selectors.windows(date(2026, 1, 31), 6).recent_start == date(2025, 7, 1)


def test_facts_come_from_the_monthly_ledger_and_the_records(company):
    client = company.alice_client
    for month in (2, 3, 4):
        month_row(client, date(2026, month, 1), 100_00)  # recent: 300 RUB in 3 months
        month_row(client, date(2025, month, 1), 200_00)  # a year earlier: 600 RUB
    month_row(client, date(2025, 8, 1), 50_00)
    month_row(client, date(2026, 5, 1), 999_00)  # the current month is not complete: out
    month_row(client, date(2025, 1, 1), 999_00)  # before the history: out
    Invoice.objects.create(
        client=client,
        number="A-1",
        issued_on=date(2026, 3, 1),
        due_on=date(2026, 5, 9),
        amount=Decimal("700"),
    )
    Invoice.objects.create(
        client=client, number="A-2", issued_on=date(2026, 5, 1), due_on=DAY, amount=Decimal("50")
    )  # due today: not overdue yet
    Claim.objects.create(client=client, subject="Late", registered_on=DAY, assigned_to=company.alice)
    Claim.objects.create(
        client=client,
        subject="Old",
        registered_on=DAY,
        assigned_to=company.alice,
        status="resolved",
        resolution="Done",
    )
    ceo = Stakeholder.objects.get(client=client)  # decision maker, never contacted
    cfo = Stakeholder.objects.create(client=client, full_name="CFO", decision_role="vip")
    Stakeholder.objects.create(client=client, full_name="User", decision_role="user", last_contact_on=DAY)
    visit = Activity.objects.create(
        client=client,
        owner=company.alice,
        kind="visit",
        status="done",
        planned_start=at(DAY - timedelta(days=12)),
        planned_end=at(DAY - timedelta(days=12), 11),
    )
    visit.stakeholders.add(cfo)
    Activity.objects.create(  # a call is not a meeting
        client=client,
        owner=company.alice,
        kind="call",
        status="done",
        planned_start=at(DAY - timedelta(days=1)),
        planned_end=at(DAY - timedelta(days=1), 11),
    )
    Feedback.objects.create(client=client, author=company.alice, received_on=DAY, about="x", score=5)
    Feedback.objects.create(
        client=client, author=company.alice, received_on=date(2025, 6, 1), about="y", score=2
    )
    Feedback.objects.create(
        client=client, author=company.alice, received_on=date(2025, 5, 10), about="z", score=1
    )

    facts = selectors.facts_for([client.pk, company.bob_client.pk], DAY, HealthConfig())[client.pk]
    assert (facts.recent_income, facts.previous_income) == (300_00, 600_00)
    assert (facts.recent_months, facts.history_months) == (3, 4)  # Feb–Apr 2025 and Aug 2025
    assert facts.overdue == Decimal("700.00")
    assert facts.open_claims == 1
    assert (facts.decision_makers, facts.decision_makers_covered) == (2, 1)
    assert ceo.last_contact_on is None
    assert facts.days_since_meeting == 12
    assert (facts.feedback_count, facts.feedback_sum) == (2, 7)  # 10.05.2025 is 12 months back: out


def test_a_last_contact_date_covers_a_decision_maker_within_the_window(company):
    ceo = Stakeholder.objects.get(client=company.alice_client)
    config = HealthConfig()
    for days_ago, covered in [(90, 1), (91, 0)]:
        ceo.last_contact_on = DAY - timedelta(days=days_ago)
        ceo.save()
        facts = selectors.facts_for([company.alice_client.pk], DAY, config)[company.alice_client.pk]
        assert facts.decision_makers_covered == covered


def test_compute_keeps_a_snapshot_per_key_client_and_day(company):
    key_snapshot(company.alice_client, company.carol_client, others=(company.bob_client,))
    assert services.compute_health(day=DAY) == 2
    rows = HealthSnapshot.objects.order_by("client_id")
    assert [r.client for r in rows] == [company.alice_client, company.carol_client]
    row = rows[0]
    assert row.is_key and row.is_latest and row.previous_score is None
    assert set(row.components) == {
        "trend",
        "frequency",
        "overdue",
        "claims",
        "coverage",
        "meeting",
        "satisfaction",
    }
    assert row.components["overdue"] == {
        "level": 2,
        "value": "0",
        "weight": 20,
        "points": "20",
        "status": "good",
    }
    # recomputing the day replaces it
    services.compute_health(day=DAY)
    assert HealthSnapshot.objects.count() == 2


def test_a_fall_below_the_threshold_and_a_sharp_drop_raise_warnings(company):
    key_snapshot(company.alice_client)
    client = company.alice_client
    for month in range(1, 13):
        month_row(client, date(2025, month, 1), 100_00)
    for month in range(1, 5):
        month_row(client, date(2026, month, 1), 100_00)
    Stakeholder.objects.filter(client=client).update(last_contact_on=DAY)
    Activity.objects.create(
        client=client,
        owner=company.alice,
        kind="meeting",
        status="done",
        planned_start=at(DAY),
        planned_end=at(DAY, 11),
    )
    services.compute_health(day=DAY)
    first = HealthSnapshot.objects.get(day=DAY)
    assert first.score == 95  # only satisfaction unknown (half of 10)
    assert not HealthAlert.objects.exists()
    # Twenty days later: an open claim, overdue debt above the watch limit
    later = DAY + timedelta(days=20)
    Claim.objects.create(client=client, subject="A", registered_on=later, assigned_to=company.alice)
    Claim.objects.create(client=client, subject="B", registered_on=later, assigned_to=company.alice)
    Invoice.objects.create(client=client, number="X", issued_on=DAY, due_on=DAY, amount=Decimal("100000.01"))
    services.compute_health(day=later)
    second = HealthSnapshot.objects.get(day=later)
    assert (second.previous_score, second.score) == (95, 65)
    assert second.is_latest and not HealthSnapshot.objects.get(day=DAY).is_latest
    assert list(HealthAlert.objects.values_list("kind", "score", "previous_score")) == [("drop", 65, 95)]
    # With a higher limit the same fall is also a fall below the threshold (95 ≥ 66 > 65)
    HealthConfig.objects.update_or_create(pk=1, defaults={"alert_below": 66})
    services.compute_health(day=later)
    assert set(HealthAlert.objects.values_list("kind", flat=True)) == {"drop", "below"}


def test_a_drop_just_short_of_the_limit_warns_nothing(company):
    key_snapshot(company.alice_client)
    HealthConfig.objects.update_or_create(pk=1, defaults={"alert_drop": 11, "alert_below": 0})
    client = company.alice_client
    Stakeholder.objects.filter(client=client).update(last_contact_on=DAY)
    services.compute_health(day=DAY)
    Stakeholder.objects.filter(client=client).update(last_contact_on=None)
    services.compute_health(day=DAY + timedelta(days=1))  # coverage lost: 10 points
    assert HealthSnapshot.objects.get(is_latest=True).change == -10
    assert not HealthAlert.objects.exists()


def test_the_computation_uses_a_constant_number_of_queries(company):
    key_snapshot(company.alice_client)
    HealthConfig.current()
    with CaptureQueriesContext(connection) as few:
        services.compute_health(day=DAY)
    more = [make_client(company.bob, INNS[3 + i], f"Client {i}") for i in range(3)]
    for c in more:
        month_row(c, date(2026, 3, 1), 10)
        Stakeholder.objects.create(client=c, full_name="Boss", decision_role="decision_maker")
    key_snapshot(company.alice_client, *more)
    with CaptureQueriesContext(connection) as many:
        assert services.compute_health(day=DAY) == 4
    assert len(many) == len(few)


def test_the_command_computes_the_day(company):
    key_snapshot(company.alice_client)
    call_command("compute_health", "--date", "2026-05-10")
    assert HealthSnapshot.objects.filter(day=DAY, client=company.alice_client).exists()
    call_command("compute_health", "--date", "2026-05-11", "--client", str(company.bob_client.pk))
    bob = HealthSnapshot.objects.get(client=company.bob_client)
    assert not bob.is_key
