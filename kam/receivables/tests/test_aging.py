from datetime import timedelta
from decimal import Decimal

import pytest

from kam.receivables import selectors, services

from .helpers import d, invoice

pytestmark = pytest.mark.django_db
ON = d("2026-06-30")


def _due(days_overdue: int):
    return ON - timedelta(days=days_overdue)


def _make_boundaries(client, actor=None):
    # amount tells the days overdue: 1 kopeck per... distinct powers keep sums readable
    for days, amount in [
        (-5, "1"),
        (0, "2"),
        (1, "4"),
        (30, "8"),
        (31, "16"),
        (60, "32"),
        (61, "64"),
        (90, "128"),
        (91, "256"),
        (400, "512"),
    ]:
        invoice(client, amount, due_on=_due(days), issued_on=_due(days) - timedelta(days=10), actor=actor)


def test_aging_puts_boundary_days_in_the_right_bucket(company):
    _make_boundaries(company.alice_client)
    [row] = selectors.aging(company.diana, on=ON, group_by="client")
    assert row.key == company.alice_client.pk
    assert row.current == Decimal("3.00")  # not yet due and due today
    assert row.d1_30 == Decimal("12.00")  # 1 and 30 days
    assert row.d31_60 == Decimal("48.00")  # 31 and 60
    assert row.d61_90 == Decimal("192.00")  # 61 and 90
    assert row.d90_plus == Decimal("768.00")  # 91 and 400
    assert row.total == Decimal("1023.00")
    assert row.overdue == Decimal("1020.00")
    assert row.invoices == 10


def test_aging_uses_open_amounts_as_of_the_date(company):
    c = company.alice_client
    inv = invoice(c, "100.00", due_on=_due(45))
    services.payment_record(
        client=c,
        received_on=ON - timedelta(days=1),
        amount=Decimal("30"),
        reference="",
        actor=company.fiona,
        allocate=[(inv, Decimal("30"))],
    )
    services.payment_record(
        client=c, received_on=ON + timedelta(days=1), amount=Decimal("70"), reference="", actor=company.fiona
    )
    [row] = selectors.aging(company.diana, on=ON)
    assert row.d31_60 == Decimal("70.00")
    assert selectors.aging(company.diana, on=ON + timedelta(days=1)) == []


def test_aging_groups_by_kam_and_department_and_respects_visibility(company):
    invoice(company.alice_client, "100.00", due_on=_due(10))
    invoice(company.bob_client, "200.00", due_on=_due(40))
    invoice(company.carol_client, "400.00", due_on=_due(100))
    by_kam = {r.label: r.total for r in selectors.aging(company.diana, on=ON, group_by="kam")}
    assert by_kam == {
        "Alice Test": Decimal("100.00"),
        "Bob Test": Decimal("200.00"),
        "Carol Test": Decimal("400.00"),
    }
    by_dept = {r.label: r.total for r in selectors.aging(company.fiona, on=ON, group_by="department")}
    assert by_dept == {"Sales North": Decimal("300.00"), "Sales South": Decimal("400.00")}
    assert [r.label for r in selectors.aging(company.alice, on=ON)] == ["Romashka"]
    assert {r.label for r in selectors.aging(company.hannah, on=ON)} == {"Romashka", "Vasilek"}
    assert selectors.aging(company.sam, on=ON) == []
    # sorted by overdue amount, largest first
    assert [r.label for r in selectors.aging(company.diana, on=ON)] == ["Lyutik", "Vasilek", "Romashka"]


def test_worklist_sorts_by_overdue_and_shows_the_promise(company):
    invoice(company.alice_client, "100.00", due_on=_due(10))
    invoice(company.bob_client, "200.00", due_on=_due(5))
    invoice(company.carol_client, "50.00", due_on=_due(-3))  # not overdue: not on the list
    services.collection_action_add(
        client=company.bob_client,
        kind="call",
        done_on=ON - timedelta(days=2),
        actor=company.bob,
        promise_to_pay_on=ON - timedelta(days=1),
    )
    rows = selectors.collection_worklist(company.diana, on=ON)
    assert [r.client for r in rows] == ["Vasilek", "Romashka"]
    assert rows[0].promise_broken and rows[0].last_action_kind == "Call"
    assert rows[1].days_overdue == 10
    assert [r.client for r in selectors.collection_worklist(company.alice, on=ON)] == ["Romashka"]
    assert selectors.collection_worklist(company.hugo, on=ON) == []


def test_the_invoice_list_filters_open_overdue_and_settled(company):
    c = company.alice_client
    paid = invoice(c, "100.00", due_on=_due(10))
    overdue = invoice(c, "100.00", due_on=_due(5))
    upcoming = invoice(c, "100.00", due_on=_due(-5))
    invoice(company.carol_client, "100.00", due_on=_due(5))
    services.payment_record(
        client=c, received_on=ON, amount=Decimal("100.00"), reference="", actor=company.fiona
    )

    def numbers(user, state):
        return {i.number for i in selectors.invoice_list(user, state=state, on=ON)}

    assert numbers(company.alice, "paid") == {paid.number}
    assert numbers(company.alice, "open") == {overdue.number, upcoming.number}
    assert numbers(company.alice, "overdue") == {overdue.number}
    assert len(numbers(company.diana, "overdue")) == 2
    assert numbers(company.sam, "open") == set()
    [row] = selectors.invoice_list(company.alice, state="overdue", on=ON)
    assert row.open_amount == Decimal("100.00")
