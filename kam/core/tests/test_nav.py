"""The main menu: grouped links, a menu only when one of its links is allowed, every old flag kept."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from kam.core.context_processors import MENUS, navigation

pytestmark = pytest.mark.django_db

FLAGS = {
    "audit", "deputies", "users", "analysis", "import", "plans", "schedule", "orders", "receivables",
    "pipeline", "contracts", "proposals", "tenders", "promotions", "segments", "account_plans", "health",
}  # fmt: skip


def flags_of(user) -> dict:
    request = RequestFactory().get("/")
    request.user = user
    return navigation(request)


def test_every_link_flag_is_kept_and_each_belongs_somewhere(company):
    flags = flags_of(company.diana)
    assert {f"nav_can_{f}" for f in FLAGS} <= set(flags)
    grouped = {link for links in MENUS.values() for link in links}
    assert grouped | {"plans", "schedule", "pipeline"} == FLAGS


@pytest.mark.parametrize("who", ["alice", "hannah", "diana", "sam", "fiona", "adam"])
def test_a_menu_shows_only_when_one_of_its_links_is_allowed(company, login, who):
    user = getattr(company, who)
    flags = flags_of(user)
    body = login(user).get(reverse("home")).content.decode()
    for menu, links in MENUS.items():
        allowed = any(flags[f"nav_can_{link}"] for link in links)
        assert flags[f"nav_menu_{menu}"] == allowed
        assert (f'id="menu-{menu}"' in body) == allowed, (who, menu)


def test_the_menus_are_plain_html_that_works_without_scripts(company, login):
    body = login(company.diana).get(reverse("home")).content.decode()
    assert body.count('<details class="navmenu"') == 4 and "<summary" in body
    assert "cdn" not in body.lower()
    assert 'src="/static/kam/nav.js"' in body
    # The section of the current page is marked on its menu.
    body = login(company.diana).get(reverse("receivables:aging")).content.decode()
    assert '<summary class="current">' in body
    assert 'href="/receivables/" aria-current="page"' in body


def test_admin_and_finance_menus_follow_the_roles(company):
    assert flags_of(company.diana)["nav_menu_admin"] and not flags_of(company.alice)["nav_menu_admin"]
    assert flags_of(company.adam)["nav_menu_admin"]  # users
