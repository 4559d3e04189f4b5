"""In a real browser: a KAM creates an account plan for a key client, adds an objective and an action
that plans a visit (it shows in the week's schedule), then moves an opportunity across the pipeline board
and sees the weighted forecast change."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import screenshot
from kam.accountplans.models import AccountPlan, PlanAction
from kam.pipeline import services as pipeline_services
from kam.pipeline.models import Opportunity, Stage

from .helpers import mark_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def kopecks(page, selector):
    return int(re.sub(r"\D", "", page.inner_text(selector)))


def test_a_kam_plans_a_key_client_links_a_visit_and_moves_an_opportunity(live_company, page_as, live_server):
    company = live_company
    client = company.alice_client
    mark_key(client)
    today = timezone.localdate()
    visit_day = today + timedelta(days=1)
    opp = pipeline_services.opportunity_create(
        actor=company.alice,
        client=client,
        title="Pumps for the new line",
        amount=Decimal("1000000.00"),
        expected_on=date(today.year, 12, 15),
    )

    page = page_as(company.alice)
    assert page.locator("nav.mainnav a[href='/account-plans/']").count() == 1
    page.goto(f"{live_server.url}/account-plans/")
    page.wait_for_selector("text=No account plans yet")
    page.click("text=New account plan")
    # The key client without a plan is offered; the picker searches all clients the KAM may see.
    assert "Romashka" in page.inner_text("#key-without-plan")
    page.fill("input[name=client__q]", "Roma")
    page.wait_for_selector(f"select[name=client] option[value='{client.pk}']", state="attached")
    page.select_option("select[name=client]", str(client.pk))
    page.fill("textarea[name=strategy]", "Become the main supplier of the new plant")
    page.click("#plan-create button[type=submit]")
    page.wait_for_selector("#objective-form")
    plan = AccountPlan.objects.get()
    assert (plan.client_id, plan.year, plan.status) == (client.pk, today.year, "draft")
    assert "key client" in page.inner_text("h1 + p")

    page.select_option("#objective-form select[name=kind]", "revenue")
    page.fill("#objective-form input[name=target]", "5000000")
    page.click("#objective-form button[type=submit]")
    page.wait_for_selector("#objectives-table")
    assert "Revenue" in page.inner_text("#objectives-table")
    # htmx: a bad product code comes back in the form, the page stays as it was.
    page.select_option("#objective-form select[name=kind]", "product")
    page.fill("#objective-form input[name=product]", "NO-SUCH")
    page.click("#objective-form button[type=submit]")
    page.wait_for_selector("#objective-form .errorlist")
    assert "No product with this code" in page.inner_text("#objective-form")
    page.fill("#swot-form input[name=text]", "Сильная сторона: склад рядом")
    page.click("#swot-form button[type=submit]")
    page.wait_for_selector("#swot-strength li:has-text('склад рядом')")

    page.fill("#action-form input[name=title]", "Present the pumps to the chief engineer")
    page.select_option("#action-form select[name=kind]", "visit")
    page.fill("#action-form input[name=day]", visit_day.isoformat())
    page.fill("#action-form input[name=start]", "11:00")
    page.fill("#action-form input[name=place]", "Plant, Tula")
    page.click("#action-form button[type=submit]")
    page.wait_for_selector("#actions-table")
    row = page.inner_text("#actions-table tbody tr")
    assert "Present the pumps" in row and "Visit" in row and "planned" in row
    action = PlanAction.objects.get()
    assert action.activity is not None and action.activity.goal == "Present the pumps to the chief engineer"
    screenshot(page, "accountplans-detail-en")

    # The visit is in the KAM's week.
    page.goto(f"{live_server.url}/schedule/?d={visit_day.isoformat()}")
    chip = page.locator(f"#week a[href='/schedule/{action.activity.pk}/']")
    assert chip.count() == 1 and "Romashka" in chip.inner_text() and "11:00" in chip.inner_text()
    screenshot(page, "accountplans-schedule-week-en")

    # Submit for review; the client copy of the PDF opens.
    page.goto(f"{live_server.url}/account-plans/{plan.pk}/")
    page.click("#submit-plan")
    page.wait_for_selector("#versions-table")
    assert AccountPlan.objects.get().status == "submitted"
    pdf = page.request.get(f"{live_server.url}/account-plans/{plan.pk}/pdf/")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"

    # The pipeline: drag the opportunity to the next stage; the weighted forecast grows.
    page.goto(f"{live_server.url}/pipeline/")
    page.wait_for_selector(f"#opp-{opp.pk}")
    assert kopecks(page, "#board-weighted") == 50_000_00  # 5 % at "research"
    page.locator(f"#opp-{opp.pk}").drag_to(page.locator(".kcol[data-stage=contact]"))
    page.wait_for_selector(f".kcol[data-stage=contact] #opp-{opp.pk}")
    assert kopecks(page, "#board-weighted") == 100_000_00  # 10 % at "contact"
    assert Opportunity.objects.get().stage == Stage.CONTACT
    screenshot(page, "accountplans-pipeline-board-en")
