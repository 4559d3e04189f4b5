"""Dossier tabs: what each role sees, who may change what (404 and nothing changed otherwise), the
private notes that never reach a viewer without the right, and a constant number of queries."""

import itertools
import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.access import policy
from kam.clients import dossier
from kam.clients.models import (
    Client,
    ClientCompetitor,
    Competitor,
    FinancialIndicator,
    Relationship,
    Stakeholder,
    TeamMember,
)


def fill_dossier(client: Client) -> dict:
    ivan = client.stakeholders.get(full_name="Ivan Petrov")
    olga = Stakeholder.objects.create(
        client=client,
        full_name="Olga Smirnova",
        position="CFO",
        decision_role="influencer",
        influence=4,
        attitude="neutral",
        email="olga@example.com",
        private_notes="Olga's secret: moving to a competitor",
    )
    pavel = Stakeholder.objects.create(
        client=client,
        full_name="Pavel Sidorov",
        position="Buyer",
        decision_role="gatekeeper",
        influence=2,
        attitude="opponent",
        last_contact_on=date(2024, 1, 15),
    )
    reports = Relationship.objects.create(client=client, source=olga, target=ivan, kind="reports_to")
    Relationship.objects.create(client=client, source=pavel, target=olga, kind="reports_to")
    Relationship.objects.create(client=client, source=pavel, target=ivan, kind="rival")
    year = FinancialIndicator.objects.create(
        client=client, year=2023, revenue=Decimal("1000000.00"), profit=Decimal("50000.00"), employees=120
    )
    alfa = Competitor.objects.create(name="Alfa Supply")
    presence = ClientCompetitor.objects.create(
        client=client, competitor=alfa, estimated_share=Decimal("40"), supplies="film", price_level="lower"
    )
    return {
        "ivan": ivan,
        "olga": olga,
        "pavel": pavel,
        "relationship": reports,
        "financial": year,
        "competitor": alfa,
        "presence": presence,
    }


def snapshot() -> dict:
    """Every row the dossier pages may write, as plain values: equal before and after means unchanged."""
    return {
        "clients": list(
            Client.objects.order_by("pk").values_list(
                "pk", "history", "needs", "plans", "decision_process", "category_budget", "owner_id"
            )
        ),
        "stakeholders": list(Stakeholder.objects.order_by("pk").values()),
        "relationships": list(Relationship.objects.order_by("pk").values()),
        "financials": list(FinancialIndicator.objects.order_by("pk").values()),
        "competitors": list(Competitor.objects.order_by("pk").values()),
        "presences": list(ClientCompetitor.objects.order_by("pk").values()),
        "team": list(TeamMember.objects.order_by("pk").values()),
    }


# ------------------------------------------------------------------ fixtures

pytestmark = pytest.mark.django_db

TABS = ["overview", "financials", "needs", "stakeholders", "map", "competitors"]


@pytest.fixture
def filled(company):
    return fill_dossier(company.alice_client)


def tab_url(client, tab):
    return reverse("clients:dossier_tab", args=[client.pk, tab])


def write_requests(client, filled, colleague):
    """(method, url, data) for every page address that changes a dossier."""
    pk = client.pk
    return [
        ("post", reverse("clients:financial_add", args=[pk]), {"year": 2024, "revenue": "5"}),
        ("get", reverse("clients:financial_add", args=[pk]), {}),
        (
            "post",
            reverse("clients:financial_edit", args=[pk, filled["financial"].pk]),
            {"year": 2023, "revenue": "1"},
        ),
        ("get", reverse("clients:financial_edit", args=[pk, filled["financial"].pk]), {}),
        ("post", reverse("clients:financial_delete", args=[pk, filled["financial"].pk]), {}),
        ("post", reverse("clients:needs_edit", args=[pk]), {"needs": "hacked", "category_budget": "1"}),
        ("get", reverse("clients:needs_edit", args=[pk]), {}),
        ("post", reverse("clients:stakeholder_add", args=[pk]), {"full_name": "Intruder", "influence": 3}),
        ("get", reverse("clients:stakeholder_add", args=[pk]), {}),
        (
            "post",
            reverse("clients:stakeholder_edit", args=[pk, filled["olga"].pk]),
            {"full_name": "Hacked", "influence": 1, "decision_role": "user", "attitude": "neutral"},
        ),
        ("get", reverse("clients:stakeholder_edit", args=[pk, filled["olga"].pk]), {}),
        ("post", reverse("clients:stakeholder_delete", args=[pk, filled["olga"].pk]), {}),
        (
            "post",
            reverse("clients:relationship_add", args=[pk]),
            {"source": filled["ivan"].pk, "target": filled["pavel"].pk, "kind": "allied"},
        ),
        ("post", reverse("clients:relationship_delete", args=[pk, filled["relationship"].pk]), {}),
        (
            "post",
            reverse("clients:competitor_add", args=[pk]),
            {"competitor_name": "Gamma", "estimated_share": "5"},
        ),
        ("get", reverse("clients:competitor_add", args=[pk]), {}),
        (
            "post",
            reverse("clients:competitor_edit", args=[pk, filled["presence"].pk]),
            {"competitor_name": "Alfa Supply", "estimated_share": "1"},
        ),
        ("post", reverse("clients:competitor_delete", args=[pk, filled["presence"].pk]), {}),
        ("post", reverse("clients:team_add", args=[pk]), {"user": colleague.pk, "role": "x"}),
        ("post", reverse("clients:team_remove", args=[pk, colleague.pk]), {}),
    ]


# ------------------------------------------------------------------ who sees the tabs


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_renders_for_the_owner_kam(company, login, filled, tab):
    response = login(company.alice).get(tab_url(company.alice_client, tab))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Coming soon" not in body
    expected = {
        "overview": "Power is with",
        "financials": "Financial indicators by year",
        "needs": "Budget for our category",
        "stakeholders": "Olga Smirnova",
        "map": 'id="relationship-map"',
        "competitors": "Alfa Supply",
    }[tab]
    assert expected in body


@pytest.mark.parametrize("persona", ["hannah", "diana"])
def test_the_head_and_the_director_open_every_tab(company, login, filled, persona):
    browser = login(getattr(company, persona))
    for tab in TABS:
        assert browser.get(tab_url(company.alice_client, tab)).status_code == 200


@pytest.mark.parametrize("persona", ["carol", "hugo"])
def test_another_kam_or_head_gets_404_on_every_tab(company, login, filled, persona):
    browser = login(getattr(company, persona))
    for tab in TABS:
        assert browser.get(tab_url(company.alice_client, tab)).status_code == 404, tab


@pytest.mark.parametrize("persona", ["carol", "hugo", "sam", "fiona", "adam"])
def test_it_refuses_every_write_on_another_kams_client_and_changes_nothing(company, login, filled, persona):
    TeamMember.objects.create(client=company.alice_client, user=company.bob)
    browser = login(getattr(company, persona))
    before = snapshot()
    for method, url, data in write_requests(company.alice_client, filled, company.bob):
        response = getattr(browser, method)(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
    assert snapshot() == before


def test_a_kam_may_not_manage_the_account_team_of_their_own_client(company, login, filled):
    TeamMember.objects.create(client=company.alice_client, user=company.bob)
    browser = login(company.alice)
    before = snapshot()
    pk = company.alice_client.pk
    assert (
        browser.post(reverse("clients:team_add", args=[pk]), {"user": company.hannah.pk}).status_code == 404
    )
    assert browser.post(reverse("clients:team_remove", args=[pk, company.bob.pk])).status_code == 404
    assert snapshot() == before
    assert 'id="team-form"' not in browser.get(tab_url(company.alice_client, "overview")).content.decode()


def test_writes_are_refused_on_get(company, login, filled):
    browser = login(company.alice)
    before = snapshot()
    pk = company.alice_client.pk
    for url in [
        reverse("clients:financial_delete", args=[pk, filled["financial"].pk]),
        reverse("clients:stakeholder_delete", args=[pk, filled["olga"].pk]),
        reverse("clients:relationship_add", args=[pk]),
        reverse("clients:relationship_delete", args=[pk, filled["relationship"].pk]),
        reverse("clients:competitor_delete", args=[pk, filled["presence"].pk]),
    ]:
        assert browser.get(url).status_code == 405, url
    assert snapshot() == before


def test_a_row_of_another_client_is_404_even_on_ones_own_client(company, login, filled):
    """Ids of another client's rows under one's own client's address change nothing."""
    other = Stakeholder.objects.create(client=company.carol_client, full_name="Lyutik person")
    before = snapshot()
    browser = login(company.alice)
    url = reverse("clients:stakeholder_delete", args=[company.alice_client.pk, other.pk])
    assert browser.post(url).status_code == 404
    response = browser.post(
        reverse("clients:relationship_add", args=[company.alice_client.pk]),
        {"source": filled["ivan"].pk, "target": other.pk, "kind": "allied"},
    )
    assert "Pick a stakeholder of this client." in response.content.decode()
    assert snapshot() == before


# ------------------------------------------------------------------ private notes


def test_the_owner_kam_sees_the_private_notes(company, login, filled):
    body = login(company.alice).get(tab_url(company.alice_client, "stakeholders")).content.decode()
    assert "Private notes" in body
    assert "Olga&#x27;s secret: moving to a competitor" in body
    assert "Prefers morning meetings; sensitive" in body


@pytest.fixture
def no_sensitive(monkeypatch):
    """A future role that may open the dossier but not personal notes."""
    real_can = policy.can

    def can(user, perm, obj=None):
        return False if perm == "clients.view_sensitive" else real_can(user, perm, obj)

    monkeypatch.setattr(policy, "can", can)


def test_private_notes_never_reach_a_viewer_without_the_right(company, login, filled, no_sensitive):
    browser = login(company.alice)
    for tab in TABS:
        body = browser.get(tab_url(company.alice_client, tab)).content.decode()
        assert "secret" not in body and "Prefers morning" not in body, tab
    body = browser.get(tab_url(company.alice_client, "stakeholders")).content.decode()
    assert "Private notes" not in body and "Olga Smirnova" in body
    form = browser.get(
        reverse("clients:stakeholder_edit", args=[company.alice_client.pk, filled["olga"].pk])
    ).content.decode()
    assert "secret" not in form and 'name="private_notes"' not in form


def test_editing_without_the_right_keeps_the_notes_and_cannot_write_them(
    company, login, filled, no_sensitive
):
    url = reverse("clients:stakeholder_edit", args=[company.alice_client.pk, filled["olga"].pk])
    response = login(company.alice).post(
        url,
        {
            "full_name": "Olga Smirnova",
            "position": "CFO",
            "decision_role": "influencer",
            "influence": 5,
            "attitude": "supporter",
            "private_notes": "overwritten",
        },
    )
    assert response.status_code == 302
    filled["olga"].refresh_from_db()
    assert filled["olga"].influence == 5
    assert filled["olga"].private_notes == "Olga's secret: moving to a competitor"


def test_the_row_helper_leaves_the_notes_out_unless_allowed(company, filled):
    people = list(company.alice_client.stakeholders.all())
    hidden = dossier.stakeholder_rows(people, sensitive=False)
    shown = dossier.stakeholder_rows(people, sensitive=True)
    assert all(row.private_notes is None for row in hidden)
    assert "Olga's secret: moving to a competitor" in [row.private_notes for row in shown]


# ------------------------------------------------------------------ queries


def count_queries(browser, url):
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("tab", ["stakeholders", "map", "overview", "competitors", "financials"])
def test_the_number_of_queries_does_not_grow_with_the_dossier(company, login, filled, tab):
    browser = login(company.alice)
    url = tab_url(company.alice_client, tab)
    browser.get(url)  # the first request reads the session from the database, later ones from the cache
    few = count_queries(browser, url)
    people = [
        Stakeholder.objects.create(client=company.alice_client, full_name=f"Person {i}", influence=1 + i % 5)
        for i in range(25)
    ]
    for a, b in itertools.pairwise(people):
        Relationship.objects.create(client=company.alice_client, source=a, target=b, kind="reports_to")
    for i in range(10):
        FinancialIndicator.objects.create(client=company.alice_client, year=2000 + i, revenue=Decimal(i + 1))
        ClientCompetitor.objects.create(
            client=company.alice_client,
            competitor=Competitor.objects.create(name=f"Rival {i}"),
            estimated_share=Decimal(1),
        )
    assert count_queries(browser, url) == few


# ------------------------------------------------------------------ empty states


def test_the_map_asks_for_two_people_before_drawing(company, login):
    Stakeholder.objects.filter(client=company.alice_client).delete()
    Stakeholder.objects.create(client=company.alice_client, full_name="Only One")
    body = login(company.alice).get(tab_url(company.alice_client, "map")).content.decode()
    assert "Add at least two stakeholders" in body and '<svg class="svgmap"' not in body


def test_empty_tabs_say_what_is_missing(company, login):
    browser = login(company.bob)
    assert "No figures yet" in browser.get(tab_url(company.bob_client, "financials")).content.decode()
    assert (
        "No stakeholders recorded yet"
        in browser.get(tab_url(company.bob_client, "stakeholders")).content.decode()
    )
    body = browser.get(tab_url(company.bob_client, "competitors")).content.decode()
    assert "No competitors recorded" in body and "Our share is shown when" in body


# ------------------------------------------------------------------ account team


def test_the_head_adds_and_removes_a_team_member(company, login, filled):
    browser = login(company.hannah)
    pk = company.alice_client.pk
    body = browser.get(tab_url(company.alice_client, "overview")).content.decode()
    assert 'id="team-form"' in body
    response = browser.post(
        reverse("clients:team_add", args=[pk]), {"user": company.bob.pk, "role": "backup"}
    )
    assert response.status_code == 302
    assert TeamMember.objects.filter(client=company.alice_client, user=company.bob, role="backup").exists()
    assert "is now on the account team" in browser.get(response.url).content.decode()
    assert policy.can(company.bob, "clients.view_dossier", company.alice_client)
    response = browser.post(reverse("clients:team_remove", args=[pk, company.bob.pk]))
    assert response.status_code == 302
    assert not TeamMember.objects.filter(client=company.alice_client).exists()


def test_the_head_cannot_add_another_departments_kam_or_the_owner(company, login, filled):
    browser = login(company.hannah)
    pk = company.alice_client.pk
    before = snapshot()
    for user in (company.carol, company.alice, company.sam):
        response = browser.post(reverse("clients:team_add", args=[pk]), {"user": user.pk})
        assert response.status_code == 200
        assert "Pick an active KAM or head you are allowed to put on this team." in response.content.decode()
    assert snapshot() == before


def test_the_director_may_add_a_kam_of_any_department(company, login, filled):
    response = login(company.diana).post(
        reverse("clients:team_add", args=[company.alice_client.pk]), {"user": company.carol.pk}
    )
    assert response.status_code == 302
    assert TeamMember.objects.filter(client=company.alice_client, user=company.carol).exists()


def test_the_map_coordinates_stay_plain_numbers_in_russian(company, login, filled):
    browser = login(company.alice)
    browser.post(reverse("set_language"), {"language": "ru"})
    body = browser.get(tab_url(company.alice_client, "map")).content.decode()
    assert '<html lang="ru">' in body
    coordinates = re.findall(r' (?:cx|cy|r|x|y)="([^"]*)"', body)
    assert len(coordinates) > 10
    for value in coordinates:
        float(value)  # "123,4" would break the drawing
    for path in re.findall(r' d="([^"]*)"', body):
        assert re.fullmatch(r"[MQLz0-9., \-]+", path), path
