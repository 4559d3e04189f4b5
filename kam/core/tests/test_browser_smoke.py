"""The foundation in a real browser: Playwright driving Debian's chromium against the live server."""

import pytest

from conftest import screenshot
from kam.clients.models import Stakeholder
from kam.clients.tests.test_dossier_tabs import fill_dossier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_kam_finds_a_client_opens_the_dossier_and_map_and_adds_a_stakeholder(
    live_company, page_as, live_server
):
    fill_dossier(live_company.alice_client)
    page = page_as(live_company.alice)
    page.click("nav.mainnav >> text=Clients")
    page.fill("input[name=q]", "roma")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("#client-table >> text=Romashka")
    assert page.locator("#client-table tbody tr").count() == 1
    screenshot(page, "clients-en")

    page.click("#client-table >> text=Romashka")
    page.wait_for_selector("nav.tabs")
    assert "Most influential people" in page.inner_text("main")
    screenshot(page, "dossier-overview-en")

    page.click("nav.tabs >> text=Relationship map")
    page.wait_for_selector("#relationship-map")
    assert page.locator("#relationship-map g[data-person]").count() >= 2
    assert "Balance of power" in page.inner_text("#balance-of-power")

    page.click("nav.tabs >> text=Stakeholders")
    page.click("text=Add a stakeholder")
    page.wait_for_selector("#stakeholder-form")
    page.fill("#stakeholder-form input[name=full_name]", "Olga Smirnova")
    page.fill("#stakeholder-form input[name=position]", "Head of purchasing")
    page.click("#stakeholder-form button[type=submit]")
    page.wait_for_selector("#stakeholders-table >> text=Olga Smirnova")
    assert Stakeholder.objects.filter(client=live_company.alice_client, full_name="Olga Smirnova").exists()
    screenshot(page, "dossier-stakeholders-en")


def test_another_kam_is_refused_everywhere(live_company, page_as, live_server):
    page = page_as(live_company.carol)
    page.goto(f"{live_server.url}/clients/?q=Romashka")
    assert "No clients match these filters." in page.inner_text("main")
    response = page.goto(f"{live_server.url}/clients/{live_company.alice_client.pk}/")
    assert response is not None and response.status == 404
    response = page.goto(f"{live_server.url}/clients/{live_company.alice_client.pk}/map/")
    assert response is not None and response.status == 404
    before = Stakeholder.objects.count()
    response = page.request.post(
        f"{live_server.url}/clients/{live_company.alice_client.pk}/stakeholders/add/",
        form={"full_name": "Intruder"},
    )
    assert response.status in (403, 404)
    assert Stakeholder.objects.count() == before


def test_the_interface_speaks_russian(live_company, page_as, live_server):
    fill_dossier(live_company.alice_client)
    page = page_as(live_company.alice, lang="ru")
    page.goto(f"{live_server.url}/clients/")
    assert "Клиенты" in page.inner_text("nav.mainnav")
    screenshot(page, "clients-ru")
    page.goto(f"{live_server.url}/clients/{live_company.alice_client.pk}/map/")
    page.wait_for_selector("#relationship-map")
    screenshot(page, "dossier-map-ru")
