"""In a real browser: a head sets a KAM's plan, sees the fulfilment; the KAM opens their statement."""

import pytest
from django.utils import timezone

from conftest import screenshot
from kam.planning.models import Plan
from kam.planning.periods import Period

from .helpers import Ledger

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_head_sets_a_plan_and_the_kam_reads_the_statement(live_company, page_as, live_server):
    today = timezone.localdate()
    month = Period.containing("month", today)
    Ledger().sale(live_company.alice_client, live_company.alice, month.start, "120000.00", "90000.00").sale(
        live_company.alice_client, live_company.alice, today, "30000.00", "20000.00"
    ).save()

    page = page_as(live_company.hannah)
    page.click("nav.mainnav >> text=Plans")
    page.wait_for_selector("text=KAMs, ranked by fulfilment")
    page.click("tr:has-text('Alice Test') >> text=Set")
    page.fill("input[name=sales_volume]", "200000")
    page.fill("input[name=active_clients]", "2")
    page.fill("input[name=new_clients]", "1")
    page.fill("input[name=note]", "Spring season")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("text=Plan saved.")
    assert Plan.objects.get(kam=live_company.alice, period_start=month.start).sales_volume == 200000
    assert "75.0" in page.inner_text("tr:has-text('Alice Test')")
    screenshot(page, "plans-head-en")

    page = page_as(live_company.alice)
    page.click("nav.mainnav >> text=Plans")
    page.click("text=My commission statement")
    page.wait_for_selector("table.statement")
    body = page.inner_text("table.statement")
    assert "Romashka" in body and "Total variable pay" in body
    screenshot(page, "commission-statement-en")
    page.goto(f"{live_server.url}/plans/statement/{live_company.bob.pk}/{month.slug}/")
    assert "Commission statement" not in page.content()
