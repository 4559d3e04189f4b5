"""A small book for the Today pages and the report exports: one of everything that needs action."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from kam.analytics import services as analysis
from kam.core.testing import Company
from kam.ledger.models import LedgerMonthly
from kam.planning import services as planning
from kam.planning.periods import Period


def sell(client, income_rub: int, month: date) -> None:
    LedgerMonthly.objects.create(
        client=client,
        manager=client.owner,
        department=client.department,
        month=month,
        turnover=income_rub * 400,
        income=income_rub * 100,
        lines=1,
    )


def last_full_month() -> date:
    first = timezone.localdate().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def two_runs(company: Company) -> None:
    """Two analysis runs with a move between them: Lyutik grows into a critical client."""
    month = last_full_month()
    sell(company.alice_client, 600, month)
    sell(company.bob_client, 300, month)
    sell(company.carol_client, 100, month)
    first = analysis.analysis_run(actor=company.diana)
    assert first.status == "done", first.error
    LedgerMonthly.objects.filter(client=company.carol_client).update(income=100_000, turnover=400_000)
    second = analysis.analysis_run(actor=company.diana)
    assert second.status == "done", second.error


def invoices(company: Company) -> None:
    from kam.receivables.tests.helpers import invoice

    today = timezone.localdate()
    invoice(company.alice_client, "12000.00", due_on=today - timedelta(days=45))
    invoice(company.alice_client, "3000.00", due_on=today + timedelta(days=10))
    invoice(company.bob_client, "5000.00", due_on=today - timedelta(days=5))
    invoice(company.carol_client, "8000.00", due_on=today - timedelta(days=100))


def plans(company: Company) -> None:
    month = Period.containing("month", timezone.localdate())
    for kam, volume in ((company.alice, "100000"), (company.bob, "80000"), (company.carol, "50000")):
        planning.plan_set(
            actor=company.diana,
            kam=kam,
            period=month,
            sales_volume=Decimal(volume),
            active_clients=1,
            new_clients=0,
        )


def schedule(company: Company) -> None:
    from kam.activities.tests.helpers import plan

    now = timezone.localtime()
    start = now.replace(hour=15, minute=0, second=0, microsecond=0)
    plan(company.alice, company.alice_client, kind="meeting", start=start, place="Romashka HQ")
    # Bob started yesterday's visit 25 minutes late: the head's punctuality card shows it.
    from kam.activities import services

    yesterday = (now - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    visit = plan(company.bob, company.bob_client, kind="visit", start=yesterday, place="Vasilek warehouse")
    services.activity_start(user=company.bob, activity=visit, at=yesterday + timedelta(minutes=25))


def obligations(company: Company, number: str = "D-77") -> None:
    from kam.contracts.tests.helpers import clause, contract

    today = timezone.localdate()
    c = contract(company.alice, company.alice_client, number=number, days_left=20)
    clause(company.alice, c, due_on=today - timedelta(days=3), text="Send the price list")
    clause(company.alice, c, due_on=today + timedelta(days=2), text="Deliver samples")


def everything(company: Company) -> None:
    two_runs(company)
    invoices(company)
    plans(company)
    schedule(company)
    obligations(company)
    orders(company)


def orders(company: Company) -> None:
    """A draft for alice, and a draft the head sent back (a rejected approval)."""
    from django.utils import timezone as tz

    from kam.orders import services as orders_services
    from kam.orders.models import Decision, DiscountApproval

    orders_services.order_create(client=company.alice_client, actor=company.alice, note="Spring order")
    back = orders_services.order_create(client=company.alice_client, actor=company.alice, note="Big discount")
    DiscountApproval.objects.create(
        order=back,
        requested_by=company.alice,
        grounds="Discount 15 %",
        decision=Decision.REJECTED,
        decided_by=company.hannah,
        decided_at=tz.now(),
        reason="Too deep",
    )
