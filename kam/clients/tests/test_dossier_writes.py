"""Adding, changing and deleting on the dossier tabs: what is saved, and the clear messages (with the
database unchanged) when the input is wrong."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.clients.models import (
    Client,
    ClientCompetitor,
    Competitor,
    FinancialIndicator,
    Relationship,
    Stakeholder,
)

from .test_dossier_tabs import fill_dossier, snapshot

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def filled(company):
    return fill_dossier(company.alice_client)


@pytest.fixture
def alice(company, login):
    return login(company.alice)


def url(name, company, *args):
    return reverse(f"clients:{name}", args=[company.alice_client.pk, *args])


def refused(response, message):
    """The page came back (no redirect) and says what is wrong."""
    body = response.content.decode()
    assert response.status_code == 200, response.status_code
    assert message in body, body[:3000]
    return body


# ------------------------------------------------------------------ financials


def test_a_kam_adds_a_year_of_figures(company, alice, filled):
    response = alice.post(
        url("financial_add", company),
        {"year": 2024, "revenue": "1200000.50", "profit": "-3000", "employees": "130"},
    )
    assert response.status_code == 302
    row = FinancialIndicator.objects.get(client=company.alice_client, year=2024)
    assert row.revenue == Decimal("1200000.50") and row.profit == Decimal("-3000") and row.employees == 130
    body = alice.get(response.url).content.decode()
    assert "Figures for 2024 saved." in body and "20.0\u00a0%" in body  # growth against 2023


def test_a_year_already_recorded_is_refused_with_a_clear_message(company, alice, filled):
    before = snapshot()
    response = alice.post(url("financial_add", company), {"year": 2023, "revenue": "5"})
    refused(response, "Figures for 2023 are already recorded: change that row instead.")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"year": 2024}, "Enter at least one figure for the year."),
        ({"year": 2024, "revenue": "-1"}, "Revenue cannot be negative."),
        ({"year": 1800, "revenue": "1"}, "greater than or equal to 1990"),
        ({"year": "", "revenue": "1"}, "This field is required."),
        ({"year": 2024, "revenue": "abc"}, "Enter a number."),
        ({"year": 2024, "employees": "-5"}, "greater than or equal to 0"),
    ],
)
def test_bad_figures_are_refused(company, alice, filled, data, message):
    before = snapshot()
    refused(alice.post(url("financial_add", company), data), message)
    assert snapshot() == before


def test_a_kam_changes_a_year_and_cannot_move_it_onto_another(company, alice, filled):
    FinancialIndicator.objects.create(client=company.alice_client, year=2022, revenue=Decimal(1))
    edit = url("financial_edit", company, filled["financial"].pk)
    assert 'value="2023"' in alice.get(edit).content.decode()
    before = snapshot()
    refused(alice.post(edit, {"year": 2022, "revenue": "7"}), "Figures for 2022 are already recorded")
    assert snapshot() == before
    assert alice.post(edit, {"year": 2021, "revenue": "7", "employees": "3"}).status_code == 302
    filled["financial"].refresh_from_db()
    assert (filled["financial"].year, filled["financial"].revenue) == (2021, Decimal("7.00"))


def test_a_kam_deletes_a_year(company, alice, filled):
    assert alice.post(url("financial_delete", company, filled["financial"].pk)).status_code == 302
    assert not FinancialIndicator.objects.filter(client=company.alice_client).exists()


# ------------------------------------------------------------------ needs and plans


def test_a_kam_writes_needs_plans_and_the_category_budget(company, alice, filled):
    data = {
        "history": "Since 2019",
        "needs": "Film, 20 t a month",
        "plans": "Second plant in 2026",
        "decision_process": "Tender, then the CEO signs",
        "category_budget": "12000000",
    }
    response = alice.post(url("needs_edit", company), data)
    assert response.status_code == 302
    client = Client.objects.get(pk=company.alice_client.pk)
    assert client.plans == "Second plant in 2026" and client.category_budget == Decimal("12000000")
    body = alice.get(response.url).content.decode()
    assert "Needs and plans saved." in body and "Second plant in 2026" in body
    competitors = alice.get(reverse("clients:dossier_tab", args=[client.pk, "competitors"])).content.decode()
    assert "Our estimated share (what is left)" in competitors and "60.0&nbsp;%" in competitors


def test_a_negative_budget_is_refused(company, alice, filled):
    before = snapshot()
    refused(
        alice.post(url("needs_edit", company), {"needs": "x", "category_budget": "-5"}),
        "greater than or equal to 0",
    )
    assert snapshot() == before


def test_the_needs_form_comes_alone_for_htmx_and_whole_otherwise(company, alice, filled):
    partial = alice.get(url("needs_edit", company), **HTMX).content.decode()
    assert 'id="needs-form"' in partial and "<html" not in partial
    page = alice.get(url("needs_edit", company)).content.decode()
    assert 'id="needs-form"' in page and "<html" in page


# ------------------------------------------------------------------ stakeholders


def person(**changes):
    data = {
        "full_name": "Anna Kuznetsova",
        "position": "Chief engineer",
        "decision_role": "kol",
        "influence": "4",
        "attitude": "supporter",
        "email": "anna@example.com",
        "phone": "+7 495 000-00-00",
        "last_contact_on": "",
        "private_notes": "Likes data sheets",
    }
    data.update(changes)
    return data


def test_a_kam_adds_a_stakeholder_with_notes(company, alice, filled):
    response = alice.post(url("stakeholder_add", company), person())
    assert response.status_code == 302
    anna = Stakeholder.objects.get(client=company.alice_client, full_name="Anna Kuznetsova")
    assert (anna.influence, anna.attitude, anna.private_notes) == (4, "supporter", "Likes data sheets")
    assert "Anna Kuznetsova added." in alice.get(response.url).content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"full_name": "   "}, "This field is required."),
        ({"influence": "7"}, "Ensure this value is less than or equal to 5."),
        ({"attitude": "enemy"}, "Select a valid choice. enemy is not one of the available choices."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"last_contact_on": "2020-13-45"}, "Enter a valid date."),
    ],
)
def test_bad_stakeholder_input_is_refused(company, alice, filled, changes, message):
    before = snapshot()
    refused(alice.post(url("stakeholder_add", company), person(**changes)), message)
    assert snapshot() == before


def test_a_last_contact_in_the_future_is_refused(company, alice, filled):
    before = snapshot()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    refused(
        alice.post(url("stakeholder_add", company), person(last_contact_on=tomorrow)),
        "The last contact cannot be in the future.",
    )
    assert snapshot() == before


def test_a_kam_edits_a_stakeholder(company, alice, filled):
    edit = url("stakeholder_edit", company, filled["pavel"].pk)
    assert "Pavel Sidorov" in alice.get(edit).content.decode()
    response = alice.post(edit, person(full_name="Pavel Sidorov", attitude="neutral", influence="3"))
    assert response.status_code == 302
    filled["pavel"].refresh_from_db()
    assert (filled["pavel"].attitude, filled["pavel"].influence) == ("neutral", 3)


def test_deleting_a_stakeholder_takes_their_relationships_with_them(company, alice, filled):
    pavel = filled["pavel"]
    assert Relationship.objects.filter(source=pavel).count() == 2
    response = alice.post(url("stakeholder_delete", company, pavel.pk))
    assert response.status_code == 302
    assert not Stakeholder.objects.filter(pk=pavel.pk).exists()
    assert Relationship.objects.filter(client=company.alice_client).count() == 1
    assert "Pavel Sidorov deleted." in alice.get(response.url).content.decode()


def test_the_delete_button_asks_for_confirmation(company, alice, filled):
    body = alice.get(
        reverse("clients:dossier_tab", args=[company.alice_client.pk, "stakeholders"])
    ).content.decode()
    assert "onsubmit=" not in body  # kam/static/kam/kam.js asks (the CSP forbids inline handlers)
    assert 'data-confirm="Delete Pavel Sidorov and their lines on the relationship map?"' in body


def test_htmx_gets_the_bare_form_its_errors_and_a_redirect_when_saved(company, alice, filled):
    form = alice.get(url("stakeholder_add", company), **HTMX)
    body = form.content.decode()
    assert 'id="stakeholder-form"' in body and "<html" not in body
    bad = alice.post(url("stakeholder_add", company), person(email="nope"), **HTMX)
    body = bad.content.decode()
    assert bad.status_code == 200 and "Enter a valid email address." in body and "<html" not in body
    good = alice.post(url("stakeholder_add", company), person(), **HTMX)
    assert good.status_code == 200
    assert good["HX-Redirect"] == reverse(
        "clients:dossier_tab", args=[company.alice_client.pk, "stakeholders"]
    )


# ------------------------------------------------------------------ relationship map


def test_a_kam_draws_and_removes_a_relationship(company, alice, filled):
    data = {"source": filled["olga"].pk, "target": filled["pavel"].pk, "kind": "allied"}
    response = alice.post(url("relationship_add", company), data)
    assert response.status_code == 302
    relation = Relationship.objects.get(source=filled["olga"], target=filled["pavel"], kind="allied")
    body = alice.get(response.url).content.decode()
    assert "Relationship added." in body and 'data-kind="allied"' in body
    assert alice.post(url("relationship_delete", company, relation.pk)).status_code == 302
    assert not Relationship.objects.filter(pk=relation.pk).exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda f: (f["olga"], f["olga"], "allied"), "A person cannot be related to themself."),
        (lambda f: (f["olga"], f["ivan"], "reports_to"), "This relationship is already on the map."),
        (lambda f: (f["ivan"], f["pavel"], "rival"), "This relationship is already on the map."),
        (
            lambda f: (f["ivan"], f["olga"], "reports_to"),
            "Olga Smirnova already reports to Ivan Petrov: two people cannot report to each other.",
        ),
    ],
)
def test_a_wrong_relationship_is_refused(company, alice, filled, make, message):
    source, target, kind = make(filled)
    before = snapshot()
    refused(
        alice.post(
            url("relationship_add", company), {"source": source.pk, "target": target.pk, "kind": kind}
        ),
        message,
    )
    assert snapshot() == before


# ------------------------------------------------------------------ competitors


def test_a_new_competitor_name_enters_the_registry(company, alice, filled):
    data = {
        "competitor_name": " Beta  Trade ",
        "supplies": "pallets",
        "estimated_share": "25",
        "price_level": "higher",
    }
    response = alice.post(url("competitor_add", company), data)
    assert response.status_code == 302
    presence = ClientCompetitor.objects.get(client=company.alice_client, competitor__name="Beta Trade")
    assert presence.estimated_share == Decimal("25") and presence.supplies == "pallets"
    assert "Beta Trade recorded at this client." in alice.get(response.url).content.decode()


def test_an_existing_competitor_is_picked_whatever_the_case(company, alice, filled):
    other = Competitor.objects.create(name="Gamma Group")
    response = alice.post(
        url("competitor_add", company), {"competitor_name": "gamma group", "estimated_share": "10"}
    )
    assert response.status_code == 302
    assert Competitor.objects.filter(name__iexact="gamma group").count() == 1
    assert ClientCompetitor.objects.filter(client=company.alice_client, competitor=other).exists()


def test_shares_over_one_hundred_in_total_are_refused_and_no_name_is_left_behind(company, alice, filled):
    before = snapshot()
    response = alice.post(
        url("competitor_add", company), {"competitor_name": "Delta", "estimated_share": "70"}
    )
    refused(
        response,
        "Competitors&#x27; shares at this client would add up to 110 %; the others already hold 40 %, "
        "so at most 60 % is left.",
    )
    assert snapshot() == before  # the new name "Delta" was rolled back with the row
    assert not Competitor.objects.filter(name="Delta").exists()


@pytest.mark.parametrize(
    ("share", "message"),
    [
        ("101", "A share is at most 100 %."),
        ("-1", "A share cannot be negative."),
        ("", "This field is required."),
    ],
)
def test_a_share_outside_zero_to_one_hundred_is_refused(company, alice, filled, share, message):
    before = snapshot()
    refused(
        alice.post(url("competitor_add", company), {"competitor_name": "Delta", "estimated_share": share}),
        message,
    )
    assert snapshot() == before


def test_the_same_competitor_twice_at_a_client_is_refused(company, alice, filled):
    before = snapshot()
    refused(
        alice.post(
            url("competitor_add", company), {"competitor_name": "alfa supply", "estimated_share": "1"}
        ),
        "Alfa Supply is already recorded at this client: change that row instead.",
    )
    assert snapshot() == before


def test_a_kam_edits_a_presence_within_the_total(company, alice, filled):
    ClientCompetitor.objects.create(
        client=company.alice_client,
        competitor=Competitor.objects.create(name="Beta"),
        estimated_share=Decimal(50),
    )
    edit = url("competitor_edit", company, filled["presence"].pk)
    assert 'value="Alfa Supply"' in alice.get(edit).content.decode()
    before = snapshot()
    refused(
        alice.post(edit, {"competitor_name": "Alfa Supply", "estimated_share": "51"}), "at most 50 % is left"
    )
    assert snapshot() == before
    assert alice.post(edit, {"competitor_name": "Alfa Supply", "estimated_share": "50"}).status_code == 302
    filled["presence"].refresh_from_db()
    assert filled["presence"].estimated_share == Decimal(50)


def test_a_kam_removes_a_competitor_from_the_client_but_not_from_the_registry(company, alice, filled):
    response = alice.post(url("competitor_delete", company, filled["presence"].pk))
    assert response.status_code == 302
    assert not ClientCompetitor.objects.filter(client=company.alice_client).exists()
    assert Competitor.objects.filter(name="Alfa Supply").exists()


def test_our_share_is_what_the_competitors_leave_of_a_known_budget(company, alice, filled):
    Client.objects.filter(pk=company.alice_client.pk).update(category_budget=Decimal("1000000"))
    body = alice.get(
        reverse("clients:dossier_tab", args=[company.alice_client.pk, "competitors"])
    ).content.decode()
    assert "Our estimated share (what is left)" in body
    assert "60.0&nbsp;%" in body and "RUB600,000" in body and "RUB400,000" in body
