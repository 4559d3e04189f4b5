"""The client picker: results limited to visible clients and to a short list; validation by queryset."""

from django import forms
from django.urls import reverse

from kam.access.policy import visible_clients
from kam.clients.models import Client
from kam.clients.picker import PICK_LIMIT, ClientPickerField
from kam.core.testing import make_client


class PickForm(forms.Form):
    client = ClientPickerField(label="Client")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = visible_clients(user)  # type: ignore[attr-defined]


def test_search_shows_only_visible_clients(company, login):
    http = login(company.alice)
    body = http.get(reverse("clients:pick"), {"client__q": "a"}).content.decode()
    assert "Romashka" in body
    assert "Vasilek" not in body  # bob's client
    assert "Lyutik" not in body


def test_search_by_inn_prefix_and_single_match_selected(company, login):
    http = login(company.diana)
    body = http.get(reverse("clients:pick"), {"q": company.carol_client.tax_number[:10]}).content.decode()
    assert "Lyutik" in body
    assert "selected" in body


def test_empty_term_and_no_match(company, login):
    http = login(company.diana)
    assert "Type to search" in http.get(reverse("clients:pick")).content.decode()
    assert "No client found" in http.get(reverse("clients:pick"), {"q": "zzzz"}).content.decode()


def test_results_are_capped(company, login, django_assert_max_num_queries):
    for n in range(PICK_LIMIT + 5):
        make_client(company.alice, "", f"Alpha {n:02d}")
    http = login(company.alice)
    with django_assert_max_num_queries(8):
        body = http.get(reverse("clients:pick"), {"q": "alpha"}).content.decode()
    assert body.count('<option value="') - body.count('<option value="" disabled') == PICK_LIMIT
    assert "type more letters" in body


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("clients:pick"), {"q": "a"})
    assert response.status_code == 302


def test_form_accepts_visible_and_refuses_other_clients(company):
    ok = PickForm({"client": company.alice_client.pk}, user=company.alice)
    assert ok.is_valid(), ok.errors
    assert ok.cleaned_data["client"] == company.alice_client
    refused = PickForm({"client": company.carol_client.pk}, user=company.alice)
    assert not refused.is_valid()
    assert "Choose a client from the search results." in refused.errors["client"][0]


def test_render_holds_only_the_chosen_client(company):
    for n in range(30):
        make_client(company.alice, "", f"Beta {n:02d}")
    form = PickForm(initial={"client": company.alice_client.pk}, user=company.alice)
    html = str(form["client"])
    assert "Romashka" in html
    assert "Beta" not in html
    assert 'name="client__q"' in html
    assert Client.objects.count() > 30
