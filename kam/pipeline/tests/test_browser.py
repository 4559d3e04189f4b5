"""In a real browser: drag a card to the next column and see the weighted figures change."""

import re
from datetime import date
from decimal import Decimal

import pytest

from conftest import screenshot
from kam.pipeline import services
from kam.pipeline.models import Opportunity, Stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def kopecks(page, selector):
    """The money shown in `selector` as integer kopecks, whatever the locale's separators."""
    return int(re.sub(r"\D", "", page.inner_text(selector)))


def test_a_kam_drags_a_card_to_the_next_stage_and_the_weighted_forecast_grows(
    live_company, page_as, live_server
):
    opp = services.opportunity_create(
        actor=live_company.alice,
        client=live_company.alice_client,
        title="Pumps for the new line",
        amount=Decimal("1000000.00"),
        expected_on=date(date.today().year, 6, 15),
    )
    page = page_as(live_company.alice)
    page.click("nav.mainnav >> text=Pipeline")
    page.wait_for_selector(f"#opp-{opp.pk}")
    assert kopecks(page, "#board-weighted") == 50_000_00  # 5 % of 1 000 000

    page.locator(f"#opp-{opp.pk}").drag_to(page.locator(".kcol[data-stage=contact]"))
    page.wait_for_selector(f".kcol[data-stage=contact] #opp-{opp.pk}")
    assert kopecks(page, "#board-weighted") == 100_000_00  # 10 % at "contact"
    opp.refresh_from_db()
    assert opp.stage == Stage.CONTACT
    assert [(h.from_stage, h.to_stage) for h in opp.stage_changes.all()] == [
        ("", "research"),
        ("research", "contact"),
    ]
    screenshot(page, "pipeline-board-en")

    # Keyboard users: the "move to" select on the card.
    page.select_option(f"#move-{opp.pk}", "proposal")
    page.click(f"#opp-{opp.pk} button[type=submit]")
    page.wait_for_selector(f".kcol[data-stage=proposal] #opp-{opp.pk}")
    assert Opportunity.objects.get().stage == Stage.PROPOSAL

    page.click("text=Weighted forecast")
    page.wait_for_selector("#forecast-table")
    assert kopecks(page, "#forecast-total") == 250_000_00  # 25 % at "proposal"
    screenshot(page, "pipeline-forecast-en")
