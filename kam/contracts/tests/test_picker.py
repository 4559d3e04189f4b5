"""New contracts and claims pick the client with a search box (100,000 clients) among those the user sees."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.contracts.models import Claim, Contract

pytestmark = pytest.mark.django_db


def test_the_new_contract_and_claim_pages_search_clients_instead_of_listing_them(company, login):
    browser = login(company.alice)
    for name in ("contracts:new", "contracts:claim_new"):
        page = browser.get(reverse(name)).content.decode()
        assert 'name="client__q"' in page and 'name="client"' in page
        assert "Romashka" not in page and "Vasilek" not in page  # no list of all clients


def test_a_client_outside_the_users_book_is_refused_by_the_picker(company, login):
    today = timezone.localdate()
    browser = login(company.alice)
    response = browser.post(
        reverse("contracts:new"),
        {
            "client": company.carol_client.pk,
            "number": "K-1",
            "title": "Supply",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(),
            "status": "active",
            "renewal_notice_days": "30",
            "owner": company.alice.pk,
        },
    )
    assert response.status_code == 404  # the client posted is looked up within the user's book
    response = browser.post(
        reverse("contracts:claim_new"),
        {
            "client": company.carol_client.pk,
            "kind": "claim",
            "subject": "Broken",
            "registered_on": today.isoformat(),
            "assigned_to": company.alice.pk,
            "status": "open",
        },
    )
    assert response.status_code == 404
    assert not Contract.objects.exists() and not Claim.objects.exists()
    response = browser.post(
        reverse("contracts:claim_new"),
        {
            "client": company.alice_client.pk,
            "kind": "claim",
            "subject": "Broken",
            "registered_on": today.isoformat(),
            "assigned_to": company.alice.pk,
            "status": "open",
        },
    )
    assert response.status_code == 302 and Claim.objects.get().client == company.alice_client
