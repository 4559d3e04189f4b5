from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kam.receivables import selectors, services
from kam.receivables.models import CreditNote, Invoice, Payment, PaymentAllocation

from .helpers import d, invoice

pytestmark = pytest.mark.django_db


def _alloc(payment: Payment) -> dict[str, Decimal]:
    return {a.invoice.number: a.amount for a in payment.allocations.select_related("invoice")}


def test_a_partial_payment_leaves_the_rest_of_the_invoice_open(company):
    c = company.alice_client
    inv = invoice(c, "1000.00", due_on=d("2026-03-01"))
    p = services.payment_record(
        client=c, received_on=d("2026-02-20"), amount=Decimal("400.10"), reference="pp 1", actor=company.fiona
    )
    assert _alloc(p) == {inv.number: Decimal("400.10")}
    assert selectors.open_receivables(c.pk) == Decimal("599.90")


def test_several_payments_settle_one_invoice_to_the_kopeck(company):
    c = company.alice_client
    inv = invoice(c, "1000.00", due_on=d("2026-03-01"))
    for amount in ("333.33", "333.33", "333.34"):
        services.payment_record(
            client=c, received_on=d("2026-02-20"), amount=Decimal(amount), reference="", actor=company.fiona
        )
    assert selectors.open_receivables(c.pk) == Decimal("0.00")
    assert PaymentAllocation.objects.filter(invoice=inv).count() == 3
    assert selectors.client_advance(c.pk) == Decimal("0.00")


def test_without_an_allocation_the_oldest_due_invoice_is_paid_first(company):
    c = company.alice_client
    newer = invoice(c, "500.00", due_on=d("2026-04-01"), issued_on=d("2026-01-01"))
    older = invoice(c, "300.00", due_on=d("2026-02-01"), issued_on=d("2026-01-15"))
    p = services.payment_record(
        client=c, received_on=d("2026-03-01"), amount=Decimal("400.00"), reference="", actor=company.fiona
    )
    assert _alloc(p) == {older.number: Decimal("300.00"), newer.number: Decimal("100.00")}


def test_what_exceeds_the_open_invoices_stays_as_an_advance(company):
    c = company.alice_client
    inv = invoice(c, "300.00", due_on=d("2026-02-01"))
    p = services.payment_record(
        client=c, received_on=d("2026-03-01"), amount=Decimal("1000.00"), reference="", actor=company.fiona
    )
    assert _alloc(p) == {inv.number: Decimal("300.00")}
    assert selectors.client_advance(c.pk) == Decimal("700.00")
    assert selectors.open_receivables(c.pk) == Decimal("0.00")
    later = invoice(c, "250.00", due_on=d("2026-05-01"))
    made = services.payment_allocate(payment=p, actor=company.fiona)
    assert [(a.invoice_id, a.amount) for a in made] == [(later.pk, Decimal("250.00"))]
    assert selectors.client_advance(c.pk) == Decimal("450.00")


def test_an_explicit_allocation_may_not_exceed_the_invoice_or_the_payment(company):
    c = company.alice_client
    a = invoice(c, "300.00", due_on=d("2026-02-01"))
    b = invoice(c, "300.00", due_on=d("2026-03-01"))
    with pytest.raises(ValidationError):
        services.payment_record(
            client=c,
            received_on=d("2026-03-01"),
            amount=Decimal("500"),
            reference="",
            actor=company.fiona,
            allocate=[(a, Decimal("300.01"))],
        )
    with pytest.raises(ValidationError):
        services.payment_record(
            client=c,
            received_on=d("2026-03-01"),
            amount=Decimal("500"),
            reference="",
            actor=company.fiona,
            allocate=[(a, Decimal("300")), (b, Decimal("201"))],
        )
    other = invoice(company.bob_client, "100.00", due_on=d("2026-03-01"))
    with pytest.raises(ValidationError):
        services.payment_record(
            client=c,
            received_on=d("2026-03-01"),
            amount=Decimal("50"),
            reference="",
            actor=company.fiona,
            allocate=[(other, Decimal("50"))],
        )
    assert Payment.objects.count() == 0 and PaymentAllocation.objects.count() == 0
    p = services.payment_record(
        client=c,
        received_on=d("2026-03-01"),
        amount=Decimal("500"),
        reference="",
        actor=company.fiona,
        allocate=[(b, Decimal("200"))],
    )
    assert _alloc(p) == {b.number: Decimal("200.00")}
    assert selectors.client_advance(c.pk) == Decimal("300.00")


def test_a_payment_of_zero_or_with_fractions_of_a_kopeck_is_refused(company):
    for amount in ("0", "-5", "1.005"):
        with pytest.raises(ValidationError):
            services.payment_record(
                client=company.alice_client,
                received_on=d("2026-03-01"),
                amount=Decimal(amount),
                reference="",
                actor=company.fiona,
            )
    assert Payment.objects.count() == 0


def test_an_invoice_for_an_order_is_made_once(company):
    c = company.alice_client
    c.payment_terms_days = 14
    first = services.invoice_create_for_order(
        order_id=77, client=c, amount=Decimal("1200.50"), issued_on=d("2026-05-01"), actor=company.sam
    )
    again = services.invoice_create_for_order(
        order_id=77, client=c, amount=Decimal("1200.50"), issued_on=d("2026-05-02"), actor=company.sam
    )
    assert first.pk == again.pk
    assert first.number == "INV-77"
    assert first.due_on == d("2026-05-15")
    assert Invoice.objects.filter(order_id=77).count() == 1


def test_a_credit_note_reduces_the_invoice_but_not_below_its_open_amount(company):
    c = company.alice_client
    inv = invoice(c, "1000.00", due_on=d("2026-03-01"))
    services.credit_note_create(
        client=c,
        invoice=inv,
        amount=Decimal("150.00"),
        issued_on=d("2026-02-10"),
        reason="shortage",
        actor=company.fiona,
    )
    assert selectors.open_receivables(c.pk) == Decimal("850.00")
    with pytest.raises(ValidationError):
        services.credit_note_create(
            client=c,
            invoice=inv,
            amount=Decimal("850.01"),
            issued_on=d("2026-02-10"),
            reason="too much",
            actor=company.fiona,
        )
    assert CreditNote.objects.count() == 1


def test_open_receivables_as_of_a_date_ignores_later_documents(company):
    c = company.alice_client
    invoice(c, "1000.00", due_on=d("2026-03-01"), issued_on=d("2026-02-01"))
    invoice(c, "500.00", due_on=d("2026-05-01"), issued_on=d("2026-04-01"))
    services.payment_record(
        client=c, received_on=d("2026-03-10"), amount=Decimal("400.00"), reference="", actor=company.fiona
    )
    assert selectors.open_receivables(c.pk, on=d("2026-02-15")) == Decimal("1000.00")
    assert selectors.open_receivables(c.pk, on=d("2026-03-15")) == Decimal("600.00")
    assert selectors.open_receivables(c.pk) == Decimal("1100.00")


def test_overdue_debt_counts_days_past_due_beyond_the_tolerance(company):
    c = company.alice_client
    invoice(c, "100.00", due_on=d("2026-03-01"))
    invoice(c, "10.00", due_on=d("2026-03-05"))
    on = d("2026-03-06")
    assert selectors.overdue_debt(c.pk, on=on) == Decimal("110.00")
    assert selectors.overdue_debt(c.pk, on=on, tolerance_days=1) == Decimal("100.00")
    assert selectors.overdue_debt(c.pk, on=on, tolerance_days=5) == Decimal("0.00")
    assert selectors.overdue_debt(c.pk, on=d("2026-03-01")) == Decimal("0.00")


def test_credit_score_is_50_without_history_and_100_when_always_on_time(company):
    c = company.alice_client
    assert selectors.credit_score(c.pk, on=d("2026-06-01")) == 50
    invoice(c, "1000.00", due_on=d("2026-03-01"))
    services.payment_record(
        client=c, received_on=d("2026-02-25"), amount=Decimal("1000"), reference="", actor=company.fiona
    )
    assert selectors.credit_score(c.pk, on=d("2026-06-01")) == 100


def test_credit_score_falls_with_late_and_unpaid_invoices(company):
    c = company.alice_client
    invoice(c, "1000.00", due_on=d("2026-03-01"))
    invoice(c, "1000.00", due_on=d("2026-03-01"))
    # half the total paid 30 days late, half never paid (92 days overdue on 2026-06-01)
    services.payment_record(
        client=c, received_on=d("2026-03-31"), amount=Decimal("1000"), reference="", actor=company.fiona
    )
    # share on time 0; avg late = (1000*30 + 1000*92)/2000 = 61 days → punctuality 0 → score 0
    assert selectors.credit_score(c.pk, on=d("2026-06-01")) == 0
    c2 = company.bob_client
    invoice(c2, "1000.00", due_on=d("2026-03-01"))
    invoice(c2, "1000.00", due_on=d("2026-03-01"))
    services.payment_record(
        client=c2, received_on=d("2026-03-01"), amount=Decimal("1000"), reference="", actor=company.fiona
    )
    services.payment_record(
        client=c2, received_on=d("2026-03-13"), amount=Decimal("1000"), reference="", actor=company.fiona
    )
    # share on time 0.5 → 35; avg late = 1000*12/2000 = 6 → 30*(1-0.1) = 27; total 62
    assert selectors.credit_score(c2.pk, on=d("2026-06-01")) == 62


def test_collection_action_keeps_a_promise_to_pay(company):
    c = company.alice_client
    action = services.collection_action_add(
        client=c,
        kind="call",
        done_on=d("2026-03-02"),
        actor=company.alice,
        note="CFO promised",
        promise_to_pay_on=d("2026-03-10"),
        promised_amount=Decimal("500"),
    )
    assert selectors.latest_promise(c.pk, on=d("2026-03-05")) == action
    with pytest.raises(ValidationError):
        services.collection_action_add(client=c, kind="visit", done_on=d("2026-03-02"), actor=company.alice)
    with pytest.raises(ValidationError):
        services.collection_action_add(
            client=c,
            kind="call",
            done_on=d("2026-03-02"),
            actor=company.alice,
            promise_to_pay_on=d("2026-03-01"),
        )


def test_credit_limit_set_changes_the_limit_and_refuses_negative(company):
    c = company.alice_client
    services.credit_limit_set(client=c, limit=Decimal("250000.00"), actor=company.fiona)
    c.refresh_from_db()
    assert c.credit_limit == Decimal("250000.00")
    with pytest.raises(ValidationError):
        services.credit_limit_set(client=c, limit=Decimal("-1"), actor=company.fiona)
    c.refresh_from_db()
    assert c.credit_limit == Decimal("250000.00")


def test_an_invoice_due_before_it_is_issued_is_refused(company):
    with pytest.raises(ValidationError):
        invoice(company.alice_client, "10.00", due_on=d("2026-01-01"), issued_on=d("2026-01-02"))
    assert Invoice.objects.count() == 0


def test_reconciliation_adds_up_to_the_kopeck(company):
    c = company.alice_client
    invoice(c, "1000.01", due_on=d("2026-01-20"), issued_on=d("2025-12-20"))  # before the period
    services.payment_record(
        client=c, received_on=d("2025-12-30"), amount=Decimal("0.01"), reference="old", actor=company.fiona
    )
    inv = invoice(c, "333.33", due_on=d("2026-02-10"), issued_on=d("2026-01-10"))
    invoice(c, "0.03", due_on=d("2026-02-11"), issued_on=d("2026-01-11"))
    services.payment_record(
        client=c, received_on=d("2026-01-15"), amount=Decimal("777.77"), reference="pp 5", actor=company.fiona
    )
    services.credit_note_create(
        client=c,
        invoice=inv,
        amount=Decimal("0.02"),
        issued_on=d("2026-01-31"),
        reason="rounding",
        actor=company.fiona,
    )
    services.payment_record(
        client=c, received_on=d("2026-02-05"), amount=Decimal("9.99"), reference="after", actor=company.fiona
    )
    st = selectors.reconciliation(c, start=d("2026-01-01"), end=d("2026-01-31"))
    assert st.opening == Decimal("1000.00")
    assert st.debit_total == Decimal("333.36")
    assert st.credit_total == Decimal("777.79")
    assert st.closing == Decimal("555.57")
    assert st.opening + st.debit_total - st.credit_total == st.closing
    assert [line.kind for line in st.lines] == ["invoice", "invoice", "payment", "credit_note"]
    nxt = selectors.reconciliation(c, start=st.end + timedelta(days=1), end=d("2026-02-28"))
    assert nxt.opening == st.closing
    assert nxt.closing == Decimal("545.58")


def test_a_reconciliation_with_an_advance_closes_on_the_credit_side(company):
    c = company.alice_client
    invoice(c, "100.00", due_on=d("2026-02-01"), issued_on=d("2026-01-10"))
    services.payment_record(
        client=c, received_on=d("2026-01-20"), amount=Decimal("250.50"), reference="", actor=company.fiona
    )
    st = selectors.reconciliation(c, start=d("2026-01-01"), end=d("2026-01-31"))
    assert st.closing == Decimal("-150.50")
    assert (st.closing_debit, st.closing_credit) == (Decimal("0.00"), Decimal("150.50"))
    assert selectors.client_advance(c.pk) == Decimal("150.50")
