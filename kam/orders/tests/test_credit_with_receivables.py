"""The credit check against the real receivables: invoices on delivery, payments, concurrent submissions."""

import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from kam.orders import services
from kam.orders.models import Order, OrderSettings, OrderStatus
from kam.receivables import selectors as receivables
from kam.receivables import services as receivable_services
from kam.receivables.models import CreditNote, Invoice

from .test_order_flow import bring, draft

S = OrderStatus


@pytest.mark.django_db
def test_delivery_makes_one_invoice_and_moves_the_amount_from_open_orders_to_receivables(company, catalogue):
    order = bring(company, catalogue, S.SHIPPED)
    client = company.alice_client
    assert services.open_orders_amount(client.pk) == Decimal("5000.00")
    assert receivables.open_receivables(client.pk) == 0
    services.order_move(order_id=order.pk, to=S.DELIVERED, actor=company.sam)
    order.refresh_from_db()
    invoice = Invoice.objects.get()
    assert (invoice.pk, invoice.amount, invoice.order_id) == (order.invoice_id, Decimal("5000.00"), order.pk)
    assert services.open_orders_amount(client.pk) == 0
    assert receivables.open_receivables(client.pk) == Decimal("5000.00")
    position = services.credit_position(client)
    assert position.exposure_without_order == Decimal("5000.00")  # counted once, not twice


@pytest.mark.django_db
def test_a_partial_payment_frees_credit_for_the_next_order(company, catalogue):
    client = company.alice_client
    client.credit_limit = Decimal("8000.00")
    client.save()
    bring(company, catalogue, S.DELIVERED)
    nxt = draft(company, catalogue)  # another 5 000.00: 10 000.00 > 8 000.00
    with pytest.raises(ValidationError, match="above the limit"):
        services.order_submit(order_id=nxt.pk, actor=company.alice)
    receivable_services.payment_record(
        client=client,
        received_on=date.today(),
        amount=Decimal("2000.00"),
        reference="pp 1",
        actor=company.fiona,
    )
    services.order_submit(order_id=nxt.pk, actor=company.alice)  # 3 000.00 + 5 000.00 = exactly the limit
    nxt.refresh_from_db()
    assert nxt.status == S.SUBMITTED
    assert nxt.credit_receivables == Decimal("3000.00")


@pytest.mark.django_db
def test_overdue_invoices_send_the_next_order_for_approval(company, catalogue):
    order = bring(company, catalogue, S.SHIPPED)
    long_ago = date.today() - timedelta(days=90)
    services.order_move(order_id=order.pk, to=S.DELIVERED, actor=company.sam, on=long_ago)
    nxt = draft(company, catalogue)
    services.order_submit(order_id=nxt.pk, actor=company.alice)
    nxt.refresh_from_db()
    assert nxt.status == S.AWAITING_APPROVAL
    assert nxt.credit_overdue == Decimal("5000.00")
    assert nxt.credit_score is not None and 0 <= nxt.credit_score <= 100


@pytest.mark.django_db(transaction=True)
def test_two_people_submitting_at_once_never_pass_the_limit_together(company, catalogue, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; SQLite serialises every writer with one database lock")
    client = company.alice_client
    client.credit_limit = Decimal("8000.00")
    client.save()
    first = draft(company, catalogue)  # 5 000.00 each: one fits, both don't
    second = draft(company, catalogue, kam=company.hannah)
    OrderSettings.current()  # made beforehand, so creating it cannot serialise the two by accident

    original = services.credit_position

    def slow_position(*args, **kwargs):
        position = original(*args, **kwargs)
        time.sleep(0.5)  # widen the window between reading the exposure and writing the status
        return position

    monkeypatch.setattr(services, "credit_position", slow_position)
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def submit(order: Order, actor) -> None:
        try:
            barrier.wait()
            services.order_submit(order_id=order.pk, actor=actor)
            outcomes[order.pk] = "ok"
        except ValidationError as error:
            outcomes[order.pk] = " ".join(error.messages)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=submit, args=(first, company.alice)),
        threading.Thread(target=submit, args=(second, company.hannah)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(v == "ok" for v in outcomes.values()) == [False, True], outcomes
    assert next(v for v in outcomes.values() if v != "ok").startswith("Credit limit exceeded")
    assert Order.objects.filter(status=S.SUBMITTED).count() == 1
    assert services.open_orders_amount(client.pk) == Decimal("5000.00")


@pytest.mark.django_db
def test_a_return_credits_the_invoice_so_receivables_fall_with_it(company, catalogue):
    order = bring(company, catalogue, S.DELIVERED)
    line = order.lines.get()
    services.order_return_create(
        order_id=order.pk, actor=company.sam, quantities={line.pk: "3"}, reason="quality"
    )
    assert receivables.open_receivables(company.alice_client.pk) == Decimal("3500.00")
    note = CreditNote.objects.get()
    assert (note.amount, note.invoice_id) == (Decimal("1500.00"), order.invoice_id)


@pytest.mark.django_db
def test_a_return_of_a_paid_order_is_credited_to_the_clients_account(company, catalogue):
    order = bring(company, catalogue, S.DELIVERED)
    receivable_services.payment_record(
        client=company.alice_client,
        received_on=date.today(),
        amount=Decimal("5000.00"),
        reference="pp",
        actor=company.fiona,
    )
    services.order_return_create(order_id=order.pk, actor=company.sam, full=True, reason="quality")
    note = CreditNote.objects.get()
    assert (note.amount, note.invoice_id) == (Decimal("5000.00"), None)
