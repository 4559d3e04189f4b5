import pytest

from conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_kam_logs_in_and_finds_a_client(live_company, page_as, live_server):
    page = page_as(live_company.alice)
    page.click("text=Clients")
    page.fill("input[name=q]", "roma")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("#client-table >> text=Romashka")
    assert page.locator("#client-table tbody tr").count() == 1
    screenshot(page, "clients-en")
