"""The whole path in a real browser: a KAM orders below the client's column, the head approves, sales
support enters, ships and delivers, the invoice appears, finance records a partial payment, and the
aging and the reconciliation statement show what is left."""

from decimal import Decimal

import pytest

from conftest import screenshot
from kam.orders.models import Order, OrderStatus, Product, ProductPrice
from kam.receivables.models import Invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_order_over_the_column_goes_from_the_kam_to_the_payment(live_company, page_as, live_server):
    company = live_company
    client = company.alice_client
    cement = Product.objects.create(code="CEM-500", name="Cement M500", unit="bag", cost_price=Decimal("300"))
    for column, price in ((1, "500.00"), (2, "480.00"), (3, "450.00")):
        ProductPrice.objects.create(product=cement, column=column, price=Decimal(price))

    # The KAM takes the order in column 3, cheaper than the client's column 1.
    kam = page_as(company.alice)
    kam.goto(f"{live_server.url}/orders/new/?client={client.pk}")
    kam.select_option("select[name=column]", "3")
    kam.click("text=Create the draft")
    kam.wait_for_selector("#add-line")
    kam.select_option("#add-line select[name=product]", str(cement.pk))
    kam.fill("#add-line input[name=quantity]", "10")
    kam.click("#add-line button[type=submit]")
    kam.wait_for_selector("#line-table")
    assert "4,500.00" in kam.inner_text("#order-total")
    assert "Largest order that fits" in kam.inner_text("#credit")
    kam.click("#submit-order")
    kam.wait_for_selector("text=The order waits for the head's approval.")
    assert kam.inner_text("#order-status") == "Awaiting approval"
    order = Order.objects.get()
    screenshot(kam, "orders-1-awaiting-approval")

    # The head of the department approves it from the approvals queue.
    head = page_as(company.hannah)
    head.goto(f"{live_server.url}/orders/approvals/")
    head.click(f"#approval-table >> text=#{order.pk}")
    assert "below the client's column" in head.inner_text("#decide")
    head.fill("#decide input[name=reason]", "Key client, season start")
    head.click("#approve")
    head.wait_for_selector("text=Approved.")
    assert head.inner_text("#order-status") == "Submitted"

    # Sales support works it through the queue.
    support = page_as(company.sam)
    support.goto(f"{live_server.url}/orders/queue/")
    support.click(f"#queue-table >> text=#{order.pk}")
    assert "Margin" not in support.inner_text("main") if support.locator("main").count() else True
    for step, label in (("entered", "Entered"), ("shipped", "Shipped"), ("delivered", "Delivered")):
        support.click(f"#move-{step}")
        support.wait_for_function(
            "label => document.querySelector('#order-status').innerText === label", arg=label
        )
    assert f"INV-{order.pk}" in support.inner_text("#order-invoice")
    history = support.inner_text("#history")
    for who in ("Alice", "Hannah", "Sam"):
        assert who in history
    screenshot(support, "orders-2-delivered")
    invoice = Invoice.objects.get(order_id=order.pk)
    assert invoice.amount == Decimal("4500.00")

    # Finance records a partial payment; aging and the reconciliation show what is left.
    finance = page_as(company.fiona)
    finance.goto(f"{live_server.url}/receivables/clients/{client.pk}/payment/")
    finance.fill("input[name=amount]", "2000")
    finance.fill("input[name=reference]", "PP 17")
    finance.select_option("select[name=invoice]", str(invoice.pk))
    finance.click("form.stacked button[type=submit]")
    finance.wait_for_selector("text=Payment recorded.")
    finance.goto(f"{live_server.url}/receivables/")
    aging = finance.inner_text("main") if finance.locator("main").count() else finance.content()
    assert "Romashka" in aging and "2,500.00" in aging
    screenshot(finance, "orders-3-aging")
    finance.goto(f"{live_server.url}/receivables/clients/{client.pk}/statement/")
    statement = finance.content()
    assert f"INV-{order.pk}" in statement and "2,000.00" in statement and "2,500.00" in statement
    screenshot(finance, "orders-4-reconciliation")
    assert Order.objects.get().status == OrderStatus.DELIVERED
