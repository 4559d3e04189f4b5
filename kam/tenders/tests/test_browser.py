"""In a real browser: a KAM records a tender with the client picker, adds a lot with a specification
line, submits the bid and sees the deadline on the tender calendar."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from conftest import screenshot
from kam.tenders.models import Lot, Tender

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_kam_records_a_tender_with_a_lot_and_sees_it_on_the_calendar(live_company, page_as, live_server):
    company = live_company
    moscow = (timezone.now() + timedelta(days=3)).astimezone(ZoneInfo("Europe/Moscow"))
    due = moscow.replace(hour=10, minute=0, second=0, microsecond=0)
    page = page_as(company.alice)
    page.goto(f"{live_server.url}/tenders/new/")
    page.fill("input[name=client__q]", "Romash")
    page.wait_for_selector("select[name=client] option:has-text('Romashka')", state="attached")
    page.select_option("select[name=client]", label=page.inner_text("select[name=client] option >> nth=0"))
    page.select_option("select[name=platform]", "44fz")
    page.fill("input[name=number]", "0373100000126000042")
    page.fill("input[name=title]", "Antibiotics for the regional hospital")
    page.fill("input[name=deadline]", due.strftime("%Y-%m-%dT%H:%M"))
    screenshot(page, "tenders-1-form")
    page.click("#tender-form button[type=submit]")
    page.wait_for_selector("#add-lot")
    tender = Tender.objects.get()
    assert tender.client == company.alice_client and tender.deadline == due

    page.fill("#add-lot input[name=subject]", "Cefazolin 1 g")
    page.fill("#add-lot input[name=initial_price]", "1200000")
    page.fill("#add-lot input[name=bid_amount]", "1100000")
    page.click("#add-lot button[type=submit]")
    page.wait_for_selector("text=Lot 1 added.")
    lot = Lot.objects.get()
    page.fill(f"#lot-{lot.pk} .item-form input[name=name]", "Cefazolin powder 1 g, vial")
    page.fill(f"#lot-{lot.pk} .item-form input[name=quantity]", "5000")
    page.fill(f"#lot-{lot.pk} .item-form input[name=unit]", "vial")
    page.click(f"#lot-{lot.pk} .item-form button[type=submit]")
    page.wait_for_selector("text=Cefazolin powder 1 g, vial")
    page.click("#status-form button[value=submitted]")
    page.wait_for_selector("text=Status: Submitted.")
    screenshot(page, "tenders-2-detail")

    page.goto(f"{live_server.url}/tenders/calendar/?month={due:%Y-%m}")
    cell = page.locator(f"td[data-day='{due:%Y-%m-%d}']")
    assert "Romashka" in cell.inner_text() and "10:00" in cell.inner_text()
    assert "Antibiotics for the regional hospital" in page.inner_text("#month-list")
    screenshot(page, "tenders-3-calendar")
    cell.locator("a.ev").first.click()
    page.wait_for_selector("#deadline")
    assert Tender.objects.get().status == "submitted"

    page.goto(f"{live_server.url}/tenders/?q=antibiotics")
    assert "Antibiotics for the regional hospital" in page.inner_text("#tenders-table")
    screenshot(page, "tenders-4-list")
    page.goto(f"{live_server.url}/tenders/report/")
    assert "No tenders closed" in page.inner_text("#win-rates")
