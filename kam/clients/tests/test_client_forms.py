import pytest
from django.urls import reverse

from kam.clients.models import Client

pytestmark = pytest.mark.django_db


def new_client(owner, **changes):
    data = {
        "owner": owner.pk,
        "legal_name": 'OOO "Oduvanchik"',
        "short_name": "Oduvanchik",
        "country": "RU",
        "tax_number": "7728168971",
        "segment": "medium",
        "status": "active",
        "price_column": 1,
        "payment_terms_days": 14,
        "credit_limit": "500000",
        "tags_text": "сеть, федеральный",
    }
    data.update(changes)
    return data


def snapshot():
    return list(Client.objects.order_by("pk").values_list("pk", "short_name", "owner_id", "tax_number"))


def test_a_kam_creates_a_client_with_tags(company, login):
    response = login(company.alice).post(reverse("clients:create"), new_client(company.alice))
    client = Client.objects.get(short_name="Oduvanchik")
    assert response.status_code == 302
    assert client.owner == company.alice and client.department == company.north
    assert sorted(t.name for t in client.tags.all()) == ["сеть", "федеральный"]


def test_an_inn_with_a_wrong_checksum_is_refused(company, login):
    before = snapshot()
    response = login(company.alice).post(
        reverse("clients:create"), new_client(company.alice, tax_number="7728168972")
    )
    assert "fails its checksum" in response.content.decode()
    assert snapshot() == before


def test_an_inn_of_the_wrong_length_is_refused(company, login):
    response = login(company.alice).post(
        reverse("clients:create"), new_client(company.alice, tax_number="12345")
    )
    assert "10 digits" in response.content.decode()


def test_a_duplicate_inn_is_refused_without_naming_the_other_client(company, login):
    before = snapshot()
    response = login(company.alice).post(
        reverse("clients:create"), new_client(company.alice, tax_number=company.carol_client.tax_number)
    )
    body = response.content.decode()
    assert "already registered" in body and "Lyutik" not in body
    assert snapshot() == before


def test_a_foreign_tax_number_is_checked_for_its_country(company, login):
    browser = login(company.alice)
    response = browser.post(
        reverse("clients:create"), new_client(company.alice, country="DE", tax_number="DE136695976")
    )
    assert response.status_code == 302
    response = browser.post(
        reverse("clients:create"),
        new_client(company.alice, country="DE", tax_number="DE136695970", short_name="X"),
    )
    assert "not a valid tax number" in response.content.decode()


def test_a_kam_cannot_edit_another_kams_client(company, login):
    before = snapshot()
    response = login(company.carol).post(
        reverse("clients:edit", args=[company.alice_client.pk]),
        new_client(company.carol, short_name="Hacked"),
    )
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["carol", "hugo", "sam", "fiona", "adam"])
def test_roles_without_rights_cannot_open_or_change_alices_client(company, login, persona):
    user = getattr(company, persona)
    browser = login(user)
    before = snapshot()
    dossier = browser.get(reverse("clients:dossier", args=[company.alice_client.pk]))
    if persona in ("sam", "fiona"):
        body = dossier.content.decode()
        assert dossier.status_code == 200 and "Requisites" in body and "Ivan Petrov" not in body
    else:
        assert dossier.status_code == 404
    assert browser.get(reverse("clients:edit", args=[company.alice_client.pk])).status_code == 404
    assert (
        browser.post(
            reverse("clients:reassign", args=[company.alice_client.pk]), {"owner": user.pk}
        ).status_code
        == 404
    )
    csv = browser.get(reverse("clients:export", args=["csv"])).content.decode("utf-8-sig")
    assert ("Romashka" in csv) == (persona in ("sam", "fiona"))
    assert snapshot() == before


def test_a_head_reassigns_a_client_within_the_department(company, login):
    response = login(company.hannah).post(
        reverse("clients:reassign", args=[company.alice_client.pk]), {"owner": company.bob.pk}
    )
    assert response.status_code == 302
    company.alice_client.refresh_from_db()
    assert company.alice_client.owner == company.bob


def test_a_head_cannot_hand_a_client_to_another_departments_kam(company, login):
    response = login(company.hannah).post(
        reverse("clients:reassign", args=[company.alice_client.pk]), {"owner": company.carol.pk}
    )
    assert response.status_code == 200
    company.alice_client.refresh_from_db()
    assert company.alice_client.owner == company.alice


def test_the_director_moves_a_client_to_another_department(company, login):
    login(company.diana).post(
        reverse("clients:reassign", args=[company.alice_client.pk]), {"owner": company.carol.pk}
    )
    company.alice_client.refresh_from_db()
    assert (company.alice_client.owner, company.alice_client.department) == (company.carol, company.south)


def test_a_kam_cannot_reassign_own_client(company, login):
    response = login(company.alice).post(
        reverse("clients:reassign", args=[company.alice_client.pk]), {"owner": company.bob.pk}
    )
    assert response.status_code == 404
    company.alice_client.refresh_from_db()
    assert company.alice_client.owner == company.alice
