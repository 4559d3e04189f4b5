"""In a real browser: a KAM picks the client by search, makes a proposal from a template, adds a line,
sends it, opens its PDF, and records the client's acceptance, which drafts the order."""

from decimal import Decimal

import pytest

from conftest import screenshot
from kam.orders.models import Product, ProductPrice
from kam.proposals.models import Proposal, ProposalStatus, ProposalTemplate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_kam_makes_sends_and_closes_a_proposal(live_company, page_as, live_server):
    company = live_company
    cement = Product.objects.create(
        code="CEM-500", name="Цемент М500", unit="мешок", cost_price=Decimal("300")
    )
    for column, price in ((1, "500.00"), (2, "480.00")):
        ProductPrice.objects.create(product=cement, column=column, price=Decimal(price))
    ProposalTemplate.objects.create(
        name="Стандарт",
        payment_terms="Отсрочка 30 дней",
        delivery_terms="Доставка на объект",
        validity_days=10,
    )

    kam = page_as(company.alice)
    kam.on("dialog", lambda dialog: dialog.accept())
    kam.goto(f"{live_server.url}/proposals/")
    assert "No proposals yet" in kam.inner_text("main")
    kam.click("text=New proposal")
    kam.fill("input[name=client__q]", "Roma")
    kam.wait_for_selector("select[name=client] option:has-text('Romashka')", state="attached")
    kam.select_option("select[name=client]", label=f"Romashka · {company.alice_client.tax_number}")
    kam.select_option("select[name=template]", label="Стандарт")
    kam.click("text=Create the draft")
    kam.wait_for_selector("#add-line")
    proposal = Proposal.objects.get()
    assert proposal.number in kam.inner_text("h1")

    kam.select_option("#add-line select[name=product]", str(cement.pk))
    kam.fill("#add-line input[name=quantity]", "10")
    kam.fill("#add-line input[name=discount]", "2")
    kam.click("#add-line button[type=submit]")
    kam.wait_for_selector("#line-table")
    assert "4,900.00" in kam.inner_text("#proposal-total")
    kam.click("#send")
    kam.wait_for_selector("#accept")
    assert kam.inner_text("#proposal-status") == "Sent"
    screenshot(kam, "proposals-1-sent")

    pdf_url = kam.get_attribute("#pdf-link", "href")
    assert pdf_url and f"/proposals/{proposal.pk}/pdf/" in pdf_url
    pdf = kam.request.get(f"{live_server.url}{pdf_url}" if pdf_url.startswith("/") else pdf_url)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body()[:5] == b"%PDF-"

    kam.click("#accept")
    kam.wait_for_selector("#proposal-order")
    assert kam.inner_text("#proposal-status") == "Accepted"
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.order is not None and proposal.order.total == Decimal("4900.00")
    screenshot(kam, "proposals-2-accepted")

    kam.goto(f"{live_server.url}/proposals/")
    assert proposal.number in kam.inner_text("#proposal-table")
    screenshot(kam, "proposals-3-list")
