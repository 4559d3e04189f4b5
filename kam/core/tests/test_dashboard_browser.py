"""Each role's Today page and the grouped main menu in a real browser, with screenshots looked at."""

from __future__ import annotations

import pytest

from conftest import screenshot

from . import dash_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(live_company):
    dash_data.everything(live_company)
    return live_company


def test_the_kams_today_page(book, page_as):
    page = page_as(book.alice)
    page.wait_for_selector("#today-activities >> text=Romashka")
    assert "Romashka HQ" in page.inner_text("#today-activities")
    assert "Overdue debt of my clients" in page.inner_text("#overdue-debt")
    assert "Send the price list" in page.inner_text("#contracts-widget")
    assert "returned by the head" in page.inner_text("#orders-widget")
    assert "of the month has gone" in page.inner_text("#plan-widget")
    screenshot(page, "today-kam-en")
    # Each item leads to where the action is done.
    page.click("#today-activities >> text=Brief")
    page.wait_for_load_state("networkidle")
    assert "/brief/" in page.url


def test_the_heads_today_page(book, page_as):
    page = page_as(book.hannah)
    page.wait_for_selector("#orders-widget")
    assert "No order is waiting for your approval." in page.inner_text("#orders-widget")
    assert "Alice Test" in page.inner_text("#plan-widget")
    assert "Bob Test" in page.inner_text("#punctuality-widget")
    page.wait_for_selector("#dependence-alerts")
    screenshot(page, "today-head-en")


def test_the_directors_today_page_and_menus(book, page_as):
    page = page_as(book.diana)
    page.wait_for_selector("#concentration-widget")
    assert "HHI" in page.inner_text("#concentration-widget")
    assert "Lyutik" in page.inner_text("#movement-widget")
    assert "Receivables by age" in page.inner_text("#aging-widget")
    screenshot(page, "today-director-en")

    # The main menu fits on one line and groups the rest.
    nav = page.locator("nav.mainnav")
    box = nav.bounding_box()
    assert box is not None and box["height"] < 50, box
    sales = page.locator("#menu-sales")
    assert not page.is_visible("#menu-sales >> text=Orders")
    sales.locator("summary").click()
    assert page.is_visible("#menu-sales >> text=Orders")
    screenshot(page, "menu-sales-open-en")
    # Opening another menu closes the first; Escape closes it again.
    page.click("#menu-admin summary")
    assert page.is_visible("#menu-admin >> text=Audit log")
    assert not page.is_visible("#menu-sales >> text=Orders")
    screenshot(page, "menu-admin-open-en")
    page.keyboard.press("Escape")
    assert not page.is_visible("#menu-admin >> text=Audit log")

    # Keyboard only: tab to the Finance menu, open it with Enter, follow a link.
    page.focus("#menu-finance summary")
    page.keyboard.press("Enter")
    assert page.is_visible("#menu-finance >> text=Receivables")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1")
    assert "/receivables/" in page.url
    # The menu of the current page is marked.
    assert "current" in (page.get_attribute("#menu-finance summary", "class") or "")
    screenshot(page, "menu-finance-current-en")


def test_finance_today_page(book, page_as):
    page = page_as(book.fiona)
    page.wait_for_selector("#aging-widget")
    assert "Lyutik" in page.inner_text("#overdue-debt")
    # Finance has no Admin menu: none of its links is allowed.
    assert page.locator("#menu-admin").count() == 0 and page.locator("#menu-finance").count() == 1
    screenshot(page, "today-finance-en")


def test_the_directors_today_page_in_russian(book, page_as):
    page = page_as(book.diana, "ru")
    page.wait_for_selector("#concentration-widget")
    page.click("#menu-accounts summary")
    screenshot(page, "today-director-ru")


def test_the_menu_on_a_narrow_screen(book, page_as):
    page = page_as(book.diana)
    page.set_viewport_size({"width": 760, "height": 900})
    page.goto(page.url)
    page.click("#menu-sales summary")
    assert page.is_visible("#menu-sales >> text=Orders")
    screenshot(page, "menu-narrow-en")
