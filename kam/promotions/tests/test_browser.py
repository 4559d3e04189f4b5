"""In a real browser: a segment's history and forecast, and a promotion's measured effect."""

from datetime import date

import pytest

from conftest import screenshot
from kam.core.testing import make_client
from kam.promotions import services
from kam.segments.tests.helpers import trend

from .helpers import promotion, sale

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_segment_forecast_and_a_promotion_effect(live_company, page_as, live_server):
    c = live_company
    trend(c.alice_client, 30)
    trend(c.bob_client, 30, start=600_000, slope=15_000)
    kolokolchik = make_client(c.alice, "7710140679", "Kolokolchik")
    for month, a, k in [
        (1, 100_000, 100_000),
        (2, 100_000, 90_000),
        (3, 180_000, 100_000),
        (4, 200_000, 105_000),
    ]:
        sale(c.alice_client, date(2025, month, 1), a, manager=c.hannah)
        sale(kolokolchik, date(2025, month, 1), k)
    p = promotion(c.hannah, starts_on=date(2025, 3, 1), ends_on=date(2025, 4, 30), name="Spring volume bonus")
    services.participants_add(actor=c.hannah, promotion_id=p.pk, clients=[c.alice_client])

    page = page_as(c.hannah)
    assert page.locator("nav.mainnav a[href='/segments/']").count() == 1
    page.goto(f"{live_server.url}/segments/")
    page.click("#segments-table >> text=Large")
    page.wait_for_selector("#forecast svg path")
    assert "Holt-Winters" in page.inner_text("#model-used")
    assert page.inner_text("#mape").strip() not in ("", "—")
    assert page.locator("#forecast-table tbody tr").count() == 3
    page.fill("#proposal-form input[name=title]", "Add the 20 l canister")
    page.click("#proposal-form button[type=submit]")
    page.wait_for_selector("#proposals-table >> text=Add the 20 l canister")
    screenshot(page, "segment-forecast-en")

    assert page.locator("nav.mainnav a[href='/promotions/']").count() == 1
    page.goto(f"{live_server.url}/promotions/")
    page.click("#promotions-table >> text=Spring volume bonus")
    page.wait_for_selector("#effect-table")
    assert "Kolokolchik" not in page.inner_text("#participants-table")
    did = page.inner_text("#did-table")
    assert "Turnover" in did
    page.fill("#add-client input[name=client__q]", "Kolok")
    page.wait_for_selector("#add-client select[name=client] option >> text=Kolokolchik")
    page.select_option(
        "#add-client select[name=client]", label=page.inner_text("#add-client select[name=client] option")
    )
    page.click("#add-client button[type=submit]")
    page.wait_for_selector("#participants-table >> text=Kolokolchik")
    screenshot(page, "promotion-effect-en")
