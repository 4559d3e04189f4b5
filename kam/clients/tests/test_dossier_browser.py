"""The dossier in a real browser: htmx inline forms and the relationship map."""

import pytest

from conftest import screenshot

from .test_dossier_tabs import fill_dossier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_kam_adds_a_stakeholder_inline_and_sees_the_error_first(live_company, page_as, live_server):
    fill_dossier(live_company.alice_client)
    page = page_as(live_company.alice)
    page.goto(f"{live_server.url}/clients/{live_company.alice_client.pk}/stakeholders/")
    page.click("text=Add a stakeholder")
    page.wait_for_selector("#stakeholder-form")
    assert "/stakeholders/add/" not in page.url  # the form came in place, the page stayed
    # Blanks pass the browser's own check but not the server's.
    page.fill("#stakeholder-form input[name=full_name]", "   ")
    page.click("#stakeholder-form button[type=submit]")
    page.wait_for_selector("#stakeholder-form .errorlist")
    assert "This field is required." in page.inner_text("#stakeholder-form")
    page.fill("#stakeholder-form input[name=full_name]", "Anna Kuznetsova")
    page.click("#stakeholder-form button[type=submit]")
    page.wait_for_selector("#stakeholders-table >> text=Anna Kuznetsova")
    assert "Anna Kuznetsova added." in page.inner_text(".messages")


def test_the_relationship_map_is_drawn_with_a_legend_and_the_balance(live_company, page_as, live_server):
    fill_dossier(live_company.alice_client)
    page = page_as(live_company.alice)
    page.goto(f"{live_server.url}/clients/{live_company.alice_client.pk}/map/")
    svg = page.locator("#relationship-map")
    assert svg.locator("g[data-person]").count() == 3
    assert svg.locator("path[data-kind=reports_to]").count() == 2
    assert svg.locator("path[data-kind=rival]").count() == 1
    box = svg.bounding_box()
    assert box and box["width"] > 500 and box["height"] > 250
    assert "Balance of power" in page.inner_text("#balance-of-power")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#relationships-table button", has_text="Remove").first.click()
    page.wait_for_selector("text=Relationship removed.")
    screenshot(page, "dossier-map-en")
