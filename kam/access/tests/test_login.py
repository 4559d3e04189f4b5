import pytest
from django.core.cache import cache
from django.urls import reverse

from kam.access.models import ApiToken
from kam.core.testing import PASSWORD

pytestmark = pytest.mark.django_db


def test_pages_need_a_login(client):
    response = client.get(reverse("clients:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_user_logs_in_and_out(company, client):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_is_refused_with_a_message(company, client):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "didn" in response.content.decode()


def test_login_attempts_are_rate_limited(company, client, settings):
    settings.RATELIMIT_ENABLE = True
    cache.clear()
    for _ in range(20):
        client.post(reverse("login"), {"username": "alice", "password": "nope"})
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert "Too many login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    cache.clear()


def test_a_user_creates_and_revokes_an_api_token(company, login):
    browser = login(company.alice)
    page = browser.post(reverse("access:profile"), {"name": "phone"})
    token = ApiToken.objects.get(user=company.alice)
    assert page.context["new_token"].startswith("kam_")
    assert token.key_hash != page.context["new_token"]
    browser.post(reverse("access:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_user_cannot_revoke_someone_elses_token(company, login):
    token, _raw = ApiToken.issue(company.bob, "bob's")
    assert login(company.alice).post(reverse("access:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_only_an_admin_manages_users(company, login):
    assert login(company.diana).get(reverse("access:users")).status_code == 403
    assert login(company.adam).get(reverse("access:users")).status_code == 200


def test_an_admin_creates_a_department_and_a_kam_in_it(company, login):
    from kam.access.models import Department, User

    browser = login(company.adam)
    browser.post(reverse("access:departments"), {"name": "Key accounts East", "head": company.hugo.pk})
    east = Department.objects.get(name="Key accounts East")
    assert east.head == company.hugo
    response = browser.post(
        reverse("access:users"),
        {
            "username": "eve",
            "first_name": "Eve",
            "last_name": "East",
            "email": "eve@example.com",
            "role": "kam",
            "department": east.pk,
            "password1": "Very-long-pass-42",
            "password2": "Very-long-pass-42",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="eve").department == east


def test_a_director_cannot_manage_departments(company, login):
    from kam.access.models import Department

    before = Department.objects.count()
    assert login(company.diana).post(reverse("access:departments"), {"name": "X"}).status_code == 403
    assert Department.objects.count() == before


def test_an_admin_edits_a_user_and_a_department(company, login):
    browser = login(company.adam)
    response = browser.post(
        reverse("access:user_edit", args=[company.bob.pk]),
        {
            "first_name": "Bob",
            "last_name": "Builder",
            "email": "",
            "phone": "",
            "role": "head",
            "department": company.north.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    company.bob.refresh_from_db()
    assert (company.bob.last_name, company.bob.role) == ("Builder", "head")
    response = browser.post(reverse("access:department_edit", args=[company.south.pk]), {"name": ""})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    company.south.refresh_from_db()
    assert company.south.name == "Sales South"
